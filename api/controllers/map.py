"""The coordinator map: stations as GeoJSON, unit outlines, a station's panel, live events."""

from __future__ import annotations

import functools
import html
import uuid
from pathlib import Path
from typing import Annotated, Any, cast

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromQuery, PathParameter, QueryParameter
from litestar.response import ServerSentEvent
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import UNIT_LOCKS, principal_of_user, provide_principal, refuse
from api.compression import OWN_COMPRESSION, accepts_gzip, encoding_headers, gzipped
from api.live import LiveHub, live_hub
from api.schemas.common import UnitCode
from api.schemas.map import (
    StationFeature,
    StationFeatureCollection,
    StationPanel,
    StreamTicket,
    UnitOutlineCollection,
    UnitOutlineFeature,
)
from api.schemas.stations import BBox, parse_bbox
from api.services import service_dependency
from domain.authz import Principal
from domain.models.admin_unit import AdminLevel
from domain.models.enums import StationStatus
from domain.services.map import MapService
from domain.services.stream_tickets import (
    TICKET_TTL_S,
    issue_stream_ticket,
    redeem_stream_ticket,
)

GEOJSON = "application/geo+json"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]


async def provide_stream_principal(
    request: Request[Any, Any, Any],
    state: State,
    db_session: NamedDependency[AsyncSession],
    ticket: Annotated[
        str | None,
        QueryParameter(
            min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$",
            description=(
                "a single-use stream ticket from POST /api/map/stream-ticket (EventSource "
                "cannot send an Authorization header; the API token never goes in a URL)"
            ),
        ),
    ] = None,
) -> Principal:
    """The SSE endpoint takes a one-time ticket in the query string, or the usual header."""
    if ticket is None:
        return await provide_principal(request, state, db_session)
    user_id = await redeem_stream_ticket(db_session, ticket)
    if user_id is None:
        await refuse(db_session)
        raise NotAuthorizedException("the stream ticket is unknown, used or expired")
    return await principal_of_user(user_id, db_session)


class MapController(Controller):
    path = "/api/map"
    tags = ["Map"]
    security = BEARER
    dependencies = {"maps": service_dependency(MapService)}

    @get(
        "/stations",
        operation_id="list_map_stations",
        media_type=GEOJSON,
        opt={OWN_COMPRESSION: True},
        summary="Stations in scope as a GeoJSON FeatureCollection with load, alerts and stock",
        description=(
            "Load is active F0 cases (not recovered, deceased or hospitalized) over capacity. "
            "`attention` names why a station needs a look: open alerts, a key item out of "
            "stock, more active cases than capacity. Filters combine; `status` repeats."
        ),
    )
    async def list_map_stations(
        self,
        request: Request[Any, Any, Any],
        state: State,
        maps: NamedDependency[MapService],
        province: UnitCode = None,
        district: UnitCode = None,
        status: FromQuery[list[StationStatus] | None] = None,
        bbox: BBox = None,
    ) -> Response[StationFeatureCollection]:
        scope = await maps.scope_for(province=province, district=district)
        box = parse_bbox(bbox)
        gzip = accepts_gzip(request)
        hub: LiveHub | None = state.get("live_hub")
        if scope is not None and not status and box is None and hub is not None \
                and await hub.barrier():
            # the whole scope, from the features kept between requests (api/map_cache.py)
            body, compressed = await hub.cache.collection(scope, gzip=gzip)
        else:
            views = await maps.stations(scope, statuses=[s.value for s in status or ()],
                                        bbox=box)
            body = msgspec.json.encode(
                StationFeatureCollection(features=[StationFeature.of(v) for v in views]))
            small = gzipped(body) if gzip else None
            body, compressed = (small, True) if small is not None else (body, False)
        return cast(Response[StationFeatureCollection], Response(
            body, media_type=GEOJSON, headers=encoding_headers(compressed)))

    @get(
        "/stations/{station_id:uuid}",
        operation_id="get_map_station",
        summary="A station's map panel: staff, load, stock and pending requisitions",
    )
    async def get_map_station(
        self,
        maps: NamedDependency[MapService],
        station_id: Annotated[uuid.UUID, PathParameter(description="station id")],
    ) -> StationPanel:
        return StationPanel.of(await maps.detail(station_id))

    @get(
        "/units",
        operation_id="list_map_units",
        media_type=GEOJSON,
        summary="Outlines of administrative units in scope, for the map's base layer",
        description=(
            "The administrative dataset (units as of early 2025) has no boundaries: "
            "each outline is the unit's bounding box. "
            "`level` defaults to the level below the caller's unit; at most 1000 units."
        ),
    )
    async def list_map_units(
        self,
        maps: NamedDependency[MapService],
        level: FromQuery[AdminLevel | None] = None,
    ) -> UnitOutlineCollection:
        rows = await maps.outlines(level)
        return UnitOutlineCollection(features=[UnitOutlineFeature.of(r) for r in rows])

    @post(
        "/stream-ticket",
        operation_id="create_stream_ticket",
        status_code=201,
        opt={UNIT_LOCKS: False},
        summary="A single-use ticket, valid 60 seconds, for opening one map event stream",
    )
    async def create_stream_ticket(
        self, db_session: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> StreamTicket:
        ticket = await issue_stream_ticket(db_session, principal.user_id)
        return StreamTicket(ticket=ticket, expires_in=TICKET_TTL_S)

    @get(
        "/events",
        operation_id="stream_map_events",
        summary="Server-sent events: changed station features, within 2 seconds of a commit",
        description=(
            "Events: `ready` once connected; `stations` with a JSON array of changed station "
            "features (same shape as /api/map/stations); `resync` when changes may have been "
            "missed and the map should reload. Takes `?ticket=` (from POST "
            "/api/map/stream-ticket, valid 60 s for one stream) since EventSource cannot send "
            "headers."
        ),
        dependencies={"principal": Provide(provide_stream_principal)},
        media_type="text/event-stream",
    )
    async def stream_map_events(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> ServerSentEvent:
        hub = await live_hub(request.app)
        return ServerSentEvent(hub.stream(principal.unit_path))


@functools.cache
def _map_page_template() -> str:
    """Read once per process: the page is a fixed file of the installed app."""
    return (STATIC_DIR / "map" / "index.html").read_text(encoding="utf-8")


@get("/map", include_in_schema=False, media_type=MediaType.HTML, sync_to_thread=False)
def map_page(state: State) -> str:
    """The coordinator map; the tile server of online deployments is written into the page."""
    tile_url = html.escape(state.settings.tile_url or "", quote=True)
    return _map_page_template().replace("{{TILE_URL}}", tile_url)
