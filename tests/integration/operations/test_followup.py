"""The daily follow-up worklist: patients under home care overdue a vital-sign reading (12 h
after the later of their last reading and their entry into home care), beside open alerts."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from httpx import AsyncClient

from tests.integration.operations.conftest import World, observe

_N = itertools.count(1)
_VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


async def enrol(client: AsyncClient, world: World, hours_ago: float) -> dict[str, Any]:
    """A case of station A's team registered ``hours_ago``."""
    n = next(_N)
    registered = datetime.now(UTC) - timedelta(hours=hours_ago)
    body = {"station_id": str(world.stations["A"]), "team_id": str(world.teams["A"]),
            "full_name": f"Bùi Thị Hạnh {n}", "year_of_birth": 1980, "sex": "female",
            "phone": f"0966{n:06d}", "national_id": f"079180{n:06d}",
            "test_date": registered.date().isoformat(), "test_type": "pcr",
            "registered_at": registered.isoformat()}
    r = await client.post("/api/cases", json=body, headers=world.actors["staff_A"].headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def worklist(client: AsyncClient, world: World, actor: str = "staff_A",
                   **params: Any) -> Any:
    r = await client.get("/api/follow-up", params={"limit": 1000, **params},
                         headers=world.actors[actor].headers)
    assert r.status_code == 200, r.text
    return r.json()


def overdue(page: Any) -> dict[str, Any]:
    return {c["case_id"]: c for c in page["overdue"]["items"]}


async def reading(client: AsyncClient, world: World, case: dict[str, Any], at: datetime,
                  **body: Any) -> None:
    body = body or {"kind": "spo2", "value": 98}
    r = await client.post(f"/api/cases/{case['id']}/observations",
                          json={**body, "measured_at": at.isoformat()},
                          headers=world.actors["staff_A"].headers)
    assert r.status_code == 201, r.text


async def test_a_patient_with_no_reading_is_overdue_12_hours_after_registration(
    client: AsyncClient, world: World
) -> None:
    late = await enrol(client, world, hours_ago=13)
    fresh = await enrol(client, world, hours_ago=11)
    items = overdue(await worklist(client, world))
    assert late["id"] in items and fresh["id"] not in items
    row = items[late["id"]]
    assert row["last_reading_at"] is None and row["readings_today"] == 0
    assert row["person"]["full_name"] == late["person"]["full_name"]
    assert 55 <= row["overdue_minutes"] <= 65


async def test_the_boundary_is_12_hours_after_the_last_reading(
    client: AsyncClient, world: World
) -> None:
    case = await enrol(client, world, hours_ago=20)
    last = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    await reading(client, world, case, last - timedelta(hours=5))
    await reading(client, world, case, last)
    await reading(client, world, case, last + timedelta(minutes=30), kind="symptoms",
                  symptoms=["cough"])  # not a vital sign: it does not reset the clock
    due = last + timedelta(hours=12)
    before = await worklist(client, world, as_of=(due - timedelta(seconds=1)).isoformat())
    assert case["id"] not in overdue(before)
    at = await worklist(client, world, as_of=due.isoformat())
    row = overdue(at)[case["id"]]
    assert datetime.fromisoformat(row["last_reading_at"]) == last
    assert datetime.fromisoformat(row["next_due_at"]) == due
    assert row["overdue_minutes"] == 0 and at["reading_interval_hours"] == 12
    one = await client.get(f"/api/follow-up/{case['id']}", headers=world.actors["staff_A"].headers)
    # "today" is Vietnam's calendar day, whatever the hour the suite runs at (CI once ran at
    # 00:04 in Hồ Chí Minh City, when both readings fell on the day before)
    today = datetime.now(_VIETNAM).date()
    vitals = [last - timedelta(hours=5), last]
    expected = sum(1 for t in vitals if t.astimezone(_VIETNAM).date() == today)
    assert one.json()["readings_today"] == expected and one.json()["under_care"] is True
    assert datetime.fromisoformat(one.json()["last_reading_at"]) == last


async def test_leaving_home_care_leaves_the_worklist_and_discharge_brings_back(
    client: AsyncClient, world: World
) -> None:
    case = await enrol(client, world, hours_ago=30)
    h = world.actors["doctor_A"].headers
    assert case["id"] in overdue(await worklist(client, world))
    url = f"/api/cases/{case['id']}/status"

    async def move(status: str, hours_ago: float) -> None:
        at = datetime.now(UTC) - timedelta(hours=hours_ago)
        r = await client.post(url, json={"status": status, "effective_at": at.isoformat()},
                              headers=h)
        assert r.status_code == 200, r.text

    await move("transfer_requested", 28)
    assert case["id"] in overdue(await worklist(client, world)), "still at home"
    await move("hospitalized", 27)
    assert case["id"] not in overdue(await worklist(client, world))
    # discharged 13 hours ago, no reading since: due 12 hours after the discharge
    back = datetime.now(UTC) - timedelta(hours=13)
    r = await client.post(url, json={"status": "home_monitoring",
                                     "effective_at": back.isoformat()}, headers=h)
    assert r.status_code == 200, r.text
    row = overdue(await worklist(client, world))[case["id"]]
    assert datetime.fromisoformat(row["next_due_at"]) == back + timedelta(hours=12)


async def test_the_worklist_is_scoped_and_filtered(client: AsyncClient, world: World) -> None:
    case = await enrol(client, world, hours_ago=14)
    await observe(client, world, "staff_A", "A", 91)  # an emergency on case A
    mine = await worklist(client, world, station_id=str(world.stations["A"]))
    assert case["id"] in overdue(mine)
    assert any(a["case_id"] == str(world.cases["A"]) for a in mine["alerts"])
    assert case["id"] in overdue(await worklist(client, world, team_id=str(world.teams["A"])))
    other = await worklist(client, world, station_id=str(world.stations["A_2nd"]))
    assert case["id"] not in overdue(other)
    district = overdue(await worklist(client, world, actor="logistics_760"))
    assert district[case["id"]]["person"]["view"] == "deidentified"
    assert case["id"] not in overdue(await worklist(client, world, actor="officer_B"))
    assert not (await worklist(client, world, actor="officer_B"))["alerts"]
    hidden = await client.get("/api/follow-up", params={"station_id": str(world.stations["A"])},
                              headers=world.actors["officer_B"].headers)
    assert hidden.status_code == 404
    assert (await client.get(f"/api/follow-up/{case['id']}",
                             headers=world.actors["officer_B"].headers)).status_code == 404


async def test_a_registration_time_cannot_be_in_the_future_or_before_the_test(
    client: AsyncClient, world: World
) -> None:
    base = {"station_id": str(world.stations["A"]), "full_name": "Kiều Oanh",
            "year_of_birth": 1990, "sex": "female", "test_type": "pcr",
            "test_date": date.today().isoformat()}
    h = world.actors["staff_A"].headers
    for when in (datetime.now(UTC) + timedelta(hours=1), datetime.now(UTC) - timedelta(days=5)):
        r = await client.post("/api/cases", json={**base, "registered_at": when.isoformat()},
                              headers=h)
        assert r.status_code == 422 and r.json()["field"] == "registered_at", r.text


async def test_an_instant_without_offset_or_malformed_is_refused(
    client: AsyncClient, world: World
) -> None:
    h = world.actors["staff_A"].headers
    for value in ("2026-12-01T08:00:00", "tomorrow"):
        r = await client.get("/api/follow-up", params={"as_of": value}, headers=h)
        assert r.status_code in (400, 422), r.text
        assert r.json()["field"] == "as_of"
