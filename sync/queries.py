"""SQL of the push path: rows being merged, the mutation log and the conflict log.

(The pull side, the change feed, is sync/feed.py.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import Column, func, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from domain.conflict_log import ConflictEntry, ConflictRecord, entry_of
from domain.db import driver
from domain.models.device import SyncConflict
from domain.repositories.scope import in_scope
from sync.feed import column_sql
from sync.registry import EntitySpec, FieldType
from sync.wire import Fields, MutationResult

_json = msgspec.json.Encoder()


@cache
def _current_sql(spec: EntitySpec) -> str:
    return (f"SELECT id, deleted, {column_sql(spec)} FROM {spec.table} "
            f"WHERE id = ANY(CAST(:ids AS uuid[]))")


def _fields(spec: EntitySpec, values: Sequence[Any]) -> Fields:
    """Column values (in spec order) as the fields object a pull would send."""
    fields = dict(zip((f.name for f in spec.stored), values, strict=True))
    for f in spec.stored:
        if f.type is FieldType.point and fields[f.name] is not None:
            fields[f.name] = {"type": "Point", "coordinates": fields[f.name]}
    return fields


async def current_rows(
    session: AsyncSession, spec: EntitySpec, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Fields | None]:
    """Rows as a pull would send them now, by id (None for a tombstone)."""
    if not ids:
        return {}
    result = await session.execute(text(_current_sql(spec)), {"ids": list(ids)})
    return {r[0]: None if r[1] else _fields(spec, r[2:]) for r in result}


@cache
def _locked_sql(spec: EntitySpec) -> str:
    return (f"SELECT deleted, scope_path, field_hlc, {column_sql(spec)} FROM {spec.table} "
            f"WHERE id = :id FOR NO KEY UPDATE")


@dataclass(frozen=True, slots=True)
class LockedRow:
    deleted: bool
    scope_path: str
    stamps: dict[str, Any]  # field_hlc
    fields: Fields


async def lock_row(session: AsyncSession, spec: EntitySpec, row_id: uuid.UUID) -> LockedRow | None:
    """Lock a row for a merge: its pull form, its scope and its per-field stamps.

    NO KEY UPDATE, so that concurrent inserts referencing the row (readings of a case) are
    not blocked and cannot deadlock with us through their foreign-key locks.
    """
    row = (await session.execute(text(_locked_sql(spec)), {"id": row_id})).first()
    if row is None:
        return None
    return LockedRow(row[0], row[1], row[2], _fields(spec, row[3:]))


async def load_rows(
    session: AsyncSession, spec: EntitySpec, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    """The ORM rows of a run of edits, fresh from the database (the push has locked them)."""
    model: Any = spec.model
    rows = await session.scalars(
        select(model).where(model.id.in_(ids)).execution_options(populate_existing=True)
    )
    return {row.id: row for row in rows}


# -- edited rows, in one statement --------------------------------------------------------------


class RowsMissing(Exception):
    """An edited row was not there to update: the caller applies the edits one at a time."""


@cache
def _column_types(model: Any) -> dict[str, tuple[str, str]]:
    """Attribute key -> (column name, its SQL type) of the model's plain columns."""
    dialect = postgresql.dialect()
    out = {}
    for prop in sa_inspect(model).column_attrs:
        if len(prop.columns) == 1 and isinstance(prop.columns[0], Column):
            col = prop.columns[0]
            out[prop.key] = (col.name, col.type.compile(dialect=dialect))
    return out


def edit_columns(spec: EntitySpec) -> tuple[str, ...]:
    """The attributes of ``spec``'s rows that ``write_values`` can write."""
    return tuple(_column_types(spec.model))


@cache
def _update_sql(table: str, model: Any, keys: frozenset[str]) -> str:
    types = _column_types(model)
    names = sorted(types[k][0] for k in keys)
    sql_type = {types[k][0]: types[k][1] for k in keys}
    sets = ", ".join(f'"{n}" = v."{n}"' for n in names)
    record = ", ".join(['"id" uuid', *(f'"{n}" {sql_type[n]}' for n in names)])
    return (f"UPDATE {table} AS t SET {sets} "
            f"FROM jsonb_to_recordset($1::text::jsonb) AS v({record}) WHERE t.id = v.id")


