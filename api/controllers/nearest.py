"""Nearest stations to a point: where to send a patient or a delivery."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.schemas.map import StationFeature, StationFeatureCollection
from api.services import service_dependency
from domain.services.map import MapService

GEOJSON = "application/geo+json"


class NearestStationController(Controller):
    # A path of its own beside the stations controller's `/{station_id}`: Litestar's router
    # prefers the static segment, so `/api/stations/nearest` never reads as a station id.
    path = "/api/stations/nearest"
    tags = ["Map"]
    security = [{"BearerToken": []}]
    dependencies = {"maps": service_dependency(MapService)}

    @get(
        "/",
        operation_id="list_nearest_stations",
        media_type=GEOJSON,
        summary="The k stations in scope nearest to a point, nearest first",
        description=(
            "Nearest-neighbour search on the stations' GiST index; each feature carries "
            "`distance_m`, the distance on the sphere in metres."
        ),
    )
    async def list_nearest_stations(
        self,
        maps: NamedDependency[MapService],
        lon: Annotated[float, QueryParameter(ge=-180, le=180, description="WGS84 longitude")],
        lat: Annotated[float, QueryParameter(ge=-90, le=90, description="WGS84 latitude")],
        k: Annotated[int, QueryParameter(ge=1, le=50, description="how many stations")] = 5,
    ) -> StationFeatureCollection:
        views = await maps.nearest(lon=lon, lat=lat, k=k)
        return StationFeatureCollection(features=[StationFeature.of(v) for v in views])
