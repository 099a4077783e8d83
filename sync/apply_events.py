"""Append-only events: recorded once, never edited. Observations are applied in bulk.

A run of readings costs a few statements whatever its length: one query for their cases, one
for event ids that already exist, one INSERT per author. Only a reading past a threshold takes
the row-at-a-time path of domain.services.observations, after the others, because it opens or
escalates an alert and may move its case (rare, and exactly the API's behaviour). Every
reading is judged by the rules of domain.rules.readings, which the API calls too
(``validate_reading``, then ``admit_reading`` against a snapshot of its case); this module
only groups, inserts and turns the outcome into a result. Readings are independent
events, so reordering them inside a run (by case, for lock order) changes nothing they mean.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.db import driver
from domain.errors import Conflict, DomainError, Immutable
from domain.models.enums import ObservationKind
from domain.repositories.cases import CaseRepository
from domain.repositories.observations import ObservationRepository
from domain.rules.readings import Admission, CaseSnapshot, Reading, admit_reading, validate_reading
from domain.rules.vitals import assess
from domain.services.observations import ObservationService
from domain.settings import Settings, VitalThresholds
from sync.codec import Item
from sync.context import DB_ERRORS, PushContext, refuse_transient, wire

# The readings travel as one JSON array of arrays (see sync/queries.py, _CLAIM).
_INSERT = """
INSERT INTO observation (id, case_id, scope_path, kind, loinc, value, value2, unit, symptoms,
                         measured_at, measured_by, device_id)
SELECT (o->>0)::uuid, (o->>1)::uuid, $1, (o->>2)::observation_kind, o->>3,
       (o->>4)::float8, (o->>5)::float8, o->>6,
       ARRAY(SELECT jsonb_array_elements_text(o->7))::varchar(40)[],
       (o->>8)::timestamptz, (o->>9)::uuid, $2
FROM jsonb_array_elements($3::text::jsonb) AS o
"""
_json = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Pushed:
    """A pushed observation, validated by the domain."""

    item: Item
    reading: Reading
    alerts: bool  # past a threshold: opens or escalates an alert


def _pushed(item: Item, thresholds: VitalThresholds) -> Pushed:
    """The domain's reading rules on the pushed values; raises ValidationFailed."""
    v = item.values
    reading = validate_reading(
        reading_id=item.mutation.row_id, case_id=v["case_id"], kind=ObservationKind(v["kind"]),
        value=v.get("value"), value2=v.get("value2"), symptoms=v.get("symptoms"),
        measured_at=v["measured_at"], measured_by=v.get("measured_by"), loinc=v.get("loinc"))
    return Pushed(item, reading, reading.finding(thresholds) is not None)


