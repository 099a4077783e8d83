"""Liveness and readiness."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def test_health(client: AsyncClient) -> None:
    r = await client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_ready_when_migrations_are_at_head(client: AsyncClient) -> None:
    r = await client.get("/ready")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready"


async def test_not_ready_when_schema_is_behind(
    client: AsyncClient, db_session: AsyncSession
) -> None:
    await db_session.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    await db_session.commit()  # a savepoint: the outer test transaction is rolled back
    r = await client.get("/ready")
    assert r.status_code == 503
    assert r.json()["status"] == "migrations pending"
