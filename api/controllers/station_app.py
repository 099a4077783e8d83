"""The station tablet app at /station: its page and its service worker. The app's scripts and
the sync client are static files under /static (api/static/station, api/static/sync-client),
all vendored, so a tablet needs nothing from the internet."""

from __future__ import annotations

import functools

from litestar import MediaType, Response, get

from api.controllers.map import STATIC_DIR

APP_DIR = STATIC_DIR / "station"


@functools.cache
def _asset(name: str) -> str:
    """Read once per process: the files are part of the installed app."""
    return (APP_DIR / name).read_text(encoding="utf-8")


@get("/station", include_in_schema=False, media_type=MediaType.HTML, sync_to_thread=False)
def station_page() -> str:
    """The app's single page; everything else it loads is under /static."""
    return _asset("index.html")


@get("/station/sw.js", include_in_schema=False, sync_to_thread=False)
def station_service_worker() -> Response[str]:
    """The service worker controls /station although it lives under /station/: the header
    allows that scope, and no-cache makes a tablet check for a new version on every visit."""
    return Response(
        _asset("sw.js"), media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/station", "Cache-Control": "no-cache"},
    )
