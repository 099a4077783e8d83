"""Expired stock never leaves a shelf: an issue or a shipment of an expired lot is refused
naming the lot and its expiry, picking takes the first expiring valid lot, and the stock
views flag what is about to expire (domain/rules/expiry.py)."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from domain.rules.expiry import NEAR_EXPIRY_DAYS
from tests.integration.supplies.conftest import Depot, Move, register_lot
from tests.integration.supplies.test_requisitions import act, stock_warehouse, submit

People = dict[str, dict[str, str]]


async def on_hand(client: AsyncClient, headers: dict[str, str], location: object) -> dict:
    r = await client.get("/api/stock", params={"location_id": str(location)}, headers=headers)
    assert r.status_code == 200, r.text
    return {(x["item_code"], x["lot_no"]): x for x in r.json()["items"]}


async def test_an_expired_lot_cannot_be_issued_online(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    expired = await register_lot(db_session, "bag_a", "A-2107", days=-3)
    staff = people["td_staff"]
    r = await move(staff, location_id=depot.td_loc.id, item_id=depot.item("bag_a"),
                   lot_id=expired, kind="receipt", quantity=5)
    assert r.status_code == 201, r.text  # what arrives is booked, expired or not
    refused = await move(staff, location_id=depot.td_loc.id, item_id=depot.item("bag_a"),
                         lot_id=expired, kind="issue", quantity=1)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "lot_expired" and problem["field"] == "lot_id"
    assert "A-2107" in problem["detail"] and "expired on" in problem["detail"]
    lines = await on_hand(client, staff, depot.td_loc.id)
    assert lines[("bag_a", "A-2107")]["quantity"] == 5
    assert lines[("bag_a", "A-2107")]["expired"] is True
    # writing it off is what one does with an expired lot
    off = await move(staff, location_id=depot.td_loc.id, item_id=depot.item("bag_a"),
                     lot_id=expired, kind="expiry", quantity=5, reason="expired on the shelf")
    assert off.status_code == 201, off.text


async def test_shipping_picks_only_valid_lots_first_expiring_first(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    expired = await register_lot(db_session, "bag_a", "A-OLD", days=-1)
    soon = await register_lot(db_session, "bag_a", "A-SOON", days=10)
    later = await register_lot(db_session, "bag_a", "A-LATER", days=200)
    await stock_warehouse(move, people, depot, "bag_a", 50, lot_id=expired)
    await stock_warehouse(move, people, depot, "bag_a", 3, lot_id=soon)
    await stock_warehouse(move, people, depot, "bag_a", 4, lot_id=later)
    logistics = people["q1_logistics"]

    too_many = await submit(client, people, depot, {"bag_a": 10})
    await act(client, logistics, too_many, "approve")
    refused = await act(client, logistics, too_many, "ship")
    assert refused.status_code == 422, refused.text  # 57 on hand, only 7 still good
    assert refused.json()["code"] == "lot_expired"
    assert "A-OLD" in refused.json()["detail"] and "expired on" in refused.json()["detail"]

    rid = await submit(client, people, depot, {"bag_a": 5})
    await act(client, logistics, rid, "approve")
    shipped = await act(client, logistics, rid, "ship")
    assert shipped.status_code == 200, shipped.text
    lots = {x["lot_id"]: x["quantity"] for x in shipped.json()["shipment"]["lines"]}
    assert lots == {soon: 3, later: 2}
    left = await on_hand(client, logistics, depot.q1_wh.id)
    assert left[("bag_a", "A-OLD")]["quantity"] == 50


async def test_near_expiry_stock_is_flagged_on_the_stock_views(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    soon = await register_lot(db_session, "bag_a", "A-NEAR", days=NEAR_EXPIRY_DAYS - 1)
    far = await register_lot(db_session, "bag_a", "A-FAR", days=NEAR_EXPIRY_DAYS + 60)
    gone = await register_lot(db_session, "bag_a", "A-GONE", days=-1)
    staff = people["td_staff"]
    for lot, qty in ((soon, 4), (far, 6), (gone, 2)):
        r = await move(staff, location_id=depot.td_loc.id, item_id=depot.item("bag_a"),
                       lot_id=lot, kind="receipt", quantity=qty)
        assert r.status_code == 201, r.text
    lines = await on_hand(client, staff, depot.td_loc.id)
    flags = {lot: (x["near_expiry"], x["expired"], x["days_to_expiry"])
             for (_, lot), x in lines.items()}
    assert flags == {"A-NEAR": (True, False, NEAR_EXPIRY_DAYS - 1),
                     "A-FAR": (False, False, NEAR_EXPIRY_DAYS + 60),
                     "A-GONE": (False, True, -1)}
    cover = await client.get("/api/stock/coverage", params={"location_id": str(depot.td_loc.id)},
                             headers=staff)
    [bag] = [x for x in cover.json()["items"] if x["item_code"] == "bag_a"]
    assert (bag["on_hand"], bag["near_expiry"], bag["expired"]) == (12, 4, 2)
    expiring = await client.get("/api/stock/expiring", headers=staff)
    assert [x["lot_no"] for x in expiring.json()] == ["A-GONE", "A-NEAR"]


async def test_a_shipment_short_of_stock_without_expired_lots_is_a_409(
    client: AsyncClient, depot: Depot, people: People, move: Move,
) -> None:
    await stock_warehouse(move, people, depot, "ppe_set", 3)
    rid = await submit(client, people, depot, {"ppe_set": 5})
    await act(client, people["q1_logistics"], rid, "approve")
    refused = await act(client, people["q1_logistics"], rid, "ship")
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
