"""Inspections as the district records them and the commune reads them: the checklist and
findings, corrections that become directives to the commune, resource adjustments that become
requisitions (or a transfer shipped at once), commendations and discipline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.services.catalog import item_id
from tests.integration.orders.conftest import HOME, SIBLING, Chain, answer, due

PPE = str(item_id("ppe_set"))


def inspection(chain: Chain, **extra: Any) -> dict[str, Any]:
    return {
        "unit_code": HOME,
        "findings": "Kế hoạch ứng phó chưa cập nhật cấp độ 4; tổ COVID khu phố 2 chưa hoạt động.",
        "checklist": {"plan_ready": False, "steering_committee": True,
                      "community_teams_active": False, "stations_staffed": True,
                      "stations_supplied": False, "connected": True},
        **extra,
    }


async def _stock_district_warehouse(client: AsyncClient, chain: Chain, db_session: AsyncSession,
                                    quantity: int) -> None:
    wh = await db_session.scalar(text("SELECT id FROM stock_location WHERE code = 'WH-760-ORD'"))
    r = await client.post("/api/stock-movements", headers=chain.h("q1"), json={
        "id": str(uuid.uuid4()), "location_id": str(wh), "item_id": PPE, "kind": "receipt",
        "quantity": quantity, "occurred_at": datetime.now(UTC).isoformat(),
        "reason": "Nhận từ kho thành phố"})
    assert r.status_code == 201, r.text


async def test_the_district_inspects_a_ward_and_the_ward_acts_on_the_corrections(
    client: AsyncClient, chain: Chain
) -> None:
    team = await client.post("/api/community-teams", headers=chain.h("home_officer"), json={
        "name": "Tổ COVID khu phố 1", "channel": "phone", "contact": "0903123456"})
    assert team.status_code == 201, team.text
    body = inspection(chain, corrections=[
        {"title": "Cập nhật kế hoạch ứng phó cấp độ 4", "due_at": due(48)},
        {"title": "Kích hoạt tổ COVID khu phố 2", "due_at": due(24), "report_required": False},
    ], merits=[{"kind": "commendation", "person_name": "Nguyễn Thị Lan",
                "reason": "Trạm trưởng trạm 1 tổ chức tốt việc theo dõi F0"},
               {"kind": "discipline", "user_id": str(chain.people["home_officer"].id),
                "reason": "Chậm báo cáo số liệu 3 ngày liền"}])
    r = await client.post("/api/inspections", json=body, headers=chain.h("q1"))
    assert r.status_code == 201, r.text
    done = r.json()
    assert done["inspector_unit_code"] == "760" and done["unit_code"] == HOME
    assert done["checklist"]["steering_committee"] and not done["checklist"]["plan_ready"]
    assert [c["title"] for c in done["corrections"]] == ["Kích hoạt tổ COVID khu phố 2",
                                                          "Cập nhật kế hoạch ứng phó cấp độ 4"]
    assert {m["kind"] for m in done["merits"]} == {"commendation", "discipline"}
    # Beside the checklist, what the system sees of the ward now.
    assert done["observed"] == {"community_teams_active": 1, "stations": 1,
                                "stations_active": 1, "devices_synced_24h": 0}
    # The ward sees the inspection and its corrections among its directives.
    seen = await client.get(f"/api/inspections/{done['id']}", headers=chain.h("home_officer"))
    assert seen.status_code == 200
    mine = (await client.get("/api/received-directives",
                             headers=chain.h("home_officer"))).json()
    assert {d["title"] for d in mine["items"]} == {c["title"] for c in done["corrections"]}
    assert all(d["issuer_unit_code"] == "760" for d in mine["items"])
    first = done["corrections"][0]["id"]
    r = await answer(client, chain.h("home_officer"), first, status="done")
    assert r.status_code == 200, r.text
    again = (await client.get(f"/api/inspections/{done['id']}", headers=chain.h("q1"))).json()
    assert again["corrections"][0]["status"] == "done"
    # The district follows the corrections like any directive of its own.
    issued = (await client.get("/api/directives", headers=chain.h("q1"))).json()
    assert issued["total"] == 2
    # Siblings see nothing of it.
    for who in ("sibling_officer", "q3"):
        r = await client.get(f"/api/inspections/{done['id']}", headers=chain.h(who))
        assert r.status_code == 404
        assert (await client.get("/api/inspections", headers=chain.h(who))).json()["total"] == 0


async def test_a_commune_inspects_neither_itself_nor_a_sibling(
    client: AsyncClient, chain: Chain
) -> None:
    for who, unit, status in (("home_officer", HOME, 403), ("home_officer", SIBLING, 403),
                              ("sibling_officer", HOME, 403), ("q3", HOME, 404),
                              ("observer", HOME, 403)):
        r = await client.post("/api/inspections", json=inspection(chain, unit_code=unit),
                              headers=chain.h(who))
        assert r.status_code == status, (who, unit, r.text)
    r = await client.post("/api/inspections", json=inspection(chain, unit_code="760"),
                          headers=chain.h("city"))
    assert r.status_code == 400 and "unit_code" in r.text, "a district is not inspected"
    assert (await client.get("/api/inspections", headers=chain.h("city"))).json()["total"] == 0


async def test_a_refused_correction_leaves_nothing_of_the_inspection(
    client: AsyncClient, chain: Chain
) -> None:
    body = inspection(chain, corrections=[
        {"title": "Cập nhật kế hoạch", "due_at": due(24)},
        {"title": "Quá hạn", "due_at": due(-2)}])
    r = await client.post("/api/inspections", json=body, headers=chain.h("q1"))
    assert r.status_code == 422 and r.json()["field"] == "corrections[1].due_at"
    assert (await client.get("/api/inspections", headers=chain.h("q1"))).json()["total"] == 0
    assert (await client.get("/api/directives", headers=chain.h("q1"))).json()["total"] == 0
    r = await client.post("/api/inspections", headers=chain.h("q1"), json=inspection(
        chain, merits=[{"kind": "discipline", "user_id": str(chain.people["sibling_officer"].id),
                        "reason": "x"}]))
    assert r.status_code == 404 and r.json()["field"] == "merits[0].user_id"


async def test_resource_adjustments_become_a_requisition_and_a_shipped_transfer(
    client: AsyncClient, chain: Chain, db_session: AsyncSession
) -> None:
    await _stock_district_warehouse(client, chain, db_session, 100)
    body = inspection(chain, adjustments=[
        {"kind": "requisition", "location_id": str(chain.location_id),
         "lines": [{"item_id": PPE, "quantity": 200}], "justification": "Thiếu đồ bảo hộ"},
        {"kind": "transfer", "location_id": str(chain.location_id),
         "lines": [{"item_id": PPE, "quantity": 40}], "carrier": "Xe quận"},
    ])
    r = await client.post("/api/inspections", json=body, headers=chain.h("q1"))
    assert r.status_code == 201, r.text
    adjustments = {a["kind"]: a for a in r.json()["adjustments"]}
    assert adjustments["requisition"]["requisition_status"] == "submitted"
    assert adjustments["transfer"]["requisition_status"] == "shipped"
    # The station sees both through the ordinary supplies workflow and receives the transfer.
    transfer = adjustments["transfer"]["requisition_id"]
    r = await client.get(f"/api/requisitions/{transfer}", headers=chain.h("home_staff"))
    assert r.status_code == 200, r.text
    assert r.json()["justification"].startswith("Kiểm tra KT-")
    r = await client.post(f"/api/requisitions/{transfer}/receive", json={},
                          headers=chain.h("home_staff"))
    assert r.status_code in (200, 201), r.text
    stock = (await client.get("/api/stock", params={"location_id": str(chain.location_id)},
                              headers=chain.h("home_staff"))).json()
    assert any(line["item_id"] == PPE and line["quantity"] == 40
               for line in stock["items"]), stock
    # The city cannot ship from a district's warehouse: it asks for a requisition instead.
    r = await client.post("/api/inspections", headers=chain.h("city"), json=inspection(
        chain, adjustments=[{"kind": "transfer", "location_id": str(chain.location_id),
                             "lines": [{"item_id": PPE, "quantity": 1}]}]))
    assert r.status_code == 422 and r.json()["field"] == "adjustments[0].kind"
    # A transfer the warehouse cannot cover is refused, with nothing written.
    r = await client.post("/api/inspections", headers=chain.h("q1"), json=inspection(
        chain, adjustments=[{"kind": "transfer", "location_id": str(chain.location_id),
                             "lines": [{"item_id": PPE, "quantity": 1000}]}]))
    assert r.status_code == 409, r.text
    assert (await client.get("/api/inspections", headers=chain.h("q1"))).json()["total"] == 1


async def test_commendation_or_discipline_follows_from_the_inspecting_unit_only(
    client: AsyncClient, chain: Chain, db_session: AsyncSession
) -> None:
    done = (await client.post("/api/inspections", json=inspection(chain),
                              headers=chain.h("q1"))).json()
    merit = {"kind": "commendation", "reason": "Phường hoàn thành tốt khắc phục"}
    for who in ("city", "home_officer"):
        r = await client.post(f"/api/inspections/{done['id']}/merits", json=merit,
                              headers=chain.h(who))
        assert r.status_code == 403, (who, r.text)
    r = await client.post(f"/api/inspections/{done['id']}/merits", json=merit,
                          headers=chain.h("q1"))
    assert r.status_code == 201 and r.json()["merits"][0]["unit_code"] == HOME
    audited = {e for (e,) in (await db_session.execute(text(
        "SELECT DISTINCT entity FROM audit_log WHERE entity LIKE 'inspection%'"))).all()}
    assert audited == {"inspection", "inspection_merit"}
