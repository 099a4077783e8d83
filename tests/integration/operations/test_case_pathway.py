"""The home-care pathway's status moves, each effective when it happened."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from tests.integration.operations.conftest import World

_N = itertools.count(1)


async def enrol(client: AsyncClient, world: World, hours_ago: float = 48) -> str:
    n = next(_N)
    registered = datetime.now(UTC) - timedelta(hours=hours_ago)
    body = {"station_id": str(world.stations["A"]), "team_id": str(world.teams["A"]),
            "full_name": f"Đinh Văn Tùng {n}", "year_of_birth": 1965, "sex": "male",
            "national_id": f"079165{n:06d}", "test_date": registered.date().isoformat(),
            "test_type": "pcr", "registered_at": registered.isoformat()}
    r = await client.post("/api/cases", json=body, headers=world.actors["staff_A"].headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def move(client: AsyncClient, world: World, case: str, actor: str, status: str,
               hours_ago: float | None = None, **extra: Any) -> Any:
    body: dict[str, Any] = {"status": status, **extra}
    if hours_ago is not None:
        body["effective_at"] = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
    return await client.post(f"/api/cases/{case}/status", json=body,
                             headers=world.actors[actor].headers)


async def history(client: AsyncClient, world: World, case: str) -> list[Any]:
    r = await client.get(f"/api/cases/{case}/status-events",
                         headers=world.actors["staff_A"].headers)
    return list(r.json())


async def test_a_discharged_patient_returns_to_home_follow_up(
    client: AsyncClient, world: World
) -> None:
    case = await enrol(client, world)
    assert (await move(client, world, case, "staff_A", "transfer_requested", 40)).is_success
    assert (await move(client, world, case, "staff_A", "hospitalized", 39)).is_success
    r = await move(client, world, case, "doctor_A", "home_monitoring", 2, reason="discharged")
    assert r.status_code == 200, r.text
    case_now = r.json()
    assert case_now["status"] == "home_monitoring"
    events = await history(client, world, case)
    assert [e["to_status"] for e in events] == [
        "home_monitoring", "transfer_requested", "hospitalized", "home_monitoring"]
    last = events[-1]
    effective = datetime.fromisoformat(last["effective_at"])
    recorded = datetime.fromisoformat(last["changed_at"])
    assert timedelta(hours=1.9) < recorded - effective < timedelta(hours=2.1)
    assert datetime.fromisoformat(case_now["status_changed_at"]) == effective
    # the station records a discharge too; a care-team member does not
    case2 = await enrol(client, world)
    await move(client, world, case2, "staff_A", "transfer_requested", 30)
    await move(client, world, case2, "staff_A", "hospitalized", 29)
    assert (await move(client, world, case2, "team_A", "home_monitoring")).status_code == 409
    assert (await move(client, world, case2, "staff_A", "home_monitoring")).status_code == 200


async def test_a_cancelled_transfer_returns_to_home_monitoring(
    client: AsyncClient, world: World
) -> None:
    case = await enrol(client, world)
    await move(client, world, case, "staff_A", "transfer_requested", 5)
    assert (await move(client, world, case, "team_A", "home_monitoring")).status_code == 409
    r = await move(client, world, case, "doctor_A", "home_monitoring", 1,
                   reason="transfer not needed")
    assert r.status_code == 200 and r.json()["status"] == "home_monitoring"


@pytest.mark.parametrize("before", [None, "needs_attention", "transfer_requested"])
async def test_the_station_records_a_death_at_home(
    client: AsyncClient, world: World, before: str | None
) -> None:
    case = await enrol(client, world)
    if before == "needs_attention":
        await move(client, world, case, "staff_A", "needs_attention", 10)
    elif before == "transfer_requested":
        await move(client, world, case, "staff_A", "transfer_requested", 10)
    assert (await move(client, world, case, "team_A", "deceased")).status_code == 409
    r = await move(client, world, case, "staff_A", "deceased", 3)
    assert r.status_code == 200 and r.json()["status"] == "deceased"
    events = await history(client, world, case)
    assert events[-1]["to_status"] == "deceased"


async def test_an_effective_time_must_be_plausible(client: AsyncClient, world: World) -> None:
    case = await enrol(client, world, hours_ago=10)
    future = await move(client, world, case, "staff_A", "transfer_requested", -1)
    assert future.status_code == 422 and future.json()["field"] == "effective_at"
    before_registration = await move(client, world, case, "staff_A", "transfer_requested", 11)
    assert before_registration.status_code == 422
    assert before_registration.json()["field"] == "effective_at"
    assert (await move(client, world, case, "staff_A", "transfer_requested", 5)).is_success
    before_previous = await move(client, world, case, "staff_A", "hospitalized", 6)
    assert before_previous.status_code == 422
    within_tolerance = await move(client, world, case, "staff_A", "hospitalized", -1 / 60)
    assert within_tolerance.status_code == 200, within_tolerance.text
    # nothing of a refused move was written
    assert [e["to_status"] for e in await history(client, world, case)] == [
        "home_monitoring", "transfer_requested", "hospitalized"]
    assert (await move(client, world, case, "staff_A", "home_monitoring",
                       effective_at="yesterday")).status_code == 400


async def test_a_move_without_a_time_is_effective_now(client: AsyncClient, world: World) -> None:
    case = await enrol(client, world, hours_ago=1)
    before = datetime.now(UTC)
    r = await move(client, world, case, "staff_A", "transfer_requested")
    assert r.status_code == 200
    last = (await history(client, world, case))[-1]
    assert before - timedelta(seconds=5) <= datetime.fromisoformat(last["effective_at"])
    assert date.fromisoformat(last["effective_at"][:10]) >= before.date()
