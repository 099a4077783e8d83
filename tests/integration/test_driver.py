"""domain/db.py's ``driver``: statements on the asyncpg connection are the session's own.

When the driver is the first thing a session uses, it has SQLAlchemy begin the transaction
first; the session's commit and rollback must end exactly that transaction, and the
connection must go back to the pool outside any.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from domain.db import create_session_maker, driver


async def _exists(engine: AsyncEngine, table: str) -> bool:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"),
                                   {"t": table})).scalar_one()


async def test_the_driver_first_runs_in_the_session_transaction(engine: AsyncEngine) -> None:
    async with create_session_maker(engine)() as session:
        first = await (await driver(session)).fetchrow("SELECT pg_current_xact_id()::text")
        later = (await session.execute(text("SELECT pg_current_xact_id()::text"))).scalar_one()
        assert first[0] == later  # one transaction, begun before the driver's statement
        await session.rollback()


async def test_rollback_and_commit_end_what_ran_on_the_driver(engine: AsyncEngine) -> None:
    table = f"driver_probe_{uuid.uuid4().hex[:8]}"
    maker = create_session_maker(engine)
    async with maker() as session:
        await (await driver(session)).execute(f"CREATE TABLE {table} (x int)")
        await session.rollback()
    assert not await _exists(engine, table)
    async with maker() as session:
        await (await driver(session)).execute(f"CREATE TABLE {table} (x int)")
        await session.commit()
    try:
        assert await _exists(engine, table)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {table}"))


async def test_a_pooled_connection_comes_back_outside_a_transaction(database_url: str) -> None:
    one = create_async_engine(database_url, pool_size=1, max_overflow=0)  # one connection
    maker = create_session_maker(one)
    try:
        for end in ("commit", "rollback", "close"):
            async with maker() as session:
                used = (await (await driver(session)).fetchrow("SELECT pg_backend_pid()"))[0]
                if end != "close":
                    await getattr(session, end)()
            async with one.connect() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                assert raw is not None and not raw.is_in_transaction(), end
                assert (await raw.fetchval("SELECT pg_backend_pid()")) == used, end
    finally:
        await one.dispose()
