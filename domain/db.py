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
from typing import Any, cast

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError
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


class Driver:
    """The asyncpg connection under a session's transaction, raising SQLAlchemy's errors.

    For the statements a sync request pays on every call: through SQLAlchemy an ORM select
    costs about 200 µs of CPU and a text() statement about 90 µs on top of the round trip
    (about 100 µs on this machine); on the driver, with its prepared-statement cache, almost
    nothing. A failure is raised exactly as SQLAlchemy would raise it (``DBAPIError`` and its
    subclasses, the asyncpg error as the cause), so callers classify and retry one way.
    """

    __slots__ = ("_adapted", "_raw")

    def __init__(self, adapted: Any) -> None:
        self._adapted = adapted
        self._raw = adapted.driver_connection

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        try:
            return cast(list[Any], await self._raw.fetch(sql, *args))
        except Exception as error:
            raise self._translated(sql, args, error) from None

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        try:
            return await self._raw.fetchrow(sql, *args)
        except Exception as error:
            raise self._translated(sql, args, error) from None

    async def execute(self, sql: str, *args: Any) -> str:
        """The statement's status, e.g. ``UPDATE 3``."""
        try:
            return cast(str, await self._raw.execute(sql, *args))
        except Exception as error:
            raise self._translated(sql, args, error) from None

    def _translated(self, sql: str, args: tuple[Any, ...], error: Exception) -> Exception:
        dbapi = self._adapted.dbapi_connection
        try:
            dbapi._handle_exception(error)  # raises the DB-API error SQLAlchemy would see
        except Exception as translated:
            return cast(Exception, DBAPIError.instance(
                sql, args, translated, dbapi.dbapi.Error, hide_parameters=True))
        return error  # pragma: no cover - _handle_exception always raises


async def driver(session: AsyncSession) -> Driver:
    """The session's connection on the driver, its transaction begun first (so whatever runs
    there is part of it), and a savepoint the session has opened (``begin_nested``, which
    SQLAlchemy emits only when the connection is next asked for) emitted before the driver
    is used. Repositories and query modules use it; the SQL stays in them.

    Kept in ``session.info`` while the session stays in the same transaction and savepoint,
    which hold one connection: a request asks for it a dozen times."""
    sync = session.sync_session
    key = (sync.get_transaction(), sync.get_nested_transaction())
    cached = session.info.get("driver")
    if cached is not None and key[0] is not None and cached[0] == key:
        return cast(Driver, cached[1])
    conn = await session.connection()  # begins the transaction and emits a pending savepoint
    adapted: Any = await conn.get_raw_connection()
    if not adapted.driver_connection.is_in_transaction():
        await session.execute(text("SELECT 1"))  # SQLAlchemy begins its transaction lazily
    found = Driver(adapted)
    session.info["driver"] = ((sync.get_transaction(), sync.get_nested_transaction()), found)
    return found
