"""Who closes a discrepancy: the station explains it, the level above confirms it or books a
count or an adjustment; district logistics read their district's audit trail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from domain.services.stock import StockService
from domain.services.users import UserService
from tests.integration.supplies.conftest import Depot

People = dict[str, dict[str, str]]


async def open_discrepancy(db_session: AsyncSession, make_user: Any, depot: Depot) -> str:
    """An offline issue of 5 PPE sets at Tân Định with 2 on hand: stock -3, one discrepancy."""
    user, _ = await make_user("station_staff", "26734", station_id=depot.td.id)
    device = await UserService(db_session).principal(user.id, device_id=uuid.uuid4())
    assert device is not None
    ledger = StockService(db_session, device)
    common = {"location_id": depot.td_loc.id, "item_id": depot.items["ppe_set"].id,
              "lot_id": None, "reason": None}
    await ledger.record(movement_id=uuid.uuid4(), kind="receipt", quantity=2,
                        occurred_at=datetime.now(UTC), **common)
    mid = uuid.uuid4()
    await ledger.record(movement_id=mid, kind="issue", quantity=5,
                        occurred_at=datetime.now(UTC), offline=True, **common)
    await db_session.commit()
    return str(mid)


async def the_discrepancy(client: AsyncClient, people: People) -> dict[str, Any]:
    r = await client.get("/api/stock-discrepancies", headers=people["q1_logistics"])
    [found] = r.json()
    return dict(found)


async def ppe_on_hand(client: AsyncClient, people: People, depot: Depot) -> int:
    r = await client.get(f"/api/locations/{depot.td_loc.id}/stock", headers=people["td_staff"])
    return int({x["item_code"]: x["on_hand"] for x in r.json()}["ppe_set"])


async def test_the_station_explains_and_the_district_closes_with_a_count(
    client: AsyncClient, depot: Depot, people: People, db_session: AsyncSession, make_user: Any,
) -> None:
    await open_discrepancy(db_session, make_user, depot)
    d = await the_discrepancy(client, people)
    url = f"/api/stock-discrepancies/{d['id']}"
    own = await client.post(f"{url}/resolve", json={"resolution": "all fine"},
                            headers=people["td_staff"])
    assert own.status_code == 403, own.text
    assert (await client.post(f"{url}/resolve", json={"resolution": "x"},
                              headers=people["q3_logistics"])).status_code == 404
    explained = await client.post(f"{url}/explain", headers=people["td_staff"],
                                  json={"explanation": "3 sets went to the night team"})
    assert explained.status_code == 200, explained.text
    assert explained.json()["status"] == "open"
    assert explained.json()["explanation"] == "3 sets went to the night team"
    district_explains = await client.post(f"{url}/explain", headers=people["q1_logistics"],
                                          json={"explanation": "x"})
    assert district_explains.status_code == 403
    no_count = await client.post(f"{url}/resolve", headers=people["q1_logistics"],
                                 json={"outcome": "counted", "resolution": "counted"})
    assert no_count.status_code == 422 and no_count.json()["field"] == "quantity"
    closed = await client.post(f"{url}/resolve", headers=people["q1_logistics"], json={
        "outcome": "counted", "quantity": 1, "resolution": "inspected: 1 set on the shelf"})
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["status"], body["outcome"]) == ("resolved", "counted")
    assert body["resolution_movement_id"] is not None
    assert await ppe_on_hand(client, people, depot) == 1
    again = await client.post(f"{url}/resolve", headers=people["q1_logistics"],
                              json={"resolution": "again"})
    assert again.status_code == 409
    trail = await client.get("/api/audit", headers=people["q1_logistics"],
                             params={"entity": "stock_discrepancy", "id": d["id"]})
    assert trail.status_code == 200, trail.text
    changes = [e["after"] for e in trail.json()["items"] if e["action"] == "update"]
    assert [c.get("status") for c in changes] == [None, "resolved"]
    assert changes[0]["explanation"] == "3 sets went to the night team"


async def test_the_district_adjusts_or_confirms(
    client: AsyncClient, depot: Depot, people: People, db_session: AsyncSession, make_user: Any,
) -> None:
    await open_discrepancy(db_session, make_user, depot)
    d = await the_discrepancy(client, people)
    url = f"/api/stock-discrepancies/{d['id']}/resolve"
    no_reason = await client.post(url, headers=people["q1_logistics"],
                                  json={"outcome": "adjusted", "quantity": 3, "resolution": ""})
    assert no_reason.status_code in (400, 422)
    adjusted = await client.post(url, headers=people["q1_logistics"], json={
        "outcome": "adjusted", "quantity": 3, "resolution": "3 sets found in the store room"})
    assert adjusted.status_code == 200, adjusted.text
    assert adjusted.json()["outcome"] == "adjusted"
    assert await ppe_on_hand(client, people, depot) == 0
    ledger = await client.get("/api/stock-movements", headers=people["q1_logistics"],
                              params={"kind": "adjustment"})
    [adj] = ledger.json()["items"]
    assert (adj["quantity"], adj["reason"]) == (3, "3 sets found in the store room")


async def test_district_logistics_read_their_districts_audit_trail(
    client: AsyncClient, depot: Depot, people: People, db_session: AsyncSession, make_user: Any,
) -> None:
    mid = await open_discrepancy(db_session, make_user, depot)
    mine = await client.get("/api/audit", headers=people["q1_logistics"],
                            params={"entity": "stock_movement", "id": mid})
    assert mine.status_code == 200, mine.text
    assert [e["row_id"] for e in mine.json()["items"]] == [mid]
    theirs = await client.get("/api/audit", headers=people["q3_logistics"],
                              params={"entity": "stock_movement", "id": mid})
    assert theirs.status_code == 404
    everything = await client.get("/api/audit", headers=people["q3_logistics"])
    assert everything.status_code == 200
    assert all(e["path"].startswith("VN.79.770") for e in everything.json()["items"])
