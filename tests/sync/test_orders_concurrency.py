"""Directives under concurrent writers: wards' tablets answering while their district issues
and urges over the same copies. The unit locks order them (the district's writes wait for its
wards' and the reverse), so every answer is a protocol answer, no deadlock, nothing lost."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain.models.enums import Role
from scripts.pgcluster import PrivateCluster
from tests.sync.conftest import HOME, NEIGHBOUR, RawDevice, Unit, World, make_unit
from tests.sync.test_concurrency import deadlocks


async def test_tablets_answer_while_the_district_issues_and_urges(
    unit: Unit, world: World, pg_cluster: PrivateCluster | None
) -> None:
    district = await world.user(Role.district_logistics, "760")
    neighbour = await make_unit(world, unit.device.http, NEIGHBOUR)
    http = unit.device.http
    before = await deadlocks(world, pg_cluster)
    due = (datetime.now(UTC) + timedelta(hours=6)).isoformat()
    ids = []
    for n in range(3):
        r = await http.post("/api/directives", headers=district.headers, json={
            "title": f"Chỉ thị {n}", "body": "Triển khai ngay.", "due_at": due,
            "unit_codes": [HOME, NEIGHBOUR]})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    await world.execute("UPDATE directive_recipient SET due_at = now() - interval '1 hour' "
                        "WHERE directive_id = :d", d=ids[0])
    copies: dict[str, list[uuid.UUID]] = {HOME: [], NEIGHBOUR: []}
    for directive_id in ids:
        rows = await world.scalar(
            "SELECT json_agg(json_build_array(unit_code, id)) FROM directive_recipient "
            "WHERE directive_id = :d", d=directive_id)
        for code, rid in rows:
            copies[code].append(uuid.UUID(rid))

    async def tablet(d: RawDevice, mine: list[uuid.UUID], status: str) -> list[httpx.Response]:
        return [await d.push(*[d.mutation("directive", rid, {"status": status,
                                                             "progress_pct": 50})
                               for rid in mine]) for _ in range(3)]

    async def online(headers: dict[str, str], mine: list[uuid.UUID]) -> list[httpx.Response]:
        return [await http.patch(f"/api/received-directives/{rid}", headers=headers,
                                 json={"progress_note": "đang làm"}) for rid in mine]

    async def issuer() -> list[httpx.Response]:
        out = [await http.post(f"/api/directives/{ids[0]}/reminders", json={},
                               headers=district.headers)]
        out.append(await http.post("/api/directives", headers=district.headers, json={
            "title": "Chỉ thị thêm", "body": "Toàn quận.", "due_at": due,
            "all_communes": True}))
        return out

    second_id, second_token = await world.device(unit.station_id, unit.officer)
    second = RawDevice(http, second_id, second_token, unit.officer.id)
    results: list[Any] = await asyncio.gather(
        tablet(unit.device, copies[HOME], "acknowledged"),
        tablet(second, copies[HOME], "in_progress"),
        tablet(neighbour.device, copies[NEIGHBOUR], "acknowledged"),
        online(unit.officer.headers, copies[HOME]),
        online(neighbour.officer.headers, copies[NEIGHBOUR]),
        issuer(),
    )
    answers = [r for group in results for r in group]
    assert all(r.status_code < 500 for r in answers), [r.text for r in answers
                                                        if r.status_code >= 500]
    assert await deadlocks(world, pg_cluster) == before
    for group in results[:3]:
        for resp in group:
            assert resp.status_code == 200
            assert {m["status"] for m in resp.json()["results"]} <= {"applied", "merged"}
    statuses = await world.scalar(
        "SELECT json_agg(DISTINCT status) FROM directive_recipient WHERE unit_code = :u "
        "AND directive_id = ANY(CAST(:ids AS uuid[]))", u=HOME, ids=ids)
    assert set(statuses) == {"in_progress"}, "forward only: the furthest answer stands"
    reminders = await world.scalar("SELECT count(*) FROM directive_reminder")
    assert reminders == 2
