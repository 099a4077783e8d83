"""The simulator's own ground: stations in a few wards, their staff, enrolled devices, and
the database checks run at the end (nothing lost, nothing applied twice).

Setup and checks talk to the database directly (like an operator would); the devices only
ever talk to the server over HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.db import create_session_maker
from domain.models.enums import Role, StationStatus
from domain.models.station import Station
from domain.passwords import hash_password
from domain.repositories.admin_units import AdminUnitRepository
from domain.services.devices import DeviceService
from domain.services.users import UserService

# Wards of Quận 1 and Quận 3, Hồ Chí Minh City: two districts, so scopes really differ.
COMMUNES = ("26734", "26737", "26740", "26743", "27139", "27142")


@dataclass(frozen=True, slots=True)
class SimStation:
    id: uuid.UUID
    commune: str
    scope_path: str
    staff: uuid.UUID  # station staff: details, observations, most transitions
    doctor: uuid.UUID  # doctor: the transitions staff may not make
    observer: tuple[uuid.UUID, str]  # a device that only reads: the server's view of the scope


@dataclass(frozen=True, slots=True)
class SimDevice:
    id: uuid.UUID
    token: str
    station: SimStation
    author: uuid.UUID
    role: Role


async def build(
    engine: AsyncEngine, *, stations: int, devices: int, tag: str
) -> tuple[list[SimStation], list[SimDevice]]:
    """Create ``stations`` active stations over COMMUNES and ``devices`` devices among them."""
    maker = create_session_maker(engine)
    password = hash_password(uuid.uuid4().hex)
    made: list[SimStation] = []
    async with maker() as session:
        units = AdminUnitRepository(session)
        users = UserService(session)
        officers: dict[str, Any] = {}
        for i in range(stations):
            commune = COMMUNES[i % len(COMMUNES)]
            unit = await units.get(commune)
            if unit is None:
                raise RuntimeError(f"administrative unit {commune} is not loaded")
            station = Station(
                code=f"SIM-{tag}-{i:03d}", name=f"Trạm lưu động mô phỏng {i}",
                commune_code=commune, scope_path=unit.path, status=StationStatus.active,
                position=f"SRID=4326;POINT({unit.lon} {unit.lat})",
            )
            session.add(station)
            await session.flush()

            async def user(role: Role, station_id: uuid.UUID | None = station.id,
                           commune: str = commune) -> uuid.UUID:
                created = await users.create(
                    username=f"sim-{tag}-{uuid.uuid4().hex[:10]}", password="unused-password",
                    full_name=f"Sim {role.value}", role=role, unit_code=commune,
                    station_id=station_id, password_hash=password,
                )
                return created.id

            if commune not in officers:
                officers[commune] = await users.principal(
                    await user(Role.commune_officer, None))
            observer, token = await DeviceService(session, officers[commune]).enroll(
                name="observer", station_id=station.id
            )
            made.append(SimStation(station.id, commune, unit.path, await user(Role.station_staff),
                                   await user(Role.doctor), (observer.device.id, token)))
        sim_devices = []
        for i in range(devices):
            st = made[i % len(made)]
            view, token = await DeviceService(session, officers[st.commune]).enroll(
                name=f"tablet {i}", station_id=st.id
            )
            role = Role.doctor if i % 3 == 2 else Role.station_staff
            sim_devices.append(SimDevice(view.device.id, token, st,
                                         st.doctor if role is Role.doctor else st.staff, role))
        await session.commit()
    return made, sim_devices


@dataclass(frozen=True, slots=True)
class LedgerCheck:
    lost: list[uuid.UUID]  # accepted by the server's answer, absent from its log or tables
    doubled: list[uuid.UUID]  # an event whose row or insert appears more than once
    unexpected: list[uuid.UUID]  # logged as applied although the device was told otherwise


async def check_ledger(
    engine: AsyncEngine, device_ids: Iterable[uuid.UUID], outcomes: dict[uuid.UUID, str],
    events: dict[uuid.UUID, uuid.UUID],
) -> LedgerCheck:
    """Compare what devices were told with what the server logged and stored.

    ``outcomes``: mutation id -> final status a device received; ``events``: mutation id ->
    observation id for every observation a device created.
    """
    async with engine.connect() as conn:
        logged = {r[0]: r[1] for r in await conn.execute(text(
            "SELECT id, status FROM sync_mutation WHERE device_id = ANY(CAST(:d AS uuid[]))"),
            {"d": list(device_ids)})}
        rows = {r[0]: r[1] for r in await conn.execute(text(
            "SELECT o.id, (SELECT count(*) FROM audit_log a WHERE a.entity = 'observation' "
            "AND a.row_id = o.id AND a.action = 'insert') FROM observation o "
            "WHERE o.id = ANY(CAST(:ids AS uuid[]))"), {"ids": list(set(events.values()))})}
    accepted = {m for m, s in outcomes.items() if s in ("applied", "merged", "duplicate")}
    lost = [m for m in accepted if logged.get(m) not in ("applied", "merged")]
    lost += [m for m in accepted if m in events and events[m] not in rows]
    doubled = [m for m, obs in events.items() if rows.get(obs, 0) > 1]
    unexpected = [m for m, s in logged.items() if s in ("applied", "merged") and m not in accepted]
    return LedgerCheck(lost, doubled, unexpected)


async def live_ids(engine: AsyncEngine, table: str, scope_path: str) -> set[uuid.UUID]:
    """Ids of the rows of one ward that are not deleted, straight from the table."""
    async with engine.connect() as conn:
        result = await conn.execute(
            text(f"SELECT id FROM {table} WHERE scope_path = :p AND NOT deleted"),
            {"p": scope_path})
        return {r[0] for r in result}
