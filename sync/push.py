"""Applying a pushed batch: one transaction, idempotent, in the order the device sent it.

The batch is validated whole before anything is written (codec.py). Inside the transaction the
device row is locked, so two copies of a batch, or two batches of one device, apply one after
the other; every mutation id is then claimed in the mutation log, and only the ids this batch
claimed are applied. Consecutive mutations of one entity are handed to its applier together,
so append-only events become a single bulk insert while order is kept between entities.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import DomainError
from domain.models.user import User
from domain.repositories.devices import DeviceRepository, DeviceScope
from domain.repositories.users import set_audit_context
from domain.rules.recorded_time import is_future
from domain.services.devices import authenticate_device
from domain.services.users import UserService
from domain.settings import Settings
from sync import queries
from sync.clock import ServerClock, server_time
from sync.codec import Item, decode_push
from sync.errors import BadSyncRequest, Unauthenticated
from sync.hlc import hlc_to_ms, system_ms
from sync.queries import ConflictRecord
from sync.registry import EntitySpec, FieldType, Registry
from sync.wire import Fields, MutationResult, PushResponse

Stamp = dict[str, str | None]
# Refusals saying the device's clock is wrong: not final, neither claimed nor logged.
CLOCK_CODES = frozenset({"clock_skew", "clock_behind"})


class Applier(Protocol):
    """Applies a run of consecutive mutations of one entity, setting one result for each."""

    def locks(self, ctx: PushContext, item: Item) -> list[tuple[str, uuid.UUID]]:
        """(table, id) of rows the mutation will lock for update (see ``_lock_in_order``)."""
        ...

    async def apply(self, ctx: PushContext, items: Sequence[Item]) -> None: ...


@dataclass
class PushContext:
    """What appliers share while one batch is applied."""

    session: AsyncSession
    device: DeviceScope
    settings: Settings
    principals: dict[uuid.UUID, Principal]
    results: list[MutationResult | None]
    conflicts: list[ConflictRecord] = field(default_factory=list)
    memo: dict[int, Any] = field(default_factory=dict)  # per item index, for appliers
    _actor: uuid.UUID | None = None

    def principal(self, item: Item) -> Principal:
        """The author of a mutation, acting through the device."""
        return self.principals[item.mutation.author_id]

    async def act_as(self, item: Item) -> None:
        """Name the author in the audit trail for the writes that follow."""
        author = item.mutation.author_id
        if author != self._actor:
            await set_audit_context(self.session, actor_id=author, via="device",
                                    device_id=self.device.device_id)
            self._actor = author

    def stamp(self, item: Item) -> Stamp:
        """The field_hlc entry of a write by this mutation."""
        m = item.mutation
        return {"hlc": m.hlc, "device": str(self.device.device_id), "author": str(m.author_id)}

    def applied(self, item: Item) -> None:
        """Record an applied result."""
        self.results[item.index] = MutationResult(id=item.mutation.id, status="applied")

    def duplicate(self, item: Item) -> None:
        """Record that the mutation was applied before."""
        self.results[item.index] = MutationResult(id=item.mutation.id, status="duplicate")

    def merged(
        self, item: Item, current: Fields | None, code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Record a merge, with the row as it now is (and why a part was refused, if one was)."""
        self.results[item.index] = MutationResult(
            id=item.mutation.id, status="merged", code=code, message=message, current=current
        )

    def rejected(
        self, item: Item, code: str, message: str, current: Fields | None = None
    ) -> None:
        """Record a refusal of this mutation alone."""
        self.results[item.index] = MutationResult(
            id=item.mutation.id, status="rejected", code=code, message=message, current=current
        )

    def reject_error(self, item: Item, exc: Exception, current: Fields | None) -> None:
        """A domain rule or a database constraint refused one mutation (not the batch)."""
        self.rejected(item, *refusal(exc), current)

    def conflict(
        self, item: Item, field_name: str, policy: str, *, kept_value: Any,
        kept: Stamp | None, lost_value: Any,
    ) -> None:
        """Keep a losing write in the conflict log, next to the write that won."""
        m = item.mutation
        kept = kept or {}
        self.conflicts.append(ConflictRecord(
            scope_path=self.device.unit_path, entity=item.spec.name, row_id=m.row_id,
            field=field_name, policy=policy, mutation_id=m.id, kept_value=kept_value,
            kept_hlc=kept.get("hlc"), kept_author=_uuid_or_none(kept.get("author")),
            kept_device=_uuid_or_none(kept.get("device")), lost_value=lost_value,
            lost_hlc=m.hlc, lost_author=m.author_id, lost_device=self.device.device_id,
        ))

    async def current(self, spec: EntitySpec, row_id: uuid.UUID) -> Fields | None:
        """The row as a pull would send it now; None when absent or deleted."""
        return (await queries.current_rows(self.session, spec, [row_id])).get(row_id)


