"""Every role at every level against objects in its own unit, a sibling unit, another
district and another province: reads by id, list filters, and writes.

Out of scope answers 404 exactly like a missing object; in scope but not the caller's job
answers 403. The expectations are written out, not computed, so they read as the rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from httpx import AsyncClient, Response

from tests.integration.operations.conftest import ACTORS, World, observe

WARD_A_CASES = {"A", "A_2nd", "A_noteam"}
DISTRICT_1_CASES = WARD_A_CASES | {"A2"}
CITY_CASES = DISTRICT_1_CASES | {"B"}
ALL_CASES = CITY_CASES | {"H"}
CITY_STATIONS = {"A", "A_2nd", "A2", "B"}
ALL_STATIONS = CITY_STATIONS | {"H"}

VISIBLE_CASES = {
    "staff_A": WARD_A_CASES, "team_A": WARD_A_CASES, "doctor_A": WARD_A_CASES,
    "officer_A": WARD_A_CASES, "officer_B": {"B"}, "doctor_760": DISTRICT_1_CASES,
    "logistics_760": DISTRICT_1_CASES, "logistics_770": {"B"}, "coordinator_79": CITY_CASES,
    "observer": ALL_CASES, "admin_79": CITY_CASES,
}
# Personal fields: the ward's carers, a care-team member only for their own team's patients.
SEES_PERSONAL = {
    "staff_A": WARD_A_CASES, "team_A": {"A"}, "doctor_A": WARD_A_CASES, "officer_A": WARD_A_CASES,
    "officer_B": {"B"}, "doctor_760": DISTRICT_1_CASES,
}
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
# In scope, but never caring for patients nor running a ward: every write on a case is 403.
NOT_CARERS = {
    "logistics_760": dict.fromkeys(DISTRICT_1_CASES, 403), "logistics_770": {"B": 403},
    "coordinator_79": dict.fromkeys(CITY_CASES, 403), "observer": dict.fromkeys(ALL_CASES, 403),
    "admin_79": dict.fromkeys(CITY_CASES, 403),
}
# Acting on a patient's care (editing the case, giving bag A, acknowledging or resolving an
# alert): the same carers as recording an observation.
CARE = {
    "staff_A": {"A": 200, "A_2nd": 403, "A_noteam": 200},
    "team_A": {"A": 200, "A_2nd": 403, "A_noteam": 403},
    "doctor_A": {"A": 200, "A_2nd": 403, "A_noteam": 200},
    "officer_A": dict.fromkeys(WARD_A_CASES, 200),
    "officer_B": {"B": 200},
    "doctor_760": dict.fromkeys(DISTRICT_1_CASES, 200),
    **NOT_CARERS,
}
# Giving bag B: a doctor caring for the patient (giving it orders it); the other carers
# need that order first (409).
GIVE_BAG_B = {
    "staff_A": {"A": 409, "A_2nd": 403, "A_noteam": 409},
    "team_A": {"A": 409, "A_2nd": 403, "A_noteam": 403},
    "doctor_A": {"A": 200, "A_2nd": 403, "A_noteam": 200},
    "officer_A": dict.fromkeys(WARD_A_CASES, 409),
    "officer_B": {"B": 409},
    "doctor_760": dict.fromkeys(DISTRICT_1_CASES, 200),
    **NOT_CARERS,
}
# Ordering bag B, giving the antiviral bag C: a doctor caring for the patient, nobody else.
DOCTOR_CARING = {
    "staff_A": dict.fromkeys(WARD_A_CASES, 403),
    "team_A": dict.fromkeys(WARD_A_CASES, 403),
    "doctor_A": {"A": 200, "A_2nd": 403, "A_noteam": 200},
    "officer_A": dict.fromkeys(WARD_A_CASES, 403),
    "officer_B": {"B": 403},
    "doctor_760": dict.fromkeys(DISTRICT_1_CASES, 200),
    **NOT_CARERS,
}
# Assigning a case to a team of its ward (case -> team below): the case's station staff or
# the commune officer; staff may not hand their case to another station's team (A -> A_2nd).
ASSIGN_TO = {"A": "A_2nd", "A_2nd": "A", "A_noteam": "A", "A2": "A2", "B": "B", "H": "H"}
ASSIGN = {
    "staff_A": {"A": 403, "A_2nd": 403, "A_noteam": 200},
    "team_A": dict.fromkeys(WARD_A_CASES, 403),
    "doctor_A": dict.fromkeys(WARD_A_CASES, 403),
    "officer_A": dict.fromkeys(WARD_A_CASES, 200),
    "officer_B": {"B": 200},
    "doctor_760": dict.fromkeys(DISTRICT_1_CASES, 403),
    **NOT_CARERS,
}
# Enrolling a case at a station: its staff and doctors, the commune officer; not a district.
ENROL = {
    "staff_A": {"A": 201, "A_2nd": 403},
    "team_A": {"A": 403, "A_2nd": 403},
    "doctor_A": {"A": 201, "A_2nd": 403},
    "officer_A": {"A": 201, "A_2nd": 201},
    "officer_B": {"B": 201},
    "doctor_760": {"A": 403, "A_2nd": 403, "A2": 403},
    "logistics_760": {"A": 403, "A_2nd": 403, "A2": 403},
    "logistics_770": {"B": 403},
    "coordinator_79": dict.fromkeys(CITY_STATIONS, 403),
    "observer": dict.fromkeys(ALL_STATIONS, 403),
    "admin_79": dict.fromkeys(CITY_STATIONS, 403),
}
# Forming (201) or renaming (200) a station's care team: its staff, the commune officer,
# administrators.
MANAGE_TEAMS = {
    "staff_A": {"A": 200, "A_2nd": 403},
    "team_A": {"A": 403, "A_2nd": 403},
    "doctor_A": {"A": 403, "A_2nd": 403},
    "officer_A": {"A": 200, "A_2nd": 200},
    "officer_B": {"B": 200},
    "doctor_760": {"A": 403, "A_2nd": 403, "A2": 403},
    "logistics_760": {"A": 403, "A_2nd": 403, "A2": 403},
    "logistics_770": {"B": 403},
    "coordinator_79": dict.fromkeys(CITY_STATIONS, 403),
    "observer": dict.fromkeys(ALL_STATIONS, 403),
    "admin_79": dict.fromkeys(CITY_STATIONS, 200),
}
READ_AUDIT = {  # the audit trail of case A
    "staff_A": 403, "team_A": 403, "doctor_A": 403, "officer_A": 200, "officer_B": 404,
    "doctor_760": 403, "logistics_760": 200, "logistics_770": 404, "coordinator_79": 200,
    "observer": 403, "admin_79": 200,
}


def _expand(
    table: dict[str, dict[str, int]], universe: set[str], actors: list[str] | None = None
) -> list[tuple[str, str, int]]:
    """Every (actor, object) pair; objects an actor's row leaves out are out of scope: 404."""
    return [(actor, key, table.get(actor, {}).get(key, 404))
            for actor in actors or list(ACTORS) for key in sorted(universe)]


