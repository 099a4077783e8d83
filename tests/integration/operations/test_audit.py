"""The audit trail through the API: who, when, through what, before and after."""

from __future__ import annotations

from httpx import AsyncClient

from tests.integration.operations.conftest import World


async def test_a_station_edit_is_in_the_trail_with_its_author(
    client: AsyncClient, world: World
) -> None:
    officer = world.actors["officer_A"]
    station = str(world.stations["A"])
    await client.patch(f"/api/stations/{station}", json={"capacity": 90},
                       headers=officer.headers)
    r = await client.get("/api/audit", params={"entity": "station", "id": station},
                         headers=world.actors["coordinator_79"].headers)
    assert r.status_code == 200, r.text
    entries = r.json()["items"]
    assert entries[0]["action"] == "insert" and entries[0]["via"] == "system"
    last = entries[-1]
    assert (last["action"], last["actor_id"], last["via"]) == ("update", str(officer.user_id),
                                                               "login")
    assert last["before"] == {"capacity": 60} and last["after"] == {"capacity": 90}


async def test_personal_fields_are_redacted_for_readers_who_do_not_care(
    client: AsyncClient, world: World
) -> None:
    case = str(world.cases["A"])
    await client.patch(f"/api/cases/{case}", json={"phone": "0987654321"},
                       headers=world.actors["staff_A"].headers)
    params = {"entity": "f0_case", "id": case}
    city = (await client.get("/api/audit", params=params,
                             headers=world.actors["coordinator_79"].headers)).json()["items"]
    assert city[0]["after"]["full_name"] == "[redacted]"
    assert city[-1]["before"] == {"phone": "[redacted]"}
    assert "0987654321" not in str(city)
    ward = (await client.get("/api/audit", params=params,
                             headers=world.actors["officer_A"].headers)).json()["items"]
    assert ward[-1]["after"] == {"phone": "0987654321"}


async def test_unknown_rows_and_filters(client: AsyncClient, world: World) -> None:
    h = world.actors["admin_79"].headers
    missing = await client.get("/api/audit", params={"id": "00000000-0000-4000-8000-000000000000"},
                               headers=h)
    assert missing.status_code == 404
    stations = (await client.get("/api/audit", params={"entity": "station", "limit": 1000},
                                 headers=h)).json()
    assert {e["entity"] for e in stations["items"]} == {"station"}
    hanoi = str(world.stations["H"])
    assert all(e["row_id"] != hanoi for e in stations["items"])
