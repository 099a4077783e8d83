"""Nothing vanishes from the books between warehouse and station: a short delivery is a loss
in transit written off at the sender (with a discrepancy the level above closes), rejected
goods go back to the sender's stock, devices included, and the ledgers add up."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.integration.supplies.conftest import Depot, Move, register_lot
from tests.integration.supplies.test_requisitions import act, stock_warehouse, submit

People = dict[str, dict[str, str]]


async def books(db_session: AsyncSession) -> tuple[int, int, int]:
    """(stock on hand in every ledger, units booked as received, units written off)."""
    on_hand = await db_session.scalar(text("SELECT coalesce(sum(qty), 0) FROM stock_balance"))
    received = await db_session.scalar(text(
        "SELECT coalesce(sum(quantity), 0) FROM stock_movement WHERE kind = 'receipt'"))
    lost = await db_session.scalar(text(
        "SELECT coalesce(sum(quantity), 0) FROM stock_movement WHERE kind = 'loss'"))
    return int(on_hand or 0), int(received or 0), int(lost or 0)


async def stock_of(client: AsyncClient, headers: dict[str, str], location: object) -> dict:
    r = await client.get(f"/api/locations/{location}/stock", headers=headers)
    return {x["item_code"]: x["on_hand"] for x in r.json() if x["on_hand"]}


async def shipped(client: AsyncClient, people: People, depot: Depot,
                  lines: dict[str, int]) -> tuple[str, dict[str, Any]]:
    rid = await submit(client, people, depot, lines)
    await act(client, people["q1_logistics"], rid, "approve")
    r = await act(client, people["q1_logistics"], rid, "ship")
    assert r.status_code == 200, r.text
    by_item = {x["item_id"]: x for x in r.json()["shipment"]["lines"]}
    return rid, by_item


async def test_a_short_delivery_is_a_loss_at_the_sender_and_the_books_are_conserved(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession,
) -> None:
    lot = await register_lot(db_session, "bag_a", "A-2201", days=200)
    await stock_warehouse(move, people, depot, "bag_a", 100, lot_id=lot)
    await stock_warehouse(move, people, depot, "spo2_meter", 1, serial_no="OXI-1")
    await stock_warehouse(move, people, depot, "spo2_meter", 1, serial_no="OXI-2")
    await stock_warehouse(move, people, depot, "spo2_meter", 1, serial_no="OXI-3")
    before = await books(db_session)
    rid, lines = await shipped(client, people, depot, {"bag_a": 60, "spo2_meter": 3})
    bag, meters = lines[depot.item("bag_a")], lines[depot.item("spo2_meter")]
    assert meters["serials"] == ["OXI-1", "OXI-2", "OXI-3"]

    unbalanced = await act(client, people["td_staff"], rid, "receive", lines=[
        {"line_id": bag["id"], "accepted_quantity": 50}])
    assert unbalanced.status_code == 422, unbalanced.text
    no_reason = await act(client, people["td_staff"], rid, "receive", lines=[
        {"line_id": bag["id"], "accepted_quantity": 50, "lost_quantity": 10}])
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "lines[0].loss_reason"
    r = await act(client, people["td_staff"], rid, "receive", note="truck 51C-123", lines=[
        {"line_id": bag["id"], "accepted_quantity": 48, "rejected_quantity": 2,
         "reason": "bags torn", "lost_quantity": 10, "loss_reason": "10 bags never arrived"},
        {"line_id": meters["id"], "accepted_quantity": 1, "rejected_quantity": 1,
         "rejected_serials": ["OXI-2"], "reason": "screen cracked", "lost_quantity": 1,
         "lost_serials": ["OXI-3"], "loss_reason": "fell off the motorbike"}])
    assert r.status_code == 200, r.text
    got = {x["item_id"]: (x["accepted_qty"], x["rejected_qty"], x["lost_qty"])
           for x in r.json()["lines"]}
    assert got == {depot.item("bag_a"): (48, 2, 10), depot.item("spo2_meter"): (1, 1, 1)}

    # the station has what arrived; the warehouse has its 40 and the 2 rejected bags back,
    # and the rejected meter is in its stock and on its shelf again
    assert await stock_of(client, people["td_staff"], depot.td_loc.id) == {
        "bag_a": 48, "spo2_meter": 1}
    assert await stock_of(client, people["q1_logistics"], depot.q1_wh.id) == {
        "bag_a": 42, "spo2_meter": 1}
    units = await client.get("/api/equipment", headers=people["q1_logistics"],
                             params={"item_id": depot.item("spo2_meter")})
    where = {u["serial_no"]: (u["location_id"], u["status"]) for u in units.json()["items"]}
    assert where == {"OXI-1": (str(depot.td_loc.id), "in_stock"),
                     "OXI-2": (str(depot.q1_wh.id), "in_stock"),
                     "OXI-3": (str(depot.q1_wh.id), "lost")}
    ledger = await client.get("/api/stock-movements", headers=people["q1_logistics"],
                              params={"location_id": str(depot.q1_wh.id), "kind": "loss"})
    assert sorted(m["quantity"] for m in ledger.json()["items"]) == [1, 10]

    # nothing vanished: what is on hand plus what was written off is what was received
    on_hand, received, lost = await books(db_session)
    assert received == before[1] and on_hand + lost == received and lost == before[2] + 11

    # the loss opened a discrepancy at the level that shipped, which the city closes
    found = await client.get("/api/stock-discrepancies", headers=people["q1_logistics"])
    losses = [d for d in found.json() if d["cause"] == "loss_in_transit"]
    assert sorted(d["quantity"] for d in losses) == [1, 10]
    assert {d["location_id"] for d in losses} == {str(depot.q1_wh.id)}
    assert (await client.get("/api/stock-discrepancies", headers=people["td_staff"])).json() == []
    [ten] = [d for d in losses if d["quantity"] == 10]
    url = f"/api/stock-discrepancies/{ten['id']}/resolve"
    own = await client.post(url, json={"resolution": "the driver says so"},
                            headers=people["q1_logistics"])
    assert own.status_code == 403
    closed = await client.post(url, json={"resolution": "police report 22/08"},
                               headers=people["city"])
    assert closed.status_code == 200 and closed.json()["outcome"] == "confirmed"


async def test_devices_named_for_a_loss_or_rejection_must_match_the_quantities(
    client: AsyncClient, depot: Depot, people: People, move: Move,
) -> None:
    for n in (1, 2):
        await stock_warehouse(move, people, depot, "spo2_meter", 1, serial_no=f"OXI-{n}")
    rid, lines = await shipped(client, people, depot, {"spo2_meter": 2})
    meters = lines[depot.item("spo2_meter")]
    unnamed = await act(client, people["td_staff"], rid, "receive", lines=[
        {"line_id": meters["id"], "accepted_quantity": 1, "lost_quantity": 1,
         "loss_reason": "stolen"}])
    assert unnamed.status_code == 422 and unnamed.json()["field"] == "lines[0].lost_serials"
    both = await act(client, people["td_staff"], rid, "receive", lines=[
        {"line_id": meters["id"], "accepted_quantity": 0, "lost_quantity": 1,
         "loss_reason": "stolen", "lost_serials": ["OXI-1"], "rejected_quantity": 1,
         "reason": "broken", "rejected_serials": ["OXI-1"]}])
    assert both.status_code == 422
