"""domain/db.py: a pooled connection that died while idle is replaced, not handed out."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from domain.db import ping_when_idle


async def test_a_connection_killed_while_idle_is_replaced_at_checkout(database_url: str) -> None:
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_s=0.0)  # every checkout counts as idle
    killer = create_async_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with killer.connect() as k:
            await k.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": first})
        async with engine.connect() as conn:  # the dead one is noticed and a new one made
            second = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await engine.dispose()
        await killer.dispose()

