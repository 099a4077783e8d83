"""Applying a pushed batch: one transaction, idempotent, in the order the device sent it.

Each mutation is validated on its own before anything is written (codec.py); one that fails is
refused alone. The transaction first takes the unit locks of the wards the batch writes in
(domain/repositories/write_locks.py: the one global lock order), then the device row, so two
copies of a batch, two batches of one device, or two devices of one ward apply one after the
other and can never deadlock. Every mutation id is then claimed in the device's mutation log,
and only the ids this batch claimed are applied. Mutations that commute are grouped into runs of
one entity (sync/grouping.py), each handed to its applier together, so a day of visits becomes
a few bulk statements while the outcome stays that of the device's order.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.conflict_log import ConflictRecord
from domain.repositories.devices import DeviceMoveRecord, DeviceScope
from domain.repositories.write_locks import lock_push
from domain.rules.recorded_time import is_future
from domain.services.devices import authenticate_push, hash_token
from domain.services.users import UserService
from domain.settings import Settings
from sync import queries
from sync.apply_records import RecordApplier
from sync.clock import ServerClock, server_time
from sync.codec import Item, PushBatch, Refused, decode_push
from sync.context import (
    CLOCK_CODES,
    PushContext,
    is_data_error,
    sqlstate_of,
    wire,
)
from sync.entities import F0_CASE as CASE_SPEC
from sync.errors import BadSyncRequest, ServiceUnavailable, Unauthenticated
from sync.grouping import cases_edited, group_runs
from sync.hlc import hlc_to_ms, system_ms
from sync.registry import EntitySpec, Registry
from sync.wire import MutationResult, PushResponse

# The unit locks make deadlocks between writers of one ward impossible; deadlocks and
# serialization failures remain possible against what the order cannot see (a script writing
# beside the service), and are retried; a lock wait past LOCK_WAIT is not.
RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
LOCK_TIMEOUT_SQLSTATE = "55P03"
ATTEMPTS = 5
# A push waiting longer than this for its ward (others' batches ahead of it) gives up with
# 503 and Retry-After, instead of holding the device's link open.
LOCK_WAIT = "20s"
RETRY_AFTER_S = 5


class _ScopeChanged(Exception):
    """The device moved while the push waited for its ward: lock the new ward and start over."""


async def _principals(
    session: AsyncSession, device_id: uuid.UUID, authors: set[uuid.UUID], units: set[str]
) -> dict[uuid.UUID, Principal]:
    """Authors who are active members of any of ``units``, as Principals acting through the
    device (whether each may author a given mutation is decided by ``_screen``)."""
    return await UserService(session).members_acting(authors, units, device_id)


async def push(
    session: AsyncSession, token: str, body: bytes, fmt: str, *, registry: Registry,
    settings: Settings, clock: ServerClock,
) -> PushResponse:
    """Apply one pushed batch and commit; raises SyncRequestError for a refused request.

    A deadlock or serialization failure rolls the batch back whole and applies it again,
    which is safe because nothing of it was committed; when that keeps failing, or the ward
    stays busy past ``LOCK_WAIT``, the answer is 503 with Retry-After, never a 500.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _push_once(session, token, body, fmt, registry=registry,
                                    settings=settings, clock=clock)
        except _ScopeChanged:
            await session.rollback()
        except DBAPIError as exc:
            await session.rollback()
            if is_data_error(exc):  # a value the codec let through but PostgreSQL refuses
                raise BadSyncRequest(f"a value cannot be stored: {exc.orig}",
                                     field="mutations") from exc
            state = sqlstate_of(exc)
            if state == LOCK_TIMEOUT_SQLSTATE or (state in RETRIED_SQLSTATES
                                                  and attempt == ATTEMPTS):
                raise ServiceUnavailable(
                    "the ward is busy with other pushes; nothing was applied, retry later",
                    retry_after=RETRY_AFTER_S) from exc
            if state not in RETRIED_SQLSTATES:
                raise
            await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise ServiceUnavailable("the push kept meeting other writers; nothing was applied",
                             retry_after=RETRY_AFTER_S)


