"""Dashboards for district and city leaders: a unit rolled up with each of its children."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Operation
from litestar.params import FromQuery, QueryParameter

from api.csv_export import CSV_MEDIA_TYPE as CSV
from api.csv_export import csv_response
from api.schemas.dashboard import DashboardOut, dashboard_table
from api.services import service_dependency
from domain.services.dashboard import Dashboard, DashboardService

UnitCode = Annotated[
    str | None,
    QueryParameter(max_length=8, pattern=r"^[0-9A-Z]+$", description="unit code; default: yours"),
]


def _csv(dashboard: Dashboard) -> Response[Any]:  # Any: also the JSON-or-CSV answer
    filename = f"dashboard-{dashboard.unit.code}-{dashboard.generated_at:%Y%m%dT%H%M}.csv"
    return csv_response(filename, *dashboard_table(dashboard))


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
    dependencies = {"dashboards": service_dependency(DashboardService)}

    @get(
        "/dashboard",
        operation_id="get_dashboard",
        summary="A unit and its children: F0 by status and risk, alerts, stations, stock",
        description="`format=csv` returns the same figures as /api/dashboard.csv.",
        operation_class=JsonOrCsvOperation,
    )
    async def get_dashboard(
        self,
        dashboards: NamedDependency[DashboardService],
        unit: UnitCode = None,
        format: FromQuery[Literal["json", "csv"]] = "json",
    ) -> Response[DashboardOut | str]:
        dashboard = await dashboards.build(unit)
        if format == "csv":
            return _csv(dashboard)
        return Response(DashboardOut.of(dashboard))

    @get(
        "/dashboard.csv",
        operation_id="get_dashboard_csv",
        media_type=CSV,
        summary="The dashboard as CSV: the unit's row, then one row per child unit",
    )
    async def get_dashboard_csv(
        self,
        dashboards: NamedDependency[DashboardService],
        unit: UnitCode = None,
    ) -> Response[str]:
        dashboard = await dashboards.build(unit)
        return _csv(dashboard)