async def write_values(
    session: AsyncSession, spec: EntitySpec, writes: Sequence[tuple[uuid.UUID, dict[str, Any]]]
) -> None:
    """Write new column values (by attribute key) of distinct rows, locked by the caller,
    with one UPDATE per set of columns instead of one per row: the rows' triggers and round
    trips were most of an edit run's cost, and the audit and the map's notifications run
    once per statement (migration 0022). Raises TypeError, before writing, for a value with
    no JSON form here, and RowsMissing when a row was not there."""
    columns = _column_types(spec.model)
    groups: dict[frozenset[str], list[tuple[uuid.UUID, dict[str, Any]]]] = {}
    for row_id, values in writes:
        groups.setdefault(frozenset(values), []).append((row_id, values))
    payloads = [
        (_update_sql(spec.table, spec.model, keys),
         _json.encode([{"id": row_id, **{columns[k][0]: v for k, v in values.items()}}
                       for row_id, values in group]).decode(), len(group))
        for keys, group in groups.items() if keys]
    conn = await driver(session)
    for sql, payload, n in payloads:
        status = await conn.execute(sql, payload)
        if status != f"UPDATE {n}":
            raise RowsMissing(f"{spec.table}: {status} of {n} rows")


def mark_written(rows: Iterable[Any]) -> None:
    """Rows whose edits ``write_values`` wrote: their values are now their loaded state, as
    a flush would leave them, so the ORM (which flushes before a savepoint begins or ends)
    writes nothing of them again."""
    for row in rows:
        state = sa_inspect(row)
        for key in list(state.committed_state):  # the attributes changed since loaded
            set_committed_value(row, key, state.dict.get(key))


async def stored_ids(
    session: AsyncSession, spec: EntitySpec, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these rows are stored (tombstones included), in one query."""
    if not ids:
        return set()
    result = await session.execute(
        text(f"SELECT id FROM {spec.table} WHERE id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": list(set(ids))})
    return {r[0] for r in result}


async def lock_rows(session: AsyncSession, spec: EntitySpec, ids: Sequence[uuid.UUID]) -> None:
    """Lock the rows a batch edits, in id order (PostgreSQL locks them as the sorted rows come
    out), FOR NO KEY UPDATE so readings referencing them still insert beside us."""
    await session.execute(
        text(f"SELECT id FROM {spec.table} WHERE id = ANY(CAST(:ids AS uuid[])) ORDER BY id "
             f"FOR NO KEY UPDATE"), {"ids": list(ids)})


async def stamp_fields(
    session: AsyncSession, spec: EntitySpec, row_id: uuid.UUID, stamps: dict[str, Any]
) -> None:
    """Record the HLC, device and author of the fields a mutation just wrote."""
    await session.execute(
        text(f"UPDATE {spec.table} SET field_hlc = field_hlc || CAST(:stamps AS jsonb) "
             f"WHERE id = :id"),
        {"id": row_id, "stamps": _json.encode(stamps).decode()},
    )


async def tombstone(
    session: AsyncSession, spec: EntitySpec, row_id: uuid.UUID, stamp: dict[str, Any]
) -> None:
    """Mark a row deleted; the feed carries the tombstone to every device in scope."""
    await session.execute(
        text(f"UPDATE {spec.table} SET deleted = true, "
             f"field_hlc = field_hlc || jsonb_build_object('deleted', CAST(:stamp AS jsonb)) "
             f"WHERE id = :id"),
        {"id": row_id, "stamp": _json.encode(stamp).decode()},
    )


# -- mutation log ------------------------------------------------------------------------------

# Bulk rows travel as one JSON array of arrays: encoded in C by msgspec and parsed in C by
# PostgreSQL, instead of one driver-encoded array per column.
_CLAIM = """
INSERT INTO sync_mutation (id, device_id, entity, row_id, op, hlc, author_id, content_hash,
                           status, clock_correction_ms)
SELECT (m->>0)::uuid, $1, m->>1, (m->>2)::uuid, m->>3, m->>4, (m->>5)::uuid, m->>6,
       'applied', (m->>7)::bigint
FROM jsonb_array_elements($2::text::jsonb) AS m
ON CONFLICT (device_id, id) DO NOTHING
RETURNING id
"""

_RECORD = text("""
UPDATE sync_mutation s SET status = r.status, code = r.code, message = r.message
FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:codes AS text[]),
            CAST(:messages AS text[])) AS r(id, status, code, message)
