"""A real HTTP server (uvicorn on 127.0.0.1, a free port) on a database of its own, for the
tests that need a real socket: event streams, and schemathesis over the whole API. The server
commits for real, so it never shares the rolled-back test database."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from api.app import create_app
from api.auth import issue_token
from domain.admin_dataset import NATIONAL_CODE
from domain.db import create_engine, create_session_maker
from domain.models.enums import Role
from domain.models.station import Station
from domain.repositories.admin_units import AdminUnitRepository
from domain.services.devices import DeviceService
from domain.services.users import UserService
from domain.settings import Settings
from tests.servers import fresh_database, serving

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
    with fresh_database(database_url, LIVE_DB) as url:
        admin_id, device_token = asyncio.run(_create_callers(url, password_hash))
        live_settings = dataclasses.replace(settings, database_url=url)
        token, _ = issue_token(live_settings, admin_id, Role.administrator.value)
        with serving(create_app(live_settings)) as base_url:
            yield LiveApi(
                base_url=base_url, database_url=url, settings=live_settings,
                admin_id=admin_id, admin_headers={"Authorization": f"Bearer {token}"},
                device_headers={"Authorization": f"Bearer {device_token}"},
            )
