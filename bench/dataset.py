"""The benchmarks' data: the full demo, a ward of 50,000 rows to bootstrap, a station whose
cases take pushed readings and edits, and devices enrolled straight into the database.

The bench wards are in Hà Nội (Ba Đình), so Hồ Chí Minh City, which the map and dashboard
benches read, holds exactly the demo. Everything is created once: a second run on the same
database (BENCH_DATABASE_URL) finds it by the station codes and reuses it.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import migrations
from domain.db import create_engine, create_session_maker
from domain.demo.operations import load_operations_demo
from domain.demo.supplies import load_supplies_demo
from domain.geo import point_wkt
from domain.models.device import Device
from domain.models.enums import CaseStatus, ObservationKind, Role, Sex, TestType
from domain.models.user import User
from domain.repositories.admin_units import AdminUnitRepository
from domain.repositories.care_teams import CareTeamRepository
from domain.repositories.cases import CaseRepository
from domain.repositories.observations import ObservationRepository
from domain.repositories.stations import StationRepository
from domain.rules.vitals import LOINC, UNITS
from domain.services.admin_units import AdminUnitService
from domain.services.devices import TOKEN_PREFIX, hash_token

PULL_WARD = "00001"  # Phường Phúc Xá, Quận Ba Đình, Hà Nội
PUSH_WARD = "00004"  # Phường Trúc Bạch, same district
NO_LOGIN = "!bench-account-without-login"
OPEN = ("home_monitoring", "needs_attention", "transfer_requested")


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL as asyncpg takes it (the private cluster's socket is a query arg)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def raw_connect(url: str) -> asyncpg.Connection:
    """A bare asyncpg connection: the baselines' access to the database."""
    return await asyncpg.connect(asyncpg_dsn(url))


async def settle(url: str) -> None:
    """Write back every dirty buffer (CHECKPOINT) before a timed round, outside its timing.

    Without it a round pays for the write-back of the round before it (a backend that finds
    no clean buffer writes one out itself), so whichever round follows the largest writer
    looks slower: MessagePack pushes, always timed right after the two COPY baselines, ran
    15-20% behind the same pushes in JSON in quick runs before rounds were settled.
    """
    conn = await raw_connect(url)
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


@dataclass(frozen=True, slots=True)
class BenchStation:
    """A bench station: its ward, the staff member who authors pushes, its open cases."""

    id: uuid.UUID
    ward_code: str
    scope_path: str
    staff_id: uuid.UUID
    case_ids: list[uuid.UUID]


@dataclass(frozen=True, slots=True)
class EnrolledDevice:
    id: uuid.UUID
    token: str
    station_id: uuid.UUID
    author_id: uuid.UUID


def prepare_demo(url: str) -> dict[str, float]:
    """Migrate, load units and the full demo (once), VACUUM ANALYZE; returns stage seconds."""
    t0 = time.monotonic()
    migrations.upgrade(url)
    times = {"migrate_s": time.monotonic() - t0}
    times.update(asyncio.run(_load_demo(url)))
    return times


async def _load_demo(url: str) -> dict[str, float]:
    engine = create_engine(url)
    times: dict[str, float] = {}
    try:
        async with create_session_maker(engine)() as session:
            t0 = time.monotonic()
            await AdminUnitService(session).load()
            await session.commit()
            times["admin_units_s"] = time.monotonic() - t0
            if not await StationRepository(session).count():
                t0 = time.monotonic()
                await load_operations_demo(session, stations=436, cases=20000, seed=2021)
                await load_supplies_demo(session, seed=2021)
                await session.commit()
                times["demo_s"] = time.monotonic() - t0
    finally:
        await engine.dispose()
    conn = await raw_connect(url)
    try:
        t0 = time.monotonic()
        await conn.execute("VACUUM ANALYZE")
        times["vacuum_analyze_s"] = time.monotonic() - t0
    finally:
        await conn.close()
    return times


