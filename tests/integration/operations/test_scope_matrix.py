"""Every role at every level against objects in its own unit, a sibling unit, another
district and another province: reads by id, list filters, and writes.

Out of scope answers 404 exactly like a missing object; in scope but not the caller's job
answers 403. The expectations are written out, not computed, so they read as the rules.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from httpx import AsyncClient

from tests.integration.operations.conftest import ACTORS, World

WARD_A_CASES = {"A", "A_2nd", "A_noteam"}
DISTRICT_1_CASES = WARD_A_CASES | {"A2"}
CITY_CASES = DISTRICT_1_CASES | {"B"}
ALL_CASES = CITY_CASES | {"H"}

VISIBLE_CASES = {
    "staff_A": WARD_A_CASES, "team_A": WARD_A_CASES, "doctor_A": WARD_A_CASES,
    "officer_A": WARD_A_CASES, "officer_B": {"B"}, "doctor_760": DISTRICT_1_CASES,
    "logistics_760": DISTRICT_1_CASES, "logistics_770": {"B"}, "coordinator_79": CITY_CASES,
    "observer": ALL_CASES, "admin_79": CITY_CASES,
}
SEES_PERSONAL = {"staff_A", "team_A", "doctor_A", "officer_A", "officer_B", "doctor_760"}
VISIBLE_STATIONS = {
    name: {"A", "A_2nd"} if cases == WARD_A_CASES else {s for s in cases if s != "A_noteam"}
    for name, cases in VISIBLE_CASES.items()
}

# Recording an observation on a case: the patient's carers only.
OBSERVE = {
    "staff_A": {"A": 201, "A_2nd": 403, "A_noteam": 201},
    "team_A": {"A": 201, "A_2nd": 403, "A_noteam": 403},
    "doctor_A": {"A": 201, "A_2nd": 403, "A_noteam": 201},
    "officer_A": {"A": 201, "A_2nd": 201, "A_noteam": 201},
    "officer_B": {"B": 201},
    "doctor_760": {"A": 201, "A_2nd": 201, "A_noteam": 201, "A2": 201},
    "logistics_760": dict.fromkeys(DISTRICT_1_CASES, 403),
    "logistics_770": {"B": 403},
    "coordinator_79": dict.fromkeys(CITY_CASES, 403),
    "observer": dict.fromkeys(ALL_CASES, 403),
    "admin_79": dict.fromkeys(CITY_CASES, 403),
}
# Asking for a transfer to hospital: a station's staff or a doctor caring for the patient;
# other carers see the case but the status machine refuses them the move (409).
REQUEST_TRANSFER = {
    "staff_A": {"A": 200, "A_2nd": 403, "A_noteam": 200},
    "team_A": {"A": 409, "A_2nd": 403, "A_noteam": 403},
    "doctor_A": {"A": 200, "A_2nd": 403, "A_noteam": 200},
    "officer_A": dict.fromkeys(WARD_A_CASES, 409),
    "officer_B": {"B": 409},
    "doctor_760": dict.fromkeys(DISTRICT_1_CASES, 200),
    "logistics_760": dict.fromkeys(DISTRICT_1_CASES, 403),
    "logistics_770": {"B": 403},
    "coordinator_79": dict.fromkeys(CITY_CASES, 403),
    "observer": dict.fromkeys(ALL_CASES, 403),
    "admin_79": dict.fromkeys(CITY_CASES, 403),
}
# Editing a station's details: its commune officer, its own staff, administrators.
EDIT_STATION = {
    "staff_A": {"A": 200, "A_2nd": 403},
    "team_A": {"A": 403, "A_2nd": 403},
    "doctor_A": {"A": 403, "A_2nd": 403},
    "officer_A": {"A": 200, "A_2nd": 200},
    "officer_B": {"B": 200},
    "doctor_760": {"A": 403, "A_2nd": 403, "A2": 403},
    "logistics_760": {"A": 403, "A_2nd": 403, "A2": 403},
    "logistics_770": {"B": 403},
    "coordinator_79": dict.fromkeys(["A", "A_2nd", "A2", "B"], 403),
    "observer": dict.fromkeys(["A", "A_2nd", "A2", "B", "H"], 403),
    "admin_79": dict.fromkeys(["A", "A_2nd", "A2", "B"], 200),
}
# Suspending a station: the commune's officer, administrators, and the city as escalation.
SUSPEND_STATION = {
    "staff_A": {"A": 403, "A_2nd": 403},
    "doctor_A": {"A": 403, "A_2nd": 403},
    "officer_A": {"A": 200, "A_2nd": 200},
    "officer_B": {"B": 200},
    "logistics_760": {"A": 403, "A_2nd": 403, "A2": 403},
    "coordinator_79": dict.fromkeys(["A", "A_2nd", "A2", "B"], 200),
    "observer": dict.fromkeys(["A", "A_2nd", "A2", "B", "H"], 403),
    "admin_79": dict.fromkeys(["A", "A_2nd", "A2", "B"], 200),
}
READ_AUDIT = {  # the audit trail of case A
    "staff_A": 403, "team_A": 403, "doctor_A": 403, "officer_A": 200, "officer_B": 404,
    "doctor_760": 403, "logistics_760": 403, "logistics_770": 403, "coordinator_79": 200,
    "observer": 403, "admin_79": 200,
}


def _expand(
    table: dict[str, dict[str, int]], universe: set[str], actors: list[str] | None = None
) -> list[tuple[str, str, int]]:
    """Every (actor, object) pair; objects an actor's row leaves out are out of scope: 404."""
    return [(actor, key, table.get(actor, {}).get(key, 404))
            for actor in actors or list(ACTORS) for key in sorted(universe)]


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("case", sorted(ALL_CASES))
async def test_read_case_by_id(client: AsyncClient, world: World, actor: str, case: str) -> None:
    r = await client.get(f"/api/cases/{world.cases[case]}", headers=world.actors[actor].headers)
    if case not in VISIBLE_CASES[actor]:
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        return
    assert r.status_code == 200, r.text
    person = r.json()["person"]
    if actor in SEES_PERSONAL:
        assert person["view"] == "personal" and person["full_name"] == "Nguyễn Văn An"
    else:
        assert person == {"view": "deidentified", "initials": "N.V.A.", "birth_decade": 1980,
                          "sex": "male"}


