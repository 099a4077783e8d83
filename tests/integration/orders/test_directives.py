"""Directives as their users see them: the issuer addresses units below it and follows each
one; each addressed unit acknowledges, reports and completes its own copy, and nobody
answers for another unit."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.integration.orders.conftest import (
    HOME,
    OTHER_DISTRICT,
    SIBLING,
    Chain,
    answer,
    copy_of,
    due,
    issue,
    make_overdue,
)


async def test_a_district_directive_reaches_each_selected_ward_and_no_other(
    client: AsyncClient, chain: Chain
) -> None:
    d = await issue(client, chain.h("q1"), unit_codes=[HOME, SIBLING], priority="urgent",
                    report_required=True)
    assert d["issuer_unit_code"] == "760" and d["priority"] == "urgent"
    assert {u["unit_code"] for u in d["units"]} == {HOME, SIBLING}
    assert d["counts"] == {"unread": 2, "acknowledged": 0, "in_progress": 0, "overdue": 0,
                           "done": 0}
    mine = (await client.get("/api/received-directives", headers=chain.h("home_officer"))).json()
    assert [r["directive_id"] for r in mine["items"]] == [d["id"]]
    assert mine["items"][0]["title"] == "Rà soát F0 tại nhà"
    assert mine["items"][0]["status"] == "unread" and mine["items"][0]["report_required"]
    other = await client.get("/api/received-directives", headers=chain.h("q3_officer"))
    assert other.json()["total"] == 0
    # The issuer's follow-up is not the wards' to read.
    r = await client.get(f"/api/directives/{d['id']}", headers=chain.h("home_officer"))
    assert r.status_code == 404


async def test_all_communes_means_every_commune_below_the_issuer(
    client: AsyncClient, chain: Chain, db_session: AsyncSession
) -> None:
    d = await issue(client, chain.h("q1"), all_communes=True)
    communes = (await db_session.execute(text(
        "SELECT code FROM admin_unit WHERE level = 'commune' AND parent_code = '760'"))).all()
    assert {u["unit_code"] for u in d["units"]} == {c for (c,) in communes}
    city = await issue(client, chain.h("city"), all_communes=True)
    assert len(city["units"]) == (await db_session.scalar(text(
        "SELECT count(*) FROM admin_unit WHERE level = 'commune' "
        "AND scope_path LIKE 'VN.79.%'")))
    assert OTHER_DISTRICT in {u["unit_code"] for u in city["units"]}


async def test_only_units_below_the_issuer_can_be_addressed(
    client: AsyncClient, chain: Chain
) -> None:
    r = await client.post("/api/directives", headers=chain.h("q1"), json={
        "title": "x", "body": "y", "due_at": due(), "unit_codes": [HOME, OTHER_DISTRICT]})
    assert r.status_code == 404 and r.json()["field"] == "unit_codes[1]"
    r = await client.post("/api/directives", headers=chain.h("q1"), json={
        "title": "x", "body": "y", "due_at": due(), "unit_codes": ["760"]})
    assert r.status_code == 422 and r.json()["field"] == "unit_codes[0]"
    # A commune has nobody below it; an observer issues nothing.
    for who in ("home_officer", "observer"):
        r = await client.post("/api/directives", headers=chain.h(who), json={
            "title": "x", "body": "y", "due_at": due(), "all_communes": True})
        assert r.status_code == 403, r.text
    r = await client.post("/api/directives", headers=chain.h("q1"), json={
        "title": "x", "body": "y", "due_at": due(-1), "unit_codes": [HOME]})
    assert r.status_code == 422 and r.json()["field"] == "due_at"
    r = await client.post("/api/directives", headers=chain.h("q1"), json={
        "title": "x", "body": "y", "due_at": due(), "unit_codes": [HOME], "all_communes": True})
    assert r.status_code == 422 and r.json()["field"] == "unit_codes"
    r = await client.post("/api/directives", headers=chain.h("q1"), json={
        "title": "", "body": "y", "due_at": due(), "unit_codes": [HOME]})
    assert r.status_code == 400 and "title" in r.text
    listed = await client.get("/api/directives", headers=chain.h("q1"))
    assert listed.json()["total"] == 0, "nothing half-written"


async def test_the_ward_acknowledges_reports_and_completes_and_the_issuer_sees_it(
    client: AsyncClient, chain: Chain
) -> None:
    d = await issue(client, chain.h("q1"), unit_codes=[HOME, SIBLING], report_required=True)
    mine = copy_of(d, HOME)
    r = await answer(client, chain.h("home_officer"), mine, status="acknowledged")
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_at"] is not None
    r = await answer(client, chain.h("home_staff"), mine, status="in_progress",
                     progress_pct=40, progress_note="Đã rà soát khu phố 1 và 2")
    assert r.json()["status"] == "in_progress" and r.json()["progress_pct"] == 40
    r = await answer(client, chain.h("home_officer"), mine, status="done")
    assert r.status_code == 422 and r.json()["field"] == "completion_report"
    r = await answer(client, chain.h("home_officer"), mine, status="done",
                     completion_report="Rà soát xong 312 F0; 4 chuyển viện.")
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert r.json()["progress_pct"] == 100
    # Forward only: a done directive is not acknowledged again.
    r = await answer(client, chain.h("home_officer"), mine, status="acknowledged")
    assert r.status_code == 409
    view = (await client.get(f"/api/directives/{d['id']}", headers=chain.h("q1"))).json()
    states = {u["unit_code"]: u["state"] for u in view["units"]}
    assert states == {HOME: "done", SIBLING: "unread"}
    assert view["counts"]["done"] == 1 and view["counts"]["unread"] == 1
    done = next(u for u in view["units"] if u["unit_code"] == HOME)
    assert done["completion_report"].startswith("Rà soát xong")
    # The city above sees the same follow-up.
    r = await client.get(f"/api/directives/{d['id']}", headers=chain.h("city"))
    assert r.status_code == 200


async def test_nobody_answers_for_another_unit(client: AsyncClient, chain: Chain) -> None:
    d = await issue(client, chain.h("q1"), unit_codes=[HOME])
    mine = copy_of(d, HOME)
    # A sibling ward does not even see it; the district above sees it but may not answer.
    r = await answer(client, chain.h("sibling_officer"), mine, status="acknowledged")
    assert r.status_code == 404
    r = await answer(client, chain.h("q1"), mine, status="acknowledged")
    assert r.status_code == 403 and r.json()["field"] == "recipient_id"
    r = await answer(client, chain.h("city"), mine, progress_note="xong")
    assert r.status_code == 403
    r = await answer(client, chain.h("home_volunteer"), mine, status="acknowledged")
    assert r.status_code == 403
    got = (await client.get(f"/api/received-directives/{mine}",
                            headers=chain.h("home_officer"))).json()
    assert got["status"] == "unread" and got["acknowledged_at"] is None
    assert got["progress_note"] is None


async def test_the_issuer_urges_the_overdue_units_only(
    client: AsyncClient, chain: Chain, db_session: AsyncSession
) -> None:
    d = await issue(client, chain.h("q1"), unit_codes=[HOME, SIBLING])
    r = await client.post(f"/api/directives/{d['id']}/reminders", json={},
                          headers=chain.h("q1"))
    assert r.status_code == 422, "nobody is overdue yet"
    await answer(client, chain.h("sibling_officer"), copy_of(d, SIBLING), status="done")
    await make_overdue(db_session, d["id"])
    view = (await client.get(f"/api/directives/{d['id']}", headers=chain.h("q1"))).json()
    assert {u["unit_code"]: u["state"] for u in view["units"]} == {HOME: "overdue",
                                                                  SIBLING: "done"}
    r = await client.post(f"/api/directives/{d['id']}/reminders",
                          json={"unit_codes": [SIBLING]}, headers=chain.h("q1"))
    assert r.status_code == 422 and r.json()["field"] == "unit_codes[0]"
    # Neither the city above nor the ward urges for the district.
    for who in ("city", "home_officer"):
        r = await client.post(f"/api/directives/{d['id']}/reminders", json={},
                              headers=chain.h(who))
        assert r.status_code in (403, 404), (who, r.text)
    r = await client.post(f"/api/directives/{d['id']}/reminders",
                          json={"message": "Đề nghị báo cáo ngay trong ngày"},
                          headers=chain.h("q1"))
    assert r.status_code == 201, r.text
    assert [x["unit_code"] for x in r.json()] == [HOME]
    mine = copy_of(d, HOME)
    got = (await client.get(f"/api/received-directives/{mine}",
                            headers=chain.h("home_officer"))).json()
    assert got["overdue"] and got["reminder_count"] == 1 and got["last_reminded_at"]
    reminders = (await client.get(f"/api/received-directives/{mine}/reminders",
                                  headers=chain.h("home_officer"))).json()
    assert [x["message"] for x in reminders] == ["Đề nghị báo cáo ngay trong ngày"]
    overdue = (await client.get("/api/received-directives", params={"overdue": "true"},
                                headers=chain.h("q1"))).json()
    assert [x["unit_code"] for x in overdue["items"]] == [HOME]


async def test_directives_are_audited(
    client: AsyncClient, chain: Chain, db_session: AsyncSession
) -> None:
    d = await issue(client, chain.h("q1"), unit_codes=[HOME])
    await answer(client, chain.h("home_officer"), copy_of(d, HOME), status="acknowledged")
    rows = (await db_session.execute(text(
        "SELECT entity, action, actor_id FROM audit_log "
        "WHERE entity IN ('directive', 'directive_recipient') ORDER BY id"))).all()
    assert ("directive", "insert", chain.people["q1"].id) in rows
    assert ("directive_recipient", "update", chain.people["home_officer"].id) in rows


async def test_the_levels_above_read_a_wards_answer_and_siblings_do_not(
    client: AsyncClient, chain: Chain
) -> None:
    d = await issue(client, chain.h("city"), unit_codes=[HOME, "760"])
    mine = copy_of(d, HOME)
    await answer(client, chain.h("home_staff"), mine, status="acknowledged")
    for who in ("q1", "city", "observer", "home_volunteer"):
        r = await client.get(f"/api/received-directives/{mine}", headers=chain.h(who))
        assert r.status_code == 200 and r.json()["status"] == "acknowledged", who
    for who in ("sibling_officer", "q3", "hanoi_officer"):
        r = await client.get(f"/api/received-directives/{mine}", headers=chain.h(who))
        assert r.status_code == 404, who
    # The district answers the copy addressed to the district itself, not its ward's.
    district_copy = copy_of(d, "760")
    r = await answer(client, chain.h("q1"), district_copy, status="in_progress",
                     progress_pct=10)
    assert r.status_code == 200 and r.json()["unit_code"] == "760"
    listed = (await client.get("/api/received-directives", headers=chain.h("q1"),
                               params={"commune": HOME})).json()
    assert [x["unit_code"] for x in listed["items"]] == [HOME]
    # The district does not see the city's follow-up of its own directive.
    r = await client.get(f"/api/directives/{d['id']}", headers=chain.h("q1"))
    assert r.status_code == 404
