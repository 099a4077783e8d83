"""The migrations build exactly the models' schema, and go down and up again cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from domain import migrations
from domain.base import Base
from scripts.pgcluster import PrivateCluster

MIGRATION_DB = "fieldops_migrations_test"


@pytest.fixture(scope="module")
def scratch_url(database_url: str, pg_cluster: PrivateCluster | None) -> Iterator[str]:
    """A database of its own, so going down to base leaves the shared test database alone."""
    url = make_url(database_url)
    admin = url.set(database="postgres")

    async def run(sql: str) -> None:
        eng = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        async with eng.connect() as conn:
            await conn.execute(text(sql))
        await eng.dispose()

    asyncio.run(run(f'DROP DATABASE IF EXISTS "{MIGRATION_DB}"'))
    asyncio.run(run(f'CREATE DATABASE "{MIGRATION_DB}"'))
    yield url.set(database=MIGRATION_DB).render_as_string(hide_password=False)
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{MIGRATION_DB}" WITH (FORCE)'))


def _diff(url: str) -> list[object]:
    def compare(conn: Connection) -> list[object]:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": migrations.include_object,
            },
        )
        return list(compare_metadata(ctx, Base.metadata))

    async def run() -> list[object]:
        eng = create_async_engine(url)
        async with eng.connect() as conn:
            result = await conn.run_sync(compare)
        await eng.dispose()
        return result

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    async def run() -> set[str]:
        eng = create_async_engine(url)
        async with eng.connect() as conn:
            rows = await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            names = {r[0] for r in rows}
        await eng.dispose()
        return names

    return asyncio.run(run())


def test_upgrade_matches_models_then_down_and_up_again(scratch_url: str) -> None:
    migrations.upgrade(scratch_url)
    assert _diff(scratch_url) == [], "models and migrations disagree: write a migration"
    model_tables = set(Base.metadata.tables)
    assert model_tables <= _tables(scratch_url)

    migrations.downgrade(scratch_url, "base")
    leftover = _tables(scratch_url) - {"alembic_version", "spatial_ref_sys"}
    assert leftover == set(), f"downgrade left tables behind: {leftover}"

    migrations.upgrade(scratch_url)
    assert _diff(scratch_url) == []
