"""Test database: a private PostgreSQL + PostGIS cluster in a temporary directory (or
TEST_DATABASE_URL), built by the real migrations once per session. Each test gets a
connection-level transaction that is rolled back at its end; tests that need real commits
(concurrency, the sync feed) use ``committed_db`` and clean up after themselves.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from domain import migrations
from domain.db import create_engine
from domain.settings import Settings
from scripts.pgcluster import PrivateCluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PrivateCluster | None]:
    if os.environ.get("TEST_DATABASE_URL"):
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="fieldops-test-"))
    root.chmod(0o755)  # the postgres user must reach its files when we are root
    cluster = PrivateCluster(root / "pg")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def standby_url(pg_cluster: PrivateCluster | None, database_url: str) -> Iterator[str]:
    """A hot standby of the suite's cluster (streaming replication), started on first use.

    It needs the suite's own cluster to copy: with TEST_DATABASE_URL the tests that ask for it
    are skipped.
    """
    if pg_cluster is None:
        pytest.skip("TEST_DATABASE_URL is set: no private cluster to start a standby of")
    standby = pg_cluster.start_standby(pg_cluster.root.parent / "standby")
    try:
        yield standby.url()
    finally:
        standby.stop()


@pytest.fixture(scope="session")
def database_url(pg_cluster: PrivateCluster | None) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or pg_cluster.url()  # type: ignore[union-attr]
    migrations.upgrade(url)
    from domain.services.admin_units import load_admin_units

    asyncio.run(load_admin_units(url))
    return url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings.from_env({}, database_url=database_url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url, pool_size=20)
    yield eng
    await eng.dispose()


@pytest.fixture
async def db_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        trans = await conn.begin()
        try:
            yield conn
        finally:
            if trans.is_active:
                await trans.rollback()


@pytest.fixture
def session_maker(db_connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=db_connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )


@pytest.fixture
async def db_session(
    session_maker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with session_maker() as session:
        yield session


@pytest.fixture
async def app(
    settings: Settings, engine: AsyncEngine, session_maker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Litestar]:
    app = create_app(settings, engine=engine, session_maker=session_maker)
    yield app
    await app.state.server_clock.aclose()  # ASGITransport runs no lifespan


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncClient]:
    """Requests run in the test's own event loop, on the test's rolled-back connection."""
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def committed_app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Litestar]:
    """An app whose requests really commit, for concurrency tests; tables are emptied after."""
    app = create_app(settings, engine=engine)
    yield app
    await app.state.server_clock.aclose()  # ASGITransport runs no lifespan
    await truncate_operational_tables(engine)


@pytest.fixture
async def committed_client(committed_app: Litestar) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(
        transport=ASGITransport(app=committed_app), base_url="http://testserver"
    ) as c:
        yield c


async def truncate_operational_tables(engine: AsyncEngine) -> None:
    """Empty every table but the reference hierarchy, Alembic's bookkeeping and the server
    clock (which must never go back)."""
    async with engine.begin() as conn:
        rows = await conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('admin_unit', 'alembic_version', 'spatial_ref_sys', "
                "'sync_clock')"
            )
        )
        tables = [r[0] for r in rows]
        if tables:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))


# -- people and tokens ---------------------------------------------------------------------
_TEST_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Hash once: argon2 is slow on purpose, and tests create many users."""
    from domain.passwords import hash_password

    return hash_password(_TEST_PASSWORD)


@pytest.fixture
def make_user(db_session: AsyncSession, password_hash: str, settings: Settings):  # type: ignore[no-untyped-def]
    """Create a user in a unit; returns (user, headers with a bearer token)."""
    import uuid as _uuid

    from api.auth import issue_token
    from domain.models.enums import Role
    from domain.services.users import UserService

    async def factory(
        role: Role | str, unit_code: str, *, station_id: _uuid.UUID | None = None,
        username: str | None = None,
    ) -> tuple[object, dict[str, str]]:
        role = Role(role)
        user = await UserService(db_session).create(
            username=username or f"{role.value}-{unit_code}-{_uuid.uuid4().hex[:6]}",
            password=_TEST_PASSWORD, full_name=f"Test {role.value}", role=role,
            unit_code=unit_code, station_id=station_id, password_hash=password_hash,
        )
        await db_session.commit()
        token, _ = issue_token(settings, user.id, role.value)
        return user, {"Authorization": f"Bearer {token}"}

    return factory
