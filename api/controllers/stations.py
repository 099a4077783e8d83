"""Mobile health stations: read within scope, created and edited by the ward that runs them."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody

from api.paging import Paging
from api.schemas.common import CommuneCode, DistrictCode, ProvinceCode
from api.schemas.stations import (
    BBox,
    Station,
    StationCreate,
    StationPage,
    StationUpdate,
    changes_of,
    parse_bbox,
)
from api.services import service_dependency
from domain.models.enums import StationStatus
from domain.services.stations import StationService


class StationController(Controller):
    path = "/api/stations"
    tags = ["Stations"]
    security = [{"BearerToken": []}]
    dependencies = {"stations": service_dependency(StationService)}

    @get(
        "/",
        operation_id="list_stations",
        summary="Stations in the caller's scope, filtered and paged",
        description="Filters combine; `bbox` is `min_lon,min_lat,max_lon,max_lat`.",
    )
    async def list_stations(
        self,
        stations: NamedDependency[StationService],
        paging: NamedDependency[Paging],
        province: ProvinceCode = None,
        district: DistrictCode = None,
        commune: CommuneCode = None,
        status: FromQuery[StationStatus | None] = None,
        bbox: BBox = None,
    ) -> StationPage:
        views, total = await stations.search(
            province=province, district=district, commune=commune,
            status=status, bbox=parse_bbox(bbox), limit=paging.limit, offset=paging.offset,
        )
        return paging.page([Station.of(v) for v in views], total)

    @get("/{station_id:uuid}", operation_id="get_station", summary="One station")
    async def get_station(
        self,
        stations: NamedDependency[StationService],
        station_id: Annotated[uuid.UUID, PathParameter()],
    ) -> Station:
        return Station.of(await stations.get(station_id))

    @post("/", operation_id="create_station", summary="Open a station in the caller's commune")
    async def create_station(
        self,
        stations: NamedDependency[StationService],
        data: RequestBody[StationCreate],
    ) -> Station:
        fields = changes_of(data)
        fields["position"] = data.position.coordinates
        view = await stations.create(**fields)
        return Station.of(view)

    @patch(
        "/{station_id:uuid}",
        operation_id="update_station",
        summary="Change a station's details or status",
    )
    async def update_station(
        self,
        stations: NamedDependency[StationService],
        station_id: Annotated[uuid.UUID, PathParameter()],
        data: RequestBody[StationUpdate],
    ) -> Station:
        changes = changes_of(data)
        if data.position is not msgspec.UNSET:
            changes["position"] = data.position.coordinates
        return Station.of(await stations.update(station_id, changes))
