"""Unit dashboards: a unit and its children rolled up, scoped, and the same figures as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.supply import (
    CatalogItem,
    ItemCategory,
    LocationKind,
    StockBalance,
    StockLocation,
)
from tests.integration.map.conftest import City


async def test_city_dashboard_rolls_up_districts(
    client: AsyncClient, make_user: Any, city: City
) -> None:
    _, headers = await make_user("city_coordinator", "79")
    resp = await client.get("/api/dashboard", headers=headers)  # default: the caller's unit
    assert resp.status_code == 200, resp.text
    body = resp.json()
    total = body["unit"]
    assert (total["code"], total["level"]) == ("79", "province")
    assert total["cases_by_status"] == {
        "home_monitoring": 2, "needs_attention": 1, "transfer_requested": 1,
        "hospitalized": 1, "recovered": 1, "deceased": 0,
    }
    assert total["active_by_risk"] == {"low": 1, "moderate": 1, "high": 1, "very_high": 1}
    # Tân Định's open emergency and Đa Kao's acknowledged attention alert (acknowledged is not
    # resolved); Ha Noi's open alert is not the city's
    assert total["open_alerts"] == 2
    assert (total["emergency_alerts"], total["attention_alerts"]) == (1, 1)
    assert total["acknowledged_alerts"] == 1
    assert total["median_ack_s"] == 600.0
    assert total["stations_by_status"] == {"preparing": 1, "active": 1, "suspended": 1, "closed": 0}
    assert total["stations_by_load"] == {"normal": 2, "high": 0, "over": 1}
    assert total["stock_states"]["oxygen"]["unknown"] == 3
    children = {c["code"]: c for c in body["children"]}
    assert len(children) == 22
    q1, q12 = children["760"], children["761"]
    assert (q1["open_alerts"], q1["stations_by_load"]["over"], q1["median_ack_s"]) == (2, 1, 600.0)
    assert sum(q1["cases_by_status"].values()) == 6
    assert (q12["stations_by_status"]["suspended"], sum(q12["cases_by_status"].values())) == (1, 0)
    assert q12["median_ack_s"] is None


async def test_district_leader_gets_their_district_not_the_city(
    client: AsyncClient, make_user: Any, city: City
) -> None:
    _, headers = await make_user("district_logistics", "760")
    city_wide = await client.get("/api/dashboard", params={"unit": "79"}, headers=headers)
    assert city_wide.status_code == 404
    mine = (await client.get("/api/dashboard", params={"unit": "760"}, headers=headers)).json()
    assert (mine["unit"]["open_alerts"], mine["unit"]["emergency_alerts"]) == (2, 1)
    wards = {c["code"]: c for c in mine["children"]}
    assert wards["26734"]["active_by_risk"]["very_high"] == 1
    assert wards["26737"]["stations_by_status"]["preparing"] == 1
    ward = (await client.get("/api/dashboard", params={"unit": "26734"}, headers=headers)).json()
    assert ward["children"] == [] and ward["unit"]["stations_by_load"]["over"] == 1


async def test_dashboard_as_csv(client: AsyncClient, make_user: Any, city: City) -> None:
    _, headers = await make_user("city_coordinator", "79")
    resp = await client.get("/api/dashboard.csv", params={"unit": "79"}, headers=headers)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"]
    # A BOM first, or spreadsheet programs read the UTF-8 as a legacy code page ("QuÃ¡º­n 1").
    assert resp.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 22
    total = rows[0]
    assert (total["row"], total["code"], total["open_alerts"]) == ("total", "79", "2")
    assert (total["emergency_alerts"], total["attention_alerts"]) == ("1", "1")
    assert (total["cases_home_monitoring"], total["load_over"], total["median_ack_s"]) == ("2", "1", "600.0")
    q1 = next(r for r in rows if r["code"] == "760")
    assert q1["name"] == "Quận 1" and q1["active_risk_very_high"] == "1"
    same = await client.get("/api/dashboard", params={"unit": "79", "format": "csv"}, headers=headers)
    assert same.content == resp.content


async def test_stock_states_and_days_of_cover(
    client: AsyncClient, make_user: Any, city: City, db_session: AsyncSession
) -> None:
    station = city.overloaded  # 3 active cases
    location = StockLocation(
        id=uuid.uuid4(), code="LOC-Q1-TD", name="Kho trạm Tân Định", kind=LocationKind.station,
        unit_code=station.commune_code, station_id=station.id, scope_path=station.scope_path,
    )
    bag = CatalogItem(
        id=uuid.uuid4(), code="BAG-A", name="Túi thuốc A", scope_path="VN",
        category=ItemCategory.medicine_bag, unit_of_issue="túi", map_key="bag_a",
        daily_use_per_case=1.0,
    )
    db_session.add_all([location, bag])
    await db_session.flush()
    db_session.add(StockBalance(location_id=location.id, item_id=bag.id,
                                scope_path=station.scope_path, qty=6))
    await db_session.commit()
    _, headers = await make_user("city_coordinator", "79")

    stations = (await client.get("/api/map/stations", headers=headers)).json()["features"]
    stock = next(f for f in stations if f["id"] == str(station.id))["properties"]["stock"]
    assert stock["bag_a"] == "low" and stock["oxygen"] == stock["spo2_meter"] == "unknown"

    body = (await client.get("/api/dashboard", params={"unit": "760"}, headers=headers)).json()
    # Tân Định: 6 bags for 3 cases a day; Đa Kao's store is empty with 1 case: 6 / 4 days
    assert body["unit"]["days_of_cover"]["bag_a"] == 1.5
    assert body["unit"]["days_of_cover"]["oxygen"] is None
    assert body["unit"]["stock_states"]["bag_a"] == {"ok": 0, "low": 1, "out": 1, "unknown": 0}
    ward = next(c for c in body["children"] if c["code"] == station.commune_code)
    assert ward["days_of_cover"]["bag_a"] == 2.0


async def test_every_key_supply_and_the_district_warehouse_count(
    client: AsyncClient, make_user: Any, city: City, db_session: AsyncSession
) -> None:
    """Quận 1 holds what its stations hold and what its own warehouse holds, for each of the
    key supplies; the city's figures add the city warehouse; a household's lent meter is not
    stock; Quận 12 keeps its own."""
    from sqlalchemy import select

    from domain.models.case import F0Case
    from domain.services.catalog import ensure_standard_catalog, item_id

    await ensure_standard_catalog(db_session)
    station = city.overloaded  # Tân Định, Quận 1, 3 active cases
    patient = await db_session.scalar(select(F0Case.id).where(F0Case.station_id == station.id))
    places = {
        "station": StockLocation(
            id=uuid.uuid4(), code="LOC-Q1-TD", name="Kho trạm Tân Định",
            kind=LocationKind.station, unit_code=station.commune_code, station_id=station.id,
            scope_path=station.scope_path),
        "district": StockLocation(
            id=uuid.uuid4(), code="WH-760", name="Kho Quận 1", kind=LocationKind.district_warehouse,
            unit_code="760", scope_path="VN.79.760"),
        "q12": StockLocation(
            id=uuid.uuid4(), code="WH-761", name="Kho Quận 12",
            kind=LocationKind.district_warehouse, unit_code="761", scope_path="VN.79.761"),
        "city": StockLocation(
            id=uuid.uuid4(), code="WH-79", name="Kho thành phố", kind=LocationKind.city_warehouse,
            unit_code="79", scope_path="VN.79"),
        "home": StockLocation(
            id=uuid.uuid4(), code="HH-1", name="Nhà bệnh nhân", kind=LocationKind.household,
            unit_code=station.commune_code, case_id=patient, scope_path=station.scope_path),
    }
    db_session.add_all(places.values())
    await db_session.flush()
    held = {  # item code -> (station, district warehouse, Quận 12 warehouse, city warehouse)
        "bag_a": (6, 100, 7, 1000), "bag_b": (2, 20, 0, 200), "bag_c": (3, 30, 0, 300),
        "rapid_test": (40, 400, 0, 4000), "spo2_meter": (5, 50, 0, 500),
        "bp_meter": (1, 10, 0, 100), "o2_cylinder_8l": (2, 8, 0, 80),
        "o2_cylinder_40l": (1, 2, 0, 20), "o2_concentrator": (0, 4, 0, 40),
    }
    for code, quantities in held.items():
        for place, qty in zip(("station", "district", "q12", "city"), quantities, strict=True):
            if qty:
                loc = places[place]
                db_session.add(StockBalance(location_id=loc.id, item_id=item_id(code),
                                            scope_path=loc.scope_path, qty=qty))
    db_session.add(StockBalance(location_id=places["home"].id, item_id=item_id("spo2_meter"),
                                scope_path=station.scope_path, qty=1))
    await db_session.commit()
    _, headers = await make_user("city_coordinator", "79")

    q1 = (await client.get("/api/dashboard", params={"unit": "760"}, headers=headers)).json()
    keys = {"bag_a", "bag_b", "bag_c", "rapid_test", "spo2_meter", "bp_meter", "oxygen",
            "o2_concentrator"}
    total = q1["unit"]
    assert set(total["stock_states"]) == set(total["on_hand"]) == set(total["days_of_cover"]) == keys
    assert total["on_hand"] == {"bag_a": 106, "bag_b": 22, "bag_c": 33, "rapid_test": 440,
                                "spo2_meter": 55, "bp_meter": 11, "oxygen": 13,
                                "o2_concentrator": 4}
    # 4 active cases in Quận 1 use 0.15 bag A a day each (seeded catalog): 106 / 0.6 days
    assert total["days_of_cover"]["bag_a"] == round(106 / 0.6, 1)
    ward = next(c for c in q1["children"] if c["code"] == station.commune_code)
    assert ward["on_hand"]["bag_a"] == 6  # the ward holds its station's stock only
    assert sum(s for s in total["stock_states"]["bp_meter"].values()) == 2  # both stations

    city_board = (await client.get("/api/dashboard", params={"unit": "79"}, headers=headers)).json()
    assert city_board["unit"]["on_hand"]["bag_a"] == 6 + 100 + 7 + 1000
    districts = {c["code"]: c for c in city_board["children"]}
    assert districts["760"]["on_hand"]["bag_a"] == 106 and districts["761"]["on_hand"]["bag_a"] == 7

    rows = list(csv.DictReader(io.StringIO((await client.get(
        "/api/dashboard.csv", params={"unit": "760"}, headers=headers)).content.decode("utf-8-sig"))))
    assert (rows[0]["bag_c_on_hand"], rows[0]["o2_concentrator_on_hand"]) == ("33", "4")
    assert rows[0]["rapid_test_ok"] != "" and "bp_meter_days_of_cover" in rows[0]
