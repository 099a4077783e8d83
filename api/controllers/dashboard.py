"""Dashboards for district and city leaders: a unit rolled up with each of its children."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas.dashboard import DashboardOut, dashboard_csv
from domain.authz import Principal
from domain.services.dashboard import Dashboard, DashboardService

CSV = "text/csv; charset=utf-8"
UnitCode = Annotated[
    str | None,
    QueryParameter(max_length=8, pattern=r"^[0-9A-Z]+$", description="unit code; default: yours"),
]


def _attachment(dashboard: Dashboard) -> dict[str, str]:
    filename = f"dashboard-{dashboard.unit.code}-{dashboard.generated_at:%Y%m%dT%H%M}.csv"
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


class DashboardController(Controller):
    path = "/api"
    tags = ["Dashboard"]
    security = [{"BearerToken": []}]

    @get(
        "/dashboard",
        operation_id="get_dashboard",
        summary="A unit and its children: F0 by status and risk, alerts, stations, stock",
        description="`format=csv` returns the same figures as /api/dashboard.csv.",
    )
    async def get_dashboard(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        unit: UnitCode = None,
        format: FromQuery[Literal["json", "csv"]] = "json",
    ) -> Response[DashboardOut | str]:
        dashboard = await DashboardService(db_session).build(principal, unit)
        if format == "csv":
            return Response(
                dashboard_csv(dashboard), media_type=CSV, headers=_attachment(dashboard)
            )
        return Response(DashboardOut.of(dashboard))

    @get(
        "/dashboard.csv",
        operation_id="get_dashboard_csv",
        media_type=CSV,
        summary="The dashboard as CSV: the unit's row, then one row per child unit",
    )
    async def get_dashboard_csv(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        unit: UnitCode = None,
    ) -> Response[str]:
        dashboard = await DashboardService(db_session).build(principal, unit)
        return Response(dashboard_csv(dashboard), media_type=CSV, headers=_attachment(dashboard))
