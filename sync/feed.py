"""The change feed: which rows a device pulls, in (sync_txid, sync_version) order, and fast.

A page is one key query across all entities (to find where the page ends) plus one SELECT per
entity that has rows in it. Rows go from asyncpg records straight into per-entity Structs
that the response encoder writes as objects: no dict, no ORM object, and nothing the garbage
collector tracks, which is what keeps a 50,000-row bootstrap close to a bare SELECT.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import driver
from domain.geo import Point
from domain.repositories.scope import escape_like
from sync.cursor import Position
from sync.registry import EntitySpec, FieldType, Registry, Scope
from sync.wire import Change


@dataclass(frozen=True, slots=True)
class FeedScope:
    """The rows one device pulls: its commune, its district, the district's ancestors."""

    unit: str
    district: str

    def params(self) -> dict[str, Any]:
        """Query parameters of the scope predicates."""
        return {
            "unit": self.unit,
            "district_like": escape_like(self.district) + ".%",
            "lineage": self.lineage(),
        }

    def lineage(self) -> list[str]:
        """The district's path and its ancestors' ("VN", "VN.79", "VN.79.760")."""
        parts = self.district.split(".")
        return [".".join(parts[: i + 1]) for i in range(len(parts))]

    def covers(self, scope: Scope, path: str) -> bool:
        """Whether a row at ``path`` pulled by ``scope`` may be in this feed: SCOPE_SQL in
        Python, for the long-poll to tell which notifications concern a waiting device (for
        ``places`` it cannot see the row's kind, so it may say yes to a household elsewhere)."""
        below = path.startswith(self.district + ".")
        if scope is Scope.unit:
            return path == self.unit
        if scope is Scope.district:
            return below
        return below or path in self.lineage()


SCOPE_SQL = {
    Scope.unit: "scope_path = :unit",
    Scope.district: "scope_path LIKE :district_like ESCAPE '\\'",
    Scope.lineage: (
        "(scope_path = ANY(CAST(:lineage AS text[])) OR scope_path LIKE :district_like ESCAPE '\\')"
    ),
    # A household location names an F0 patient: only the device's own commune's.
    Scope.places: (
        "(scope_path = ANY(CAST(:lineage AS text[])) OR scope_path LIKE :district_like ESCAPE '\\')"
        " AND (kind <> 'household' OR scope_path = :unit)"
    ),
}
_AFTER = "(sync_txid, sync_version) > (:after_txid, :after_version) AND sync_txid < :xmin"


def column_sql(spec: EntitySpec, *, uuid_text: bool = False) -> str:
    """The entity's fields as a pull sends them (points as [lon, lat], enums as text); with
    ``uuid_text``, uuids as their canonical text (see ``_rows_sql``)."""
    cols = []
    for f in spec.stored:
        if f.type is FieldType.point:
            cols.append(f'CASE WHEN "{f.name}" IS NULL THEN NULL '
                        f'ELSE ARRAY[ST_X("{f.name}"), ST_Y("{f.name}")] END')
        elif f.type is FieldType.enum or (uuid_text and f.type is FieldType.uuid):
            cols.append(f'"{f.name}"::text')
        else:
            cols.append(f'"{f.name}"')
    return ", ".join(cols)


def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``:name`` placeholders to asyncpg's ``$n``, with the names in parameter order."""
    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m[1] not in names:
            names.append(m[1])
        return f"${names.index(m[1]) + 1}"

    return re.sub(r"(?<!:):([a-z_]+)\b", number, sql), tuple(names)


# The snapshot's xmin is read in the key query itself (in REPEATABLE READ every statement of
# the transaction shares the snapshot), so a page pays no statement of its own for it.
_XMIN = "(SELECT xmin FROM x)"


@cache
def _bounds_sql(registry: Registry) -> tuple[str, tuple[str, ...]]:
    after = _AFTER.replace(":xmin", _XMIN)
    parts = [
        f"(SELECT {i} AS e, sync_txid AS t, sync_version AS v FROM {spec.table} "
        f"WHERE {SCOPE_SQL[spec.scope]} AND {after} "
        f"ORDER BY sync_txid, sync_version LIMIT :limit + 1)"
        for i, spec in enumerate(registry.entities)
    ]
    return _positional(f"""
WITH x AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin),
     k AS (SELECT e, t, v FROM ({' UNION ALL '.join(parts)}) u ORDER BY t, v LIMIT :limit + 1),
     page AS (SELECT e, t, v FROM k ORDER BY t, v LIMIT :limit),
     per AS (SELECT e, count(*)::int AS n FROM page GROUP BY e)
SELECT (SELECT array_agg(e ORDER BY e) FROM per),
       (SELECT array_agg(n ORDER BY e) FROM per),
       (SELECT t FROM page ORDER BY t DESC, v DESC LIMIT 1),
       (SELECT v FROM page ORDER BY t DESC, v DESC LIMIT 1),
       (SELECT count(*) FROM k) > :limit,
       {_XMIN}""")


