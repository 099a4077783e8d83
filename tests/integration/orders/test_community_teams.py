"""Community COVID teams as a commune keeps them: its officer forms and edits them, the
district reads them, siblings see nothing, every write is audited."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.integration.orders.conftest import HOME, SIBLING, Chain

TEAM: dict[str, Any] = {
    "name": "Tổ COVID cộng đồng khu phố 3", "channel": "zalo",
    "contact": "Zalo: Tổ COVID KP3 Tân Định", "areas": ["Khu phố 3", "Hẻm 45 Trần Quang Khải"],
    "households": 215,
    "members": [{"full_name": "Trần Văn Bình", "phone": "0903123456", "role": "leader"},
                {"full_name": "Lê Thị Hoa", "role": "member"}],
}


async def test_the_commune_officer_forms_a_team_the_district_reads_it_siblings_do_not(
    client: AsyncClient, chain: Chain
) -> None:
    r = await client.post("/api/community-teams", json=TEAM, headers=chain.h("home_officer"))
    assert r.status_code == 201, r.text
    team = r.json()
    assert team["commune_code"] == HOME and team["households"] == 215
    assert [m["full_name"] for m in team["members"]] == ["Trần Văn Bình", "Lê Thị Hoa"]
    listed = (await client.get("/api/community-teams", headers=chain.h("q1"))).json()
    assert [t["id"] for t in listed["items"]] == [team["id"]]
    assert listed["items"][0]["members"][0]["phone"] == "0903123456"
    observed = (await client.get(f"/api/community-teams/{team['id']}",
                                 headers=chain.h("observer"))).json()
    assert [m["phone"] for m in observed["members"]] == [None, None], "de-identified"
    assert observed["contact"] == TEAM["contact"]
    for who in ("sibling_officer", "q3"):
        assert (await client.get(f"/api/community-teams/{team['id']}",
                                 headers=chain.h(who))).status_code == 404
        listed = (await client.get("/api/community-teams", headers=chain.h(who))).json()
        assert listed["total"] == 0


async def test_only_the_commune_officer_manages_its_teams(
    client: AsyncClient, chain: Chain
) -> None:
    for who, status in (("q1", 403), ("home_staff", 403), ("home_volunteer", 403)):
        r = await client.post("/api/community-teams", json={**TEAM, "commune_code": HOME},
                              headers=chain.h(who))
        assert r.status_code == status, (who, r.text)
    r = await client.post("/api/community-teams", json={**TEAM, "commune_code": SIBLING},
                          headers=chain.h("home_officer"))
    assert r.status_code == 404 and r.json()["field"] == "commune_code"
    team = (await client.post("/api/community-teams", json=TEAM,
                              headers=chain.h("home_officer"))).json()
    r = await client.patch(f"/api/community-teams/{team['id']}", json={"active": False},
                           headers=chain.h("q1"))
    assert r.status_code == 403
    r = await client.delete(f"/api/community-teams/{team['id']}",
                            headers=chain.h("sibling_officer"))
    assert r.status_code == 404


async def test_bad_input_names_the_field_and_writes_nothing(
    client: AsyncClient, chain: Chain
) -> None:
    h = chain.h("home_officer")
    for body, field in (({**TEAM, "channel": "phone", "contact": "Zalo nhóm"}, "contact"),
                        ({**TEAM, "households": -1}, "households"),
                        ({**TEAM, "channel": "pigeon"}, "channel"),
                        ({**TEAM, "members": [{"full_name": ""}]}, "full_name"),
                        ({**TEAM, "members": [{"full_name": "A", "phone": "12"}]}, "phone")):
        r = await client.post("/api/community-teams", json=body, headers=h)
        assert r.status_code in (400, 422), r.text
        assert field in r.text, (field, r.text)
    assert (await client.get("/api/community-teams", headers=h)).json()["total"] == 0


async def test_the_officer_edits_members_and_dissolves_a_team(
    client: AsyncClient, chain: Chain, db_session: AsyncSession
) -> None:
    h = chain.h("home_officer")
    team = (await client.post("/api/community-teams", json=TEAM, headers=h)).json()
    r = await client.patch(f"/api/community-teams/{team['id']}",
                           json={"channel": "phone", "contact": "0903999888",
                                 "households": 230}, headers=h)
    assert r.status_code == 200 and r.json()["channel"] == "phone"
    r = await client.post(f"/api/community-teams/{team['id']}/members",
                          json={"full_name": "Phạm Minh Tuấn", "role": "deputy"}, headers=h)
    assert len(r.json()["members"]) == 3
    leader = next(m for m in r.json()["members"] if m["role"] == "leader")
    r = await client.patch(f"/api/community-teams/{team['id']}/members/{leader['id']}",
                           json={"phone": "0909000111"}, headers=h)
    assert next(m for m in r.json()["members"] if m["id"] == leader["id"])["phone"] == \
        "0909000111"
    r = await client.delete(f"/api/community-teams/{team['id']}/members/{leader['id']}",
                            headers=h)
    assert leader["id"] not in {m["id"] for m in r.json()["members"]}
    r = await client.delete(f"/api/community-teams/{team['id']}", headers=h)
    assert r.status_code == 204, r.text
    assert (await client.get(f"/api/community-teams/{team['id']}",
                             headers=h)).status_code == 404
    audited = (await db_session.execute(text(
        "SELECT DISTINCT entity, action FROM audit_log "
        "WHERE entity LIKE 'community_team%'"))).all()
    assert {("community_team", "insert"), ("community_team", "update"),
            ("community_team", "delete"), ("community_team_member", "insert"),
            ("community_team_member", "delete")} <= set(audited)
