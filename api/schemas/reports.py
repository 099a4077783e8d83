"""Situation reports and proposals on the wire."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from api.paging import Page, page_schema
from api.schemas.requisitions import LineQuantity
from domain.contract import (
    CaseLoad,
    DaysOfCover,
    DecisionNote,
    Justification,
    ProposalDetail,
    ProposalTitle,
    ReportNotes,
)
from domain.models.proposal import Proposal as ProposalRow
from domain.models.proposal import ProposalKind, ProposalStatus
from domain.models.report import ReportStatus
from domain.services.reports import ReportFigures, ReportOverview, ReportView


class ReportCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Open the caller's unit's report of a day (default: today in Ho Chi Minh City)."""

    report_date: date | None = None
    notes: ReportNotes | None = None


class ReportUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    notes: ReportNotes | None


class ReportProposal(msgspec.Struct, kw_only=True, frozen=True):
    """A proposal that went up with the report (``GET /api/proposals/{id}`` has the rest)."""

    id: uuid.UUID
    kind: ProposalKind
    title: str
    status: ProposalStatus


class Report(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    unit_code: str
    path: str
    report_date: date
    status: ReportStatus
    notes: str | None
    figures: ReportFigures
    figures_live: Annotated[bool, Meta(description=(
        "true for a draft: the figures are computed now; false: the submitted snapshot"))]
    deadline: datetime
    late: bool
    submitted_at: datetime | None
    submitted_by: uuid.UUID | None
    proposals: list[ReportProposal]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, v: ReportView) -> Report:
        r = v.report
        return cls(id=r.id, unit_code=r.unit_code, path=r.scope_path, report_date=r.report_date,
                   status=r.status, notes=r.notes, figures=v.figures, figures_live=v.live,
                   deadline=v.deadline, late=v.late, submitted_at=r.submitted_at,
                   submitted_by=r.submitted_by, created_at=r.created_at,
                   updated_at=r.updated_at,
                   proposals=[ReportProposal(id=p.id, kind=p.kind, title=p.title,
                                             status=p.status) for p in v.proposals])


ReportPage = Annotated[Page[Report], page_schema("ReportPage")]


class UnitReportState(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    name: str
    state: Annotated[str, Meta(description="submitted (on time), late, draft or missing")]
    overdue: Annotated[bool, Meta(description="not submitted and the deadline has passed")]
    report_id: uuid.UUID | None
    submitted_at: datetime | None


class ReportOverviewOut(msgspec.Struct, kw_only=True, frozen=True):
    unit_code: str
    unit_name: str
    report_date: date
    deadline: datetime
    units: list[UnitReportState]
    aggregate: ReportFigures

    @classmethod
    def of(cls, o: ReportOverview) -> ReportOverviewOut:
        return cls(
            unit_code=o.unit.code, unit_name=o.unit.name, report_date=o.report_date,
            deadline=o.deadline, aggregate=o.aggregate,
            units=[UnitReportState(code=u.code, name=u.name, state=u.state, overdue=u.overdue,
                                   report_id=u.report_id, submitted_at=u.submitted_at)
                   for u in o.units],
        )


class SupplyNeed(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The requisition a supply proposal becomes (as ``POST /api/requisitions`` takes it)."""

    location_id: uuid.UUID
    justification: Justification
    f0_under_care: CaseLoad
    days_of_cover: DaysOfCover
    lines: Annotated[list[LineQuantity], Meta(min_length=1, max_length=50)]


class ProposalCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: ProposalKind
    title: ProposalTitle
    detail: ProposalDetail | None = None
    quantity: Annotated[int, Meta(ge=1, le=100_000)] | None = None
    report_id: uuid.UUID | None = None
    requisition: Annotated[SupplyNeed | None, Meta(description=(
        "kind supplies only: the need becomes this requisition"))] = None


class ProposalAccept(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: DecisionNote


class ProposalDecline(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: DecisionNote


class Proposal(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    unit_code: str
    to_unit_code: str
    path: str
    report_id: uuid.UUID | None
    kind: ProposalKind
    title: str
    detail: str | None
    quantity: int | None
    status: ProposalStatus
    proposed_by: uuid.UUID | None
    decision_note: str | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    requisition_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, p: ProposalRow) -> Proposal:
        return cls(id=p.id, unit_code=p.unit_code, to_unit_code=p.to_unit_code,
                   path=p.scope_path, report_id=p.report_id, kind=p.kind, title=p.title,
                   detail=p.detail, quantity=p.quantity, status=p.status,
                   proposed_by=p.proposed_by, decision_note=p.decision_note,
                   decided_by=p.decided_by, decided_at=p.decided_at,
                   requisition_id=p.requisition_id, created_at=p.created_at)


ProposalPage = Annotated[Page[Proposal], page_schema("ProposalPage")]
