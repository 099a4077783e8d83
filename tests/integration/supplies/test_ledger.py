"""The stock ledger: movements derive stock on hand, retries are harmless, stock below zero
is refused online and flagged when a device reports it, counts absorb late movements."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Conflict
from domain.models.supply import StockBalance, StockDiscrepancy, StockMovement
from domain.services.stock import StockService
from domain.services.users import UserService
from tests.integration.supplies.conftest import Depot, Move, at, register_lot


async def on_hand(client: AsyncClient, headers: dict[str, str], location: Any,
                  item: str) -> int:
    r = await client.get("/api/stock", params={"location_id": str(location),
                                               "item_id": item}, headers=headers)
    assert r.status_code == 200, r.text
    return sum(line["quantity"] for line in r.json()["items"])


async def test_receipts_and_issues_make_stock_on_hand(
    client: AsyncClient, depot: Depot, people: dict[str, Any], move: Move
) -> None:
    staff, ppe = people["td_staff"], depot.item("ppe_set")
    r = await move(staff, location_id=depot.td_loc.id, item_id=ppe, kind="receipt", quantity=40)
    assert r.status_code == 201, r.text
    assert r.json()["delta"] == 40
    r = await move(staff, location_id=depot.td_loc.id, item_id=ppe, kind="issue", quantity=15)
    assert r.status_code == 201 and r.json()["delta"] == -15
    r = await move(staff, location_id=depot.td_loc.id, item_id=ppe, kind="loss", quantity=2,
                   reason="torn in the rain")
    assert r.status_code == 201
    assert await on_hand(client, staff, depot.td_loc.id, ppe) == 23
    ledger = await client.get("/api/stock-movements",
                              params={"location_id": str(depot.td_loc.id)}, headers=staff)
    assert [m["kind"] for m in ledger.json()["items"]] == ["loss", "issue", "receipt"]


async def test_online_issue_beyond_stock_is_409_insufficient_stock(
    client: AsyncClient, depot: Depot, people: dict[str, Any], move: Move
) -> None:
    staff, ppe = people["td_staff"], depot.item("ppe_set")
    await move(staff, location_id=depot.td_loc.id, item_id=ppe, kind="receipt", quantity=5)
    r = await move(staff, location_id=depot.td_loc.id, item_id=ppe, kind="issue", quantity=6)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "insufficient_stock" and r.json()["field"] == "quantity"
    assert "only 5 set" in r.json()["detail"]
    assert await on_hand(client, staff, depot.td_loc.id, ppe) == 5


async def test_same_movement_id_twice_books_once_and_other_content_conflicts(
    client: AsyncClient, depot: Depot, people: dict[str, Any], move: Move,
    db_session: AsyncSession,
) -> None:
    staff, ppe = people["td_staff"], depot.item("ppe_set")
    body = {"id": str(uuid.uuid4()), "location_id": depot.td_loc.id, "item_id": ppe,
            "kind": "receipt", "quantity": 10, "occurred_at": at(5)}
    first = await move(staff, **body)
    again = await move(staff, **body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    changed = await move(staff, **{**body, "quantity": 11})
    assert changed.status_code == 409 and changed.json()["field"] == "id"
    assert await on_hand(client, staff, depot.td_loc.id, ppe) == 10
    rows = await db_session.scalar(select(func.count()).select_from(StockMovement))
    assert rows == 1


async def test_lots_reasons_and_kinds_are_checked(
    client: AsyncClient, depot: Depot, people: dict[str, Any], move: Move
) -> None:
    staff = people["td_staff"]
    no_lot = await move(staff, location_id=depot.td_loc.id, item_id=depot.item("bag_a"),
                        kind="receipt", quantity=3)
    assert no_lot.status_code == 422 and no_lot.json()["field"] == "lot_id"
    no_reason = await move(staff, location_id=depot.td_loc.id, item_id=depot.item("ppe_set"),
                           kind="adjustment", quantity=-1)
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    by_hand = await move(staff, location_id=depot.td_loc.id, item_id=depot.item("ppe_set"),
                         kind="transfer_in", quantity=1)
    assert by_hand.status_code == 400
    future = await move(staff, location_id=depot.td_loc.id, item_id=depot.item("ppe_set"),
                        kind="receipt", quantity=1, occurred_at=at(-60))
    assert future.status_code == 422 and future.json()["field"] == "occurred_at"


async def test_only_the_keeper_writes_and_outsiders_see_nothing(
    client: AsyncClient, depot: Depot, people: dict[str, Any], move: Move
) -> None:
    ppe = depot.item("ppe_set")
    other_ward = await move(people["q3_staff"], location_id=depot.td_loc.id, item_id=ppe,
                            kind="receipt", quantity=1)
    assert other_ward.status_code == 404
    other_station = await move(people["dk_staff"], location_id=depot.td_loc.id, item_id=ppe,
                               kind="receipt", quantity=1)
    assert other_station.status_code == 404  # Đa Kao staff do not see Tân Định's ward
    district = await move(people["q1_logistics"], location_id=depot.td_loc.id, item_id=ppe,
                          kind="receipt", quantity=1)
    assert district.status_code == 403
    own_warehouse = await move(people["q1_logistics"], location_id=depot.q1_wh.id, item_id=ppe,
                               kind="receipt", quantity=1)
    assert own_warehouse.status_code == 201
    officer = await move(people["td_officer"], location_id=depot.td_loc.id, item_id=ppe,
                         kind="receipt", quantity=1)
    assert officer.status_code == 201


async def _principal(db_session: AsyncSession, make_user: Any, station_id: uuid.UUID) -> Principal:
    user, _ = await make_user("station_staff", "26734", station_id=station_id)
    principal = await UserService(db_session).principal(user.id, device_id=uuid.uuid4())
    assert principal is not None
    return principal


async def test_offline_issue_below_zero_is_accepted_and_opens_a_discrepancy(
    client: AsyncClient, depot: Depot, db_session: AsyncSession, make_user: Any,
    people: dict[str, Any],
) -> None:
    device = await _principal(db_session, make_user, depot.td.id)
    ledger = StockService(db_session, device)
    ppe = depot.items["ppe_set"].id
    common = {"location_id": depot.td_loc.id, "item_id": ppe, "lot_id": None, "reason": None}
    await ledger.record(movement_id=uuid.uuid4(), kind="receipt", quantity=2,
                        occurred_at=datetime.now(UTC), **common)
    mid = uuid.uuid4()
    issued = await ledger.record(movement_id=mid, kind="issue", quantity=5,
                                 occurred_at=datetime.now(UTC), offline=True, **common)
    again = await ledger.record(movement_id=mid, kind="issue", quantity=5,
                                occurred_at=issued.occurred_at, offline=True, **common)
    assert again.id == issued.id and issued.offline and issued.device_id == device.device_id
    try:
        await ledger.record(movement_id=mid, kind="issue", quantity=4,
                            occurred_at=issued.occurred_at, offline=True, **common)
        raise AssertionError("a reused id with other content must conflict")
    except Conflict as exc:
        assert exc.field == "id"
    await db_session.commit()
    assert await on_hand(client, people["td_staff"], depot.td_loc.id, str(ppe)) == -3
    r = await client.get("/api/stock-discrepancies", params={"status": "open"},
                         headers=people["td_officer"])
    [found] = r.json()
    assert found["movement_id"] == str(mid) and found["balance_after"] == -3
    hidden = await client.get("/api/stock-discrepancies", headers=people["q3_staff"])
    assert hidden.json() == []
    done = await client.post(f"/api/stock-discrepancies/{found['id']}/resolve",
                             json={"resolution": "counted again: 3 sets were borrowed"},
                             headers=people["q1_logistics"])
    assert done.status_code == 200 and done.json()["status"] == "resolved"


async def test_a_count_sets_stock_and_absorbs_movements_that_arrive_late(
    client: AsyncClient, depot: Depot, people: dict[str, Any], move: Move,
    db_session: AsyncSession,
) -> None:
    staff, loc = people["td_staff"], depot.td_loc.id
    bag = depot.item("bag_a")
    lot = await register_lot(db_session, "bag_a", "A-2108")
    common = {"location_id": loc, "item_id": bag, "lot_id": lot}
    await move(staff, kind="receipt", quantity=100, occurred_at=at(600), **common)
    await move(staff, kind="issue", quantity=10, occurred_at=at(300), **common)
    count = await move(staff, kind="physical_count", quantity=85, occurred_at=at(240), **common)
    assert count.json()["delta"] == -5  # 90 on the books at that time, 85 on the shelf
    after = await move(staff, kind="issue", quantity=4, occurred_at=at(60), **common)
    assert after.json()["delta"] == -4
    # an issue made offline before the count, synced now: the count already saw it
    late = await move(staff, kind="issue", quantity=3, occurred_at=at(270), **common)
    assert late.status_code == 201
    assert late.json()["delta"] == 0 and late.json()["absorbed_by"] == count.json()["id"]
    # an older count arriving late changes nothing either
    old = await move(staff, kind="physical_count", quantity=50, occurred_at=at(400), **common)
    assert old.json()["delta"] == 0
    # a count between two booked movements is measured against the stock at its time
    mid = await move(staff, kind="physical_count", quantity=80, occurred_at=at(120), **common)
    assert mid.json()["delta"] == -5  # 85 at that time
    assert await on_hand(client, staff, loc, bag) == 76  # 80, then the issue of 4

    deltas = await db_session.scalar(select(func.sum(StockMovement.delta)))
    balance = await db_session.scalar(select(StockBalance.qty))
    assert deltas == balance == 76


async def test_back_dated_movement_after_the_last_count_applies(
    client: AsyncClient, depot: Depot, people: dict[str, Any], move: Move
) -> None:
    staff, ppe, loc = people["td_staff"], depot.item("ppe_set"), depot.td_loc.id
    await move(staff, location_id=loc, item_id=ppe, kind="physical_count", quantity=20,
               occurred_at=at(600))
    await move(staff, location_id=loc, item_id=ppe, kind="issue", quantity=5, occurred_at=at(10))
    late = await move(staff, location_id=loc, item_id=ppe, kind="issue", quantity=2,
                      occurred_at=at(300))
    assert late.json()["delta"] == -2
    assert await on_hand(client, staff, loc, ppe) == 13
    first = await move(staff, location_id=loc, item_id=ppe, kind="physical_count", quantity=10,
                       occurred_at=at(5))
    when = first.json()["occurred_at"]
    same_time = await move(staff, location_id=loc, item_id=ppe, kind="physical_count",
                           quantity=12, occurred_at=when)
    assert same_time.json()["delta"] == 0  # the first count of an instant stands
    assert await on_hand(client, staff, loc, ppe) == 10


async def test_a_refused_online_issue_leaves_no_trace(
    depot: Depot, people: dict[str, Any], move: Move, db_session: AsyncSession
) -> None:
    r = await move(people["td_staff"], location_id=depot.td_loc.id,
                   item_id=depot.item("ppe_set"), kind="issue", quantity=1,
                   occurred_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat())
    assert r.status_code == 409
    assert await db_session.scalar(select(func.count()).select_from(StockDiscrepancy)) == 0
