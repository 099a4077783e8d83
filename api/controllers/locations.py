"""Stock-holding locations: warehouses, stations, F0 households holding lent devices."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody

from api.paging import Paging
from api.schemas.locations import Location, LocationCreate, LocationPage
from api.schemas.stock import Coverage
from api.services import service_dependency
from domain.models.supply import LocationKind
from domain.repositories.stock import StockLine
from domain.services.locations import LocationService
from domain.services.stock_views import StockViews

LocationId = Annotated[uuid.UUID, PathParameter()]


class LocationController(Controller):
    path = "/api/locations"
    tags = ["Supplies: locations"]
    security = [{"BearerToken": []}]
    dependencies = {
        "locations": service_dependency(LocationService),
        "views": service_dependency(StockViews),
    }

    @get("/", operation_id="list_locations", summary="Locations in the caller's scope")
    async def list_locations(
        self, locations: NamedDependency[LocationService],
        paging: NamedDependency[Paging],
        kind: FromQuery[LocationKind | None] = None,
        station_id: FromQuery[uuid.UUID | None] = None,
    ) -> LocationPage:
        rows, total = await locations.search(
            kind=kind, station_id=station_id, limit=paging.limit, offset=paging.offset
        )
        return paging.page([Location.of(r) for r in rows], total)

    @get("/{location_id:uuid}", operation_id="get_location", summary="One location")
    async def get_location(
        self, locations: NamedDependency[LocationService],
        location_id: LocationId,
    ) -> Location:
        return Location.of(await locations.get(location_id))

    @post("/", operation_id="create_location",
          summary="Set up a warehouse or a station's stock location")
    async def create_location(
        self, locations: NamedDependency[LocationService],
        data: RequestBody[LocationCreate],
    ) -> Location:
        return Location.of(await locations.create(
            kind=LocationKind(data.kind), unit_code=data.unit_code,
            station_id=data.station_id, name=data.name,
        ))

    @get("/{location_id:uuid}/stock", operation_id="get_location_stock",
         summary="Stock on hand per item with days of cover")
    async def get_location_stock(
        self, views: NamedDependency[StockViews],
        location_id: LocationId,
    ) -> list[Coverage]:
        rows = await views.coverage(location_id=location_id)
        return [Coverage.of(r) for r in rows]

    @get("/{location_id:uuid}/lots", operation_id="get_location_lots",
         summary="Stock on hand per item and lot")
    async def get_location_lots(
        self, views: NamedDependency[StockViews],
        location_id: LocationId,
    ) -> list[StockLine]:
        return await views.on_hand(location_id=location_id)
