"""Inspections on the wire: what an inspector records, and what the inspection led to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from api.paging import Page, page_schema
from api.schemas.directives import AwareDatetime, ReceivedDirective
from api.schemas.requisitions import LineQuantity
from domain.contract import (
    CaseLoad,
    DaysOfCover,
    DirectiveBody,
    DirectiveTitle,
    Findings,
    Justification,
    PersonName,
)
from domain.models.directive import DirectivePriority
from domain.models.inspection import AdjustmentKind, MeritKind
from domain.models.inspection import Inspection as InspectionRow
from domain.models.supply import RequisitionStatus
from domain.services.inspections import InspectionDetail as DetailView

CommuneCodeField = Annotated[str, Meta(pattern=r"^[0-9]{5}$")]
Reason = Annotated[str, Meta(min_length=1, max_length=2000)]


class Checklist(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """What the inspector found in place (each false unless ticked)."""

    plan_ready: bool = False
    steering_committee: bool = False
    community_teams_active: bool = False
    stations_staffed: bool = False
    stations_supplied: bool = False
    connected: bool = False


class CorrectionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A correction ordered: it becomes a directive to the inspected commune."""

    title: DirectiveTitle
    due_at: AwareDatetime
    body: DirectiveBody | None = None
    priority: DirectivePriority = DirectivePriority.urgent
    report_required: bool = True


class AdjustmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A resource adjustment: a requisition for a station of the commune (``transfer``:
    approved and shipped from the inspecting district's warehouse at once)."""

    kind: AdjustmentKind
    location_id: Annotated[uuid.UUID, Meta(description="the station's stock location")]
    lines: Annotated[list[LineQuantity], Meta(min_length=1, max_length=50)]
    justification: Justification | None = None
    f0_under_care: CaseLoad = 0
    days_of_cover: DaysOfCover = 7
    carrier: Annotated[str, Meta(max_length=120)] | None = None


class MeritCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A commendation or a disciplinary note, for the commune (no person), a user of it
    (``user_id``) or someone without a login (``person_name``)."""

    kind: MeritKind
    reason: Reason
    user_id: uuid.UUID | None = None
    person_name: PersonName | None = None


class InspectionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    unit_code: CommuneCodeField
    findings: Findings
    checklist: Checklist = Checklist()
    inspected_at: AwareDatetime | None = None
    corrections: Annotated[list[CorrectionCreate], Meta(max_length=50)] = []
    adjustments: Annotated[list[AdjustmentCreate], Meta(max_length=20)] = []
    merits: Annotated[list[MeritCreate], Meta(max_length=50)] = []


class Adjustment(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    kind: AdjustmentKind
    requisition_id: uuid.UUID
    requisition_code: str
    requisition_status: RequisitionStatus


class Merit(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    kind: MeritKind
    unit_code: str
    user_id: uuid.UUID | None
    person_name: str | None
    reason: str
    decided_by: uuid.UUID | None
    decided_at: datetime


class Inspection(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    code: str
    unit_code: str
    path: str
    inspector_unit_code: str
    inspected_by: uuid.UUID | None
    inspected_at: datetime
    checklist: Checklist
    findings: str

    @classmethod
    def of(cls, i: InspectionRow) -> Inspection:
        return cls(
            id=i.id, code=i.code, unit_code=i.unit_code, path=i.scope_path,
            inspector_unit_code=i.inspector_unit_code, inspected_by=i.inspected_by,
            inspected_at=i.inspected_at, findings=i.findings,
            checklist=Checklist(
                plan_ready=i.plan_ready, steering_committee=i.steering_committee,
                community_teams_active=i.community_teams_active,
                stations_staffed=i.stations_staffed, stations_supplied=i.stations_supplied,
                connected=i.connected),
        )


class Observed(msgspec.Struct, kw_only=True, frozen=True):
    """The commune as the system sees it now (live, not part of the record): beside the
    inspector's checklist, what its community teams, stations and tablets show."""

    community_teams_active: int
    stations: int
    stations_active: int
    devices_synced_24h: int


class InspectionDetail(Inspection, kw_only=True, frozen=True):
    observed: Observed
    corrections: list[ReceivedDirective]
    adjustments: list[Adjustment]
    merits: list[Merit]

    @classmethod
    def of_detail(cls, v: DetailView, now: datetime) -> InspectionDetail:
        base = Inspection.of(v.inspection)
        return cls(
            **{f: getattr(base, f) for f in Inspection.__struct_fields__},
            observed=Observed(
                community_teams_active=v.observed.community_teams_active,
                stations=v.observed.stations, stations_active=v.observed.stations_active,
                devices_synced_24h=v.observed.devices_synced_24h),
            corrections=[ReceivedDirective.of(r, now) for r in v.corrections],
            adjustments=[Adjustment(id=a.id, kind=a.kind, requisition_id=r.id,
                                    requisition_code=r.code, requisition_status=r.status)
                         for a, r in v.adjustments],
            merits=[Merit(id=m.id, kind=m.kind, unit_code=m.unit_code, user_id=m.user_id,
                          person_name=m.person_name, reason=m.reason, decided_by=m.decided_by,
                          decided_at=m.decided_at) for m in v.merits],
        )


InspectionPage = Annotated[Page[Inspection], page_schema("InspectionPage")]
