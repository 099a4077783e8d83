"""The catalog everyone reads, lots the keepers register, and locations set up by level."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.integration.supplies.conftest import Depot, station_row

People = dict[str, dict[str, str]]


async def test_catalog_lists_bags_kits_and_serial_numbered_devices(
    client: AsyncClient, depot: Depot, people: People
) -> None:
    r = await client.get("/api/catalog/items", headers=people["td_staff"])
    items = {i["code"]: i for i in r.json()}
    assert {"bag_a", "bag_b", "bag_c", "rapid_test", "spo2_meter", "bp_meter",
            "o2_cylinder_8l", "o2_cylinder_40l", "o2_concentrator", "ppe_set"} <= set(items)
    assert items["bag_a"]["lot_tracked"] and not items["bag_a"]["durable"]
    assert items["spo2_meter"]["durable"] and items["o2_cylinder_40l"]["size_label"] == "40 L"
    oxygen = await client.get("/api/catalog/items", params={"category": "oxygen_cylinder"},
                              headers=people["td_staff"])
    assert [i["code"] for i in oxygen.json()] == ["o2_cylinder_40l", "o2_cylinder_8l"]
    assert (await client.get("/api/catalog/items")).status_code == 401


async def test_only_the_city_adds_items(client: AsyncClient, depot: Depot, people: People) -> None:
    body = {"code": "face_mask", "name": "Surgical mask box", "category": "protective_equipment",
            "unit_of_issue": "box", "daily_use_per_case": 0.1}
    assert (await client.post("/api/catalog/items", json=body,
                              headers=people["td_staff"])).status_code == 403
    r = await client.post("/api/catalog/items", json=body, headers=people["city"])
    assert r.status_code == 201 and r.json()["durable"] is False
    again = await client.post("/api/catalog/items", json=body, headers=people["city"])
    assert again.status_code == 422 and again.json()["field"] == "code"


async def test_registering_a_lot_is_idempotent_by_number(
    client: AsyncClient, depot: Depot, people: People
) -> None:
    url = f"/api/catalog/items/{depot.item('rapid_test')}/lots"
    body = {"lot_no": "RT-2108-01", "expires_on": "2031-02-01"}
    first = await client.post(url, json=body, headers=people["td_staff"])
    again = await client.post(url, json=body, headers=people["td_staff"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = await client.post(url, json={**body, "expires_on": "2031-03-01"},
                              headers=people["td_staff"])
    assert other.status_code == 409 and other.json()["field"] == "expires_on"
    durable = await client.post(f"/api/catalog/items/{depot.item('spo2_meter')}/lots",
                                json=body, headers=people["td_staff"])
    assert durable.status_code == 422
    lots = await client.get(url, headers=people["q3_staff"])
    assert [x["lot_no"] for x in lots.json()] == ["RT-2108-01"]


async def test_locations_are_listed_within_scope(
    client: AsyncClient, depot: Depot, people: People
) -> None:
    ward = await client.get("/api/locations", headers=people["td_staff"])
    assert [x["code"] for x in ward.json()["items"]] == ["ST-Q1-TD"]
    district = await client.get("/api/locations", headers=people["q1_logistics"])
    assert [x["code"] for x in district.json()["items"]] == ["ST-Q1-DK", "ST-Q1-TD", "WH-760"]
    city = await client.get("/api/locations", params={"kind": "district_warehouse"},
                            headers=people["city"])
    assert city.json()["total"] == 2
    hidden = await client.get(f"/api/locations/{depot.q3_loc.id}", headers=people["td_staff"])
    assert hidden.status_code == 404


async def test_each_level_sets_up_its_own_locations(
    client: AsyncClient, depot: Depot, people: People, db_session: AsyncSession
) -> None:
    new = station_row("Q1-TD-2", "26734")
    db_session.add(new)
    await db_session.commit()
    body = {"kind": "station", "station_id": str(new.id)}
    assert (await client.post("/api/locations", json=body,
                              headers=people["q3_logistics"])).status_code == 404
    r = await client.post("/api/locations", json=body, headers=people["td_officer"])
    assert r.status_code == 201 and r.json()["path"] == "VN.79.760.26734"
    twice = await client.post("/api/locations", json=body, headers=people["q1_logistics"])
    assert twice.json()["id"] == r.json()["id"]
    warehouse = {"kind": "district_warehouse", "unit_code": "761"}
    assert (await client.post("/api/locations", json=warehouse,
                              headers=people["q1_logistics"])).status_code == 404
    made = await client.post("/api/locations", json=warehouse, headers=people["city"])
    assert made.status_code == 201 and made.json()["code"] == "WH-761"
    dup = await client.post("/api/locations", json={"kind": "district_warehouse",
                                                    "unit_code": "760"}, headers=people["city"])
    assert dup.status_code == 422
