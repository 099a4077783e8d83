"""Route handlers of the map area, registered by api/app.py."""

from __future__ import annotations

from typing import Any

from litestar.static_files import create_static_files_router

from api.controllers.dashboard import DashboardController
from api.controllers.map import STATIC_DIR, MapController, map_page
from api.controllers.nearest import NearestStationController
from api.controllers.station_app import station_page, station_service_worker

HANDLERS: list[Any] = [
    MapController,
    NearestStationController,
    DashboardController,
    map_page,
    # The station tablet app (its scripts and the sync client are under /static).
    station_page,
    station_service_worker,
    # The map page's own scripts and the vendored Leaflet: no CDN, works without internet.
    create_static_files_router(
        path="/static", directories=[STATIC_DIR], include_in_schema=False, name="static"
    ),
]