def refusal(exc: Exception) -> tuple[str, str]:
    """The code and message of a domain rule or a database constraint refusing a write."""
    if isinstance(exc, DomainError):
        return exc.code, exc.message
    constraint = getattr(getattr(getattr(exc, "orig", None), "__cause__", None),
                         "constraint_name", None)
    what = f" ({constraint})" if constraint else ""
    return "invalid", f"the change conflicts with the stored data{what}"


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


DB_ERRORS = (DomainError, DBAPIError)
# Deadlock and serialization failures: nothing wrong with the batch, it just met another one.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
ATTEMPTS = 8


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialization failure: retrying the batch will do."""
    cause = getattr(getattr(exc, "orig", None), "__cause__", None)
    return isinstance(exc, DBAPIError) and getattr(cause, "sqlstate", None) in TRANSIENT_SQLSTATES


def is_data_error(exc: BaseException) -> bool:
    """SQLSTATE class 22 (data exception): the batch carries a value the database refuses."""
    cause = getattr(getattr(exc, "orig", None), "__cause__", None)
    return isinstance(exc, DBAPIError) and str(getattr(cause, "sqlstate", "")).startswith("22")


def refuse_transient(exc: BaseException) -> None:
    """Appliers catch errors to reject one mutation; a transient one must fail the batch."""
    if is_transient(exc):
        raise exc


async def _principals(
    session: AsyncSession, device: DeviceScope, authors: set[uuid.UUID]
) -> dict[uuid.UUID, Principal]:
    """Authors who belong to the device's unit, as Principals acting through the device."""
    members = await session.scalars(
        select(User.id).where(User.id.in_(authors), User.active.is_(True),
                              User.unit_path == device.unit_path)
    )
    users = UserService(session)
    found: dict[uuid.UUID, Principal] = {}
    for user_id in members:
        principal = await users.principal(user_id, device.device_id)
        if principal is not None:
            found[user_id] = principal
    return found


