"""Proposals up the chain: a ward asks, its district decides; a supply need becomes a
requisition through the requisition workflow."""

from __future__ import annotations

import uuid
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.supply import LocationKind, StockLocation
from domain.services.catalog import ensure_standard_catalog, item_id
from tests.integration.operations.conftest import World


async def _propose(client: AsyncClient, world: World, actor: str, **body: Any) -> Any:
    return await client.post("/api/proposals", json={"kind": "staff", "title": "Thêm 4 điều "
                             "dưỡng", "quantity": 4, **body}, headers=world.actors[actor].headers)


async def test_the_district_accepts_or_declines_its_wards_proposals(
    client: AsyncClient, world: World
) -> None:
    r = await _propose(client, world, "officer_A", detail="Trạm số 2 quá tải")
    assert r.status_code == 201, r.text
    staff = r.json()
    assert (staff["status"], staff["unit_code"], staff["to_unit_code"]) == (
        "pending", "26734", "760")
    district = world.actors["logistics_760"].headers

    # Only the level directly above decides: not the ward itself, not the city.
    for actor in ("officer_A", "coordinator_79"):
        r = await client.post(f"/api/proposals/{staff['id']}/accept", json={"note": "ok"},
                              headers=world.actors[actor].headers)
        assert r.status_code == 403, actor
    # Siblings see nothing of it.
    for actor in ("logistics_770", "officer_B"):
        headers = world.actors[actor].headers
        assert (await client.get(f"/api/proposals/{staff['id']}", headers=headers)
                ).status_code == 404
        r = await client.post(f"/api/proposals/{staff['id']}/decline",
                              json={"reason": "no"}, headers=headers)
        assert r.status_code == 404
    r = await client.post(f"/api/proposals/{staff['id']}/accept",
                          json={"note": "Điều động 4 điều dưỡng từ Trung tâm Y tế quận"},
                          headers=district)
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["status"] == "accepted"
    assert accepted["decided_by"] == str(world.actors["logistics_760"].user_id)
    assert accepted["decision_note"].startswith("Điều động")
    r = await client.post(f"/api/proposals/{staff['id']}/decline", json={"reason": "x"},
                          headers=district)
    assert r.status_code == 409  # decided once

    oxygen = (await _propose(client, world, "officer_A", kind="oxygen",
                             title="10 bình ô-xy")).json()
    r = await client.post(f"/api/proposals/{oxygen['id']}/decline",
                          json={"reason": "Kho quận đã hết, chờ Thành phố cấp"}, headers=district)
    assert r.json()["status"] == "declined"
    r = await client.post(f"/api/proposals/{oxygen['id']}/accept", json={"note": " "},
                          headers=district)
    assert r.status_code == 409
    listed = (await client.get("/api/proposals", params={"status": "pending"},
                               headers=district)).json()
    assert all(p["status"] == "pending" for p in listed["items"])
    mine = (await client.get("/api/proposals", headers=world.actors["officer_B"].headers)).json()
    assert mine["total"] == 0


async def test_a_supply_need_becomes_a_requisition(
    client: AsyncClient, world: World, db_session: AsyncSession
) -> None:
    await ensure_standard_catalog(db_session)
    location = StockLocation(id=uuid.uuid4(), code="ST-T-A", name="Station A",
                             kind=LocationKind.station, unit_code="26734",
                             station_id=world.stations["A"], scope_path="VN.79.760.26734")
    db_session.add(location)
    await db_session.commit()
    need = {"location_id": str(location.id), "justification": "F0 tăng nhanh",
            "f0_under_care": 40, "days_of_cover": 7,
            "lines": [{"item_id": str(item_id("spo2_meter")), "quantity": 10}]}
    r = await _propose(client, world, "officer_A", kind="supplies", title="Máy đo SpO2",
                       requisition=need)
    assert r.status_code == 201, r.text
    proposal = r.json()
    assert proposal["status"] == "requisitioned" and proposal["requisition_id"]
    district = world.actors["logistics_760"].headers
    req = await client.get(f"/api/requisitions/{proposal['requisition_id']}", headers=district)
    assert req.status_code == 200
    assert req.json()["status"] == "submitted"
    # It is decided as a requisition, not here.
    r = await client.post(f"/api/proposals/{proposal['id']}/accept", json={"note": "ok"},
                          headers=district)
    assert r.status_code == 409
    # A supplies proposal without its requisition, or a requisition on another kind, is refused.
    r = await _propose(client, world, "officer_A", kind="supplies", title="x")
    assert r.status_code == 422 and r.json()["field"] == "requisition"
    r = await _propose(client, world, "officer_A", kind="staff", requisition=need)
    assert r.status_code == 422 and r.json()["field"] == "requisition"


async def test_a_proposal_goes_up_with_the_days_report(
    client: AsyncClient, world: World
) -> None:
    ward = world.actors["officer_A"].headers
    report = (await client.post("/api/reports", json={"notes": "Quá tải"}, headers=ward)).json()
    r = await _propose(client, world, "officer_A", report_id=report["id"])
    assert r.status_code == 201, r.text
    await client.post(f"/api/reports/{report['id']}/submit", headers=ward)
    seen = (await client.get(f"/api/reports/{report['id']}",
                             headers=world.actors["logistics_760"].headers)).json()
    assert [(p["id"], p["kind"], p["status"]) for p in seen["proposals"]] == [
        (r.json()["id"], "staff", "pending")]
    # A ward cites only its own reports.
    r = await _propose(client, world, "officer_B", report_id=report["id"])
    assert r.status_code == 404


async def test_bad_proposals_name_the_field(client: AsyncClient, world: World) -> None:
    r = await _propose(client, world, "officer_A", kind="helicopter")
    assert r.status_code == 400 and r.json()["field"] == "kind"
    r = await _propose(client, world, "officer_A", title="")
    assert r.status_code == 400 and r.json()["field"] == "title"
    r = await _propose(client, world, "officer_A", report_id=str(uuid.uuid4()))
    assert r.status_code == 404 and r.json()["field"] == "report_id"
    r = await _propose(client, world, "doctor_760")  # a district doctor speaks for no unit
    assert r.status_code == 403
