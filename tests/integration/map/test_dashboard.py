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
    assert stock == {"oxygen": "unknown", "spo2_meter": "unknown", "bag_a": "low"}

    body = (await client.get("/api/dashboard", params={"unit": "760"}, headers=headers)).json()
    # Tân Định: 6 bags for 3 cases a day; Đa Kao's store is empty with 1 case: 6 / 4 days
    assert body["unit"]["days_of_cover"] == {"oxygen": None, "spo2_meter": None, "bag_a": 1.5}
    assert body["unit"]["stock_states"]["bag_a"] == {"ok": 0, "low": 1, "out": 1, "unknown": 0}
    ward = next(c for c in body["children"] if c["code"] == station.commune_code)
    assert ward["days_of_cover"]["bag_a"] == 2.0