async def push(
    session: AsyncSession, token: str, body: bytes, fmt: str, *, registry: Registry,
    settings: Settings, clock: ServerClock,
) -> PushResponse:
    """Apply one pushed batch and commit; raises SyncRequestError for a refused batch.

    Batches touching the same rows can deadlock; the loser is rolled back whole and applied
    again, which is safe because nothing of it was committed.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _push_once(session, token, body, fmt, registry=registry,
                                    settings=settings, clock=clock)
        except DBAPIError as exc:
            await session.rollback()
            if is_data_error(exc):  # a value the codec let through but PostgreSQL refuses
                raise BadSyncRequest(f"a value cannot be stored: {exc.orig}",
                                     field="mutations") from exc
            if not is_transient(exc) or attempt == ATTEMPTS:
                raise
            await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise AssertionError("unreachable")


async def _push_once(
    session: AsyncSession, token: str, body: bytes, fmt: str, *, registry: Registry,
    settings: Settings, clock: ServerClock,
) -> PushResponse:
    device = await authenticate_device(session, token, lock=True)
    if device is None:
        raise Unauthenticated("unknown or revoked device token")
    request, items = decode_push(body, fmt, registry, settings.max_push_mutations)
    if request.device_id != device.device_id:
        raise BadSyncRequest("device_id is not the device the token belongs to",
                             field="device_id")
    results: list[MutationResult | None] = [None] * len(items)
    ctx = PushContext(session, device, settings,
                      await _principals(session, device, {i.mutation.author_id for i in items}),
                      results)
    to_claim = _screen(ctx, items)
    claimed = await queries.claim_mutations(session, device.device_id, [
        (m.id, m.entity, m.row_id, m.op, m.hlc, m.author_id, m.clock_correction_ms)
        for m in (i.mutation for i in to_claim)
    ])
    await _replay_known(ctx, [i for i in to_claim if i.mutation.id not in claimed])
    to_apply = [i for i in to_claim if i.mutation.id in claimed and results[i.index] is None]
    await _lock_in_order(ctx, to_apply)
    await _apply_runs(ctx, to_apply)
    final = [r for r in results if r is not None]
    if len(final) != len(items):
        raise RuntimeError("a mutation was left without a result")
    await queries.record_outcomes(session, [
        r for r, i in zip(final, items, strict=True)
        if i.mutation.id in claimed and r.status != "applied"
    ])
    await queries.insert_conflicts(session, ctx.conflicts)
    accepted = [i.mutation.hlc for i, r in zip(items, final, strict=True)
                if r.code not in CLOCK_CODES]
    # Observed before the commit: once anything of this batch is visible, the server clock
    # (and so every later online stamp and server HLC) is above all of its HLCs.
    server_hlc = await clock.tick(max(accepted) if accepted else None)
    await DeviceRepository(session).touch(device.device_id, datetime.now(UTC))
    await session.commit()
    return PushResponse(results=final, server_hlc=server_hlc, server_time=server_time())


def _screen(ctx: PushContext, items: Sequence[Item]) -> list[Item]:
    """Checks that need no database: the device's clock, repeated ids, authors outside the unit.

    Returns the items to claim in the log (a rejected mutation is logged too, so a retry of
    it gets the same answer). A clock refusal (``clock_skew``, ``clock_behind``) is neither
    claimed nor logged: the mutation was not judged, and its retry, corrected, is judged afresh.
    """
    seen: set[uuid.UUID] = set()
    to_claim = []
    for item in items:
        m = item.mutation
        wrong = _clock_refusal(ctx, item)
        if wrong is not None:
            ctx.rejected(item, *wrong)
            continue
        if m.id in seen:
            ctx.duplicate(item)
            continue
        seen.add(m.id)
        to_claim.append(item)
        if m.author_id not in ctx.principals:
            ctx.rejected(item, "forbidden",
                         "the author is not an active member of the device's unit")
    return to_claim


def _clock_refusal(ctx: PushContext, item: Item) -> tuple[str, str] | None:
    """Why the mutation shows a clock no working device can have, if it does.

    Its HLC more than ``clock_skew_ms`` ahead of the server's wall clock, or earlier than the
    device's enrolment (minus the same margin); or a time it recorded (a pushed datetime field:
    ``measured_at``, ``occurred_at``...) later than the domain allows, which the domain would
    refuse as ``invalid`` and the device would drop, though only its clock was wrong.
    """
    skew = ctx.settings.clock_skew_ms
    hlc_ms = hlc_to_ms(item.mutation.hlc)
    ahead = hlc_ms - system_ms()
    if ahead > skew:
        return "clock_skew", (f"the mutation's clock is {ahead} ms ahead of the server's "
                              f"(at most {skew} ms allowed)")
    enrolled_ms = int(ctx.device.enrolled_at.timestamp() * 1000)
    if hlc_ms < enrolled_ms - skew:
        return "clock_behind", (f"the mutation's clock is {enrolled_ms - hlc_ms} ms behind the "
                                f"device's enrolment: the device's clock is wrong")
    now = datetime.now(UTC)
    for f in item.spec.fields:
        value = item.values.get(f.name)
        if (f.type is FieldType.datetime and isinstance(value, datetime)
                and value.tzinfo is not None and is_future(value, now)):
            late = int((value - now).total_seconds() * 1000)
            return "clock_skew", (f"`{f.name}` is {late} ms ahead of the server's time: the "
                                  f"device's clock is ahead")
    return None


async def _replay_known(ctx: PushContext, items: Sequence[Item]) -> None:
    """Mutations already in the log: applied ones are duplicates, refusals are repeated."""
    logged = await queries.logged_outcomes(ctx.session, [i.mutation.id for i in items])
    for item in items:
        status, code, message = logged[item.mutation.id]
        if status == "rejected":
            ctx.rejected(item, code or "rejected", message or "rejected earlier")
        else:
            ctx.duplicate(item)


async def _lock_in_order(ctx: PushContext, items: Sequence[Item]) -> None:
    """Lock every row the batch will update, up front, in one global order (table, id).

    Batches of devices sharing a ward edit the same cases in whatever order their users did;
    taking those locks in a fixed order first means two batches queue instead of deadlocking.
    """
    wanted: dict[str, set[uuid.UUID]] = {}
    for item in items:
        applier = item.spec.applier
        assert applier is not None
        for table, row_id in applier.locks(ctx, item):
            wanted.setdefault(table, set()).add(row_id)
    for table in sorted(wanted):
        await queries.lock_rows(ctx.session, table, sorted(wanted[table]))


async def _apply_runs(ctx: PushContext, items: Sequence[Item]) -> None:
    run: list[Item] = []
    for item in items:
        if run and run[-1].spec is not item.spec:
            await _apply_run(ctx, run)
            run = []
        run.append(item)
    if run:
        await _apply_run(ctx, run)


async def _apply_run(ctx: PushContext, run: list[Item]) -> None:
    applier = run[0].spec.applier
    assert applier is not None  # the codec refuses pushes to pull-only entities
    await applier.apply(ctx, run)
