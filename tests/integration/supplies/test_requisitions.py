"""Requisitions up the hierarchy: every transition by a role allowed to make it, and refused
for a role or a place that may not; shipping moves stock first-expiring first, and the proof
of delivery books what was accepted."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.integration.supplies.conftest import Depot, Move, register_lot

People = dict[str, dict[str, str]]


async def submit(client: AsyncClient, people: People, depot: Depot,
                 lines: dict[str, int] | None = None) -> str:
    lines = lines or {"ppe_set": 20}
    r = await client.post("/api/requisitions", headers=people["td_staff"], json={
        "location_id": str(depot.td_loc.id), "justification": "42 F0 at home, surge in Tân Định",
        "f0_under_care": 42, "days_of_cover": 7,
        "lines": [{"item_id": depot.item(code), "quantity": q} for code, q in lines.items()],
    })
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "submitted" and r.json()["code"].startswith("RQ-")
    return str(r.json()["id"])


async def act(client: AsyncClient, headers: dict[str, str], rid: str, action: str,
              **body: Any) -> Any:
    return await client.post(f"/api/requisitions/{rid}/{action}", json=body, headers=headers)


async def stock_warehouse(move: Move, people: People, depot: Depot, code: str, qty: int,
                          **extra: Any) -> None:
    r = await move(people["q1_logistics"], location_id=depot.q1_wh.id, item_id=depot.item(code),
                   kind="receipt", quantity=qty, **extra)
    assert r.status_code == 201, r.text


async def test_full_cycle_partial_approval_fefo_shipment_and_proof_of_delivery(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    early = await register_lot(db_session, "bag_a", "A-EARLY", days=20)
    late = await register_lot(db_session, "bag_a", "A-LATE", days=300)
    await stock_warehouse(move, people, depot, "bag_a", 10, lot_id=late)
    await stock_warehouse(move, people, depot, "bag_a", 4, lot_id=early)
    await stock_warehouse(move, people, depot, "ppe_set", 50)
    for n in (1, 2, 3):
        await stock_warehouse(move, people, depot, "spo2_meter", 1, serial_no=f"SPO2-00{n}")

    rid = await submit(client, people, depot, {"bag_a": 10, "ppe_set": 20, "spo2_meter": 2})
    r = await act(client, people["q1_logistics"], rid, "approve", note="bag A short this week",
                  lines=[{"item_id": depot.item("bag_a"), "quantity": 6},
                         {"item_id": depot.item("ppe_set"), "quantity": 20},
                         {"item_id": depot.item("spo2_meter"), "quantity": 2}])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    assert r.json()["supplier_location_id"] == str(depot.q1_wh.id)
    assert r.json()["events"][-1]["detail"]["partial"] is True

    r = await act(client, people["q1_logistics"], rid, "ship", carrier="Quận 1 youth union")
    assert r.status_code == 200, r.text
    shipment = r.json()["shipment"]
    bag_lines = {x["lot_id"]: x["quantity"] for x in shipment["lines"]
                 if x["item_id"] == depot.item("bag_a")}
    assert bag_lines == {early: 4, late: 2}  # first expiring first
    [meters] = [x for x in shipment["lines"] if x["item_id"] == depot.item("spo2_meter")]
    assert meters["serials"] == ["SPO2-001", "SPO2-002"]

    wh = await client.get(f"/api/locations/{depot.q1_wh.id}/stock", headers=people["q1_logistics"])
    assert {x["item_code"]: x["on_hand"] for x in wh.json()}["bag_a"] == 8

    early_line = next(x for x in shipment["lines"] if x["lot_id"] == early)
    r = await act(client, people["td_staff"], rid, "receive", note="signed by nurse Lan",
                  lines=[{"line_id": early_line["id"], "accepted_quantity": 3,
                          "rejected_quantity": 1, "reason": "bag torn, tablets wet"}])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "received"
    assert {x["item_id"]: (x["accepted_qty"], x["rejected_qty"]) for x in body["lines"]} == {
        depot.item("bag_a"): (5, 1), depot.item("ppe_set"): (20, 0),
        depot.item("spo2_meter"): (2, 0)}
    assert [e["to_status"] for e in body["events"]] == [
        "submitted", "approved", "shipped", "received"]
    assert body["shipment"]["status"] == "delivered"

    st = await client.get(f"/api/locations/{depot.td_loc.id}/stock", headers=people["td_staff"])
    assert {x["item_code"]: x["on_hand"] for x in st.json() if x["on_hand"]} == {
        "bag_a": 5, "ppe_set": 20, "spo2_meter": 2}
    units = await client.get("/api/equipment", params={"location_id": str(depot.td_loc.id)},
                             headers=people["td_staff"])
    assert [u["serial_no"] for u in units.json()["items"]] == ["SPO2-001", "SPO2-002"]

    csv = await client.get("/api/requisitions/export", headers=people["q1_logistics"])
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.count("\r\n") == 4 and ",received,ST-Q1-TD," in csv.text


# -- each transition: an allowed role, and a refused role or scope -------------------------

async def test_create_allowed_for_the_station_refused_elsewhere(
    client: AsyncClient, depot: Depot, people: People
) -> None:
    await submit(client, people, depot)
    body = {"location_id": str(depot.td_loc.id), "justification": "x", "f0_under_care": 1,
            "days_of_cover": 3, "lines": [{"item_id": depot.item("ppe_set"), "quantity": 1}]}
    district = await client.post("/api/requisitions", json=body, headers=people["q1_logistics"])
    assert district.status_code == 403
    other_ward = await client.post("/api/requisitions", json=body, headers=people["q3_staff"])
    assert other_ward.status_code == 404


@pytest.mark.parametrize(("action", "body"), [
    ("approve", {}), ("reject", {"note": "no stock in the district"}), ("forward", {}),
])
async def test_district_decides_a_submitted_requisition(
    client: AsyncClient, depot: Depot, people: People, action: str, body: dict[str, Any]
) -> None:
    rid = await submit(client, people, depot)
    station = await act(client, people["td_staff"], rid, action, **body)
    assert station.status_code == 409 and station.json()["code"] == "transition_not_allowed"
    city = await act(client, people["city"], rid, action, **body)
    assert city.status_code == 409  # the city only decides what the district forwarded
    other_district = await act(client, people["q3_logistics"], rid, action, **body)
    assert other_district.status_code == 404
    ok = await act(client, people["q1_logistics"], rid, action, **body)
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == {"approve": "approved", "reject": "rejected",
                                   "forward": "forwarded"}[action]


async def test_a_rejection_needs_a_reason(
    client: AsyncClient, depot: Depot, people: People
) -> None:
    rid = await submit(client, people, depot)
    r = await act(client, people["q1_logistics"], rid, "reject")
    assert r.status_code == 422 and r.json()["field"] == "note"


@pytest.mark.parametrize(("action", "body"), [("approve", {}), ("reject", {"note": "later"})])
async def test_the_city_decides_a_forwarded_requisition(
    client: AsyncClient, depot: Depot, people: People, action: str, body: dict[str, Any]
) -> None:
    rid = await submit(client, people, depot)
    await act(client, people["q1_logistics"], rid, "forward", note="district warehouse empty")
    district = await act(client, people["q1_logistics"], rid, action, **body)
    assert district.status_code == 409
    ok = await act(client, people["city"], rid, action, **body)
    assert ok.status_code == 200, ok.text
    if action == "approve":
        assert ok.json()["supplier_location_id"] == str(depot.city_wh.id)


async def test_the_station_cancels_its_own_submitted_requisition(
    client: AsyncClient, depot: Depot, people: People
) -> None:
    rid = await submit(client, people, depot)
    assert (await act(client, people["q1_logistics"], rid, "cancel")).status_code == 409
    assert (await act(client, people["dk_staff"], rid, "cancel")).status_code == 404
    ok = await act(client, people["td_officer"], rid, "cancel", note="neighbours lent us some")
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
    again = await act(client, people["td_staff"], rid, "approve")
    assert again.status_code == 409


async def test_only_the_supplying_warehouse_ships(
    client: AsyncClient, depot: Depot, people: People, move: Move
) -> None:
    rid = await submit(client, people, depot, {"ppe_set": 20})
    await act(client, people["q1_logistics"], rid, "approve")
    short = await act(client, people["q1_logistics"], rid, "ship")
    assert short.status_code == 409 and short.json()["code"] == "insufficient_stock"
    assert short.json()["field"] == "lines"
    await stock_warehouse(move, people, depot, "ppe_set", 30)
    city = await act(client, people["city"], rid, "ship")
    assert city.status_code == 403  # sees it, but does not keep Quận 1's warehouse
    station = await act(client, people["td_staff"], rid, "ship")
    assert station.status_code == 409
    ok = await act(client, people["q1_logistics"], rid, "ship",
                   lines=[{"item_id": depot.item("ppe_set"), "quantity": 15}])
    assert ok.status_code == 200 and ok.json()["lines"][0]["shipped_qty"] == 15


async def test_the_city_ships_what_it_approved(
    client: AsyncClient, depot: Depot, people: People, move: Move
) -> None:
    rid = await submit(client, people, depot, {"ppe_set": 5})
    await act(client, people["q1_logistics"], rid, "forward")
    await act(client, people["city"], rid, "approve")
    r = await move(people["city"], location_id=depot.city_wh.id, item_id=depot.item("ppe_set"),
                   kind="receipt", quantity=100)
    assert r.status_code == 201
    district = await act(client, people["q1_logistics"], rid, "ship")
    assert district.status_code == 404  # the city warehouse is above the district
    ok = await act(client, people["city"], rid, "ship")
    assert ok.status_code == 200 and ok.json()["shipment"]["from_location_id"] == str(
        depot.city_wh.id)


async def test_only_the_requesting_station_confirms_delivery(
    client: AsyncClient, depot: Depot, people: People, move: Move
) -> None:
    await stock_warehouse(move, people, depot, "ppe_set", 30)
    rid = await submit(client, people, depot, {"ppe_set": 10})
    await act(client, people["q1_logistics"], rid, "approve")
    shipped = await act(client, people["q1_logistics"], rid, "ship")
    line = shipped.json()["shipment"]["lines"][0]
    assert (await act(client, people["q1_logistics"], rid, "receive")).status_code == 409
    assert (await act(client, people["dk_staff"], rid, "receive")).status_code == 404
    bad = await act(client, people["td_staff"], rid, "receive", lines=[
        {"line_id": line["id"], "accepted_quantity": 8, "rejected_quantity": 1}])
    assert bad.status_code == 422 and bad.json()["field"] == "lines[0].rejected_quantity"
    ok = await act(client, people["td_staff"], rid, "receive")
    assert ok.status_code == 200 and ok.json()["lines"][0]["accepted_qty"] == 10


async def test_lists_are_scoped(client: AsyncClient, depot: Depot, people: People) -> None:
    await submit(client, people, depot)
    mine = await client.get("/api/requisitions", headers=people["q1_logistics"])
    assert mine.json()["total"] == 1
    other = await client.get("/api/requisitions", headers=people["q3_logistics"])
    assert other.json()["total"] == 0
