"""Engine and session factories; built by the entry point from Settings, never at import.

A connection is pinged before use only when it has sat idle in the pool for a while
(``IDLE_PING_S``): SQLAlchemy's ``pool_pre_ping`` pings on every checkout, and with asyncpg a
ping is three round trips (BEGIN, an empty query, ROLLBACK), a fifth of the fixed cost of a
sync pull page. A connection used a moment ago is alive as surely as a pinged one is a moment
later; one idle long enough to have been dropped (a server restart, a proxy's idle timeout)
is still tested, and replaced when dead.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

IDLE_PING_S = 5.0


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"server_settings": {"application_name": "fieldops"}},
    )
    ping_when_idle(engine)
    return engine


def ping_when_idle(engine: AsyncEngine, idle_s: float = IDLE_PING_S) -> None:
    """Test a connection at checkout only if it was last checked in ``idle_s`` ago or more
    (or never): a dead one is discarded and the pool hands out another."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get("checked_in", 0.0) < idle_s:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:  # whatever the driver raises, the connection is unusable
            raise DisconnectionError("connection lost while idle in the pool") from exc

    @event.listens_for(pool, "checkin")
    def _checkin(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()


def create_session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
