"""Fixtures for the sync tests: committed stations, users and enrolled devices, and a raw
device that speaks the wire protocol (the reference client is exercised separately).

The feed only serves committed rows below the oldest running transaction, so these tests run
against ``committed_app`` (real commits, tables emptied afterwards), never the rolled-back
per-test transaction.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import issue_token
from domain.db import create_session_maker
from domain.models.enums import Role
from domain.models.station import Station
from domain.repositories.admin_units import AdminUnitRepository
from domain.services.devices import DeviceService
from domain.services.users import UserService
from domain.settings import Settings
from sync.hlc import HLC, HybridClock, system_ms
from sync.wire import JSON, MSGPACK, PROTOCOL_VERSION

# HLCs a test places in order: a few minutes before the test started, so older than the
# online edits it makes, yet not before its devices' enrolment less ``clock_skew_ms`` (the
# server would refuse ``clock_behind``). Reset per test, whichever module calls ``hlc``.
_HLC_BASE = [system_ms() - 4 * 60_000]


@pytest.fixture(autouse=True)
def _recent_hlc_base() -> None:
    _HLC_BASE[0] = system_ms() - 4 * 60_000


def hlc(offset_ms: int) -> str:
    """An HLC ``offset_ms`` after this test's base."""
    return HLC(_HLC_BASE[0] + offset_ms).format()

HOME = "26734"  # Phường Tân Định, Quận 1, Hồ Chí Minh
NEIGHBOUR = "26737"  # Phường Đa Kao, same district
ELSEWHERE = "26764"  # Phường Thạnh Xuân, Quận 12


@dataclass
class Member:
    id: uuid.UUID
    headers: dict[str, str]


@dataclass
class World:
    """Creates committed reference data for one test."""

    engine: AsyncEngine
    settings: Settings
    password_hash: str
    maker: Any = field(init=False)

    def __post_init__(self) -> None:
        self.maker = create_session_maker(self.engine)

    async def station(self, commune: str = HOME, *, status: str = "active") -> uuid.UUID:
        async with self.maker() as session:
            unit = await AdminUnitRepository(session).get(commune)
            assert unit is not None
            station = Station(
                code=f"S-{uuid.uuid4().hex[:8]}", name=f"Trạm y tế lưu động {commune}",
                commune_code=commune, scope_path=unit.path,
                position=f"SRID=4326;POINT({unit.lon} {unit.lat})", status=status,
            )
            session.add(station)
            await session.commit()
            return station.id

    async def user(
        self, role: Role | str, commune: str = HOME, *, station_id: uuid.UUID | None = None
    ) -> Member:
        role = Role(role)
        async with self.maker() as session:
            user = await UserService(session).create(
                username=f"{role.value}-{uuid.uuid4().hex[:8]}", password="unused-password",
                full_name=f"Test {role.value}", role=role, unit_code=commune,
                station_id=station_id, password_hash=self.password_hash,
            )
            await session.commit()
        token, _ = issue_token(self.settings, user.id, role.value)
        return Member(user.id, {"Authorization": f"Bearer {token}"})

    async def device(self, station_id: uuid.UUID, officer: Member) -> tuple[uuid.UUID, str]:
        async with self.maker() as session:
            principal = await UserService(session).principal(officer.id)
            assert principal is not None
            view, token = await DeviceService(session, principal).enroll(
                name="tablet", station_id=station_id
            )
            await session.commit()
        return view.device.id, token

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text(sql), params)


class RawDevice:
    """A device speaking the protocol by hand, so tests control every byte and HLC."""

    def __init__(
        self, http: httpx.AsyncClient, device_id: uuid.UUID, token: str, author: uuid.UUID
    ) -> None:
        self.http = http
        self.id = device_id
        self.token = token
        self.author = author
        self.clock = HybridClock()
        self.cursor: str | None = None
        self.rows: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}

    def mutation(
        self, entity: str, row_id: uuid.UUID, fields: dict[str, Any] | None = None, *,
        op: str = "upsert", hlc: str | None = None, author: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()), "entity": entity, "row_id": str(row_id), "op": op,
            "hlc": hlc or self.clock.now(), "author_id": str(author or self.author),
            "fields": fields or {},
        }

    async def post(
        self, path: str, body: dict[str, Any], *, fmt: str = JSON, compress: bool = False,
        token: str | None = None,
    ) -> httpx.Response:
        raw = msgspec.msgpack.encode(body) if fmt == MSGPACK else msgspec.json.encode(body)
        headers = {"Authorization": f"Bearer {token or self.token}", "Content-Type": fmt,
                   "Accept": fmt}
        if compress:
            raw = gzip.compress(raw)
            headers["Content-Encoding"] = "gzip"
        return await self.http.post(path, content=raw, headers=headers)

    async def push(self, *mutations: dict[str, Any], **kw: Any) -> httpx.Response:
        body = {"protocol": PROTOCOL_VERSION, "device_id": str(self.id),
                "mutations": list(mutations)}
        return await self.post("/sync/v1/push", body, **kw)

    async def push_ok(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        resp = await self.push(*mutations)
        assert resp.status_code == 200, resp.text
        results: list[dict[str, Any]] = resp.json()["results"]
        return results

    async def pull(self, cursor: str | None = None, limit: int = 500) -> dict[str, Any]:
        body = {"protocol": PROTOCOL_VERSION, "device_id": str(self.id), "cursor": cursor,
                "limit": limit}
        resp = await self.post("/sync/v1/pull", body)
        assert resp.status_code == 200, resp.text
        page: dict[str, Any] = resp.json()
        return page

    async def sync_down(self, limit: int = 500) -> int:
        """Pull until caught up, keeping a replica; returns the number of changes received."""
        received = 0
        while True:
            page = await self.pull(self.cursor, limit)
            if page["reset"]:
                self.rows.clear()
                self.cursor = None
                continue
            for c in page["changes"]:
                key = (c["entity"], uuid.UUID(c["row_id"]))
                if c["op"] == "delete":
                    self.rows.pop(key, None)
                else:
                    self.rows[key] = c["fields"]
            received += len(page["changes"])
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return received

    def of(self, entity: str) -> dict[uuid.UUID, dict[str, Any]]:
        return {r: f for (e, r), f in self.rows.items() if e == entity}


def new_case(station_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    """Fields of a device-created F0 case."""
    return {
        "station_id": str(station_id), "full_name": "Nguyễn Văn An", "year_of_birth": 1980,
        "sex": "male", "test_date": str(date(2021, 8, 2)), "test_type": "rapid_antigen",
        "phone": "0901234567", **extra,
    }


@dataclass
class Unit:
    """A station with its staff and an enrolled device, ready to sync."""

    station_id: uuid.UUID
    officer: Member
    staff: Member
    doctor: Member
    device: RawDevice


@pytest.fixture
async def world(
    committed_app: Litestar, engine: AsyncEngine, settings: Settings, password_hash: str
) -> World:
    return World(engine, settings, password_hash)


@pytest.fixture
async def http(committed_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=committed_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def make_unit(world: World, http: httpx.AsyncClient, commune: str = HOME) -> Unit:
    station_id = await world.station(commune)
    officer = await world.user(Role.commune_officer, commune)
    staff = await world.user(Role.station_staff, commune, station_id=station_id)
    doctor = await world.user(Role.doctor, commune, station_id=station_id)
    device_id, token = await world.device(station_id, officer)
    return Unit(station_id, officer, staff, doctor, RawDevice(http, device_id, token, staff.id))


@pytest.fixture
async def unit(world: World, http: httpx.AsyncClient) -> Unit:
    return await make_unit(world, http)