def _scope_at(
    device: DeviceScope, moves: Sequence[DeviceMoveRecord], hlc: str
) -> DeviceScope:
    """The device as it was when a mutation stamped ``hlc`` was recorded (before any move
    made after that time; a move is dated by the server's wall clock)."""
    if not moves:
        return device
    ms = hlc_to_ms(hlc)
    for move in moves:  # oldest first
        if ms < move.moved_at_ms:
            return replace(device, station_id=move.from_station_id,
                           unit_path=move.from_scope_path)
    return device


async def _push_once(
    session: AsyncSession, token: str, body: bytes, fmt: str, *, registry: Registry,
    settings: Settings, clock: ServerClock,
) -> PushResponse:
    found = await authenticate_push(session, token)
    if found is None:
        raise Unauthenticated("unknown or revoked device token")
    device, moves = found
    batch = decode_push(body, fmt, registry, settings.max_push_mutations)
    if batch.device_id != device.device_id:
        raise BadSyncRequest("device_id is not the device the token belongs to",
                             field="device_id")
    items = batch.items
    scopes = {i.index: _scope_at(device, moves, i.mutation.hlc) for i in items}
    edited = _edited_rows(items, settings)
    locked = await lock_push(session, {device.unit_path, *(s.unit_path for s in scopes.values())},
                             exclusive=edited is None, wait=LOCK_WAIT,
                             token_hash=hash_token(token))
    if locked is None or locked[2]:
        raise Unauthenticated("unknown or revoked device token")
    if (locked[0], locked[1]) != (device.station_id, device.unit_path):
        raise _ScopeChanged
    results: list[MutationResult | None] = [None] * len(batch.entries)
    units = {s.unit_path for s in scopes.values()} | {device.unit_path}
    ctx = PushContext(session, device, settings,
                      await _principals(session, device.device_id,
                                       {i.mutation.author_id for i in items}, units),
                      results)
    refused = [e for e in batch.entries if isinstance(e, Refused)]
    for r in refused:
        results[r.index] = MutationResult(id=r.id, status="rejected", code="invalid_request",
                                          message=r.message, field=r.field)
        if r.mutation is not None and r.mutation.op == "upsert":
            ctx.refused_rows.setdefault(r.mutation.row_id, r.mutation.id)
    to_claim = _screen(ctx, items, scopes)
    accepted = [i.mutation.hlc for i in items
                if getattr(results[i.index], "code", None) not in CLOCK_CODES]
    # The server clock is ticked on its own connection while the batch applies, and observed
    # before the commit: once anything of this batch is visible, the server clock (and so
    # every later online stamp and server HLC) is above all of its HLCs.
    tick = asyncio.ensure_future(clock.tick(max(accepted) if accepted else None))
    try:
        final = await _apply(ctx, batch, to_claim, refused, scopes, edited)
        server_hlc = await tick
    finally:
        if not tick.done():
            tick.cancel()
        elif not tick.cancelled():
            tick.exception()  # seen, when the batch failed first (else nobody awaits it)
    await session.commit()
    return PushResponse(results=final, server_hlc=server_hlc, server_time=server_time())