def _row(table: dict[str, dict[str, int]], universe: set[str], actor: str) -> dict[str, int]:
    """What ``actor`` gets on each object; objects its row leaves out are out of scope: 404."""
    return {key: table.get(actor, {}).get(key, 404) for key in sorted(universe)}


async def _statuses(
    universe: set[str], send: Callable[[str], Awaitable[Response]]
) -> dict[str, int]:
    """One request per object. Each object is touched once, so one test holds a whole row."""
    return {key: (await send(key)).status_code for key in sorted(universe)}


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
    if case in SEES_PERSONAL.get(actor, set()):
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
    personal = {by_id[c["id"]] for c in cases["items"]
                if c["id"] in by_id and c["person"]["view"] == "personal"}
    assert personal == SEES_PERSONAL.get(actor, set())
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
                         _expand(EDIT_STATION, ALL_STATIONS))
async def test_edit_station_details(
    client: AsyncClient, world: World, actor: str, station: str, expected: int
) -> None:
    r = await client.patch(f"/api/stations/{world.stations[station]}",
                           json={"opening_hours": "06:00–22:00"},
                           headers=world.actors[actor].headers)
    assert r.status_code == expected, r.text


@pytest.mark.parametrize(("actor", "station", "expected"),
                         _expand(SUSPEND_STATION, ALL_STATIONS,
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


# -- writes, one test per actor and path holding the actor's whole row -------------------------

@pytest.mark.parametrize("actor", list(ACTORS))
async def test_edit_case_details(client: AsyncClient, world: World, actor: str) -> None:
    got = await _statuses(ALL_CASES, lambda case: client.patch(
        f"/api/cases/{world.cases[case]}", json={"notes": "called back, feels better"},
        headers=world.actors[actor].headers))
    assert got == _row(CARE, ALL_CASES, actor)


@pytest.mark.parametrize("actor", list(ACTORS))
async def test_enrol_a_case_at_a_station(client: AsyncClient, world: World, actor: str) -> None:
    def enrol(station: str) -> Awaitable[Response]:
        body = {"station_id": str(world.stations[station]), "full_name": "Trần Thị Bích",
                "year_of_birth": 1975, "sex": "female", "test_date": date.today().isoformat(),
                "test_type": "rapid_antigen"}
        return client.post("/api/cases", json=body, headers=world.actors[actor].headers)

    assert await _statuses(ALL_STATIONS, enrol) == _row(ENROL, ALL_STATIONS, actor)


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize(("bag", "table"), [("A", CARE), ("B", GIVE_BAG_B), ("C", DOCTOR_CARING)])
async def test_give_a_medicine_bag(
    client: AsyncClient, world: World, actor: str, bag: str, table: dict[str, dict[str, int]]
) -> None:
    got = await _statuses(ALL_CASES, lambda case: client.post(
        f"/api/cases/{world.cases[case]}/medicine-bags", json={"bag": bag},
        headers=world.actors[actor].headers))
    assert got == _row(table, ALL_CASES, actor)


@pytest.mark.parametrize("actor", list(ACTORS))
async def test_order_bag_b(client: AsyncClient, world: World, actor: str) -> None:
    got = await _statuses(ALL_CASES, lambda case: client.post(
        f"/api/cases/{world.cases[case]}/bag-b-order", headers=world.actors[actor].headers))
    assert got == _row(DOCTOR_CARING, ALL_CASES, actor)


@pytest.mark.parametrize("actor", list(ACTORS))
async def test_assign_a_case_to_a_team(client: AsyncClient, world: World, actor: str) -> None:
    got = await _statuses(ALL_CASES, lambda case: client.post(
        f"/api/cases/{world.cases[case]}/assignment",
        json={"team_id": str(world.teams[ASSIGN_TO[case]])}, headers=world.actors[actor].headers))
    assert got == _row(ASSIGN, ALL_CASES, actor)


@pytest.fixture
async def open_alerts(client: AsyncClient, world: World, make_user: Any) -> dict[str, str]:
    """An open alert on every case, raised by one of its carers (a Hanoi officer for H)."""
    carers = {"A": "officer_A", "A_2nd": "officer_A", "A_noteam": "officer_A",
              "A2": "doctor_760", "B": "officer_B"}
    alerts = {case: (await observe(client, world, carer, case, 95)).json()["alert"]["id"]
              for case, carer in carers.items()}
    _, hanoi = await make_user("commune_officer", "00004")
    r = await client.post(f"/api/cases/{world.cases['H']}/observations", headers=hanoi,
                          json={"kind": "spo2", "value": 95,
                                "measured_at": datetime.now(UTC).isoformat()})
    return {**alerts, "H": r.json()["alert"]["id"]}


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
async def test_handle_an_alert(
    client: AsyncClient, world: World, open_alerts: dict[str, str], actor: str, action: str
) -> None:
    got = await _statuses(ALL_CASES, lambda case: client.post(
        f"/api/alerts/{open_alerts[case]}/{action}", headers=world.actors[actor].headers))
    assert got == _row(CARE, ALL_CASES, actor)


@pytest.mark.parametrize("actor", list(ACTORS))
async def test_form_a_care_team(client: AsyncClient, world: World, actor: str) -> None:
    got = await _statuses(ALL_STATIONS, lambda station: client.post(
        "/api/care-teams", json={"station_id": str(world.stations[station]), "name": "Tổ 9"},
        headers=world.actors[actor].headers))
    created = {k: 201 if v == 200 else v for k, v in _row(MANAGE_TEAMS, ALL_STATIONS, actor).items()}
    assert got == created


@pytest.mark.parametrize("actor", list(ACTORS))
async def test_rename_a_care_team(client: AsyncClient, world: World, actor: str) -> None:
    got = await _statuses(ALL_STATIONS, lambda team: client.patch(
        f"/api/care-teams/{world.teams[team]}", json={"name": "Tổ 1 phường"},
        headers=world.actors[actor].headers))
    assert got == _row(MANAGE_TEAMS, ALL_STATIONS, actor)
