"""The alert worklist: acknowledge, resolve, who may, and in what order they come."""

from __future__ import annotations

from httpx import AsyncClient

from tests.integration.operations.conftest import World, observe


async def test_acknowledge_then_resolve_records_who_and_when(
    client: AsyncClient, world: World
) -> None:
    alert = (await observe(client, world, "staff_A", "A", 95)).json()["alert"]
    url = f"/api/alerts/{alert['id']}"
    team = world.actors["team_A"]
    ack = await client.post(f"{url}/acknowledge", headers=team.headers)
    assert ack.status_code == 200
    assert ack.json()["acknowledged_by"] == str(team.user_id) and ack.json()["acknowledged_at"]
    twice = await client.post(f"{url}/acknowledge", headers=team.headers)
    assert twice.status_code == 409 and twice.json()["code"] == "transition_not_allowed"
    done = await client.post(f"{url}/resolve", json={"note": "SpO2 97% on recheck"},
                             headers=world.actors["doctor_760"].headers)
    assert done.status_code == 200 and done.json()["resolution_note"] == "SpO2 97% on recheck"
    assert (await client.post(f"{url}/resolve", headers=team.headers)).status_code == 409


async def test_only_the_patients_carers_handle_an_alert(
    client: AsyncClient, world: World
) -> None:
    alert = (await observe(client, world, "staff_A", "A_noteam", 95)).json()["alert"]
    url = f"/api/alerts/{alert['id']}/acknowledge"
    for actor, status in (("coordinator_79", 403), ("logistics_760", 403), ("officer_B", 404),
                          ("team_A", 403)):
        r = await client.post(url, headers=world.actors[actor].headers)
        assert r.status_code == status, actor
    assert (await client.post(url, headers=world.actors["officer_A"].headers)).status_code == 200


async def test_worklist_puts_unresolved_emergencies_first(
    client: AsyncClient, world: World
) -> None:
    mild = (await observe(client, world, "staff_A", "A", 95)).json()["alert"]
    bad = (await observe(client, world, "staff_A", "A_noteam", 90)).json()["alert"]
    done = (await observe(client, world, "officer_A", "A_2nd", 91)).json()["alert"]
    await client.post(f"/api/alerts/{done['id']}/resolve",
                      headers=world.actors["officer_A"].headers)
    r = await client.get("/api/alerts", params={"commune": "26734"},
                         headers=world.actors["logistics_760"].headers)
    assert [a["id"] for a in r.json()["items"]] == [bad["id"], mild["id"], done["id"]]
    open_only = await client.get("/api/alerts", params={"unresolved": "true",
                                                        "severity": "emergency"},
                                 headers=world.actors["coordinator_79"].headers)
    assert [a["id"] for a in open_only.json()["items"]] == [bad["id"]]
