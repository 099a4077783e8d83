"""Database upkeep after bulk loads."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def refresh_planner_statistics(engine: AsyncEngine) -> None:
    """VACUUM ANALYZE after a bulk load: fresh statistics and visibility maps make the map and
    feed queries index-only at once, instead of after autovacuum gets round to it."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
