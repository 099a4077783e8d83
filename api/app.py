"""The Litestar application factory; nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api import (
    routes_chain,
    routes_map,
    routes_operations,
    routes_orders,
    routes_supplies,
    routes_sync,
)
from api.auth import provide_principal
from api.compression import compression_config
from api.controllers.admin_units import AdminUnitController
from api.controllers.auth import AuthController
from api.controllers.health import HealthController
from api.db import provide_session
from api.errors import EXCEPTION_HANDLERS
from api.feed_hub import stop_feed
from api.live import start_live, stop_live
from api.openapi_problems import document_problems
from api.paging import paging_dependency
from api.request import HardenedRequest, check_parameters, declared_query_parameters
from domain import migrations
from domain.db import create_engine, create_session_maker
from domain.replica import Replica
from domain.settings import Settings
from sync.clock import ServerClock

API_VERSION = "0.1.0"


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Field operations and offline sync",
        version=API_VERSION,
        description=(
            "Mobile health stations, F0 home care, supplies and the offline-first sync protocol "
            "used by station tablets. Errors are RFC 9457 problem+json."
        ),
        path="/schema",
        render_plugins=[SwaggerRenderPlugin(path="/")],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            }
        ),
    )


def replica_of(settings: Settings) -> Replica | None:
    """The hot standby that serves pulls, when DATABASE_REPLICA_URL names one (its pools
    connect on first use)."""
    if not settings.database_replica_url:
        return None
    return Replica(settings.database_replica_url, settings.database_url,
                   pool_size=settings.db_pool_size, wait_s=settings.replica_wait_ms / 1000)


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    session_maker: async_sessionmaker[AsyncSession] | None = None,
) -> Litestar:
    """Build the app; tests pass a session maker bound to a rolled-back outer transaction."""
    owns_engine = engine is None and session_maker is None

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        nonlocal engine
        if owns_engine:
            engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
            app.state.engine = engine
            app.state.session_maker = create_session_maker(engine)
            await start_live(app)
        try:
            yield
        finally:
            await stop_live(app)
            await stop_feed(app)
            await app.state.server_clock.aclose()
            if (replica := app.state.get("replica")) is not None:
                await replica.aclose()
            if (verifier := app.state.get("password_verifier")) is not None:
                verifier.close()
            if owns_engine and engine is not None:
                await engine.dispose()

    app = Litestar(
        route_handlers=[
            HealthController,
            AdminUnitController,
            AuthController,
            *routes_operations.HANDLERS,
            *routes_supplies.HANDLERS,
            *routes_sync.HANDLERS,
            *routes_map.HANDLERS,
            *routes_orders.HANDLERS,
            *routes_chain.HANDLERS,
        ],
        dependencies={
            "db_session": Provide(provide_session),
            "principal": Provide(provide_principal),
            "paging": paging_dependency(),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=HardenedRequest,
        before_request=check_parameters,
        openapi_config=openapi_config(),
        compression_config=compression_config(),
        lifespan=[lifespan],
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )
    document_problems(app)
    app.state.query_parameters = declared_query_parameters(app)
    app.state.settings = settings
    # Its own small AUTOCOMMIT engine (connected on first use), even when the app is given a
    # session maker: the clock must never ride in a request's transaction (sync/clock.py).
    app.state.server_clock = ServerClock(settings.database_url)
    app.state.migration_heads = migrations.heads()
    # Pulls read from the standby once it has caught up with the primary (domain/replica.py).
    app.state.replica = replica_of(settings)
    if not owns_engine:
        app.state.engine = engine
        app.state.session_maker = session_maker or create_session_maker(engine)  # type: ignore[arg-type]
    return app
