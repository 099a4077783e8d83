"""Supplies fixtures: the standard catalog, a few stations with stock locations in two
districts of Ho Chi Minh City, warehouses, keepers with tokens, and helpers to book stock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.geo import point_wkt
from domain.models.case import F0Case
from domain.models.enums import CaseStatus, RiskGroup, Sex, TestType
from domain.models.station import Station
from domain.models.supply import CatalogItem, LocationKind, StockLocation
from domain.repositories.catalog import CatalogRepository
from domain.services.catalog import ensure_standard_catalog, item_id, lot_id
from tests.integration.supplies.key_stock import assert_key_stock_kept


@pytest.fixture(autouse=True)
async def key_stock_kept(db_connection: AsyncConnection) -> AsyncIterator[None]:
    """After every supplies test, whatever it wrote (receipts, issues, dispensing, loans,
    shipments, receipts with rejections, losses in transit, counts, adjustments), the map's
    key stock kept by triggers (migration 0019) equals a fresh aggregate of the ledger."""
    yield
    await assert_key_stock_kept(db_connection)


# commune code -> (path, lon, lat): Tân Định, Đa Kao (Quận 1) and Phường 14 (Quận 3)
COMMUNES = {
    "26734": ("VN.79.760.26734", 106.690295, 10.793097),
    "26737": ("VN.79.760.26737", 106.698403, 10.787884),
    "27127": ("VN.79.770.27127", 106.677, 10.788),
}


def station_row(code: str, commune: str) -> Station:
    path, lon, lat = COMMUNES[commune]
    return Station(id=uuid.uuid4(), code=code, name=f"Trạm {code}", commune_code=commune,
                   scope_path=path, position=point_wkt(lon, lat))


def location_row(station: Station) -> StockLocation:
    return StockLocation(id=uuid.uuid4(), code=f"ST-{station.code}", name=station.name,
                         kind=LocationKind.station, unit_code=station.commune_code,
                         station_id=station.id, scope_path=station.scope_path)


def warehouse_row(unit_code: str, path: str, kind: LocationKind) -> StockLocation:
    return StockLocation(id=uuid.uuid4(), code=f"WH-{unit_code}", name=f"Kho {unit_code}",
                         kind=kind, unit_code=unit_code, scope_path=path)


def case_row(station: Station, n: int, status: CaseStatus = CaseStatus.home_monitoring) -> F0Case:
    return F0Case(
        id=uuid.uuid4(), case_code=f"{station.code}-{n}", station_id=station.id,
        commune_code=station.commune_code, scope_path=station.scope_path,
        full_name=f"Bệnh nhân {n}", year_of_birth=1980, sex=Sex.male, test_date=date(2021, 8, 1),
        test_type=TestType.rapid_antigen, risk_group=RiskGroup.low, status=status,
    )


@dataclass
class Depot:
    """Two stations in Tân Định's and Đa Kao's wards (Quận 1), one in Quận 3, warehouses."""

    td: Station
    dk: Station
    q3: Station
    td_loc: StockLocation
    dk_loc: StockLocation
    q3_loc: StockLocation
    city_wh: StockLocation
    q1_wh: StockLocation
    q3_wh: StockLocation
    items: dict[str, CatalogItem]

    def item(self, code: str) -> str:
        return str(self.items[code].id)


@pytest.fixture
async def depot(db_session: AsyncSession) -> Depot:
    await ensure_standard_catalog(db_session)
    td, dk, q3 = station_row("Q1-TD", "26734"), station_row("Q1-DK", "26737"), station_row(
        "Q3-P14", "27127")
    db_session.add_all([td, dk, q3])
    await db_session.flush()
    locs = [location_row(s) for s in (td, dk, q3)]
    whs = [warehouse_row("79", "VN.79", LocationKind.city_warehouse),
           warehouse_row("760", "VN.79.760", LocationKind.district_warehouse),
           warehouse_row("770", "VN.79.770", LocationKind.district_warehouse)]
    db_session.add_all([*locs, *whs])
    await db_session.commit()
    repo = CatalogRepository(db_session)
    items = {i.code: i for i in await repo.items()}
    return Depot(td, dk, q3, *locs, *whs, items=items)


Headers = dict[str, str]


@pytest.fixture
async def people(make_user: Any, depot: Depot) -> dict[str, Headers]:
    """Tokens by role and place: keepers of each location plus a few outsiders."""
    specs = {
        "td_staff": ("station_staff", "26734", depot.td.id),
        "td_officer": ("commune_officer", "26734", None),
        "dk_staff": ("station_staff", "26737", depot.dk.id),
        "q3_staff": ("station_staff", "27127", depot.q3.id),
        "q1_logistics": ("district_logistics", "760", None),
        "q3_logistics": ("district_logistics", "770", None),
        "city": ("city_coordinator", "79", None),
    }
    out: dict[str, Headers] = {}
    for name, (role, unit, station) in specs.items():
        _, headers = await make_user(role, unit, station_id=station)
        out[name] = headers
    return out


def at(minutes_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


async def register_lot(db_session: AsyncSession, code: str, lot_no: str, days: int = 200) -> str:
    """A lot of a lot-tracked item expiring in ``days``; returns its id."""
    item = item_id(code)
    await CatalogRepository(db_session).add_lot(
        lot_id=lot_id(item, lot_no), item_id=item, lot_no=lot_no,
        expires_on=datetime.now(UTC).date() + timedelta(days=days),
    )
    await db_session.commit()
    return str(lot_id(item, lot_no))


Move = Callable[..., Awaitable[Response]]


@pytest.fixture
def move(client: AsyncClient) -> Move:
    """POST one movement; keyword arguments become the body (a fresh id unless given)."""

    async def post(headers: Headers, **body: Any) -> Response:
        body.setdefault("id", str(uuid.uuid4()))
        body.setdefault("occurred_at", at(1))
        for key in ("location_id", "item_id", "lot_id", "case_id"):
            if isinstance(body.get(key), uuid.UUID):
                body[key] = str(body[key])
        return await client.post("/api/stock-movements", json=body, headers=headers)

    return post
