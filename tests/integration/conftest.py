"""A real HTTP server (uvicorn on 127.0.0.1, a free port) on a database of its own, for the
tests that need a real socket: event streams, and schemathesis over the whole API. The server
commits for real, so it never shares the rolled-back test database."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from api.app import create_app
from api.auth import issue_token
from api.live import stop_live
from domain import migrations
from domain.admin_dataset import NATIONAL_CODE
from domain.db import create_engine, create_session_maker
from domain.models.enums import Role
from domain.models.station import Station
from domain.repositories.admin_units import AdminUnitRepository
from domain.services.devices import DeviceService
from domain.services.users import UserService
from domain.settings import Settings

LIVE_DB = "fieldops_live_api"
WARD = "26734"  # Phường Tân Định, Quận 1


@dataclass(frozen=True)
class LiveApi:
    base_url: str
    database_url: str
    settings: Settings
    admin_id: uuid.UUID
    admin_headers: dict[str, str]
    device_headers: dict[str, str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _admin_sql(url: str, sql: str) -> None:
    eng = create_async_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with eng.connect() as conn:
        await conn.execute(text(sql))
    await eng.dispose()


async def _create_callers(url: str, password_hash: str) -> tuple[uuid.UUID, str]:
    """A national administrator, and a tablet enrolled at a station of Tân Định ward."""
    engine = create_engine(url)
    try:
        async with create_session_maker(engine)() as s:
            admin = await UserService(s).create(
                username="live.admin", password="unused", full_name="Live admin",
                role=Role.administrator, unit_code=NATIONAL_CODE, password_hash=password_hash,
            )
            unit = await AdminUnitRepository(s).get(WARD)
            assert unit is not None
            station = Station(code="LIVE-1", name="Trạm y tế lưu động", commune_code=WARD,
                              scope_path=unit.path, status="active",
                              position=f"SRID=4326;POINT({unit.lon} {unit.lat})")
            s.add(station)
            await s.flush()
            officer = await UserService(s).create(
                username="live.officer", password="unused", full_name="Live officer",
                role=Role.commune_officer, unit_code=WARD, password_hash=password_hash,
            )
            principal = await UserService(s).principal(officer.id)
            assert principal is not None
            _, device_token = await DeviceService(s, principal).enroll(
                name="tablet", station_id=station.id
            )
            await s.commit()
            return admin.id, device_token
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def live_api(database_url: str, settings: Settings, password_hash: str) -> Iterator[LiveApi]:
    asyncio.run(_admin_sql(database_url, f'DROP DATABASE IF EXISTS "{LIVE_DB}" WITH (FORCE)'))
    asyncio.run(_admin_sql(database_url, f'CREATE DATABASE "{LIVE_DB}"'))
    url = make_url(database_url).set(database=LIVE_DB).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        from domain.services.admin_units import load_admin_units

        asyncio.run(load_admin_units(url))
        admin_id, device_token = asyncio.run(_create_callers(url, password_hash))
        live_settings = dataclasses.replace(settings, database_url=url)
        app = create_app(live_settings)
        app.on_shutdown.append(stop_live)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2,
        ))
        thread = threading.Thread(target=server.run, name="live-api-uvicorn", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the live test server did not start")
            time.sleep(0.05)
        token, _ = issue_token(live_settings, admin_id, Role.administrator.value)
        try:
            yield LiveApi(
                base_url=f"http://127.0.0.1:{port}", database_url=url, settings=live_settings,
                admin_id=admin_id, admin_headers={"Authorization": f"Bearer {token}"},
                device_headers={"Authorization": f"Bearer {device_token}"},
            )
        finally:
            server.should_exit = True
            thread.join(timeout=15)
    finally:
        asyncio.run(_admin_sql(database_url, f'DROP DATABASE IF EXISTS "{LIVE_DB}" WITH (FORCE)'))