@cache
def _rows_sql(spec: EntitySpec) -> tuple[str, tuple[str, ...]]:
    """The rows of one entity in a page. Ids and uuid fields are read as text: the wire
    carries a uuid as its canonical text in JSON and MessagePack alike, which is exactly what
    PostgreSQL's ``uuid::text`` prints, so the page's bytes are the same, but a row costs less
    (asyncpg builds a str faster than its UUID object, and msgspec writes a str as it is
    instead of formatting the UUID): about a third of a microsecond per uuid, and a row has
    two to six of them. Nothing on the server reads these values back; they only go out.

    The LIMIT is the entity's count in the page (the key query's): the range's upper bound
    is a row comparison, which a B-tree scan uses to stop only on its first column, so
    without it the scan ran on over every later key of the scope (half the time of a
    page of 500 readings in the middle of a bootstrap), and the planner, misjudging the
    range's size, read it as a bitmap and sorted it."""
    return _positional(
        f"SELECT sync_txid, sync_version, id::text, deleted, "
        f"{column_sql(spec, uuid_text=True)} FROM {spec.table} "
        f"WHERE {SCOPE_SQL[spec.scope]} AND {_AFTER} "
        f"AND (sync_txid, sync_version) <= (:upto_txid, :upto_version) "
        f"ORDER BY sync_txid, sync_version LIMIT :count"
    )


async def _fetch(
    session: AsyncSession, query: tuple[str, tuple[str, ...]], params: dict[str, Any]
) -> list[Any]:
    """Run on the session's own connection (same transaction), skipping SQLAlchemy's rows."""
    sql, names = query
    return await (await driver(session)).fetch(sql, *(params[n] for n in names))


@dataclass(frozen=True, slots=True)
class PageBounds:
    """Where a page ends: its last position, the entities in it with how many rows of each,
    whether more follow, and the snapshot's xmin (the page's rows must be read in the same
    snapshot, below it)."""

    entities: list[tuple[EntitySpec, int]]
    upto: Position | None
    has_more: bool
    xmin: int


async def bounds(
    session: AsyncSession, registry: Registry, scope: FeedScope, *, after: Position, limit: int,
) -> PageBounds:
    """The next ``limit`` changes after ``after`` below the snapshot's xmin, found from index
    keys alone (the transaction must be REPEATABLE READ: its rows are read next)."""
    params = {**scope.params(), "after_txid": after.txid, "after_version": after.version,
              "limit": limit}
    present, counts, t, v, more, xmin = (await _fetch(session, _bounds_sql(registry), params))[0]
    if present is None:
        return PageBounds([], None, False, int(xmin))
    return PageBounds([(registry.entities[e], n) for e, n in zip(present, counts, strict=True)],
                      Position(t, v), more, int(xmin))


async def rows(
    session: AsyncSession, spec: EntitySpec, scope: FeedScope, *, after: Position,
    upto: Position, xmin: int, count: int,
) -> list[Any]:
    """The ``count`` records of one entity in (after, upto]: txid, version, id, deleted,
    fields..."""
    params = {**scope.params(), "after_txid": after.txid, "after_version": after.version,
              "upto_txid": upto.txid, "upto_version": upto.version, "xmin": xmin,
              "count": count}
    return await _fetch(session, _rows_sql(spec), params)


@cache
def _change_maker(spec: EntitySpec) -> Callable[[Any], Change]:
    """Record -> Change whose ``fields`` is a gc-free Struct encoding as the fields object."""
    row_type = msgspec.defstruct(f"{spec.name}_row", [(f.name, Any) for f in spec.stored],
                                 gc=False)
    points = [i for i, f in enumerate(spec.stored) if f.type is FieldType.point]
    entity = spec.name
    tombstone: Any = {}

    def make(record: Any) -> Change:
        if record[3]:  # a tombstone carries no data: a deleted record leaves the devices
            return Change(entity=entity, row_id=record[2], op="delete", fields=tombstone)
        values = record[4:]
        if points:
            values = list(values)
            for i in points:
                if values[i] is not None:
                    values[i] = Point(coordinates=tuple(values[i]))
        return Change(entity=entity, row_id=record[2], op="upsert",
                      fields=cast(Any, row_type(*values)))

    return make


def changes(parts: Sequence[tuple[EntitySpec, list[Any]]]) -> list[Change]:
    """Merge the per-entity records of a page into one list in feed order."""
    if len(parts) == 1:
        make = _change_maker(parts[0][0])
        return [make(r) for r in parts[0][1]]
    streams = [_tagged(spec, records) for spec, records in parts]
    merged = heapq.merge(*streams, key=lambda mr: (mr[1][0], mr[1][1]))
    return [make(r) for make, r in merged]


def _tagged(spec: EntitySpec, records: list[Any]) -> Iterator[tuple[Callable[[Any], Change], Any]]:
    make = _change_maker(spec)
    for r in records:
        yield make, r
