"""Append-only events: recorded once, never edited. Observations are applied in bulk.

A run of readings costs a few statements whatever its length: one query for their cases, one
for event ids that already exist, one INSERT per author. Only a reading past a threshold takes
the row-at-a-time path of domain.services.observations, after the others, because it opens or
escalates an alert and may move its case (rare, and exactly the API's behaviour). Readings
within limits obey the same checks here as there (values, LOINC, time, care scope, case
status), so online and offline recording accept the same readings. Readings are independent
events, so reordering them inside a run (by case, for lock order) changes nothing they mean.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from domain.models.enums import ObservationKind
from domain.rules.case_status import OPEN_STATUSES
from domain.rules.vitals import ACCEPTED_LOINC, LOINC, UNITS, assess
from domain.services import observations
from domain.services.cases import require_care
from domain.settings import VitalThresholds
from sync.codec import Item
from sync.context import DB_ERRORS, PushContext, refuse_transient, wire

EVENT_FIELDS = ("case_id", "kind", "value", "value2", "symptoms", "measured_at", "measured_by",
                "loinc")

_CASES = text("""
SELECT id, scope_path, station_id, team_id, status::text, status_changed_at, deleted FROM f0_case
WHERE id = ANY(CAST(:ids AS uuid[]))
""")
_EXISTING = text("""
SELECT id, case_id, kind::text, value, value2, symptoms, measured_at, measured_by, loinc
FROM observation WHERE id = ANY(CAST(:ids AS uuid[]))
""")
# The readings travel as one JSON array of arrays (see sync/queries.py, _CLAIM).
_INSERT = text("""
INSERT INTO observation (id, case_id, scope_path, kind, loinc, value, value2, unit, symptoms,
                         measured_at, measured_by, device_id)
SELECT (o->>0)::uuid, (o->>1)::uuid, :scope_path, (o->>2)::observation_kind, o->>3,
       (o->>4)::float8, (o->>5)::float8, o->>6,
       ARRAY(SELECT jsonb_array_elements_text(o->7))::varchar(40)[],
       (o->>8)::timestamptz, (o->>9)::uuid, :device_id
FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS o
""")
_json = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Reading:
    """A pushed observation with the defaults the service would fill in."""

    item: Item
    case_id: uuid.UUID
    kind: ObservationKind
    value: float | None
    value2: float | None
    symptoms: list[str]
    measured_at: datetime
    measured_by: uuid.UUID | None
    loinc: str
    alerts: bool  # past a threshold: opens or escalates an alert

    def content(self) -> Any:
        """What identifies the event, as JSON would carry it, to compare repeats."""
        return wire({f: getattr(self, f) for f in EVENT_FIELDS})


def _reading(item: Item, thresholds: VitalThresholds) -> Reading:
    """The service's value checks, without the database; raises ValidationFailed."""
    v = item.values
    kind = ObservationKind(v["kind"])
    symptoms = sorted(set(v.get("symptoms") or []))
    value, value2 = v.get("value"), v.get("value2")
    observations._check_values(kind, value, value2, symptoms)
    loinc = v.get("loinc") or LOINC[kind]
    if loinc not in ACCEPTED_LOINC[kind]:
        raise ValidationFailed(f"LOINC {loinc} does not code {kind.value}", field="loinc")
    measured_at: datetime = v["measured_at"]
    if measured_at.tzinfo is None:  # the codec asks for an offset; checked as the service does
        raise ValidationFailed("measured_at needs a time zone", field="measured_at")
    measured_at = measured_at.astimezone(UTC)
    if measured_at > datetime.now(UTC) + observations.CLOCK_TOLERANCE:
        raise ValidationFailed("measured_at is in the future", field="measured_at")
    alerts = assess(kind, value, value2, symptoms, thresholds) is not None
    return Reading(item, v["case_id"], kind, value, value2, symptoms, measured_at,
                   v.get("measured_by"), loinc, alerts)