@pytest.mark.parametrize("actor", list(ACTORS))
async def test_lists_never_cross_into_a_sibling(
    client: AsyncClient, world: World, actor: str
) -> None:
    headers = world.actors[actor].headers
    by_id = {str(v): k for k, v in world.cases.items()}
    cases = (await client.get("/api/cases", params={"limit": 1000}, headers=headers)).json()
    assert {by_id[c["id"]] for c in cases["items"] if c["id"] in by_id} == VISIBLE_CASES[actor]
    st_by_id = {str(v): k for k, v in world.stations.items()}
    stations = (await client.get("/api/stations", params={"limit": 1000}, headers=headers)).json()
    assert {st_by_id[s["id"]] for s in stations["items"]} == VISIBLE_STATIONS[actor]
    team_by_id = {str(v): k for k, v in world.teams.items()}
    teams = (await client.get("/api/care-teams", params={"limit": 1000}, headers=headers)).json()
    assert {team_by_id[t["id"]] for t in teams["items"]} == VISIBLE_STATIONS[actor]


@pytest.mark.parametrize(("actor", "params", "expected"), [
    ("officer_A", {"commune": "27139"}, set()),            # a ward of another district
    ("officer_A", {"commune": "26737"}, set()),            # the sibling ward
    ("doctor_760", {"district": "770"}, set()),            # the sibling district
    ("logistics_770", {"district": "760"}, set()),
    ("logistics_760", {"commune": "26737"}, {"A2"}),
    ("coordinator_79", {"district": "770"}, {"B"}),
    ("coordinator_79", {"district": "001"}, set()),        # a district of Hanoi
    ("observer", {"district": "001"}, {"H"}),
])
async def test_list_filters_stay_inside_the_callers_scope(
    client: AsyncClient, world: World, actor: str, params: dict[str, str], expected: set[str]
) -> None:
    by_id = {str(v): k for k, v in world.cases.items()}
    r = await client.get("/api/cases", params={**params, "limit": 1000},
                         headers=world.actors[actor].headers)
    assert r.status_code == 200, r.text
    assert {by_id[c["id"]] for c in r.json()["items"] if c["id"] in by_id} == expected
    stations = await client.get("/api/stations", params={**params, "limit": 1000},
                                headers=world.actors[actor].headers)
    st_by_id = {str(v): k for k, v in world.stations.items()}
    assert {st_by_id[s["id"]] for s in stations.json()["items"]} <= expected | {"A_2nd"}


@pytest.mark.parametrize(("actor", "case", "expected"), _expand(OBSERVE, ALL_CASES))
async def test_record_observation(
    client: AsyncClient, world: World, actor: str, case: str, expected: int
) -> None:
    r = await client.post(
        f"/api/cases/{world.cases[case]}/observations",
        json={"kind": "spo2", "value": 98, "measured_at": datetime.now(UTC).isoformat()},
        headers=world.actors[actor].headers,
    )
    assert r.status_code == expected, r.text


@pytest.mark.parametrize(("actor", "case", "expected"), _expand(REQUEST_TRANSFER, ALL_CASES))
async def test_request_transfer(
    client: AsyncClient, world: World, actor: str, case: str, expected: int
) -> None:
    r = await client.post(f"/api/cases/{world.cases[case]}/status",
                          json={"status": "transfer_requested"},
                          headers=world.actors[actor].headers)
    assert r.status_code == expected, r.text


@pytest.mark.parametrize(("actor", "station", "expected"),
                         _expand(EDIT_STATION, {"A", "A_2nd", "A2", "B", "H"}))
async def test_edit_station_details(
    client: AsyncClient, world: World, actor: str, station: str, expected: int
) -> None:
    r = await client.patch(f"/api/stations/{world.stations[station]}",
                           json={"opening_hours": "06:00–22:00"},
                           headers=world.actors[actor].headers)
    assert r.status_code == expected, r.text


@pytest.mark.parametrize(("actor", "station", "expected"),
                         _expand(SUSPEND_STATION, {"A", "A_2nd", "A2", "B", "H"},
                                 list(SUSPEND_STATION)))
async def test_suspend_station(
    client: AsyncClient, world: World, actor: str, station: str, expected: int
) -> None:
    r = await client.patch(f"/api/stations/{world.stations[station]}",
                           json={"status": "suspended"}, headers=world.actors[actor].headers)
    assert r.status_code == expected, r.text


@pytest.mark.parametrize(("actor", "expected"), list(READ_AUDIT.items()))
async def test_read_audit_trail_of_a_case(
    client: AsyncClient, world: World, actor: str, expected: int
) -> None:
    r = await client.get("/api/audit", params={"entity": "f0_case", "id": str(world.cases["A"])},
                         headers=world.actors[actor].headers)
    assert r.status_code == expected, r.text