WHERE s.device_id = :device_id AND s.id = r.id
""")


async def claim_mutations(
    session: AsyncSession, device_id: uuid.UUID, rows: Sequence[tuple[Any, ...]]
) -> set[uuid.UUID]:
    """Insert (id, entity, row_id, op, hlc, author, content hash, clock correction) rows of
    the device's log; returns the ids this batch owns.

    An id the device already logged (or is logging in a concurrent copy of the batch, which
    we wait for) is not returned: that mutation was judged before and must not be applied
    again. Ids are the device's own: another device may use the same one.
    """
    if not rows:
        return set()
    result = await (await driver(session)).fetch(_CLAIM, device_id, _json.encode(rows).decode())
    return {r[0] for r in result}


async def record_outcomes(
    session: AsyncSession, device_id: uuid.UUID, results: Sequence[MutationResult]
) -> None:
    """Store the outcome of claimed mutations that were not simply applied."""
    if not results:
        return
    await session.execute(_RECORD, {
        "device_id": device_id,
        "ids": [r.id for r in results], "statuses": [r.status for r in results],
        "codes": [r.code for r in results],
        "messages": [storable(r.message) for r in results],
    })


async def logged_outcomes(
    session: AsyncSession, device_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str | None, str | None, str | None]]:
    """(status, code, message, content hash) of the device's mutation ids already logged."""
    if not ids:
        return {}
    result = await session.execute(
        text("SELECT id, status, code, message, content_hash FROM sync_mutation "
             "WHERE device_id = :device_id AND id = ANY(CAST(:ids AS uuid[]))"),
        {"device_id": device_id, "ids": list(ids)},
    )
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in result}


async def refused_creation(
    session: AsyncSession, device_id: uuid.UUID, row_id: uuid.UUID
) -> uuid.UUID | None:
    """A refused mutation of the device that would have created ``row_id``, if any."""
    found = await session.scalar(
        text("SELECT id FROM sync_mutation WHERE device_id = :device_id AND row_id = :row_id "
             "AND op = 'upsert' AND status = 'rejected' LIMIT 1"),
        {"device_id": device_id, "row_id": row_id},
    )
    return found if isinstance(found, uuid.UUID) else None


# -- conflict log ------------------------------------------------------------------------------

_CONFLICT_COLUMNS = (
    ("scope_path", "text"), ("entity", "text"), ("row_id", "uuid"), ("field", "text"),
    ("policy", "text"), ("mutation_id", "uuid"), ("kept_value", "text"), ("kept_hlc", "text"),
    ("kept_author", "uuid"), ("kept_device", "uuid"), ("lost_value", "text"),
    ("lost_hlc", "text"), ("lost_author", "uuid"), ("lost_device", "uuid"), ("code", "text"),
    ("message", "text"),
)
_SELECTED = [f"c.{c}::jsonb" if c.endswith("_value") else f"c.{c}" for c, _ in _CONFLICT_COLUMNS]
_CONFLICTS = text(
    f"INSERT INTO sync_conflict ({', '.join(c for c, _ in _CONFLICT_COLUMNS)}) "
    f"SELECT {', '.join(_SELECTED)} "
    f"FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in _CONFLICT_COLUMNS)}) "
    f"AS c({', '.join(c for c, _ in _CONFLICT_COLUMNS)})"
)


def storable(value: Any) -> Any:
    """``value`` with every NUL character (which PostgreSQL text and jsonb refuse) replaced by
    U+FFFD, so a refused mutation that carried one can still be kept in the log."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


async def insert_conflicts(session: AsyncSession, conflicts: Sequence[ConflictRecord]) -> None:
    """Append losing writes to the conflict log, one statement for the whole batch."""
    if not conflicts:
        return
    params: dict[str, list[Any]] = {c: [] for c, _ in _CONFLICT_COLUMNS}
    for rec in conflicts:
        for c, _ in _CONFLICT_COLUMNS:
            value = getattr(rec, c)
            if c.endswith("_value"):
                value = _json.encode(storable(value)).decode()
            elif isinstance(value, str):
                value = storable(value)
            params[c].append(value)
    await session.execute(_CONFLICTS, params)


async def conflict_page(
    session: AsyncSession, unit_path: str, *, entity: str | None, row_id: uuid.UUID | None,
    limit: int, offset: int,
) -> tuple[list[ConflictEntry], int]:
    """Conflicts of rows in and below a unit, newest first."""
    conds = [in_scope(SyncConflict.scope_path, unit_path)]
    if entity is not None:
        conds.append(SyncConflict.entity == entity)
    if row_id is not None:
        conds.append(SyncConflict.row_id == row_id)
    stmt = select(SyncConflict).where(*conds).order_by(SyncConflict.id.desc())
    rows = [entry_of(r) for r in await session.scalars(stmt.limit(limit).offset(offset))]
    total = await session.scalar(select(func.count()).select_from(SyncConflict).where(*conds))
    return rows, int(total or 0)
