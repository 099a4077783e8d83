"""Dashboards for district and city leaders: a unit rolled up with each of its children."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Operation
from litestar.params import FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas.dashboard import DashboardOut, dashboard_csv
from domain.authz import Principal
from domain.services.dashboard import Dashboard, DashboardService

# Litestar appends "; charset=utf-8" to text types itself (it was sent twice).
CSV = "text/csv"
UnitCode = Annotated[
    str | None,
    QueryParameter(max_length=8, pattern=r"^[0-9A-Z]+$", description="unit code; default: yours"),
]


def _attachment(dashboard: Dashboard) -> dict[str, str]:
    filename = f"dashboard-{dashboard.unit.code}-{dashboard.generated_at:%Y%m%dT%H%M}.csv"
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@dataclass
class JsonOrCsvOperation(Operation):
    """The 200 answer is JSON, or CSV with ``?format=csv``: both are documented."""

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        schema["responses"]["200"].setdefault("content", {})[CSV] = {"schema": {"type": "string"}}
        return schema


class DashboardController(Controller):
    path = "/api"
    tags = ["Dashboard"]
    security = [{"BearerToken": []}]

    @get(
        "/dashboard",
        operation_id="get_dashboard",
        summary="A unit and its children: F0 by status and risk, alerts, stations, stock",
        description="`format=csv` returns the same figures as /api/dashboard.csv.",
        operation_class=JsonOrCsvOperation,
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