class ObservationApplier:
    """Applies runs of observation mutations (see the module docstring)."""

    def shares_unit(self, item: Item, settings: Settings) -> bool:
        """A plain reading only inserts its row (its case is only referenced); one past a
        threshold opens an alert and may move its case, which locks rows."""
        v = item.values
        try:
            finding = assess(ObservationKind(v["kind"]), v.get("value"), v.get("value2"),
                             sorted(set(v.get("symptoms") or [])), settings.thresholds)
        except (KeyError, ValueError, TypeError):
            return True  # refused before anything is written
        return finding is None

    async def apply(self, ctx: PushContext, items: Sequence[Item]) -> None:
        """Validate all, look up cases and known ids at once, insert, then alert."""
        readings: list[Pushed] = []
        for item in items:
            try:
                readings.append(_pushed(item, ctx.settings.thresholds))
            except DomainError as exc:
                ctx.rejected(item, exc.code, exc.message, field=ctx.field_of(item, exc))
        cases = await CaseRepository(ctx.session).snapshots(
            list({p.reading.case_id for p in readings}))
        stored = await ObservationRepository(ctx.session).readings(
            [p.reading.id for p in readings])
        plain: dict[uuid.UUID, list[Pushed]] = defaultdict(list)
        alerting: list[Pushed] = []
        for p in readings:
            case_id = p.reading.case_id
            if case_id not in cases and await ctx.reject_orphan(p.item, case_id, "case_id"):
                continue
            if not self._admit(ctx, p, cases.get(case_id), stored):
                continue
            stored[p.reading.id] = p.reading  # a repeat later in the batch compares with it
            if p.alerts:
                alerting.append(p)
            else:
                plain[p.item.mutation.author_id].append(p)
        for group in plain.values():
            group.sort(key=lambda p: p.reading.case_id.int)  # foreign-key locks in one order
            await ctx.act_as(group[0].item)
            await self._insert_run(ctx, group)
        for p in alerting:
            await self._record(ctx, p)

    @staticmethod
    def _admit(
        ctx: PushContext, p: Pushed, case: CaseSnapshot | None, stored: dict[uuid.UUID, Reading]
    ) -> bool:
        """The domain's admission, its outcome as a result; False unless the reading is new."""
        item = p.item
        try:
            outcome = admit_reading(ctx.principal(item), p.reading, case,
                                    stored.get(p.reading.id), unit_path=ctx.device.unit_path)
        except Immutable as exc:
            previous = stored[p.reading.id]
            ctx.conflict(item, "*", "append_only", kept_value=_content(previous), kept=None,
                         lost_value=_content(p.reading))
            ctx.rejected(item, exc.code, exc.message, field=ctx.field_of(item, exc))
            return False
        except DomainError as exc:
            ctx.rejected(item, exc.code, exc.message, field=ctx.field_of(item, exc))
            return False
        if outcome is Admission.replay:
            ctx.duplicate(item)
            return False
        return True

    async def _insert_run(self, ctx: PushContext, group: list[Pushed]) -> None:
        """One INSERT for the run; should the database refuse a value, each reading again
        alone, so only the one at fault is rejected."""
        try:
            async with ctx.session.begin_nested():
                await self._insert(ctx, group)
        except DBAPIError as exc:
            refuse_transient(exc)
            for p in group:
                try:
                    async with ctx.session.begin_nested():
                        await self._insert(ctx, [p])
                except DBAPIError as one:
                    refuse_transient(one)
                    ctx.reject_error(p.item, one, None)
                else:
                    ctx.applied(p.item)
            return
        for p in group:
            ctx.applied(p.item)

    async def _insert(self, ctx: PushContext, group: list[Pushed]) -> None:
        rows = [(r.id, r.case_id, r.kind, r.loinc, r.value, r.value2, r.unit, r.symptoms,
                 r.measured_at, r.measured_by) for r in (p.reading for p in group)]
        await (await driver(ctx.session)).execute(
            _INSERT, ctx.device.unit_path, ctx.device.device_id, _json.encode(rows).decode())

    async def _record(self, ctx: PushContext, p: Pushed) -> None:
        item, r = p.item, p.reading
        await ctx.act_as(item)
        ctx.session.expire_all()
        try:
            async with ctx.session.begin_nested():
                await ObservationService(ctx.session, ctx.principal(item)).record(
                    observation_id=item.mutation.row_id,
                    case_id=r.case_id, kind=r.kind, value=r.value, value2=r.value2,
                    symptoms=list(r.symptoms), measured_at=r.measured_at, measured_by=r.measured_by,
                    device_id=ctx.device.device_id, loinc=r.loinc,
                    thresholds=ctx.settings.thresholds,
                )
        except DB_ERRORS as exc:
            refuse_transient(exc)
            ctx.reject_error(item, exc, None)
            return
        ctx.applied(item)


def _content(r: Reading) -> Any:
    """A reading's values as JSON carries them, for the conflict log."""
    return wire({"case_id": r.case_id, "kind": r.kind, "value": r.value, "value2": r.value2,
                 "symptoms": list(r.symptoms), "measured_at": r.measured_at,
                 "measured_by": r.measured_by, "loinc": r.loinc})


RecordEvent = Callable[[AsyncSession, Principal, Item], Awaitable[bool]]


@dataclass(frozen=True)
class ServiceEventApplier:
    """Events a domain service records one at a time because it maintains derived state with
    them (the stock ledger moves the balance). ``record`` returns False for a replayed id with
    the same content and raises Conflict(field="id") for one with other content."""

    record: RecordEvent

    def shares_unit(self, item: Item, settings: Settings) -> bool:
        """The service maintains derived rows (stock balances): it locks them."""
        return False

    async def apply(self, ctx: PushContext, items: Sequence[Item]) -> None:
        for item in items:
            await ctx.act_as(item)
            ctx.session.expire_all()
            try:
                async with ctx.session.begin_nested():
                    created = await self.record(ctx.session, ctx.principal(item), item)
            except DB_ERRORS as exc:
                refuse_transient(exc)
                if isinstance(exc, Conflict) and exc.field == "id":
                    ctx.conflict(item, "*", "append_only", kept_value=None, kept=None,
                                 lost_value=wire(item.values))
                    ctx.rejected(item, "immutable", exc.message)
                else:
                    ctx.reject_error(item, exc, None)
                continue
            if created:
                ctx.applied(item)
            else:
                ctx.duplicate(item)