async def bench_station(
    engine: AsyncEngine, *, ward_code: str, tag: str, cases: int, readings_per_case: int,
    seed: int = 8,
) -> BenchStation:
    """A station with a care team, staff, ``cases`` open cases and their week of readings.

    Every case has its enrolment event and team assignment, like the demo's.
    """
    code = f"BENCH-{tag}"
    maker = create_session_maker(engine)
    async with maker() as session:
        found = (await session.execute(text(
            "SELECT s.id, u.id FROM station s JOIN app_user u ON u.station_id = s.id "
            "AND u.role = 'station_staff' WHERE s.code = :code"), {"code": code})).first()
        if found is not None:
            return await _existing(engine, found[0], found[1], ward_code)
        unit = await AdminUnitRepository(session).get(ward_code)
        if unit is None:
            raise RuntimeError(f"administrative unit {ward_code} is not loaded")
        rng = random.Random(seed)
        station_id, staff_id, team_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        lon, lat = unit.lon, unit.lat
        await StationRepository(session).insert_many([{
            "id": station_id, "code": code, "name": f"Trạm đo hiệu năng {tag}",
            "commune_code": ward_code, "scope_path": unit.path, "status": "active",
            "position": point_wkt(lon, lat), "capacity": 1000, "doctors": 3, "nurses": 6,
            "volunteers": 10,
        }])
        session.add(User(id=staff_id, username=f"bench.{tag.lower()}.staff",
                         full_name=f"Bench staff {tag}", role=Role.station_staff,
                         unit_code=ward_code, unit_path=unit.path, station_id=station_id,
                         password_hash=NO_LOGIN))
        await session.flush()
        await CareTeamRepository(session).insert_many(
            [{"id": team_id, "station_id": station_id, "commune_code": ward_code,
              "scope_path": unit.path, "name": "Tổ chăm sóc 1"}],
            [{"team_id": team_id, "user_id": staff_id}])
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        case_ids: list[uuid.UUID] = []
        for start in range(0, cases, 1000):
            rows, events, assignments, readings = [], [], [], []
            for i in range(start, min(start + 1000, cases)):
                case_id = uuid.uuid4()
                case_ids.append(case_id)
                enrolled = today - timedelta(days=8, minutes=rng.randint(0, 600))
                rows.append({
                    "id": case_id, "case_code": f"{code}-{i:06d}", "station_id": station_id,
                    "team_id": team_id, "commune_code": ward_code, "scope_path": unit.path,
                    "full_name": f"Bệnh nhân {i}", "sex": rng.choice([Sex.male, Sex.female]),
                    "year_of_birth": rng.randint(1950, 2000),
                    "phone": f"09{rng.randrange(10**8):08d}", "national_id": None,
                    "address": f"{rng.randint(1, 300)} Phó Đức Chính",
                    "home_position": point_wkt(round(lon + rng.uniform(-0.003, 0.003), 6),
                                               round(lat + rng.uniform(-0.003, 0.003), 6)),
                    "comorbidities": [], "vaccine_doses": 2, "pregnant": False,
                    "test_date": enrolled.date(), "test_type": TestType.rapid_antigen,
                    "risk_group": "moderate", "status": CaseStatus.home_monitoring,
                    "status_changed_at": enrolled, "created_at": enrolled,
                })
                events.append({"id": uuid.uuid4(), "case_id": case_id, "scope_path": unit.path,
                               "from_status": None, "to_status": CaseStatus.home_monitoring,
                               "changed_by": staff_id, "changed_at": enrolled,
                               "effective_at": enrolled})
                assignments.append({"id": uuid.uuid4(), "case_id": case_id, "team_id": team_id,
                                    "scope_path": unit.path, "assigned_by": staff_id,
                                    "assigned_at": enrolled})
                for k in range(readings_per_case):
                    at = enrolled + timedelta(hours=12 * (k + 1))
                    readings.append({
                        "id": uuid.uuid4(), "case_id": case_id, "scope_path": unit.path,
                        "kind": ObservationKind.spo2, "loinc": LOINC[ObservationKind.spo2],
                        "value": float(rng.choice([96, 97, 98, 99])),
                        "unit": UNITS[ObservationKind.spo2], "measured_at": at,
                        "measured_by": staff_id, "recorded_at": at,
                    })
            await CaseRepository(session).insert_many(rows, events, assignments)
            await ObservationRepository(session).insert_many(readings)
        await session.commit()
    async with engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
    return BenchStation(station_id, ward_code, unit.path, staff_id, case_ids)


