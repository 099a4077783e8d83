"""Daily situation reports up the chain: each unit reports its day to the level above.

Rules decided here:
- One report per unit and day (its id is ``report_id(unit, day)``). Only the unit's own
  people write it (``is_reporter``: the field roles of a commune, district logistics for a
  district, the city coordinator for a province, an administrator of that unit): a district
  cannot open, edit or submit a commune's report, online or through a tablet. Everyone above
  reads it.
- A draft's notes change freely; submitting freezes it: the figures are snapshotted and
  neither the notes nor the status change again (409 ``immutable`` /
  ``transition_not_allowed``; a tablet's later edit is refused per mutation and logged).
- A commune's figures are its live data of the day (Asia/Ho_Chi_Minh): F0 under care, new,
  recovered, transferred to hospital, died, unresolved alerts, stations by status, stations
  short of a key supply. A district's and a province's are the sum of the reports their units
  submitted that day.
- The deadline is 17:00 local time of the report's day: a report submitted after it is late,
  a unit with none submitted by then is overdue.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import FIELD_ROLES, Principal
from domain.errors import Forbidden, Immutable, NotFound, TransitionNotAllowed, ValidationFailed
from domain.models.enums import Role
from domain.models.proposal import Proposal
from domain.models.report import ReportStatus, SituationReport, report_id
from domain.repositories.admin_units import AdminUnitRecord, AdminUnitRepository
from domain.repositories.proposals import ProposalRepository
from domain.repositories.reports import ReportRepository
from domain.repositories.stock import KEY_ITEMS, station_stock_states

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEADLINE = time(17, 0)
# A unit's own people write its report, by level: in a commune its field roles (the commune
# officer, the station staff and doctors who keep the tablets), in a district its logistics, in
# a province the city coordinator; anywhere an administrator of that unit.
REPORTERS_BY_LEVEL: dict[int, frozenset[Role]] = {
    3: FIELD_ROLES, 2: frozenset({Role.district_logistics}),
    1: frozenset({Role.city_coordinator}),
}


def is_reporter(principal: Principal) -> bool:
    """Whether the principal speaks for their own unit (reports, proposals, its plan)."""
    if principal.role is Role.administrator:
        return True
    return principal.role in REPORTERS_BY_LEVEL.get(principal.unit_level, frozenset())


def local_today(now: datetime | None = None) -> date:
    """The reporting day it is now in Ho Chi Minh City."""
    return (now or datetime.now(UTC)).astimezone(LOCAL_TZ).date()


def day_window(day: date) -> tuple[datetime, datetime]:
    """The local day as a half-open UTC interval."""
    start = datetime.combine(day, time(0), LOCAL_TZ)
    return start, start + timedelta(days=1)


def deadline_of(day: date) -> datetime:
    """When the day's report is due: 17:00 local time that day."""
    return datetime.combine(day, DEADLINE, LOCAL_TZ)


class ReportFigures(msgspec.Struct, kw_only=True, frozen=True):
    """What a report says of its day. For an aggregate (district, province) the units below
    that submitted are counted in ``units_reported`` of ``units_expected``."""

    f0_under_care: int = 0
    new_today: int = 0
    recovered_today: int = 0
    transferred_today: int = 0
    died_today: int = 0
    unresolved_alerts: int = 0
    stations_by_status: dict[str, int] = {}
    stock_at_risk: dict[str, int] = {}  # key supply -> stations low or out of it
    units_reported: int | None = None
    units_expected: int | None = None


_SUMMED = ("f0_under_care", "new_today", "recovered_today", "transferred_today", "died_today",
           "unresolved_alerts")


def sum_figures(parts: list[ReportFigures], *, expected: int) -> ReportFigures:
    """The figures of a level: the sum of its units' submitted reports."""
    totals = {name: sum(getattr(p, name) for p in parts) for name in _SUMMED}
    stations: dict[str, int] = {}
    stock: dict[str, int] = dict.fromkeys(KEY_ITEMS, 0)
    for p in parts:
        for k, v in p.stations_by_status.items():
            stations[k] = stations.get(k, 0) + v
        for k, v in p.stock_at_risk.items():
            stock[k] = stock.get(k, 0) + v
    return ReportFigures(**totals, stations_by_status=stations, stock_at_risk=stock,
                         units_reported=len(parts), units_expected=expected)


