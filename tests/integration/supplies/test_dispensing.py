"""Giving a medicine bag or lending a device is one action: the case records it and the
station's stock goes down, first expiring valid lot first, or nothing happens at all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tests.integration.supplies.conftest import Depot, Move, case_row, register_lot

People = dict[str, dict[str, str]]


@pytest.fixture
async def case_id(db_session: AsyncSession, depot: Depot) -> str:
    case = case_row(depot.td, 1)
    case.test_date = datetime.now(UTC).date()
    db_session.add(case)
    await db_session.commit()
    return str(case.id)


@pytest.fixture
async def doctor(make_user: Any, depot: Depot) -> dict[str, str]:
    _, headers = await make_user("doctor", "26734", station_id=depot.td.id)
    return dict(headers)


async def give(client: AsyncClient, headers: dict[str, str], case_id: str, kind: str,
               **body: Any) -> Response:
    body = {"id": str(uuid.uuid4()), "case_id": case_id, "kind": kind, **body}
    return await client.post("/api/dispensings", json=body, headers=headers)


async def lots_on_hand(client: AsyncClient, people: People, depot: Depot, code: str
                       ) -> dict[str | None, int]:
    r = await client.get("/api/stock", params={"location_id": str(depot.td_loc.id),
                                               "item_id": depot.item(code)},
                         headers=people["td_staff"])
    return {x["lot_no"]: x["quantity"] for x in r.json()["items"]}


async def receive(move: Move, people: People, depot: Depot, code: str, qty: int,
                  **extra: Any) -> None:
    r = await move(people["td_staff"], location_id=depot.td_loc.id, item_id=depot.item(code),
                   kind="receipt", quantity=qty, **extra)
    assert r.status_code == 201, r.text


async def case_bags(client: AsyncClient, people: People, case_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/cases/{case_id}", headers=people["td_staff"])
    return dict(r.json()["medicine_bags"])


async def test_giving_bag_a_records_the_case_and_issues_the_first_expiring_valid_lot(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession,
    case_id: str,
) -> None:
    gone = await register_lot(db_session, "bag_a", "A-GONE", days=-2)
    soon = await register_lot(db_session, "bag_a", "A-SOON", days=15)
    later = await register_lot(db_session, "bag_a", "A-LATER", days=120)
    for lot, qty in ((gone, 5), (later, 5), (soon, 2)):
        await receive(move, people, depot, "bag_a", qty, lot_id=lot)
    r = await give(client, people["td_staff"], case_id, "bag_a")
    assert r.status_code == 201, r.text
    given = r.json()
    assert (given["lot_id"], given["location_id"]) == (soon, str(depot.td_loc.id))
    assert await lots_on_hand(client, people, depot, "bag_a") == {
        "A-GONE": 5, "A-SOON": 1, "A-LATER": 5}
    assert (await case_bags(client, people, case_id))["a_given_at"] is not None
    ledger = await client.get("/api/stock-movements", headers=people["td_staff"],
                              params={"kind": "issue", "location_id": str(depot.td_loc.id)})
    [issue] = ledger.json()["items"]
    assert (issue["id"], issue["case_id"], issue["quantity"]) == (
        given["movement_id"], case_id, 1)

    again = await client.post("/api/dispensings", headers=people["td_staff"], json={
        "id": given["id"], "case_id": case_id, "kind": "bag_a"})
    assert again.status_code == 200 and again.json() == given
    other = await client.post("/api/dispensings", headers=people["td_staff"], json={
        "id": given["id"], "case_id": case_id, "kind": "bag_b"})
    assert other.status_code == 409
    assert await lots_on_hand(client, people, depot, "bag_a") == {
        "A-GONE": 5, "A-SOON": 1, "A-LATER": 5}
    listed = await client.get("/api/dispensings", params={"case_id": case_id},
                              headers=people["td_staff"])
    assert [x["id"] for x in listed.json()["items"]] == [given["id"]]


async def test_a_named_lot_is_issued_and_an_expired_one_refused_with_nothing_written(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession,
    case_id: str,
) -> None:
    gone = await register_lot(db_session, "bag_a", "A-2107", days=-1)
    soon = await register_lot(db_session, "bag_a", "A-SOON", days=15)
    later = await register_lot(db_session, "bag_a", "A-LATER", days=120)
    for lot in (gone, soon, later):
        await receive(move, people, depot, "bag_a", 3, lot_id=lot)
    refused = await give(client, people["td_staff"], case_id, "bag_a", lot_id=gone)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "lot_expired" and refused.json()["field"] == "lot_id"
    assert "A-2107" in refused.json()["detail"]
    assert (await case_bags(client, people, case_id))["a_given_at"] is None
    r = await give(client, people["td_staff"], case_id, "bag_a", lot_id=later)
    assert r.status_code == 201, r.text
    assert await lots_on_hand(client, people, depot, "bag_a") == {
        "A-2107": 3, "A-SOON": 3, "A-LATER": 2}


async def test_short_stock_online_is_refused_and_the_case_is_left_as_it_was(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession,
    case_id: str,
) -> None:
    r = await give(client, people["td_staff"], case_id, "bag_a")  # the shelf is empty
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "insufficient_stock"
    assert (await case_bags(client, people, case_id))["a_given_at"] is None
    gone = await register_lot(db_session, "bag_a", "A-GONE", days=-1)
    await receive(move, people, depot, "bag_a", 4, lot_id=gone)  # only expired stock
    old_way = await client.post(f"/api/cases/{case_id}/medicine-bags", json={"bag": "A"},
                                headers=people["td_staff"])
    assert old_way.status_code == 422 and old_way.json()["code"] == "lot_expired"
    assert "A-GONE" in old_way.json()["detail"]
    assert (await case_bags(client, people, case_id))["a_given_at"] is None
    assert await lots_on_hand(client, people, depot, "bag_a") == {"A-GONE": 4}


async def test_the_case_rules_decide_who_gives_which_bag_and_each_moves_stock(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession,
    case_id: str, doctor: dict[str, str],
) -> None:
    for code in ("bag_a", "bag_b", "bag_c"):
        lot = await register_lot(db_session, code, f"{code}-1", days=100)
        await receive(move, people, depot, code, 2, lot_id=lot)
    staff = people["td_staff"]
    no_order = await give(client, staff, case_id, "bag_b")
    assert no_order.status_code == 409 and "doctor" in no_order.json()["detail"]
    assert (await give(client, staff, case_id, "bag_c")).status_code == 403
    assert (await give(client, people["q3_staff"], case_id, "bag_a")).status_code == 404
    assert (await give(client, people["q1_logistics"], case_id, "bag_a")).status_code == 403
    assert (await give(client, doctor, case_id, "bag_c")).status_code == 201
    assert (await give(client, doctor, case_id, "bag_b")).status_code == 201
    # the case's own endpoint is the same action
    via_case = await client.post(f"/api/cases/{case_id}/medicine-bags", json={"bag": "A"},
                                 headers=staff)
    assert via_case.status_code == 200, via_case.text
    assert via_case.json()["medicine_bags"]["a_given_at"] is not None
    twice = await give(client, staff, case_id, "bag_a")
    assert twice.status_code == 409
    for code in ("bag_a", "bag_b", "bag_c"):
        assert await lots_on_hand(client, people, depot, code) == {f"{code}-1": 1}


async def test_lending_a_meter_is_a_dispensing_that_moves_it_to_the_household(
    client: AsyncClient, depot: Depot, people: People, move: Move, case_id: str,
) -> None:
    await receive(move, people, depot, "spo2_meter", 1, serial_no="OXI-001")
    due = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    missing_due = await give(client, people["td_staff"], case_id, "loan", serial_no="OXI-001")
    assert missing_due.status_code == 422 and missing_due.json()["field"] == "due_on"
    r = await give(client, people["td_staff"], case_id, "loan", serial_no="OXI-001",
                   due_on=due)
    assert r.status_code == 201, r.text
    loan = await client.get(f"/api/loans/{r.json()['loan_id']}", headers=people["td_staff"])
    assert loan.status_code == 200 and loan.json()["status"] == "open"
    assert await lots_on_hand(client, people, depot, "spo2_meter") == {}
    again = await give(client, people["td_staff"], case_id, "loan", serial_no="OXI-001",
                       due_on=due)
    assert again.status_code == 409  # the meter is no longer on the shelf
