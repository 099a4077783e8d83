"""The map's stations as GeoJSON: scope, load, alerts, attention, filters, the click panel."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from tests.integration.map.conftest import COMMUNES, City


def by_code(collection: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["properties"]["code"]: f for f in collection["features"]}


async def test_coordinator_sees_the_city_as_geojson_with_load_and_alerts(
    client: AsyncClient, make_user: Any, city: City
) -> None:
    _, headers = await make_user("city_coordinator", "79")
    resp = await client.get("/api/map/stations", headers=headers)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/geo+json")
    body = resp.json()
    assert body["type"] == "FeatureCollection"
    stations = by_code(body)
    assert set(stations) == {"Q1-TD", "Q1-DK", "Q12-TX"}  # not Ha Noi's
    td = stations["Q1-TD"]
    assert td["type"] == "Feature" and td["id"] == str(city.overloaded.id)
    _, lon, lat = COMMUNES["26734"]
    assert td["geometry"] == {"type": "Point", "coordinates": [lon, lat]}  # longitude first
    p = td["properties"]
    assert (p["active_cases"], p["capacity"], p["load"]) == (3, 2, 1.5)
    assert (p["open_alerts"], p["emergency_alerts"], p["attention_alerts"]) == (1, 1, 0)
    assert p["acknowledged_alerts"] == 0
    assert p["attention"] == ["open_alerts", "overload"]
    assert p["district_code"] == "760" and p["province_code"] == "79"
    # named with its district: ten districts of the city have a Phường 11
    assert (p["commune_name"], p["district_name"]) == ("Phường Tân Định", "Quận 1")
    assert (p["commune_name_en"], p["district_name_en"]) == ("Tan Dinh", "District 1")
    assert set(p["stock"]) == {"bag_a", "bag_b", "bag_c", "rapid_test", "spo2_meter", "bp_meter",
                               "oxygen", "o2_concentrator"}
    dk = stations["Q1-DK"]["properties"]
    # recovered and hospitalized cases are not the station's load; an acknowledged alert is
    # still unresolved, so it counts and the station still needs a look
    assert (dk["active_cases"], dk["open_alerts"], dk["attention"]) == (1, 1, ["open_alerts"])
    assert (dk["emergency_alerts"], dk["attention_alerts"], dk["acknowledged_alerts"]) == (0, 1, 1)


async def test_district_leader_sees_only_their_district(
    client: AsyncClient, make_user: Any, city: City
) -> None:
    _, headers = await make_user("district_logistics", "760")
    stations = by_code((await client.get("/api/map/stations", headers=headers)).json())
    assert set(stations) == {"Q1-TD", "Q1-DK"}
    other = await client.get("/api/map/stations", params={"district": "761"}, headers=headers)
    assert other.status_code == 200 and other.json()["features"] == []
    panel = await client.get(f"/api/map/stations/{city.suspended.id}", headers=headers)
    assert panel.status_code == 404


async def test_filters_by_district_status_and_bbox(
    client: AsyncClient, make_user: Any, city: City
) -> None:
    _, headers = await make_user("city_coordinator", "79")

    async def codes(**params: Any) -> set[str]:
        resp = await client.get("/api/map/stations", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        return set(by_code(resp.json()))

    assert await codes(district="761") == {"Q12-TX"}
    assert await codes(province="79", status=["active", "suspended"]) == {"Q1-TD", "Q12-TX"}
    assert await codes(bbox="106.6,10.85,106.7,10.9") == {"Q12-TX"}
    assert await codes(province="01") == set()  # outside the coordinator's city
    bad = await client.get("/api/map/stations", params={"district": "79"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "district"
    malformed = await client.get("/api/map/stations", params={"bbox": "1,2,3"}, headers=headers)
    assert malformed.status_code == 400 and malformed.json()["field"] == "bbox"


@pytest.mark.parametrize("bbox", ["200,100,300,120",   # outside WGS84
                                  "106.8,10.7,106.6,10.9",  # min_lon > max_lon
                                  "106.6,10.9,106.8,10.7",  # min_lat > max_lat
                                  "106.6,10.7,106.6,10.9",  # no width
                                  "106.6,-91,106.8,10.9"])
async def test_the_map_and_the_station_list_refuse_the_same_bbox(
    client: AsyncClient, make_user: Any, bbox: str
) -> None:
    _, headers = await make_user("city_coordinator", "79")
    for url in ("/api/map/stations", "/api/stations"):
        resp = await client.get(url, params={"bbox": bbox}, headers=headers)
        assert resp.status_code == 400, (url, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["field"] == "bbox", url
    spaced = await client.get("/api/map/stations", params={"bbox": "106.6, 10.7, 106.8, 10.9"},
                              headers=headers)
    assert spaced.status_code == 200, spaced.text


async def test_station_panel_shows_staff_cases_stock_and_pending_requisitions(
    client: AsyncClient, make_user: Any, city: City
) -> None:
    await make_user("station_staff", "26737", station_id=city.quiet.id, username="nurse-dk")
    _, headers = await make_user("city_coordinator", "79")
    resp = await client.get(f"/api/map/stations/{city.quiet.id}", headers=headers)
    assert resp.status_code == 200
    body = resp.json()
    assert body["feature"]["properties"]["code"] == "Q1-DK"
    assert [m["role"] for m in body["staff"]] == ["station_staff"]
    assert body["cases_by_status"] == {"home_monitoring": 1, "recovered": 1, "hospitalized": 1}
    assert [(r["code"], r["status"]) for r in body["pending_requisitions"]] == [("REQ-1", "submitted")]


async def test_map_needs_a_login(client: AsyncClient, city: City) -> None:
    assert (await client.get("/api/map/stations")).status_code == 401
    assert (await client.get("/api/map/events")).status_code == 401
    bad = await client.get("/api/map/events", params={"ticket": "not-a-ticket-not-a-ticket"})
    assert bad.status_code == 401


async def test_unit_outlines_are_bounding_boxes_of_the_level_below(
    client: AsyncClient, make_user: Any
) -> None:
    _, headers = await make_user("city_coordinator", "79")
    body = (await client.get("/api/map/units", headers=headers)).json()
    districts = body["features"]
    assert len(districts) == 22
    q1 = next(f for f in districts if f["id"] == "760")
    assert q1["properties"]["outline"] == "bbox" and q1["properties"]["level"] == "district"
    ring = q1["geometry"]["coordinates"][0]
    assert q1["geometry"]["type"] == "Polygon" and len(ring) == 5 and ring[0] == ring[-1]
    assert all(106 < lon < 107 and 10 < lat < 11 for lon, lat in ring)
    _, leader = await make_user("district_logistics", "760")
    communes = (await client.get("/api/map/units", headers=leader)).json()["features"]
    assert {f["properties"]["parent_code"] for f in communes} == {"760"}


async def test_panel_shows_quantities_and_days_of_cover_even_below_zero(
    client: AsyncClient, make_user: Any, city: City, db_session: Any
) -> None:
    """Offline issues took bag A to -4 at Tân Định: the panel says -4, not just "out"."""
    import uuid

    from domain.models.supply import LocationKind, StockBalance, StockLocation
    from domain.services.catalog import ensure_standard_catalog, item_id

    await ensure_standard_catalog(db_session)
    station = city.overloaded
    loc = StockLocation(id=uuid.uuid4(), code="LOC-TD", name="Kho trạm", kind=LocationKind.station,
                        unit_code=station.commune_code, station_id=station.id,
                        scope_path=station.scope_path)
    db_session.add(loc)
    await db_session.flush()
    for code, qty in (("bag_a", -4), ("spo2_meter", 12), ("o2_cylinder_8l", 3),
                      ("o2_cylinder_40l", 1)):
        db_session.add(StockBalance(location_id=loc.id, item_id=item_id(code),
                                    scope_path=station.scope_path, qty=qty))
    await db_session.commit()
    _, headers = await make_user("city_coordinator", "79")
    body = (await client.get(f"/api/map/stations/{station.id}", headers=headers)).json()
    supplies = {s["key"]: s for s in body["supplies"]}
    assert [s["key"] for s in body["supplies"]][:1] == ["bag_a"]  # key order
    assert (supplies["bag_a"]["on_hand"], supplies["bag_a"]["state"]) == (-4, "out")
    # 3 active cases x 0.15 bags a day: -4 bags cover nothing (negative days)
    assert supplies["bag_a"]["days_of_cover"] == round(-4 / 0.45, 1)
    assert (supplies["spo2_meter"]["on_hand"], supplies["oxygen"]["on_hand"]) == (12, 4)
    assert body["feature"]["properties"]["stock"]["bag_a"] == "out"
    assert "stock_out" in body["feature"]["properties"]["attention"]
