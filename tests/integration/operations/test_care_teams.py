"""Care teams: formed by the station, members from its ward, every change audited."""

from __future__ import annotations

from httpx import AsyncClient

from domain.models.enums import Role
from tests.integration.operations.conftest import World


async def test_station_staff_form_a_team_with_members(
    client: AsyncClient, world: World
) -> None:
    team_member = world.actors["team_A"]
    r = await client.post("/api/care-teams", json={
        "station_id": str(world.stations["A"]), "name": "Tổ 3",
        "member_ids": [str(team_member.user_id)],
    }, headers=world.actors["staff_A"].headers)
    assert r.status_code == 201, r.text
    team = r.json()
    assert team["commune_code"] == "26734" and team["open_cases"] == 0
    assert [m["username"] for m in team["members"]] == ["world.team_A"]
    renamed = await client.patch(f"/api/care-teams/{team['id']}", json={"name": "Tổ 3 mới"},
                                 headers=world.actors["officer_A"].headers)
    assert renamed.json()["name"] == "Tổ 3 mới"
    other = await client.post("/api/care-teams", json={
        "station_id": str(world.stations["A_2nd"]), "name": "Tổ X"},
        headers=world.actors["staff_A"].headers)
    assert other.status_code == 403
    district = await client.post("/api/care-teams", json={
        "station_id": str(world.stations["A"]), "name": "Tổ Y"},
        headers=world.actors["logistics_760"].headers)
    assert district.status_code == 403


async def test_who_can_be_a_member(client: AsyncClient, world: World, make_user) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/care-teams/{world.teams['A']}/members"
    h = world.actors["staff_A"].headers
    nurse, _ = await make_user(Role.care_team_member, "26734")
    added = await client.put(f"{url}/{nurse.id}", headers=h)
    assert added.status_code == 200, added.text
    assert str(nurse.id) in {m["user_id"] for m in added.json()["members"]}
    again = await client.put(f"{url}/{nurse.id}", headers=h)
    assert again.status_code == 200 and len(again.json()["members"]) == 2
    officer = await client.put(f"{url}/{world.actors['officer_A'].user_id}", headers=h)
    assert officer.status_code == 422 and officer.json()["field"] == "user_id"
    elsewhere, _ = await make_user(Role.care_team_member, "27139")
    assert (await client.put(f"{url}/{elsewhere.id}", headers=h)).status_code == 404
    removed = await client.delete(f"{url}/{nurse.id}", headers=h)
    assert removed.status_code == 200
    assert str(nurse.id) not in {m["user_id"] for m in removed.json()["members"]}
    assert (await client.delete(f"{url}/{nurse.id}", headers=h)).status_code == 404


async def test_membership_changes_are_audited(
    client: AsyncClient, world: World, make_user  # type: ignore[no-untyped-def]
) -> None:
    nurse, _ = await make_user(Role.care_team_member, "26734")
    url = f"/api/care-teams/{world.teams['A']}/members/{nurse.id}"
    await client.put(url, headers=world.actors["staff_A"].headers)
    await client.delete(url, headers=world.actors["officer_A"].headers)
    trail = await client.get("/api/audit", params={"entity": "care_team_member",
                                                   "id": str(world.teams["A"])},
                             headers=world.actors["officer_A"].headers)
    assert trail.status_code == 200, trail.text
    entries = [e for e in trail.json()["items"]
               if (e["after"] or e["before"] or {}).get("user_id") == str(nurse.id)]
    assert [(e["action"], e["actor_id"], e["via"]) for e in entries] == [
        ("insert", str(world.actors["staff_A"].user_id), "login"),
        ("delete", str(world.actors["officer_A"].user_id), "login"),
    ]


async def test_team_worklist_and_out_of_scope_team(client: AsyncClient, world: World) -> None:
    team = await client.get(f"/api/care-teams/{world.teams['A']}",
                            headers=world.actors["team_A"].headers)
    assert team.json()["open_cases"] == 1  # case A; A_noteam has no team
    hidden = await client.get(f"/api/care-teams/{world.teams['B']}",
                              headers=world.actors["team_A"].headers)
    assert hidden.status_code == 404
    by_station = await client.get("/api/care-teams",
                                  params={"station_id": str(world.stations["A_2nd"])},
                                  headers=world.actors["officer_A"].headers)
    assert [t["id"] for t in by_station.json()["items"]] == [str(world.teams["A_2nd"])]