async def _apply(
    ctx: PushContext, batch: PushBatch, to_claim: list[Item], refused: list[Refused],
    scopes: dict[int, DeviceScope],
    edited: dict[str, tuple[EntitySpec, list[uuid.UUID]]] | None,
) -> list[MutationResult]:
    """Claim, replay and apply the screened batch, and log what was not simply applied."""
    session, device, results, settings = ctx.session, ctx.device, ctx.results, ctx.settings
    claimed = await queries.claim_mutations(session, device.device_id, [
        (i.mutation.id, i.mutation.entity, i.mutation.row_id, i.mutation.op, i.mutation.hlc,
         i.mutation.author_id, i.content, i.mutation.clock_correction_ms) for i in to_claim
    ] + [_log_row(r) for r in _loggable(refused)])
    await _replay_known(ctx, [i for i in to_claim if i.mutation.id not in claimed])
    fresh_refusals = [r for r in _loggable(refused) if r.id in claimed]
    await _replay_refusals(ctx, [r for r in _loggable(refused) if r.id not in claimed])
    to_apply = [i for i in to_claim if i.mutation.id in claimed and results[i.index] is None]
    read_and_edited = cases_edited(to_apply)
    stored = (await queries.stored_ids(session, CASE_SPEC, read_and_edited)
              if read_and_edited else set())
    to_lock = edited or {}
    if to_lock and _edits_keys(to_apply, to_lock):  # before its readings' KEY SHARE locks
        await _lock_edited(session, to_lock)
        to_lock = {}
    for run_scope, scoped in _scoped_runs(to_apply, scopes):
        ctx.device = run_scope
        for run in group_runs(scoped, stored, settings.thresholds):
            if to_lock and run[0].spec.name in to_lock:
                await _lock_edited(session, to_lock)
                to_lock = {}
            await _apply_run(ctx, run)
    ctx.device = device
    final = [r for r in results if r is not None]
    if len(final) != len(batch.entries):
        raise RuntimeError("a mutation was left without a result")
    _log_refusals(ctx, to_claim, claimed, scopes)
    _log_static_refusals(ctx, fresh_refusals)
    await queries.record_outcomes(session, device.device_id, [
        r for r, e in zip(final, batch.entries, strict=True)
        if r.status != "applied" and r.id is not None and r.id in claimed
        and (isinstance(e, Refused) or e.mutation.id in claimed)
    ])
    await queries.insert_conflicts(session, ctx.conflicts)
    return final


async def _lock_edited(
    session: AsyncSession, edited: dict[str, tuple[EntitySpec, list[uuid.UUID]]]
) -> None:
    """Lock every row a ward-sharing batch edits, all at once, in one order (write_locks.py,
    step 3), just before its first edit: the readings before it take no lock another batch
    waits for (foreign-key checks take KEY SHARE, which FOR NO KEY UPDATE does not block),
    so other devices of the ward wait for these rows only while the edits and the commit
    run, not while the batch's readings are written."""
    for _, (spec, ids) in sorted(edited.items()):
        await queries.lock_rows(session, spec, ids)


@cache
def _key_columns(spec: EntitySpec) -> frozenset[str]:
    """Columns of a unique index or constraint: an UPDATE of one takes FOR UPDATE, which a
    foreign-key check's KEY SHARE waits for."""
    table: Any = spec.model.__table__
    names = {c.name for index in table.indexes if index.unique for c in index.columns}
    names |= {c.name for con in table.constraints
              if isinstance(con, UniqueConstraint | PrimaryKeyConstraint) for c in con.columns}
    return frozenset(names)


def _edits_keys(items: Sequence[Item], edited: dict[str, Any]) -> bool:
    """Whether an edit of the batch writes a key column (``_key_columns``). Such a batch
    locks its edited rows before its readings: otherwise two batches could each hold a
    reading's KEY SHARE on a row the other is about to update."""
    return any(not _key_columns(i.spec).isdisjoint(i.values)
               for i in items if i.spec.name in edited)


def _edited_rows(
    items: Sequence[Item], settings: Settings
) -> dict[str, tuple[EntitySpec, list[uuid.UUID]]] | None:
    """The rows a batch locks, when it may hold its ward shared; None when it needs the ward
    exclusive.

    A batch may share its ward with other such batches when each mutation either locks no row
    another writer of the ward may lock (a plain reading) or is a plain edit of a record
    (``RecordApplier.plain_edit``: ``lww`` fields of an existing row, which lock that row
    alone). The rows it edits are then locked at once, in id order, before its first edit,
    so two batches wait on each other only for the rows they share, and never deadlock
    (entities in name order, rows in id order). By entity name.
    """
    specs: dict[str, EntitySpec] = {}
    rows: dict[str, set[uuid.UUID]] = {}
    for i in items:
        applier = i.spec.applier
        if applier is None:
            return None
        if applier.shares_unit(i, settings):
            continue
        if not (isinstance(applier, RecordApplier) and applier.plain_edit(i)):
            return None
        specs[i.spec.name] = i.spec
        rows.setdefault(i.spec.name, set()).add(i.mutation.row_id)
    return {name: (specs[name], sorted(ids)) for name, ids in rows.items()}


