"""Stock: the ledger's movements, stock on hand and cover, discrepancies to reconcile."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter, RequestBody

from api.csv_export import csv_response
from api.paging import Paging, paging_dependency
from api.schemas.stock import (
    Coverage,
    CoveragePage,
    Discrepancy,
    DiscrepancyExplain,
    DiscrepancyResolve,
    DistrictStock,
    Movement,
    MovementCreate,
    MovementPage,
    StockPage,
)
from api.services import service_dependency
from domain.models.supply import DiscrepancyStatus, LocationKind, MovementKind
from domain.repositories.stock import StockLine
from domain.rules.expiry import NEAR_EXPIRY_DAYS
from domain.services.discrepancies import DiscrepancyService
from domain.services.stock import StockService
from domain.services.stock_views import StockViews


class StockController(Controller):
    path = "/api/stock"
    tags = ["Supplies: stock"]
    security = [{"BearerToken": []}]
    dependencies = {
        "paging": paging_dependency(default=500, maximum=5000),  # one line per lot
        "views": service_dependency(StockViews),
    }

    @get("/", operation_id="list_stock",
         summary="Stock on hand per location, item and lot in the caller's scope")
    async def list_stock(
        self, views: NamedDependency[StockViews],
        paging: NamedDependency[Paging],
        location_id: FromQuery[uuid.UUID | None] = None,
        item_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[LocationKind | None] = None,
    ) -> StockPage:
        rows, total = await views.on_hand_page(
            location_id=location_id, item_id=item_id, kind=kind, limit=paging.limit, offset=paging.offset
        )
        return paging.page(rows, total)

    @get("/export", operation_id="export_stock", summary="Stock on hand as CSV",
         media_type="text/csv")
    async def export_stock(
        self, views: NamedDependency[StockViews],
        kind: FromQuery[LocationKind | None] = None,
    ) -> Response[str]:
        rows = await views.on_hand(kind=kind)
        return csv_response(
            "stock.csv",
            ["location_code", "location_name", "location_kind", "item_code", "unit_of_issue",
             "lot_no", "expires_on", "quantity"],
            ([r.location_code, r.location_name, r.location_kind.value, r.item_code,
              r.unit_of_issue, r.lot_no, r.expires_on, r.quantity] for r in rows),
        )

    @get("/coverage", operation_id="list_stock_coverage",
         summary="Stock per location and item with days of cover and state",
         description="`low=true` keeps items below their station minimum, under 3 days of "
                     "cover, or out. Daily need is the larger of the last 7 days' use and the "
                     "open F0 caseload times the item's daily use per case.")
    async def list_stock_coverage(
        self, views: NamedDependency[StockViews],
        paging: NamedDependency[Paging],
        location_id: FromQuery[uuid.UUID | None] = None,
        item_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[LocationKind | None] = None, low: FromQuery[bool] = False,
    ) -> CoveragePage:
        rows, total = await views.coverage_page(
            location_id=location_id, item_id=item_id, kind=kind, low_only=low, limit=paging.limit,
            offset=paging.offset,
        )
        return paging.page([Coverage.of(r) for r in rows], total)

    @get("/expiring", operation_id="list_expiring_stock",
         summary="Lots in stock expiring soon (expired ones first)")
    async def list_expiring_stock(
        self, views: NamedDependency[StockViews],
        within_days: Annotated[int, QueryParameter(ge=0, le=365)] = NEAR_EXPIRY_DAYS,
    ) -> list[StockLine]:
        rows = await views.expiring(within_days)
        return rows

    @get("/districts/{code:str}", operation_id="get_district_stock",
         summary="A district's rollup: its warehouse and every station's stock and state")
    async def get_district_stock(
        self, views: NamedDependency[StockViews],
        code: Annotated[str, PathParameter(pattern=r"^[0-9]{3}$")],
    ) -> DistrictStock:
        return DistrictStock.of(await views.district_rollup(code))


class MovementController(Controller):
    path = "/api/stock-movements"
    tags = ["Supplies: stock"]
    security = [{"BearerToken": []}]
    dependencies = {
        "paging": paging_dependency(maximum=5000), "views": service_dependency(StockViews),
        "ledger": service_dependency(StockService),
    }

    @get("/", operation_id="list_stock_movements", summary="The ledger, newest first")
    async def list_stock_movements(
        self, views: NamedDependency[StockViews],
        paging: NamedDependency[Paging],
        location_id: FromQuery[uuid.UUID | None] = None,
        item_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[MovementKind | None] = None,
        since: FromQuery[datetime | None] = None,
    ) -> MovementPage:
        rows, total = await views.movements(
            location_id=location_id, item_id=item_id, kind=kind, since=since, limit=paging.limit,
            offset=paging.offset,
        )
        return paging.page([Movement.of(r) for r in rows], total)

    @post("/", operation_id="create_stock_movement",
          summary="Record a movement at a location the caller keeps",
          description="Refused with 409 `insufficient_stock` when it would take stock below "
                      "zero. Sending the same `id` again returns the recorded movement (200); "
                      "the same `id` with other content is a 409 conflict.")
    async def create_stock_movement(
        self, ledger: NamedDependency[StockService],
        data: RequestBody[MovementCreate],
    ) -> Response[Movement]:
        movement, created = await ledger.record_once(
            movement_id=data.id, location_id=data.location_id,
            item_id=data.item_id, lot_id=data.lot_id, kind=data.kind, quantity=data.quantity,
            occurred_at=data.occurred_at, reason=data.reason, case_id=data.case_id,
            serial_no=data.serial_no,
        )
        return Response(Movement.of(movement), status_code=201 if created else 200)


class DiscrepancyController(Controller):
    path = "/api/stock-discrepancies"
    tags = ["Supplies: stock"]
    security = [{"BearerToken": []}]
    dependencies = {
        "paging": paging_dependency(maximum=5000), "views": service_dependency(StockViews),
        "discrepancies": service_dependency(DiscrepancyService),
    }

    @get("/", operation_id="list_stock_discrepancies",
         summary="Stock that went below zero offline, or shipments that arrived short")
    async def list_stock_discrepancies(
        self, views: NamedDependency[StockViews],
        paging: NamedDependency[Paging],
        status: FromQuery[DiscrepancyStatus | None] = None,
    ) -> list[Discrepancy]:
        rows = await views.discrepancies(
            status=status, limit=paging.limit, offset=paging.offset
        )
        return [Discrepancy.of(d) for d in rows]

    @post("/{discrepancy_id:uuid}/explain", operation_id="explain_stock_discrepancy",
          summary="The keeper explains a discrepancy (it stays open)", status_code=200)
    async def explain_stock_discrepancy(
        self, discrepancies: NamedDependency[DiscrepancyService],
        discrepancy_id: Annotated[uuid.UUID, PathParameter()],
        data: RequestBody[DiscrepancyExplain],
    ) -> Discrepancy:
        return Discrepancy.of(await discrepancies.explain(discrepancy_id, data.explanation))

    @post("/{discrepancy_id:uuid}/resolve", operation_id="resolve_stock_discrepancy",
          summary="The level above closes a discrepancy: confirm, count or adjust",
          description="District logistics close those of their district's stations, the city "
                      "coordinator those of a district warehouse; the location's own keeper "
                      "gets 403 (they explain instead). `counted` books a physical count of "
                      "`quantity`, `adjusted` an adjustment of `quantity`, on the item and lot "
                      "of the discrepancy.",
          status_code=200)
    async def resolve_stock_discrepancy(
        self, discrepancies: NamedDependency[DiscrepancyService],
        discrepancy_id: Annotated[uuid.UUID, PathParameter()],
        data: RequestBody[DiscrepancyResolve],
    ) -> Discrepancy:
        found = await discrepancies.resolve(discrepancy_id, outcome=data.outcome,
                                            resolution=data.resolution, quantity=data.quantity)
        return Discrepancy.of(found)
