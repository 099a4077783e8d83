"""Coverage of the chain: per province and district, communes connected, reported today and
acknowledged the latest directive; JSON, or CSV for spreadsheets."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from api.controllers.dashboard import JsonOrCsvOperation
from api.csv_export import CSV_MEDIA_TYPE as CSV
from api.csv_export import csv_response
from api.schemas.chain_coverage import ChainCoverageOut, coverage_table
from api.schemas.common import UnitCode
from api.services import service_dependency
from domain.services.chain_coverage import ChainCoverage, ChainCoverageService


def _csv(coverage: ChainCoverage) -> Response[Any]:
    filename = f"chain-coverage-{coverage.unit.code}-{coverage.generated_at:%Y%m%dT%H%M}.csv"
    return csv_response(filename, *coverage_table(coverage))


class ChainCoverageController(Controller):
    path = "/api"
    tags = ["Chain: coverage"]
    security = [{"BearerToken": []}]
    dependencies = {"coverage": service_dependency(ChainCoverageService)}

    @get("/chain-coverage", operation_id="get_chain_coverage",
         summary="Per province and district: communes connected (a device synced in the last "
                 "24 h), reported today, acknowledged the latest directive",
         description="`format=csv` returns the same table as /api/chain-coverage.csv.",
         operation_class=JsonOrCsvOperation)
    async def get_chain_coverage(
        self, coverage: NamedDependency[ChainCoverageService], unit: UnitCode = None,
        format: FromQuery[Literal["json", "csv"]] = "json",
    ) -> Response[ChainCoverageOut | str]:
        table = await coverage.table(unit)
        if format == "csv":
            return _csv(table)
        return Response(ChainCoverageOut.of(table))

    @get("/chain-coverage.csv", operation_id="get_chain_coverage_csv", media_type=CSV,
         summary="The chain coverage as CSV: the unit's total, then each province and district")
    async def get_chain_coverage_csv(
        self, coverage: NamedDependency[ChainCoverageService], unit: UnitCode = None,
    ) -> Response[str]:
        return _csv(await coverage.table(unit))
