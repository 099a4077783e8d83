"""F0 cases: enrolment, risk, de-identification, the status machine, teams and medicine bags."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from httpx import AsyncClient

from tests.integration.operations.conftest import World, observe

PERSON = {"full_name": "Lê Thị Hoa", "year_of_birth": 1950, "sex": "female",
          "phone": "0912345678", "address": "12 Lê Lợi", "national_id": "079150000123",
          "home_position": {"type": "Point", "coordinates": [106.6905, 10.7921]},
          "test_date": date.today().isoformat(), "test_type": "pcr",
          "comorbidities": ["diabetes"], "vaccine_doses": 0}


def another_person() -> dict[str, str]:
    """A national id and phone no other case holds (the same person twice is refused)."""
    n = next(_PEOPLE)
    return {"national_id": f"079150{n:06d}", "phone": f"0913{n:06d}"}


_PEOPLE = itertools.count(1)


async def _enrol(client: AsyncClient, world: World, actor: str = "staff_A", **extra: object):
    body = {"station_id": str(world.stations["A"]), "team_id": str(world.teams["A"]),
            **PERSON, **another_person(), **extra}
    return await client.post("/api/cases", json=body, headers=world.actors[actor].headers)


async def test_enrolment_computes_risk_and_starts_the_history(
    client: AsyncClient, world: World
) -> None:
    r = await _enrol(client, world)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["risk_group"] == "very_high"  # 70+ years, diabetes, unvaccinated
    assert case["status"] == "home_monitoring" and case["commune_code"] == "26734"
    assert case["person"]["home_position"] == PERSON["home_position"]
    assert case["case_code"].startswith("F0-26734-")
    h = world.actors["staff_A"].headers
    events = (await client.get(f"/api/cases/{case['id']}/status-events", headers=h)).json()
    assert [(e["from_status"], e["to_status"]) for e in events] == [(None, "home_monitoring")]
    teams = (await client.get(f"/api/cases/{case['id']}/assignments", headers=h)).json()
    assert [t["team_id"] for t in teams] == [str(world.teams["A"])]


async def test_who_may_enrol_where(client: AsyncClient, world: World) -> None:
    assert (await _enrol(client, world, "doctor_A")).status_code == 201
    assert (await _enrol(client, world, "officer_A")).status_code == 201
    assert (await _enrol(client, world, "team_A")).status_code == 403
    assert (await _enrol(client, world, "coordinator_79")).status_code == 403
    assert (await _enrol(client, world, "officer_B")).status_code == 404
    other = await _enrol(client, world, station_id=str(world.stations["A_2nd"]), team_id=None)
    assert other.status_code == 403, "station staff enrol at their own station only"
    wrong_team = await _enrol(client, world, team_id=str(world.teams["A_2nd"]))
    assert wrong_team.status_code == 422 and wrong_team.json()["field"] == "team_id"


async def test_enrolment_checks_the_person(client: AsyncClient, world: World) -> None:
    male_pregnant = await _enrol(client, world, sex="male", pregnant=True)
    assert male_pregnant.status_code == 422 and male_pregnant.json()["field"] == "pregnant"
    future = await _enrol(client, world, test_date="2999-01-01")
    assert future.status_code == 422 and future.json()["field"] == "test_date"
    bad = await _enrol(client, world, home_position={"type": "Point", "coordinates": [200, 10]})
    assert bad.status_code == 400
    taken = await _enrol(client, world, case_code="TEST-A")
    assert taken.status_code == 409 and taken.json()["field"] == "case_code"


async def test_enrolment_needs_an_active_station(client: AsyncClient, world: World) -> None:
    h = world.actors["officer_A"].headers
    await client.patch(f"/api/stations/{world.stations['A']}", json={"status": "suspended"},
                       headers=h)
    r = await _enrol(client, world)
    assert r.status_code == 409 and r.json()["field"] == "station_id"


async def test_patch_changes_only_what_it_carries_and_recomputes_risk(
    client: AsyncClient, world: World
) -> None:
    case = (await _enrol(client, world)).json()
    h = world.actors["team_A"].headers
    r = await client.patch(f"/api/cases/{case['id']}", json={"vaccine_doses": 2, "phone": None},
                           headers=h)
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["risk_group"] == "high" and after["person"]["phone"] is None
    assert after["person"]["address"] == "12 Lê Lợi" and after["vaccine_doses"] == 2


async def test_district_and_city_see_no_personal_fields(client: AsyncClient, world: World) -> None:
    case = (await _enrol(client, world)).json()
    for actor in ("logistics_760", "coordinator_79"):
        seen = (await client.get(f"/api/cases/{case['id']}",
                                 headers=world.actors[actor].headers)).json()
        assert seen["person"] == {"view": "deidentified", "initials": "L.T.H.",
                                  "birth_decade": 1950, "sex": "female"}
        assert "0912345678" not in str(seen) and "079150000123" not in str(seen)
    doctor = (await client.get(f"/api/cases/{case['id']}",
                               headers=world.actors["doctor_760"].headers)).json()
    assert doctor["person"]["full_name"] == "Lê Thị Hoa", "a district doctor cares for patients"


async def test_status_machine_follows_roles(client: AsyncClient, world: World) -> None:
    url = f"/api/cases/{world.cases['A']}/status"
    staff, doctor = world.actors["staff_A"].headers, world.actors["doctor_A"].headers
    refused = await client.post(url, json={"status": "recovered"}, headers=staff)
    assert refused.status_code == 409 and refused.headers["x-current"] == "home_monitoring"
    jump = await client.post(url, json={"status": "hospitalized"}, headers=doctor)
    assert jump.status_code == 409
    moved = await client.post(url, json={"status": "transfer_requested", "reason": "SpO2 low"},
                              headers=staff)
    assert moved.status_code == 200 and moved.json()["status"] == "transfer_requested"
    officer = world.actors["officer_A"].headers
    admitted = await client.post(url, json={"status": "hospitalized"}, headers=officer)
    assert admitted.json()["status"] == "hospitalized"
    events = (await client.get(f"/api/cases/{world.cases['A']}/status-events",
                               headers=staff)).json()
    assert [e["to_status"] for e in events] == ["transfer_requested", "hospitalized"]
    assert events[0]["reason"] == "SpO2 low"


async def test_leaving_home_care_resolves_the_open_alert(client: AsyncClient, world: World) -> None:
    alert = (await observe(client, world, "staff_A", "A", 92)).json()["alert"]
    h = world.actors["doctor_A"].headers
    await client.post(f"/api/cases/{world.cases['A']}/status",
                      json={"status": "transfer_requested"}, headers=h)
    await client.post(f"/api/cases/{world.cases['A']}/status", json={"status": "hospitalized"},
                      headers=h)
    after = (await client.get(f"/api/alerts/{alert['id']}", headers=h)).json()
    assert after["status"] == "resolved" and after["resolution_note"] == "case hospitalized"


async def test_reassignment_keeps_history_and_moves_the_alert(
    client: AsyncClient, world: World
) -> None:
    alert = (await observe(client, world, "staff_A", "A", 95)).json()["alert"]
    url = f"/api/cases/{world.cases['A']}/assignment"
    body = {"team_id": str(world.teams["A_2nd"]), "reason": "closer to home"}
    denied = await client.post(url, json=body, headers=world.actors["staff_A"].headers)
    assert denied.status_code == 403, "staff hand over only within their own station"
    h = world.actors["officer_A"].headers
    r = await client.post(url, json=body, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["team_id"] == body["team_id"]
    assert r.json()["station_id"] == str(world.stations["A_2nd"])
    history = (await client.get(f"/api/cases/{world.cases['A']}/assignments", headers=h)).json()
    assert [(a["previous_team_id"], a["team_id"], a["reason"]) for a in history] == [
        (str(world.teams["A"]), body["team_id"], "closer to home")]
    moved = (await client.get(f"/api/alerts/{alert['id']}", headers=h)).json()
    assert moved["team_id"] == body["team_id"]
    assert moved["station_id"] == str(world.stations["A_2nd"])
    across = await client.post(url, json={"team_id": str(world.teams["B"])}, headers=h)
    assert across.status_code == 404


async def test_medicine_bags(client: AsyncClient, world: World) -> None:
    case = (await _enrol(client, world, year_of_birth=1985)).json()
    url = f"/api/cases/{case['id']}/medicine-bags"
    staff, doctor = world.actors["staff_A"].headers, world.actors["doctor_A"].headers
    a = await client.post(url, json={"bag": "A"}, headers=world.actors["team_A"].headers)
    assert a.status_code == 200 and a.json()["medicine_bags"]["a_given_at"]
    again = await client.post(url, json={"bag": "A"}, headers=staff)
    assert again.status_code == 409
    no_order = await client.post(url, json={"bag": "B"}, headers=staff)
    assert no_order.status_code == 409 and "doctor" in no_order.json()["detail"]
    order = await client.post(f"/api/cases/{case['id']}/bag-b-order", headers=doctor)
    assert order.json()["medicine_bags"]["b_ordered_by"] == str(world.actors["doctor_A"].user_id)
    assert (await client.post(url, json={"bag": "B"}, headers=staff)).status_code == 200
    assert (await client.post(f"/api/cases/{case['id']}/bag-b-order",
                              headers=staff)).status_code == 403
    assert (await client.post(url, json={"bag": "C"}, headers=staff)).status_code == 403
    c = await client.post(url, json={"bag": "C"}, headers=doctor)
    assert c.status_code == 200 and c.json()["medicine_bags"]["c_given_at"]
    pregnant = (await _enrol(client, world, year_of_birth=1995, pregnant=True)).json()
    refused = await client.post(f"/api/cases/{pregnant['id']}/medicine-bags",
                                json={"bag": "C"}, headers=doctor)
    assert refused.status_code == 422 and refused.json()["field"] == "bag"


async def test_summary_counts_without_people(client: AsyncClient, world: World) -> None:
    city = (await client.get("/api/cases/summary",
                             headers=world.actors["coordinator_79"].headers)).json()
    assert city["by"] == "district"
    counts = {u["unit_code"]: u for u in city["units"]}
    assert counts["760"]["total"] >= 4 and counts["770"]["total"] >= 1
    assert counts["760"]["unit_name"] == "Quận 1" and "001" not in counts
    assert counts["760"]["by_status"]["home_monitoring"] >= 4
    ward = (await client.get("/api/cases/summary", headers=world.actors["officer_A"].headers)).json()
    assert ward["by"] == "commune" and [u["unit_code"] for u in ward["units"]] == ["26734"]


@pytest.mark.parametrize("path", ["/api/cases", "/api/stations", "/api/care-teams",
                                  "/api/alerts", "/api/audit", "/api/cases/{A}/observations"])
@pytest.mark.parametrize("offset", ["99999999999999999999", "2147483648", "-1"])
async def test_an_offset_out_of_range_is_a_400_naming_it(
    client: AsyncClient, world: World, path: str, offset: str
) -> None:
    r = await client.get(path.format(A=world.cases["A"]), params={"offset": offset},
                         headers=world.actors["officer_A"].headers)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "offset"
    last = await client.get(path.format(A=world.cases["A"]), params={"offset": "2147483647"},
                            headers=world.actors["officer_A"].headers)
    assert last.status_code == 200 and last.json()["items"] == []
