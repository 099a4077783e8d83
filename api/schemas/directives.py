"""Directives on the wire: what an issuer sends and sees, and an addressed unit's copy."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from api.paging import Page, page_schema
from domain.contract import (
    CompletionReport,
    DirectiveBody,
    DirectiveTitle,
    ProgressNote,
    ProgressPct,
    ReminderMessage,
)
from domain.models.directive import Directive as DirectiveRow
from domain.models.directive import DirectivePriority, DirectiveStatus
from domain.models.directive import DirectiveRecipient as RecipientRow
from domain.models.directive import DirectiveReminder as ReminderRow
from domain.repositories.directives import state_of
from domain.services.directives import DirectiveDetail as DetailView
from domain.services.directives import DirectiveSummary

UnitCodeItem = Annotated[str, Meta(max_length=8, pattern=r"^[0-9A-Z]+$")]
UnitCodes = Annotated[list[UnitCodeItem], Meta(max_length=1000)]
AwareDatetime = Annotated[datetime, Meta(tz=True)]


class DirectiveCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Address ``unit_codes`` (units below the issuer, any level) or ``all_communes``."""

    title: DirectiveTitle
    body: DirectiveBody
    due_at: AwareDatetime
    priority: DirectivePriority = DirectivePriority.normal
    report_required: bool = False
    unit_codes: UnitCodes = []
    all_communes: bool = False


class ReminderCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Urge the overdue units named (all the overdue ones when omitted)."""

    unit_codes: UnitCodes = []
    message: ReminderMessage | None = None


class DirectiveAnswer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The addressed unit's answer: only the fields present change. ``status`` moves forward
    only; ``completion_report`` goes with ``done``."""

    status: DirectiveStatus | UnsetType = UNSET
    progress_pct: ProgressPct | UnsetType = UNSET
    progress_note: ProgressNote | UnsetType | None = UNSET
    completion_report: CompletionReport | UnsetType = UNSET


class StateCounts(msgspec.Struct, kw_only=True, frozen=True):
    unread: int
    acknowledged: int
    in_progress: int
    overdue: int
    done: int


class Directive(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    code: str
    issuer_unit_code: str
    issued_by: uuid.UUID | None
    issued_at: datetime
    title: str
    body: str
    priority: DirectivePriority
    due_at: datetime
    report_required: bool
    counts: StateCounts

    @classmethod
    def of(cls, d: DirectiveRow, counts: dict[str, int]) -> Directive:
        return cls(
            id=d.id, code=d.code, issuer_unit_code=d.issuer_unit_code, issued_by=d.issued_by,
            issued_at=d.issued_at, title=d.title, body=d.body, priority=d.priority,
            due_at=d.due_at, report_required=d.report_required, counts=StateCounts(**counts),
        )

    @classmethod
    def of_summary(cls, s: DirectiveSummary) -> Directive:
        return cls.of(s.directive, dict(s.counts))


class AddressedUnit(msgspec.Struct, kw_only=True, frozen=True):
    """One addressed unit as the issuer sees it; ``state`` is done, overdue or the status."""

    recipient_id: uuid.UUID
    unit_code: str
    unit_name: str
    path: str
    state: str
    status: DirectiveStatus
    acknowledged_at: datetime | None
    progress_pct: int
    progress_note: str | None
    completed_at: datetime | None
    completion_report: str | None
    reminder_count: int
    last_reminded_at: datetime | None


class DirectiveDetail(Directive, kw_only=True, frozen=True):
    units: list[AddressedUnit]

    @classmethod
    def of_detail(cls, v: DetailView) -> DirectiveDetail:
        base = Directive.of(v.directive, dict(v.counts))
        return cls(
            **{f: getattr(base, f) for f in Directive.__struct_fields__},
            units=[AddressedUnit(
                recipient_id=u.recipient.id, unit_code=u.recipient.unit_code,
                unit_name=u.unit_name, path=u.recipient.scope_path, state=u.state,
                status=u.recipient.status, acknowledged_at=u.recipient.acknowledged_at,
                progress_pct=u.recipient.progress_pct, progress_note=u.recipient.progress_note,
                completed_at=u.recipient.completed_at,
                completion_report=u.recipient.completion_report,
                reminder_count=u.recipient.reminder_count,
                last_reminded_at=u.recipient.last_reminded_at,
            ) for u in v.units],
        )


class ReceivedDirective(msgspec.Struct, kw_only=True, frozen=True):
    """An addressed unit's copy of a directive, with its answer so far."""

    id: uuid.UUID
    directive_id: uuid.UUID
    unit_code: str
    path: str
    issuer_unit_code: str
    code: str
    title: str
    body: str
    priority: DirectivePriority
    issued_at: datetime
    due_at: datetime
    report_required: bool
    status: DirectiveStatus
    overdue: bool
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
    progress_pct: int
    progress_note: str | None
    completed_at: datetime | None
    completed_by: uuid.UUID | None
    completion_report: str | None
    reminder_count: int
    last_reminded_at: datetime | None

    @classmethod
    def of(cls, r: RecipientRow, now: datetime) -> ReceivedDirective:
        return cls(
            id=r.id, directive_id=r.directive_id, unit_code=r.unit_code, path=r.scope_path,
            issuer_unit_code=r.issuer_unit_code, code=r.code, title=r.title, body=r.body,
            priority=r.priority, issued_at=r.issued_at, due_at=r.due_at,
            report_required=r.report_required, status=r.status,
            overdue=state_of(r, now) == "overdue",
            acknowledged_at=r.acknowledged_at, acknowledged_by=r.acknowledged_by,
            progress_pct=r.progress_pct, progress_note=r.progress_note,
            completed_at=r.completed_at, completed_by=r.completed_by,
            completion_report=r.completion_report, reminder_count=r.reminder_count,
            last_reminded_at=r.last_reminded_at,
        )


class Reminder(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    recipient_id: uuid.UUID
    directive_id: uuid.UUID
    unit_code: str
    sent_at: datetime
    sent_by: uuid.UUID | None
    message: str | None

    @classmethod
    def of(cls, r: ReminderRow) -> Reminder:
        return cls(id=r.id, recipient_id=r.recipient_id, directive_id=r.directive_id,
                   unit_code=r.unit_code, sent_at=r.sent_at, sent_by=r.sent_by,
                   message=r.message)


DirectivePage = Annotated[Page[Directive], page_schema("DirectivePage")]
ReceivedDirectivePage = Annotated[Page[ReceivedDirective], page_schema("ReceivedDirectivePage")]