def _log_row(r: Refused) -> tuple[Any, ...]:
    """The mutation-log row of a static refusal: as much of the mutation as could be read."""
    m = r.mutation
    if m is None:
        return (r.id, None, None, None, None, None, r.content)
    return (m.id, m.entity[:64], m.row_id, m.op, m.hlc, m.author_id, r.content)


def _loggable(refused: Sequence[Refused]) -> list[Refused]:
    """Static refusals whose id could be read (the first of each id), to log and replay."""
    seen: set[uuid.UUID] = set()
    out = []
    for r in refused:
        if r.id is not None and r.id not in seen:
            seen.add(r.id)
            out.append(r)
    return out


def _scoped_runs(
    items: Sequence[Item], scopes: dict[int, DeviceScope]
) -> list[tuple[DeviceScope, list[Item]]]:
    """Consecutive items recorded in the same scope (before or after a move), in order."""
    runs: list[tuple[DeviceScope, list[Item]]] = []
    for item in items:
        scope = scopes[item.index]
        if runs and runs[-1][0] == scope:
            runs[-1][1].append(item)
        else:
            runs.append((scope, [item]))
    return runs


def _log_refusals(
    ctx: PushContext, judged: Sequence[Item], claimed: set[uuid.UUID],
    scopes: dict[int, DeviceScope],
) -> None:
    """Every value a device pushed can be found afterwards: a refused mutation (or the
    refused part of a merge) whose loss no conflict entry records yet gets one, with all
    its values and the refusal's code."""
    recorded = {c.mutation_id for c in ctx.conflicts}
    device = ctx.device
    for item in judged:
        result = ctx.results[item.index]
        assert result is not None
        if (item.mutation.id not in claimed or item.mutation.id in recorded
                or result.code is None or result.status not in ("rejected", "merged")):
            continue
        ctx.device = scopes[item.index]
        ctx.conflict(item, _short_field(result.field), "rejected", kept_value=None,
                     kept=None, lost_value=wire(item.values), code=result.code,
                     message=result.message)
    ctx.device = device


def _short_field(path: str | None) -> str:
    """``mutations[3].fields.phone`` -> ``phone``; anything else -> ``*`` (all values)."""
    if path and ".fields." in path:
        return path.split(".fields.", 1)[1].split(".", 1)[0].split("[", 1)[0][:64]
    return "*"


def _log_static_refusals(ctx: PushContext, refused: Sequence[Refused]) -> None:
    """Mutations that did not pass the static checks, kept whole in the conflict log."""
    for r in refused:
        m = r.mutation
        ctx.conflicts.append(ConflictRecord(
            scope_path=ctx.device.unit_path, entity=m.entity[:64] if m else "*",
            row_id=m.row_id if m else None, field=_short_field(r.field), policy="rejected",
            mutation_id=r.id, kept_value=None, kept_hlc=None, kept_author=None,
            kept_device=None, lost_value=m.fields if m else r.raw,
            lost_hlc=m.hlc if m else None,
            lost_author=m.author_id if m else None, lost_device=ctx.device.device_id,
            code="invalid_request", message=r.message,
        ))


def _screen(
    ctx: PushContext, items: Sequence[Item], scopes: dict[int, DeviceScope]
) -> list[Item]:
    """Checks that need no database: the device's clock, repeated ids, authors outside the
    unit.

    Returns the items to claim in the log (a rejected mutation is logged too, so a retry of
    it gets the same answer). A clock refusal (``clock_skew``, ``clock_behind``) is neither
    claimed nor logged: the mutation was not judged, and its retry, corrected, is judged
    afresh. An id that comes twice in one batch is a retry of the first when its content is
    the same, and a reused id (``immutable``) when it is not.
    """
    seen: dict[uuid.UUID, str] = {}
    to_claim = []
    wall_ms, now = system_ms(), datetime.now(UTC)  # the batch's arrival, once
    for item in items:
        m = item.mutation
        wrong = _clock_refusal(ctx, item, wall_ms, now)
        if wrong is not None:
            code, message, at = wrong
            ctx.rejected(item, code, message, field=f"mutations[{item.index}].{at}")
            continue
        if m.id in seen:
            if seen[m.id] == item.content:
                ctx.duplicate(item)
            else:
                _reused(ctx, item)
            continue
        seen[m.id] = item.content
        to_claim.append(item)
        principal = ctx.principals.get(m.author_id)
        if principal is None or principal.unit_path != scopes[item.index].unit_path:
            ctx.rejected(item, "forbidden",
                         "the author is not an active member of the device's unit",
                         field=f"mutations[{item.index}].author_id")
    return to_claim


