"""Daily situation reports: a unit opens, edits and submits its day's report; the level above
reads who reported and the sum of what was submitted."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody

from api.paging import Paging
from api.schemas.common import UnitCode
from api.schemas.reports import (
    Report,
    ReportCreate,
    ReportOverviewOut,
    ReportPage,
    ReportUpdate,
)
from api.services import service_dependency
from domain.models.report import ReportStatus
from domain.services.reports import ReportService

ReportId = Annotated[uuid.UUID, PathParameter()]


class ReportController(Controller):
    path = "/api/reports"
    tags = ["Chain: reports"]
    security = [{"BearerToken": []}]
    dependencies = {"reports": service_dependency(ReportService)}

    @get("/", operation_id="list_reports",
         summary="Situation reports in the caller's scope, newest day first")
    async def list_reports(
        self, reports: NamedDependency[ReportService], paging: NamedDependency[Paging],
        report_date: FromQuery[date | None] = None,
        status: FromQuery[ReportStatus | None] = None,
    ) -> ReportPage:
        views, total = await reports.search(report_date=report_date, status=status,
                                            limit=paging.limit, offset=paging.offset)
        return paging.page([Report.of(v) for v in views], total)

    @get("/overview", operation_id="get_report_overview",
         summary="Who below a unit reported the day (deadline 17:00 Asia/Ho_Chi_Minh), "
                 "and the sum of what was submitted")
    async def get_report_overview(
        self, reports: NamedDependency[ReportService], unit: UnitCode = None,
        report_date: FromQuery[date | None] = None,
    ) -> ReportOverviewOut:
        return ReportOverviewOut.of(await reports.overview(unit, report_date))

    @get("/{report_id:uuid}", operation_id="get_report", summary="One situation report")
    async def get_report(
        self, reports: NamedDependency[ReportService], report_id: ReportId,
    ) -> Report:
        return Report.of(await reports.get(report_id))

    @post("/", operation_id="create_report",
          summary="Open the caller's unit's report of a day as a draft")
    async def create_report(
        self, reports: NamedDependency[ReportService], data: RequestBody[ReportCreate],
    ) -> Report:
        return Report.of(await reports.open_draft(report_date=data.report_date,
                                                  notes=data.notes))

    @patch("/{report_id:uuid}", operation_id="update_report",
           summary="Change a draft's notes (a submitted report is frozen)")
    async def update_report(
        self, reports: NamedDependency[ReportService], report_id: ReportId,
        data: RequestBody[ReportUpdate],
    ) -> Report:
        return Report.of(await reports.update_notes(report_id, data.notes))

    @post("/{report_id:uuid}/submit", operation_id="submit_report", status_code=200,
          summary="Submit: the figures are snapshotted and the report is frozen")
    async def submit_report(
        self, reports: NamedDependency[ReportService], report_id: ReportId,
    ) -> Report:
        return Report.of(await reports.submit(report_id))
