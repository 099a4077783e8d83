"""Readiness of each fortress online: the ward writes its plan, its district sets its level,
the gaps follow; nobody sets their own level or writes another unit's plan."""

from __future__ import annotations

from httpx import AsyncClient

from tests.integration.operations.conftest import World

PLAN = {"staff": 30, "stations": 3, "home_beds": 300, "oxygen": 20, "teams": 8}
READY = {"staff": 24, "stations": 3, "home_beds": 320, "oxygen": 5, "teams": 8}


async def test_gaps_are_what_the_current_level_needs_beyond_what_is_ready(
    client: AsyncClient, world: World
) -> None:
    ward = world.actors["officer_A"].headers
    r = await client.put("/api/readiness/26734/needs/3", json=PLAN, headers=ward)
    assert r.status_code == 200, r.text
    r = await client.put("/api/readiness/26734/needs/4",
                         json={**PLAN, "staff": 60, "oxygen": 50}, headers=ward)
    r = await client.put("/api/readiness/26734/ready", json=READY, headers=ward)
    view = r.json()
    assert view["current"] is None and view["current_gaps"] is None
    gaps = {p["level"]: p["gaps"] for p in view["plan"]}
    assert gaps[3] == {"staff": 6, "stations": 0, "home_beds": 0, "oxygen": 15, "teams": 0}
    assert gaps[4]["staff"] == 36 and gaps[4]["oxygen"] == 45

    # The ward does not set its own level; its district does.
    r = await client.put("/api/readiness/26734/level", json={"level": 3}, headers=ward)
    assert r.status_code == 403
    r = await client.put("/api/readiness/26734/level", json={"level": 4, "note": "F0 tăng"},
                         headers=world.actors["logistics_760"].headers)
    assert r.status_code == 200, r.text
    view = r.json()
    assert (view["current"]["level"], view["current"]["colour"]) == (4, "red")
    assert view["current_gaps"] == gaps[4]
    # The city sets the district's level, not the district itself.
    r = await client.put("/api/readiness/760/level", json={"level": 3},
                         headers=world.actors["logistics_760"].headers)
    assert r.status_code == 403
    r = await client.put("/api/readiness/760/level", json={"level": 3},
                         headers=world.actors["coordinator_79"].headers)
    assert r.status_code == 200 and r.json()["current"]["colour"] == "orange"

    # The map layer's read: each unit with its level and current gaps.
    units = (await client.get("/api/readiness/map",
                              headers=world.actors["coordinator_79"].headers)).json()
    by_code = {u["code"]: u for u in units}
    assert by_code["26734"]["level"] == 4 and by_code["26734"]["colour"] == "red"
    assert by_code["26734"]["gaps"] == gaps[4]
    assert by_code["760"]["level"] == 3 and by_code["760"]["level_of_unit"] == "district"
    assert by_code["26737"]["level"] is None and by_code["26737"]["gaps"] is None


async def test_plans_and_levels_are_scoped(client: AsyncClient, world: World) -> None:
    district = world.actors["logistics_760"].headers
    r = await client.put("/api/readiness/26734/ready", json=READY, headers=district)
    assert r.status_code == 403  # the district reads the ward's plan, does not write it
    r = await client.put("/api/readiness/27139/ready", json=READY, headers=district)
    assert r.status_code == 404  # a ward of another district
    r = await client.put("/api/readiness/27139/level", json={"level": 2}, headers=district)
    assert r.status_code == 404
    r = await client.get("/api/readiness", params={"unit": "26734"},
                         headers=world.actors["officer_B"].headers)
    assert r.status_code == 404
    r = await client.put("/api/readiness/760/needs/2", json=PLAN,
                         headers=world.actors["coordinator_79"].headers)
    assert r.status_code in (403, 422)  # a district keeps no plan, and not the city's to write
    ward = world.actors["officer_A"].headers
    r = await client.put("/api/readiness/26734/needs/5", json=PLAN, headers=ward)
    assert r.status_code == 400 and r.json()["field"] == "level"
    r = await client.put("/api/readiness/26734/ready", json={**READY, "staff": -1}, headers=ward)
    assert r.status_code == 400 and r.json()["field"] == "staff"
    r = await client.put("/api/readiness/26734/level", json={"level": 0}, headers=district)
    assert r.status_code == 400 and r.json()["field"] == "level"