def _reused(ctx: PushContext, item: Item) -> None:
    """A mutation id this device already used for other content: refused, and what it
    carried kept in the conflict log."""
    message = ("this mutation id was already used by this device for another mutation; "
               "a new mutation needs a new id")
    ctx.results[item.index] = MutationResult(
        id=item.mutation.id, status="rejected", code="immutable", message=message,
        field=f"mutations[{item.index}].id")
    ctx.conflict(item, "*", "immutable", kept_value=None, kept=None,
                 lost_value=wire(item.values), code="immutable", message=message)


def _clock_refusal(
    ctx: PushContext, item: Item, wall_ms: int, now: datetime
) -> tuple[str, str, str] | None:
    """Why the mutation shows a clock no working device can have, if it does.

    Its HLC more than ``clock_skew_ms`` ahead of the server's wall clock, or earlier than the
    device's enrolment (minus the same margin); or a time it recorded (a pushed datetime field:
    ``measured_at``, ``occurred_at``...) later than the domain allows, which the domain would
    refuse as ``invalid`` and the device would drop, though only its clock was wrong.
    """
    skew = ctx.settings.clock_skew_ms
    hlc_ms = hlc_to_ms(item.mutation.hlc)
    ahead = hlc_ms - wall_ms
    if ahead > skew:
        return "clock_skew", (f"the mutation's clock is {ahead} ms ahead of the server's "
                              f"(at most {skew} ms allowed)"), "hlc"
    enrolled_ms = int(ctx.device.enrolled_at.timestamp() * 1000)
    if hlc_ms < enrolled_ms - skew:
        return "clock_behind", (f"the mutation's clock is {enrolled_ms - hlc_ms} ms behind the "
                                f"device's enrolment: the device's clock is wrong"), "hlc"
    for name, value in item.values.items():  # a pushed datetime is typed and has an offset
        if isinstance(value, datetime) and value.tzinfo is not None and is_future(value, now):
            late = int((value - now).total_seconds() * 1000)
            return "clock_skew", (f"`{name}` is {late} ms ahead of the server's time: the "
                                  f"device's clock is ahead"), f"fields.{name}"
    return None


async def _replay_known(ctx: PushContext, items: Sequence[Item]) -> None:
    """Mutations already in the log: a retry (same content) of an applied one is a
    duplicate and of a refused one gets the same refusal; other content is ``immutable``."""
    logged = await queries.logged_outcomes(ctx.session, ctx.device.device_id,
                                           [i.mutation.id for i in items])
    for item in items:
        status, code, message, content = logged[item.mutation.id]
        if content is not None and content != item.content:
            _reused(ctx, item)
        elif status == "rejected":
            ctx.rejected(item, code or "rejected", message or "rejected earlier")
        else:
            ctx.duplicate(item)


async def _replay_refusals(ctx: PushContext, refused: Sequence[Refused]) -> None:
    """Malformed mutations whose id is already logged: the same refusal again, or
    ``immutable`` when the id was used for something else."""
    logged = await queries.logged_outcomes(ctx.session, ctx.device.device_id,
                                           [r.id for r in refused if r.id is not None])
    for r in refused:
        assert r.id is not None
        _, _, _, content = logged[r.id]
        if content is not None and content != r.content:
            ctx.results[r.index] = MutationResult(
                id=r.id, status="rejected", code="immutable",
                message="this mutation id was already used by this device for another "
                        "mutation", field=f"mutations[{r.index}].id")


async def _apply_run(ctx: PushContext, run: list[Item]) -> None:
    applier = run[0].spec.applier
    assert applier is not None  # the codec refuses pushes to pull-only entities
    await applier.apply(ctx, run)
