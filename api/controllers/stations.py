"""Mobile health stations: read within scope, created and edited by the ward that runs them."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody
from sqlalchemy.ext.asyncio import AsyncSession

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
from domain.authz import Principal
from domain.models.enums import StationStatus
from domain.services import stations as service


class StationController(Controller):
    path = "/api/stations"
    tags = ["Stations"]
    security = [{"BearerToken": []}]

    @get(
        "/",
        operation_id="list_stations",
        summary="Stations in the caller's scope, filtered and paged",
        description="Filters combine; `bbox` is `min_lon,min_lat,max_lon,max_lat`.",
    )
    async def list_stations(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        paging: NamedDependency[Paging],
        province: ProvinceCode = None,
        district: DistrictCode = None,
        commune: CommuneCode = None,
        status: FromQuery[StationStatus | None] = None,
        bbox: BBox = None,
    ) -> StationPage:
        views, total = await service.list_stations(
            db_session, principal, province=province, district=district, commune=commune,
            status=status, bbox=parse_bbox(bbox), limit=paging.limit, offset=paging.offset,
        )
        return paging.page([Station.of(v) for v in views], total)

    @get("/{station_id:uuid}", operation_id="get_station", summary="One station")
    async def get_station(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        station_id: Annotated[uuid.UUID, PathParameter()],
    ) -> Station:
        return Station.of(await service.get_station(db_session, principal, station_id))

    @post("/", operation_id="create_station", summary="Open a station in the caller's commune")
    async def create_station(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        data: RequestBody[StationCreate],
    ) -> Station:
        fields = changes_of(data)
        fields["position"] = data.position.coordinates
        view = await service.create_station(db_session, principal, **fields)
        return Station.of(view)

    @patch(
        "/{station_id:uuid}",
        operation_id="update_station",
        summary="Change a station's details or status",
    )
    async def update_station(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        station_id: Annotated[uuid.UUID, PathParameter()],
        data: RequestBody[StationUpdate],
    ) -> Station:
        changes = changes_of(data)
        if data.position is not msgspec.UNSET:
            changes["position"] = data.position.coordinates
        return Station.of(await service.update_station(db_session, principal, station_id, changes))