class ObservationApplier:
    """Applies runs of observation mutations (see the module docstring)."""

    @staticmethod
    def _reading(ctx: PushContext, item: Item) -> Reading | DomainError:
        r = ctx.memo.get(item.index)
        if r is None:
            try:
                r = _reading(item, ctx.settings.thresholds)
            except DomainError as exc:
                r = exc
            ctx.memo[item.index] = r
        return r

    async def apply(self, ctx: PushContext, items: Sequence[Item]) -> None:
        """Validate all, look up cases and known ids at once, insert, then alert."""
        readings: list[Reading] = []
        for item in items:
            r = self._reading(ctx, item)
            if isinstance(r, Reading):
                readings.append(r)
            else:
                ctx.rejected(item, r.code, r.message, field=ctx.field_of(item, r))
        session = ctx.session
        cases = {r[0]: r for r in await session.execute(
            _CASES, {"ids": list({r.case_id for r in readings})})}
        stored = {r[0]: wire(dict(zip(EVENT_FIELDS, r[1:], strict=True)))
                  for r in await session.execute(
                      _EXISTING, {"ids": [r.item.mutation.row_id for r in readings]})}
        plain: dict[uuid.UUID, list[Reading]] = defaultdict(list)
        alerting: list[Reading] = []
        for r in readings:
            if r.case_id not in cases and await ctx.reject_orphan(r.item, r.case_id, "case_id"):
                continue
            if not self._admit(ctx, r, cases, stored):
                continue
            stored[r.item.mutation.row_id] = r  # a repeat later in the batch compares with it
            if r.alerts:
                alerting.append(r)
            else:
                plain[r.item.mutation.author_id].append(r)
        for group in plain.values():
            group.sort(key=lambda r: r.case_id.int)  # foreign-key locks in one global order
            await ctx.act_as(group[0].item)
            await self._insert_run(ctx, group)
        for r in alerting:
            await self._record(ctx, r)

    def _admit(
        self, ctx: PushContext, r: Reading, cases: dict[uuid.UUID, Any],
        stored: dict[uuid.UUID, Any],
    ) -> bool:
        """Checks against the database state; rejects (or settles) and returns False."""
        item = r.item
        case = cases.get(r.case_id)
        try:
            if case is None:
                raise NotFound("case not found", field="case_id")
            if case[1] != ctx.device.unit_path:
                raise Forbidden("the case belongs to another unit", field="case_id")
            if case[6]:
                ctx.rejected(item, "deleted", "the case was deleted")
                return False
            require_care(ctx.principal(item), scope_path=case[1], station_id=case[2],
                         team_id=case[3])
        except DomainError as exc:
            ctx.rejected(item, exc.code, exc.message, field=ctx.field_of(item, exc))
            return False
        previous = stored.get(item.mutation.row_id)
        if previous is not None:
            if isinstance(previous, Reading):
                previous = previous.content()
            if previous == r.content():
                ctx.duplicate(item)
            else:
                ctx.conflict(item, "*", "append_only", kept_value=previous, kept=None,
                             lost_value=r.content())
                ctx.rejected(item, "immutable",
                             "this observation id was recorded with other values")
            return False
        if case[4] not in OPEN_STATUSES and r.measured_at > case[5]:
            ctx.rejected(item, "conflict", f"the case is {case[4]} since {case[5]:%Y-%m-%d}")
            return False
        return True

    async def _insert_run(self, ctx: PushContext, group: list[Reading]) -> None:
        """One INSERT for the run; should the database refuse a value, each reading again
        alone, so only the one at fault is rejected."""
        try:
            async with ctx.session.begin_nested():
                await self._insert(ctx, group)
        except DBAPIError as exc:
            refuse_transient(exc)
            for r in group:
                try:
                    async with ctx.session.begin_nested():
                        await self._insert(ctx, [r])
                except DBAPIError as one:
                    refuse_transient(one)
                    ctx.reject_error(r.item, one, None)
                else:
                    ctx.applied(r.item)
            return
        for r in group:
            ctx.applied(r.item)

    async def _insert(self, ctx: PushContext, group: list[Reading]) -> None:
        rows = [(r.item.mutation.row_id, r.case_id, r.kind, r.loinc, r.value, r.value2,
                 UNITS[r.kind], r.symptoms, r.measured_at, r.measured_by) for r in group]
        await ctx.session.execute(_INSERT, {
            "scope_path": ctx.device.unit_path, "device_id": ctx.device.device_id,
            "rows": _json.encode(rows).decode(),
        })

    async def _record(self, ctx: PushContext, r: Reading) -> None:
        item = r.item
        await ctx.act_as(item)
        ctx.session.expire_all()
        try:
            async with ctx.session.begin_nested():
                await observations.record_observation(
                    ctx.session, ctx.principal(item), observation_id=item.mutation.row_id,
                    case_id=r.case_id, kind=r.kind, value=r.value, value2=r.value2,
                    symptoms=r.symptoms, measured_at=r.measured_at, measured_by=r.measured_by,
                    device_id=ctx.device.device_id, loinc=r.loinc,
                    thresholds=ctx.settings.thresholds,
                )
        except DB_ERRORS as exc:
            refuse_transient(exc)
            ctx.reject_error(item, exc, None)
            return
        ctx.applied(item)


RecordEvent = Callable[[AsyncSession, Principal, Item], Awaitable[bool]]


@dataclass(frozen=True)
class ServiceEventApplier:
    """Events a domain service records one at a time because it maintains derived state with
    them (the stock ledger moves the balance). ``record`` returns False for a replayed id with
    the same content and raises Conflict(field="id") for one with other content."""

    record: RecordEvent

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