def stored_figures(report: SituationReport) -> ReportFigures | None:
    return None if report.figures is None else msgspec.convert(report.figures, ReportFigures)


@dataclass(frozen=True, slots=True)
class ReportView:
    report: SituationReport
    figures: ReportFigures
    live: bool  # figures computed now (a draft), not the submitted snapshot
    deadline: datetime
    late: bool
    proposals: list[Proposal]  # the proposals that went up with the report


@dataclass(frozen=True, slots=True)
class UnitReportStatus:
    """One unit below in the overview: ``state`` is submitted, late, draft or missing."""

    code: str
    name: str
    state: str
    overdue: bool
    report_id: uuid.UUID | None
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReportOverview:
    unit: AdminUnitRecord
    report_date: date
    deadline: datetime
    units: list[UnitReportStatus]
    aggregate: ReportFigures


class ReportService:
    """Situation reports the principal reads and writes, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = ReportRepository(session)
        self.units = AdminUnitRepository(session)

    # -- reading ---------------------------------------------------------------------------
    async def _report(self, rid: uuid.UUID, *, lock: bool = False) -> SituationReport:
        report = await self.repo.get(rid, lock=lock)
        if report is None or not self.principal.can_read(report.scope_path):
            raise NotFound("report not found", field="report_id")
        return report

    async def get(self, rid: uuid.UUID) -> ReportView:
        return await self._view(await self._report(rid))

    async def search(
        self, *, report_date: date | None, status: ReportStatus | None, limit: int, offset: int,
    ) -> tuple[list[ReportView], int]:
        rows, total = await self.repo.page(scope_path=self.principal.unit_path,
                                           report_date=report_date, status=status,
                                           limit=limit, offset=offset)
        return await self._views(rows), total

    async def _view(self, report: SituationReport) -> ReportView:
        return (await self._views([report]))[0]

    async def _views(self, reports: list[SituationReport]) -> list[ReportView]:
        """Submitted reports as snapshotted, drafts with their figures computed now; the
        proposals that cite them in one query."""
        proposals = await ProposalRepository(self.session).of_reports([r.id for r in reports])
        views = []
        for report in reports:
            stored = stored_figures(report)
            figures = stored if stored is not None else await self.figures_of(
                report.unit_code, report.scope_path, report.report_date)
            deadline = deadline_of(report.report_date)
            late = report.submitted_at is not None and report.submitted_at > deadline
            views.append(ReportView(report, figures, stored is None, deadline, late,
                                    proposals[report.id]))
        return views

    async def figures_of(self, unit_code: str, scope_path: str, day: date) -> ReportFigures:
        """A commune's live figures of the day; a higher unit's sum of submitted reports."""
        if scope_path.count(".") < 3:
            children = await self.repo.of_children(unit_code, day)
            parts = [f for *_, r in children
                     if r is not None and (f := stored_figures(r)) is not None]
            return sum_figures(parts, expected=len(children))
        start, end = day_window(day)
        counts = await self.repo.day_counts(scope_path, start, end)
        states = await station_stock_states(self.session, scope_path=scope_path)
        at_risk = dict.fromkeys(KEY_ITEMS, 0)
        for per_item in states.values():
            for item, state in per_item.items():
                if state in ("low", "out") and item in at_risk:
                    at_risk[item] += 1
        return ReportFigures(
            f0_under_care=counts[0], new_today=counts[1], recovered_today=counts[2],
            transferred_today=counts[3], died_today=counts[4], unresolved_alerts=counts[5],
            stations_by_status=await self.repo.stations_by_status(scope_path),
            stock_at_risk=at_risk,
        )

    async def overview(self, unit_code: str | None, day: date | None) -> ReportOverview:
        """Who below a unit has reported the day, who is late or missing, and the sum of
        what was submitted."""
        code = unit_code or self.principal.unit_code
        unit = await self.units.get(code)
        if unit is None or not self.principal.can_read(unit.path):
            raise NotFound(f"no administrative unit with code {code!r}", field="unit")
        day = day or local_today()
        deadline = deadline_of(day)
        past = datetime.now(UTC) > deadline
        statuses: list[UnitReportStatus] = []
        parts: list[ReportFigures] = []
        children = await self.repo.of_children(unit.code, day)
        for child_code, name, _, report in children:
            submitted = report is not None and report.status is ReportStatus.submitted
            if report is None:
                state = "missing"
            elif not submitted:
                state = "draft"
            else:
                assert report.submitted_at is not None
                state = "late" if report.submitted_at > deadline else "submitted"
                if (f := stored_figures(report)) is not None:
                    parts.append(f)
            statuses.append(UnitReportStatus(
                code=child_code, name=name, state=state, overdue=past and not submitted,
                report_id=report.id if report else None,
                submitted_at=report.submitted_at if report else None,
            ))
        return ReportOverview(unit, day, deadline, statuses,
                              sum_figures(parts, expected=len(children)))

    # -- writing ---------------------------------------------------------------------------
    def _require_reporter(self, scope_path: str) -> None:
        """Only the unit's own reporters write its report (no level does another's job)."""
        self.principal.require_read(scope_path, "report")
        if self.principal.unit_path != scope_path or not is_reporter(self.principal):
            raise Forbidden(f"a {self.principal.role.value} of {self.principal.unit_code} "
                            "may not write this unit's report", field="report_id")

    async def open_draft(
        self, *, report_date: date | None = None, notes: str | None = None,
        rid: uuid.UUID | None = None,
    ) -> ReportView:
        """Open the caller's unit's report of a day (today by default) as a draft."""
        p = self.principal
        day = report_date or local_today()
        if p.unit_level == 0:
            raise ValidationFailed("the national level reports to no one", field="report_date")
        self._require_reporter(p.unit_path)
        if day > local_today() + timedelta(days=1) or day < local_today() - timedelta(days=31):
            raise ValidationFailed("a report is of today or a recent day", field="report_date")
        expected = report_id(p.unit_code, day)
        if rid is not None and rid != expected:
            raise ValidationFailed(
                f"the report of {p.unit_code} on {day} has id {expected}", field="id")
        if await self.repo.get(expected) is not None:
            raise Immutable(f"the report of {p.unit_code} on {day} is already open",
                            field="report_date")
        report = await self.repo.add(SituationReport(
            id=expected, unit_code=p.unit_code, scope_path=p.unit_path, report_date=day,
            status=ReportStatus.draft, notes=notes,
        ))
        return await self._view(report)

    async def edit(self, rid: uuid.UUID, changes: dict[str, Any]) -> SituationReport:
        """Change a draft's notes; hands back the row unflushed (the sync merge stamps it)."""
        report = await self._report(rid, lock=True)
        self._require_reporter(report.scope_path)
        unknown = set(changes) - {"notes"}
        if unknown:
            raise ValidationFailed("only the notes of a report are edited",
                                   field=sorted(unknown)[0])
        if report.status is ReportStatus.submitted:
            raise Immutable("the report was submitted: it no longer changes", field="notes")
        report.notes = changes.get("notes", report.notes)
        return report

    async def update_notes(self, rid: uuid.UUID, notes: str | None) -> ReportView:
        report = await self.edit(rid, {"notes": notes})
        await self.session.flush()
        return await self._view(report)

    async def submit(self, rid: uuid.UUID) -> ReportView:
        """Freeze the report: snapshot its figures, stamp who and when."""
        report = await self._report(rid, lock=True)
        self._require_reporter(report.scope_path)
        if report.status is ReportStatus.submitted:
            raise TransitionNotAllowed("the report was already submitted", field="status")
        figures = await self.figures_of(report.unit_code, report.scope_path, report.report_date)
        report.figures = msgspec.to_builtins(figures)
        report.status = ReportStatus.submitted
        report.submitted_at = datetime.now(UTC)
        report.submitted_by = self.principal.user_id
        await self.session.flush()
        return await self._view(report)

    async def move_to(self, rid: uuid.UUID, status: ReportStatus) -> None:
        """A state move asked by a tablet: only draft -> submitted exists."""
        if status is ReportStatus.submitted:
            await self.submit(rid)
            return
        report = await self._report(rid)
        self._require_reporter(report.scope_path)
        raise TransitionNotAllowed("a submitted report does not go back to draft",
                                   field="status")