async def _existing(
    engine: AsyncEngine, station_id: uuid.UUID, staff_id: uuid.UUID, ward_code: str
) -> BenchStation:
    async with engine.connect() as conn:
        path = (await conn.execute(text("SELECT scope_path FROM station WHERE id = :s"),
                                   {"s": station_id})).scalar_one()
        ids = [r[0] for r in await conn.execute(text(
            "SELECT id FROM f0_case WHERE station_id = :s AND status::text = ANY(:open) "
            "AND NOT deleted ORDER BY case_code"), {"s": station_id, "open": list(OPEN)})]
    return BenchStation(station_id, ward_code, path, staff_id, ids)


async def enrol(
    engine: AsyncEngine, stations: list[tuple[uuid.UUID, uuid.UUID]], name: str
) -> list[EnrolledDevice]:
    """One device per (station, author) pair, written straight into the device table."""
    devices = [EnrolledDevice(uuid.uuid4(), TOKEN_PREFIX + secrets.token_urlsafe(32), s, a)
               for s, a in stations]
    async with create_session_maker(engine)() as session:
        session.add_all([Device(id=d.id, name=f"{name} {i}", station_id=d.station_id,
                                token_hash=hash_token(d.token))
                         for i, d in enumerate(devices)])
        await session.commit()
    return devices


@dataclass(frozen=True, slots=True)
class DemoStation:
    """An active demo station, its station staff account and its cases in home care."""

    id: uuid.UUID
    scope_path: str
    staff_id: uuid.UUID
    case_ids: list[uuid.UUID]


async def demo_stations(engine: AsyncEngine) -> list[DemoStation]:
    """Active stations of the demo (city 79) that have open cases."""
    async with engine.connect() as conn:
        rows = await conn.execute(text("""
            SELECT s.id, s.scope_path, min(u.id::text)::uuid,
                   array_agg(DISTINCT c.id) FILTER (WHERE c.id IS NOT NULL)
            FROM station s
            JOIN app_user u ON u.station_id = s.id AND u.role = 'station_staff' AND u.active
            LEFT JOIN f0_case c ON c.station_id = s.id AND c.status::text = ANY(:open)
                               AND NOT c.deleted
            WHERE s.status = 'active' AND s.code LIKE 'TYT-LD-%'
            GROUP BY s.id, s.scope_path ORDER BY s.code"""), {"open": list(OPEN)})
        return [DemoStation(r[0], r[1], r[2], sorted(r[3])) for r in rows if r[3]]


def reading_fields(
    rng: random.Random, case_id: uuid.UUID, now: datetime, *, low: bool = False
) -> dict[str, Any]:
    """An observation a tablet records in the day it spent offline (within limits unless
    ``low``, which opens or escalates an alert)."""
    kind = rng.choice(["spo2", "spo2", "spo2", "pulse", "temperature"])
    value = {"spo2": rng.choice([96.0, 97.0, 98.0, 99.0]),
             "pulse": float(rng.randint(60, 110)),
             "temperature": round(rng.uniform(36.2, 38.5), 1)}[kind]
    if low:
        kind, value = "spo2", float(rng.randint(92, 95))
    at = now - timedelta(minutes=rng.randint(5, 24 * 60))
    return {"case_id": str(case_id), "kind": kind, "value": value,
            "measured_at": at.isoformat()}


def new_case_fields(rng: random.Random, station_id: uuid.UUID, today: date) -> dict[str, Any]:
    """A patient enrolled on the tablet while it was offline."""
    return {"station_id": str(station_id), "full_name": f"F0 {rng.randint(1, 99999)}",
            "year_of_birth": rng.randint(1950, 2005), "sex": rng.choice(["female", "male"]),
            "test_date": str(today - timedelta(days=1)), "test_type": "rapid_antigen",
            "phone": f"09{rng.randrange(10**8):08d}", "vaccine_doses": rng.randint(0, 2)}
