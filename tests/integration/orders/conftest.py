"""Fixtures of the chain-of-command tests: people at every level of two districts of Ho Chi
Minh City (and a ward of Hanoi), a station with its stock location in the home ward, and the
city's and districts' warehouses. Everything is made in the test's rolled-back transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.geo import point_wkt
from domain.models.station import Station
from domain.models.supply import LocationKind, StockLocation
from domain.services.catalog import ensure_standard_catalog

HOME = "26734"  # Phường Tân Định, Quận 1
SIBLING = "26737"  # Phường Đa Kao, Quận 1
OTHER_DISTRICT = "27139"  # Phường Võ Thị Sáu, Quận 3
HANOI = "00004"  # Phường Trúc Bạch, Ba Đình

Headers = dict[str, str]


@dataclass
class Person:
    id: uuid.UUID
    headers: Headers


@dataclass
class Chain:
    people: dict[str, Person]
    station_id: uuid.UUID
    location_id: uuid.UUID

    def h(self, name: str) -> Headers:
        return self.people[name].headers


PEOPLE: dict[str, tuple[str, str]] = {
    "home_officer": ("commune_officer", HOME),
    "home_staff": ("station_staff", HOME),
    "home_volunteer": ("care_team_member", HOME),
    "sibling_officer": ("commune_officer", SIBLING),
    "q3_officer": ("commune_officer", OTHER_DISTRICT),
    "hanoi_officer": ("commune_officer", HANOI),
    "q1": ("district_logistics", "760"),
    "q3": ("district_logistics", "770"),
    "city": ("city_coordinator", "79"),
    "observer": ("national_observer", "VN"),
}


@pytest.fixture
async def chain(db_session: AsyncSession, make_user: Any) -> Chain:
    await ensure_standard_catalog(db_session)
    station = Station(id=uuid.uuid4(), code="Q1-TD-ORD", name="Trạm y tế lưu động Tân Định 1",
                      commune_code=HOME, scope_path="VN.79.760.26734",
                      position=point_wkt(106.6903, 10.7923), status="active")
    db_session.add(station)
    await db_session.flush()
    location = StockLocation(id=uuid.uuid4(), code="ST-Q1-TD-ORD", name=station.name,
                             kind=LocationKind.station, unit_code=HOME, station_id=station.id,
                             scope_path=station.scope_path)
    db_session.add_all([
        location,
        StockLocation(id=uuid.uuid4(), code="WH-79-ORD", name="Kho thành phố",
                      kind=LocationKind.city_warehouse, unit_code="79", scope_path="VN.79"),
        StockLocation(id=uuid.uuid4(), code="WH-760-ORD", name="Kho Quận 1",
                      kind=LocationKind.district_warehouse, unit_code="760",
                      scope_path="VN.79.760"),
    ])
    await db_session.commit()
    people = {}
    for name, (role, unit) in PEOPLE.items():
        station_id = station.id if name == "home_staff" else None
        user, headers = await make_user(role, unit, station_id=station_id)
        people[name] = Person(user.id, headers)  # type: ignore[attr-defined]
    return Chain(people, station.id, location.id)


def due(hours: float = 24) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def issue(
    client: AsyncClient, headers: Headers, *, status: int = 201, **body: Any
) -> dict[str, Any]:
    """Issue a directive (defaults filled in) and expect ``status``."""
    body = {"title": "Rà soát F0 tại nhà", "body": "Rà soát toàn bộ F0 đang cách ly tại nhà.",
            "due_at": due(), **body}
    r = await client.post("/api/directives", json=body, headers=headers)
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    return out


def copy_of(directive: dict[str, Any], unit_code: str) -> str:
    """The recipient id of ``unit_code``'s copy, from an issuer's view of the directive."""
    (unit,) = [u for u in directive["units"] if u["unit_code"] == unit_code]
    return str(unit["recipient_id"])


async def make_overdue(db_session: AsyncSession, directive_id: str) -> None:
    """Let the due time pass: what a day of waiting would do."""
    await db_session.execute(
        text("UPDATE directive_recipient SET due_at = now() - interval '1 hour' "
             "WHERE directive_id = :d"), {"d": directive_id})
    await db_session.execute(
        text("UPDATE directive SET due_at = now() - interval '1 hour' WHERE id = :d"),
        {"d": directive_id})
    await db_session.commit()


async def answer(client: AsyncClient, headers: Headers, recipient_id: str,
                 **body: Any) -> Response:
    return await client.patch(f"/api/received-directives/{recipient_id}", json=body,
                              headers=headers)
