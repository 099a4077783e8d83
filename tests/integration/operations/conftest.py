"""A small committed world shared by the operations tests, built once for the package.

Two districts of Ho Chi Minh City and a ward of Hanoi, each with stations, teams and cases,
and one person for every role at the levels that matter. Tests act through ``client``, whose
requests run in a rolled-back transaction, so the world stays as built.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.auth import issue_token
from domain.db import create_session_maker
from domain.geo import point_wkt
from domain.models.case import F0Case
from domain.models.enums import CaseStatus, RiskGroup, Role, Sex, StationStatus, TestType
from domain.models.station import CareTeam, CareTeamMember, Station
from domain.models.supply import LocationKind, MovementKind, StockLocation
from domain.models.user import User
from domain.repositories.catalog import CatalogRepository
from domain.services.catalog import ensure_standard_catalog, item_id, lot_id
from domain.services.stock import Entry, StockLedger
from domain.settings import Settings
from tests.conftest import truncate_operational_tables

# ward code, path, a point inside its box
WARDS = {
    "A": ("26734", "VN.79.760.26734", (106.6903, 10.7923)),   # Tân Định, District 1
    "A2": ("26737", "VN.79.760.26737", (106.6990, 10.7883)),  # Đa Kao, District 1
    "B": ("27139", "VN.79.770.27139", (106.6896, 10.7831)),   # Võ Thị Sáu, District 3
    "H": ("00004", "VN.01.001.00004", (105.8432, 21.0454)),   # Trúc Bạch, Hanoi
}
# station key -> ward key; "A_2nd" is a second station in ward A
STATIONS = {"A": "A", "A_2nd": "A", "A2": "A2", "B": "B", "H": "H"}


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role
    unit_path: str
    user_id: uuid.UUID
    headers: dict[str, str]


@dataclass
class World:
    stations: dict[str, uuid.UUID] = field(default_factory=dict)
    teams: dict[str, uuid.UUID] = field(default_factory=dict)
    cases: dict[str, uuid.UUID] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)


# actor name -> (role, unit code, station key or None)
ACTORS: dict[str, tuple[Role, str, str | None]] = {
    "staff_A": (Role.station_staff, "26734", "A"),
    "team_A": (Role.care_team_member, "26734", "A"),
    "doctor_A": (Role.doctor, "26734", "A"),
    "officer_A": (Role.commune_officer, "26734", None),
    "officer_B": (Role.commune_officer, "27139", None),
    "doctor_760": (Role.doctor, "760", None),
    "logistics_760": (Role.district_logistics, "760", None),
    "logistics_770": (Role.district_logistics, "770", None),
    "coordinator_79": (Role.city_coordinator, "79", None),
    "observer": (Role.national_observer, "VN", None),
    "admin_79": (Role.administrator, "79", None),
}


def _path_of(unit_code: str) -> str:
    for code, path, _ in WARDS.values():
        if code == unit_code:
            return path
    return {"760": "VN.79.760", "770": "VN.79.770", "79": "VN.79", "VN": "VN"}[unit_code]


@pytest.fixture(scope="package")
async def world(
    engine: AsyncEngine, settings: Settings, password_hash: str
) -> AsyncIterator[World]:
    w = World()
    async with create_session_maker(engine)() as session:
        await _build(session, w, settings, password_hash)
        await session.commit()
    yield w
    await truncate_operational_tables(engine)


async def _build(session: AsyncSession, w: World, settings: Settings, password_hash: str) -> None:
    for key, ward_key in STATIONS.items():
        code, path, (lon, lat) = WARDS[ward_key]
        station = Station(id=uuid.uuid4(), code=f"T-{key}", name=f"Station {key}",
                          commune_code=code, scope_path=path, position=point_wkt(lon, lat),
                          status=StationStatus.active, capacity=60)
        team = CareTeam(id=uuid.uuid4(), station_id=station.id, commune_code=code,
                        scope_path=path, name=f"Team {key}")
        session.add(station)
        await session.flush()
        session.add(team)
        w.stations[key], w.teams[key] = station.id, team.id
    await session.flush()
    # case key -> station key (its team is that station's team); "A_noteam" has no team
    for key, station_key in {"A": "A", "A_2nd": "A_2nd", "A_noteam": "A", "A2": "A2",
                             "B": "B", "H": "H"}.items():
        code, path, (lon, lat) = WARDS[STATIONS[station_key]]
        case = F0Case(
            id=uuid.uuid4(), case_code=f"TEST-{key}", station_id=w.stations[station_key],
            team_id=None if key == "A_noteam" else w.teams[station_key], commune_code=code,
            scope_path=path, full_name="Nguyễn Văn An", year_of_birth=1980, sex=Sex.male,
            phone="0901234567", address="1 Hai Bà Trưng", national_id="079080000001",
            home_position=point_wkt(lon, lat), test_date=date.today(),
            test_type=TestType.rapid_antigen, vaccine_doses=2, risk_group=RiskGroup.moderate,
            status=CaseStatus.home_monitoring,
        )
        session.add(case)
        w.cases[key] = case.id
    for name, (role, unit, station_key) in ACTORS.items():
        user = User(id=uuid.uuid4(), username=f"world.{name}", full_name=f"World {name}",
                    password_hash=password_hash, role=role, unit_code=unit,
                    unit_path=_path_of(unit),
                    station_id=w.stations[station_key] if station_key else None)
        session.add(user)
        token, _ = issue_token(settings, user.id, role.value)
        w.actors[name] = Actor(name, role, user.unit_path, user.id,
                               {"Authorization": f"Bearer {token}"})
    await session.flush()
    session.add(CareTeamMember(team_id=w.teams["A"], user_id=w.actors["team_A"].user_id))
    await session.flush()
    await _stock_bags(session, w)


async def _stock_bags(session: AsyncSession, w: World) -> None:
    """Each station keeps medicine bags: giving one issues it from the station's stock."""
    await ensure_standard_catalog(session)
    catalog, ledger = CatalogRepository(session), StockLedger(session)
    at = datetime.now(UTC) - timedelta(hours=1)
    for key, station_id in w.stations.items():
        code, path, _ = WARDS[STATIONS[key]]
        location = StockLocation(id=uuid.uuid4(), code=f"ST-T-{key}", name=f"Station {key}",
                                 kind=LocationKind.station, unit_code=code,
                                 station_id=station_id, scope_path=path)
        session.add(location)
        await session.flush()
        for bag in ("bag_a", "bag_b", "bag_c"):
            item = await catalog.item(item_id(bag))
            assert item is not None
            lot = await catalog.add_lot(lot_id=lot_id(item.id, f"W-{bag}"), item_id=item.id,
                                        lot_no=f"W-{bag}", expires_on=at.date() + timedelta(365))
            await ledger.append(
                Entry(id=uuid.uuid4(), location_id=location.id, item_id=item.id, lot_id=lot.id,
                      kind=MovementKind.receipt, quantity=50, occurred_at=at),
                location=location, item=item, offline=False, actor_id=None)


def now_iso(minutes: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def observe(
    client: AsyncClient, world: World, actor: str, case: str, value: float, *,
    kind: str = "spo2", **extra: Any,
) -> Response:
    """Record a reading of ``case`` as ``actor`` through the API."""
    body = {"kind": kind, "value": value, "measured_at": now_iso(), **extra}
    return await client.post(f"/api/cases/{world.cases[case]}/observations", json=body,
                             headers=world.actors[actor].headers)


async def alerts_of(client: AsyncClient, world: World, actor: str, case: str) -> list[Any]:
    """The alerts of ``case`` that ``actor`` sees on their worklist."""
    r = await client.get("/api/alerts", params={"case_id": str(world.cases[case])},
                         headers=world.actors[actor].headers)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])
