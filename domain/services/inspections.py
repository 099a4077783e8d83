"""Inspections of a commune by a level above it, and what they set in motion.

Rules decided here:
- The district or city above a commune inspects it (district logistics, city coordinators,
  administrators, of a unit strictly above the commune); a commune inspects nobody, itself or
  a sibling least of all. The inspection is the commune's to read (its tablets pull it) and
  the levels' above it; siblings see nothing.
- Each correction is a directive from the inspecting unit to the commune (DirectiveService),
  linked to the inspection, so the commune acts on it, offline too, through the directive
  flow. Each resource adjustment is a requisition for one of the commune's stations
  (RequisitionService.order_for_station): ``requisition`` leaves it submitted for the usual
  chain; ``transfer`` has the inspecting district approve it and ship from its warehouse at
  once, so the station receives it with proof of delivery like any shipment.
- Commendations and disciplinary notes follow an inspection, for the commune or one of its
  people; only the inspecting unit records them.
An inspection and everything it decides are written in one transaction: a refused
correction or adjustment leaves nothing of the inspection behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal, within
from domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from domain.models.admin_unit import AdminLevel
from domain.models.directive import DirectivePriority, DirectiveRecipient
from domain.models.enums import Role
from domain.models.inspection import (
    CHECKLIST,
    AdjustmentKind,
    Inspection,
    InspectionAdjustment,
    InspectionCorrection,
    InspectionMerit,
    MeritKind,
)
from domain.models.supply import Requisition, RequisitionStatus
from domain.repositories.admin_units import AdminUnitRepository
from domain.repositories.inspections import InspectionRepository, Observed
from domain.repositories.users import UserRepository
from domain.rules.requisition_status import REQUISITION_STATUS
from domain.services.directives import DirectiveService
from domain.services.requisitions import RequisitionService
from domain.services.stations import StationService

INSPECTORS = frozenset({Role.district_logistics, Role.city_coordinator, Role.administrator})
CLOCK_LEEWAY = timedelta(minutes=5)


def inspection_code(inspection_id: uuid.UUID) -> str:
    return f"KT-{inspection_id.hex[:10].upper()}"


@dataclass(frozen=True, slots=True)
class InspectionDetail:
    inspection: Inspection
    corrections: Sequence[DirectiveRecipient]
    adjustments: Sequence[tuple[InspectionAdjustment, Requisition]]
    merits: Sequence[InspectionMerit]
    observed: Observed


def _at(prefix: str, exc: DomainError) -> DomainError:
    """The same refusal, its field named inside the list item that caused it."""
    exc.field = f"{prefix}.{exc.field}" if exc.field else prefix
    return exc


class InspectionService:
    """The inspections the principal records and reads, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = InspectionRepository(session)

    async def record(
        self, *, unit_code: str, findings: str, checklist: Mapping[str, bool],
        inspected_at: datetime | None = None,
        corrections: Sequence[Mapping[str, Any]] = (),
        adjustments: Sequence[Mapping[str, Any]] = (),
        merits: Sequence[Mapping[str, Any]] = (),
    ) -> InspectionDetail:
        """Record an inspection of a commune below the caller, with what it decided."""
        p = self.principal
        p.require_role(INSPECTORS, "inspect a commune")
        commune = await AdminUnitRepository(self.session).get(unit_code)
        if commune is None or not p.can_read(commune.path):
            raise NotFound(f"unit {unit_code!r} not found", field="unit_code")
        if commune.path == p.unit_path:
            raise Forbidden("a unit does not inspect itself", field="unit_code")
        if commune.level is not AdminLevel.commune:
            raise ValidationFailed("an inspection is of a commune", field="unit_code")
        now = datetime.now(UTC)
        at = inspected_at or now
        if at.tzinfo is None:
            raise ValidationFailed("the inspection time needs a time zone", field="inspected_at")
        if at > now + CLOCK_LEEWAY:
            raise ValidationFailed("an inspection is recorded after it happened",
                                   field="inspected_at")
        unknown = sorted(set(checklist) - set(CHECKLIST))
        if unknown:
            raise ValidationFailed(f"{unknown[0]} is not on the checklist",
                                   field=f"checklist.{unknown[0]}")
        if not findings.strip():
            raise ValidationFailed("say what the inspection found", field="findings")
        iid = uuid.uuid4()
        inspection = Inspection(
            id=iid, code=inspection_code(iid), unit_code=commune.code, scope_path=commune.path,
            inspector_unit_code=p.unit_code, inspected_by=p.user_id, inspected_at=at,
            findings=findings.strip(), **{k: bool(checklist.get(k, False)) for k in CHECKLIST},
        )
        await self.repo.add(inspection)
        for i, correction in enumerate(corrections):
            try:
                await self._correct(inspection, correction)
            except DomainError as exc:
                raise _at(f"corrections[{i}]", exc) from None
        for i, adjustment in enumerate(adjustments):
            try:
                await self._adjust(inspection, adjustment)
            except DomainError as exc:
                raise _at(f"adjustments[{i}]", exc) from None
        for i, merit in enumerate(merits):
            try:
                await self._merit(inspection, merit)
            except DomainError as exc:
                raise _at(f"merits[{i}]", exc) from None
        return await self.detail(iid)

    async def _correct(self, inspection: Inspection, c: Mapping[str, Any]) -> None:
        title = str(c.get("title") or "").strip()
        directive, copies = await DirectiveService(self.session, self.principal).issue(
            title=title or "", body=str(c.get("body") or title),
            due_at=c["due_at"], priority=c.get("priority") or DirectivePriority.normal,
            report_required=bool(c.get("report_required", True)),
            unit_codes=[inspection.unit_code])
        (copy,) = copies
        await self.repo.add(InspectionCorrection(
            inspection_id=inspection.id, directive_id=directive.id, recipient_id=copy.id,
            scope_path=inspection.scope_path))

    async def _adjust(self, inspection: Inspection, a: Mapping[str, Any]) -> None:
        kind = AdjustmentKind(a["kind"])
        location = await RequisitionService(self.session, self.principal).locations.get(
            a["location_id"])
        if location.scope_path != inspection.scope_path:
            raise ValidationFailed("the station is not in the inspected commune",
                                   field="location_id")
        if kind is AdjustmentKind.transfer and self.principal.role not in \
                REQUISITION_STATUS.transitions[(RequisitionStatus.submitted,
                                                RequisitionStatus.approved)]:
            raise ValidationFailed("a transfer is approved and shipped at once by the district's "
                                   "logistics; ask for a requisition instead", field="kind")
        note = str(a.get("justification") or "").strip()
        reqs = RequisitionService(self.session, self.principal)
        req = await reqs.order_for_station(
            location_id=location.id,
            justification=f"Kiểm tra {inspection.code}: {note or 'điều chỉnh nguồn lực'}",
            f0_under_care=int(a.get("f0_under_care") or 0),
            days_of_cover=int(a.get("days_of_cover") or 7), lines=a.get("lines"))
        if kind is AdjustmentKind.transfer:
            await reqs.transition(req.id, RequisitionStatus.approved,
                                  {"note": f"Kiểm tra {inspection.code}"})
            await reqs.transition(req.id, RequisitionStatus.shipped,
                                  {"carrier": a.get("carrier")} if a.get("carrier") else {})
        await self.repo.add(InspectionAdjustment(
            inspection_id=inspection.id, kind=kind, requisition_id=req.id,
            scope_path=inspection.scope_path))

    async def _merit(self, inspection: Inspection, m: Mapping[str, Any]) -> None:
        kind = MeritKind(m["kind"])
        user_id, person = m.get("user_id"), (m.get("person_name") or "").strip() or None
        if user_id is not None and person is not None:
            raise ValidationFailed("name a user or a person, not both", field="person_name")
        if user_id is not None:
            user = await UserRepository(self.session).by_id(user_id)
            if user is None or not within(user.unit_path, inspection.scope_path):
                raise NotFound("no such user in the inspected commune", field="user_id")
        reason = str(m.get("reason") or "").strip()
        if not reason:
            raise ValidationFailed("say why", field="reason")
        await self.repo.add(InspectionMerit(
            inspection_id=inspection.id, kind=kind, unit_code=inspection.unit_code,
            user_id=user_id, person_name=person, reason=reason, decided_by=self.principal.user_id,
            scope_path=inspection.scope_path))

    async def add_merit(
        self, inspection_id: uuid.UUID, merit: Mapping[str, Any]
    ) -> InspectionDetail:
        """A commendation or disciplinary note following the inspection (inspecting unit)."""
        inspection = await self._get(inspection_id)
        p = self.principal
        if inspection.inspector_unit_code != p.unit_code:
            raise Forbidden("only the inspecting unit decides what follows its inspection",
                            field="inspection_id")
        p.require_role(INSPECTORS, "commend or discipline")
        await self._merit(inspection, merit)
        return await self.detail(inspection_id)

    async def _get(self, inspection_id: uuid.UUID) -> Inspection:
        inspection = await self.repo.get(inspection_id)
        if inspection is None or not self.principal.can_read(inspection.scope_path):
            raise NotFound("inspection not found", field="inspection_id")
        return inspection

    async def detail(self, inspection_id: uuid.UUID) -> InspectionDetail:
        inspection = await self._get(inspection_id)
        return InspectionDetail(
            inspection, await self.repo.corrections(inspection.id),
            await self.repo.adjustments(inspection.id), await self.repo.merits(inspection.id),
            await self.repo.observed(inspection.scope_path, datetime.now(UTC)))

    async def search(
        self, *, district: str | None = None, commune: str | None = None,
        inspector: str | None = None, limit: int = 100, offset: int = 0,
    ) -> tuple[list[Inspection], int]:
        units = await StationService(self.session, self.principal).unit_paths(
            district=district, commune=commune)
        return await self.repo.page(units=units, inspector_unit_code=inspector, limit=limit,
                                    offset=offset)
