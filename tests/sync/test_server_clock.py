"""The server's clock (sync/clock.py, migration 0008): kept in the database, so it never goes
back across restarts or worker processes; online edits are stamped above it; a device clock
far behind is refused; a tablet with a wrong clock loses none of its readings or movements."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from domain.settings import Settings
from sync.client import LocalStore, SyncClient
from sync.entities import REGISTRY
from sync.hlc import HLC, HybridClock, hlc_to_ms, system_ms
from sync.registry import FieldType
from sync.wire import RECORDED_TIME_FIELDS
from tests.integration.test_serve import ROOT, _free_port, _until_ready
from tests.sync.conftest import RawDevice, Unit, World, make_unit, new_case
from tests.sync.test_supplies import PPE, station_location

FOUR_MINUTES = 4 * 60 * 1000
ONE_DAY = 24 * 3600 * 1000


def _ms(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp() * 1000)


async def second_device(world: World, unit: Unit, http: httpx.AsyncClient) -> RawDevice:
    device_id, token = await world.device(unit.station_id, unit.officer)
    return RawDevice(http, device_id, token, unit.staff.id)


async def created_case(d: RawDevice, unit: Unit) -> uuid.UUID:
    case_id = uuid.uuid4()
    [r] = await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
    assert r["status"] == "applied", r
    return case_id


# -- never backwards ---------------------------------------------------------------------------

async def test_two_apps_on_one_database_share_one_clock_that_never_goes_back(
    unit: Unit, world: World, settings: Settings, engine: AsyncEngine
) -> None:
    """As two worker processes: what one observed, the other's answers are above."""
    other_app = create_app(settings, engine=engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other_app),
                                     base_url="http://testserver") as other_http:
            d = unit.device
            ahead = HLC(system_ms() + FOUR_MINUTES).format()  # within the allowed skew
            resp = await d.push(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id),
                                           hlc=ahead))
            seen = [resp.json()["server_hlc"]]
            assert seen[0] > ahead
            other = RawDevice(other_http, d.id, d.token, d.author)
            for device in (other, d, other, d, other):
                seen.append((await device.pull())["server_hlc"])
            assert seen == sorted(set(seen))  # strictly increasing, whichever app answered
            assert await world.scalar("SELECT ms FROM sync_clock") == hlc_to_ms(seen[-1])
    finally:
        await other_app.state.server_clock.aclose()


async def _serve(env: dict[str, str]) -> asyncio.subprocess.Process:
    # A session of its own, so kill -9 reaches the workers too (by this group's id only).
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.cli", "run", cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


async def _kill_9(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        os.killpg(proc.pid, signal.SIGKILL)
    await asyncio.wait_for(proc.wait(), 30)


async def _pulls(unit: Unit, port: int, n: int) -> list[str]:
    """``n`` pulls, each on a new connection, so that both workers answer some."""
    seen = []
    for _ in range(n):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            d = RawDevice(http, unit.device.id, unit.device.token, unit.device.author)
            seen.append((await d.pull())["server_hlc"])
    return seen


async def test_server_hlc_never_goes_back_across_workers_and_a_kill_9(
    unit: Unit, database_url: str, tmp_path: Any
) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "WEB_CONCURRENCY": "2",
           "FIELDOPS_DATA_DIR": str(tmp_path), "DB_POOL_SIZE": "2"}
    port = _free_port()
    proc = await _serve({**env, "PORT": str(port)})
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            await _until_ready(proc, http)
            d = RawDevice(http, unit.device.id, unit.device.token, unit.device.author)
            ahead = HLC(system_ms() + FOUR_MINUTES).format()
            [r] = await d.push_ok(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id),
                                             hlc=ahead))
            assert r["status"] == "applied"
        before = await _pulls(unit, port, 6)
        assert before[0] > ahead and before == sorted(set(before))
    finally:
        await _kill_9(proc)
    port = _free_port()
    proc = await _serve({**env, "PORT": str(port), "WEB_CONCURRENCY": "1"})
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            await _until_ready(proc, http)
        after = await _pulls(unit, port, 2)
    finally:
        await _kill_9(proc)
    assert after[0] > before[-1] > ahead  # not back to the wall clock, 4 minutes behind


# -- online edits are ordered after what the server had seen ------------------------------------

async def test_an_online_edit_after_a_pull_beats_the_offline_edit_made_after_that_pull(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    """The issue's scenario: F's clock 4 min ahead moves the server clock; G (right clock)
    pulls, edits the phone offline; a second later the phone changes online; G pushes."""
    f = unit.device
    g = await second_device(world, unit, http)
    case_id = await created_case(f, unit)
    f.clock = HybridClock(lambda: system_ms() + FOUR_MINUTES)
    [r] = await f.push_ok(f.mutation("f0_case", case_id, {"notes": "seen at home"}))
    assert r["status"] == "applied"
    await g.sync_down()
    page = await g.pull(g.cursor)
    g.clock.observe(page["server_hlc"])
    offline = g.mutation("f0_case", case_id, {"phone": "0901111111"})
    await asyncio.sleep(1)
    online = await http.patch(f"/api/cases/{case_id}", json={"phone": "0902222222"},
                              headers=unit.staff.headers)
    assert online.status_code == 200, online.text
    [result] = await g.push_ok(offline)
    assert result["status"] == "merged", result
    assert result["current"]["phone"] == "0902222222"
    assert await world.scalar("SELECT phone FROM f0_case WHERE id = :i", i=case_id) == "0902222222"
    conflict = await world.scalar(
        "SELECT lost_value #>> '{}' FROM sync_conflict WHERE row_id = :i AND field = 'phone'",
        i=case_id)
    assert conflict == "0901111111"  # G's value is kept in the conflict log


async def test_an_online_edit_beats_every_counter_extension_of_a_far_ahead_server_hlc(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    """A device with a right clock observes a server_hlc minutes ahead of it: its offline
    edits extend that value's counter. An online edit made after them still sorts above."""
    f = unit.device
    g = await second_device(world, unit, http)
    case_id = await created_case(f, unit)
    [r] = await f.push_ok(f.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id),
                                     hlc=HLC(system_ms() + FOUR_MINUTES, 500).format()))
    assert r["status"] == "applied"
    g.clock.observe((await g.pull())["server_hlc"])
    edits = [g.mutation("f0_case", case_id, {"address": f"{n} Hai Bà Trưng"}) for n in range(5)]
    assert {hlc_to_ms(e["hlc"]) for e in edits} == {hlc_to_ms(edits[0]["hlc"])}  # counters
    online = await http.patch(f"/api/cases/{case_id}", json={"address": "online"},
                              headers=unit.staff.headers)
    assert online.status_code == 200, online.text
    results = await g.push_ok(*edits)
    assert {r["status"] for r in results} == {"merged"}
    assert await world.scalar("SELECT address FROM f0_case WHERE id = :i", i=case_id) == "online"
    assert await world.scalar(
        "SELECT count(*) FROM sync_conflict WHERE row_id = :i AND field = 'address'",
        i=case_id) == 5


# -- a clock far behind -------------------------------------------------------------------------

async def test_an_hlc_from_1970_is_refused_as_clock_behind_and_not_logged(unit: Unit,
                                                                          world: World) -> None:
    d = unit.device
    m = d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id),
                   hlc=HLC(86_400_000).format())
    [result] = await d.push_ok(m)
    assert (result["status"], result["code"]) == ("rejected", "clock_behind")
    assert await world.scalar("SELECT count(*) FROM sync_mutation") == 0  # judged afresh later
    m["hlc"] = d.clock.now()
    [result] = await d.push_ok(m)
    assert result["status"] == "applied"


async def test_a_tablet_whose_clock_says_1970_is_corrected_by_the_reference_client(
    unit: Unit, world: World
) -> None:
    d = unit.device
    behind = system_ms() - 86_400_000  # its wall clock reads 2 January 1970
    client = SyncClient(device_id=d.id, token=d.token, store=LocalStore(),
                        author_id=unit.staff.id, clock=HybridClock(lambda: system_ms() - behind),
                        http=d.http, fmt="json")
    case_id = uuid.uuid4()
    await client.edit("f0_case", case_id, new_case(unit.station_id))
    await client.edit("observation", uuid.uuid4(), {
        "case_id": str(case_id), "kind": "spo2", "value": 97, "measured_at": client.now()})
    assert client.now().year == 1970
    report = await client.sync()
    assert (report.rejected, client.rejections, client.store.pending_count()) == (0, [], 0)
    stamp = await world.scalar(
        "SELECT field_hlc -> 'phone' ->> 'hlc' FROM f0_case WHERE id = :i", i=case_id)
    assert abs(hlc_to_ms(stamp) - system_ms()) < 60_000
    measured = await world.scalar("SELECT measured_at FROM observation WHERE case_id = :i",
                                  i=case_id)
    assert abs(measured - datetime.now(UTC)) < timedelta(minutes=1)  # not 1970
    corrections = await world.scalar(
        "SELECT array_agg(DISTINCT clock_correction_ms) FROM sync_mutation")
    assert len(corrections) == 1 and abs(corrections[0] - behind) < 60_000
    assert client.now().year >= 2026


# -- a clock a day ahead: readings and movements are corrected, not lost ------------------------

async def test_a_reading_and_a_movement_from_a_tablet_a_day_ahead_are_kept_corrected(
    unit: Unit, world: World
) -> None:
    d = unit.device
    case_id = await created_case(d, unit)
    location = await station_location(world, unit)
    client = SyncClient(device_id=d.id, token=d.token, store=LocalStore(),
                        author_id=unit.staff.id,
                        clock=HybridClock(lambda: system_ms() + ONE_DAY), http=d.http,
                        fmt="json")
    reading_id, movement_id = uuid.uuid4(), uuid.uuid4()
    recorded = client.now()
    await client.edit("observation", reading_id, {
        "case_id": str(case_id), "kind": "spo2", "value": 97, "measured_at": recorded})
    await client.edit("stock_movement", movement_id, {
        "location_id": str(location), "item_id": str(PPE), "kind": "receipt", "quantity": 20,
        "occurred_at": recorded.isoformat()})
    results = await client.push()
    assert [r.status for r in results] == ["applied", "applied"], results
    assert client.rejections == [] and client.store.pending_count() == 0
    now = datetime.now(UTC)
    measured = await world.scalar("SELECT measured_at FROM observation WHERE id = :i",
                                  i=reading_id)
    occurred = await world.scalar("SELECT occurred_at FROM stock_movement WHERE id = :i",
                                  i=movement_id)
    for at in (measured, occurred):
        assert abs(at - now) < timedelta(minutes=1)  # a day earlier than the tablet said
    corrections = await world.scalar(
        "SELECT array_agg(clock_correction_ms) FROM sync_mutation "
        "WHERE row_id = ANY(CAST(:ids AS uuid[]))", ids=[reading_id, movement_id])
    assert len(corrections) == 2
    assert all(abs(c + ONE_DAY) < 60_000 for c in corrections)


async def test_a_future_measured_at_from_a_device_is_clock_skew_and_not_logged(
    unit: Unit, world: World
) -> None:
    """Its HLC is right but the reading's time is a day ahead: the device keeps it."""
    d = unit.device
    case_id = await created_case(d, unit)
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    [result] = await d.push_ok(d.mutation("observation", uuid.uuid4(), {
        "case_id": str(case_id), "kind": "spo2", "value": 97, "measured_at": later}))
    assert (result["status"], result["code"]) == ("rejected", "clock_skew")
    assert "measured_at" in result["message"]
    assert await world.scalar("SELECT count(*) FROM sync_mutation WHERE entity = 'observation'") == 0


async def test_online_a_future_measured_at_is_still_invalid(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    case_id = await created_case(unit.device, unit)
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    resp = await http.post(f"/api/cases/{case_id}/observations", headers=unit.staff.headers,
                           json={"kind": "spo2", "value": 97, "measured_at": later})
    assert resp.status_code in (400, 422), resp.text


def test_the_recorded_time_fields_are_the_pushable_datetime_fields() -> None:
    registered = {f.name for spec in REGISTRY for f in spec.fields
                  if f.pushable and f.type is FieldType.datetime}
    assert registered == RECORDED_TIME_FIELDS


# -- every answer carries server_time -----------------------------------------------------------

async def test_every_answer_carries_the_servers_wall_time(unit: Unit) -> None:
    d = unit.device
    answers = [
        await d.push(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id))),
        await d.post("/sync/v1/pull", {"protocol": 1, "device_id": str(d.id)}),
        await d.post("/sync/v1/push", {"protocol": 1, "device_id": str(d.id),
                                       "mutations": {"not": "a list"}}),  # 400
        await d.push(token="fod_unknown"),  # 401
        await d.post("/sync/v1/push", {"protocol": 2, "device_id": str(d.id),
                                       "mutations": []}),  # 426
        await d.http.post("/sync/v1/pull", content=b"x", headers={
            "Authorization": f"Bearer {d.token}", "Content-Type": "text/plain"}),  # 415
    ]
    assert [a.status_code for a in answers] == [200, 200, 400, 401, 426, 415]
    for answer in answers:
        body = answer.json()
        assert body["server_time"].endswith("Z"), body
        assert abs(_ms(body["server_time"]) - system_ms()) < 60_000
        assert "server_hlc" in body


async def test_an_error_answer_without_a_reachable_clock_omits_server_hlc(
    settings: Settings, engine: AsyncEngine, committed_app: Litestar
) -> None:
    port = _free_port()  # nothing listens there
    unreachable = dataclasses.replace(
        settings, database_url=f"postgresql+asyncpg://nobody@127.0.0.1:{port}/none")
    app = create_app(unreachable, engine=engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as http:
            resp = await http.post("/sync/v1/pull", json={"protocol": 1,
                                                           "device_id": str(uuid.uuid4())})
    finally:
        await app.state.server_clock.aclose()
    assert resp.status_code == 401
    body = resp.json()
    assert "server_hlc" not in body and body["server_time"].endswith("Z")


async def test_concurrent_answers_from_two_apps_are_never_below_what_was_observed(
    unit: Unit, world: World, settings: Settings, engine: AsyncEngine
) -> None:
    """Callers share ticks (and may get equal values), but none gets a value below an HLC
    observed before it asked, and nothing fails."""
    other_app = create_app(settings, engine=engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other_app),
                                     base_url="http://testserver") as other_http:
            devices = [unit.device, RawDevice(other_http, unit.device.id, unit.device.token,
                                              unit.device.author)]
            other_unit = await make_unit(world, unit.device.http)
            pusher = other_unit.device
            ahead = HLC(system_ms() + FOUR_MINUTES).format()
            [r] = await pusher.push_ok(pusher.mutation(
                "f0_case", uuid.uuid4(), new_case(other_unit.station_id), hlc=ahead))
            assert r["status"] == "applied"
            pages = await asyncio.gather(*(devices[i % 2].pull() for i in range(12)))
            assert all(p["server_hlc"] > ahead for p in pages)
    finally:
        await other_app.state.server_clock.aclose()


async def test_an_online_edit_waiting_on_a_push_is_stamped_above_what_the_push_observed(
    unit: Unit, world: World
) -> None:
    """The trigger reads the clock after the row lock wait: an online UPDATE queued behind a
    push sees the tick that push committed just before its own commit."""
    case_id = await created_case(unit.device, unit)
    far = system_ms() + FOUR_MINUTES
    async with world.engine.connect() as push_conn, world.engine.connect() as api_conn:
        push_tx = await push_conn.begin()
        await push_conn.execute(text("SELECT set_config('fieldops.via', 'device', true)"))
        await push_conn.execute(text("SELECT id FROM f0_case WHERE id = :i FOR UPDATE"),
                                {"i": case_id})
        api_tx = await api_conn.begin()
        online = asyncio.ensure_future(api_conn.execute(
            text("UPDATE f0_case SET phone = '0903333333' WHERE id = :i"), {"i": case_id}))
        await asyncio.sleep(0.3)
        assert not online.done()  # waiting for the push's lock
        async with world.engine.connect() as clock_conn:  # as sync/clock.py: autocommit
            await clock_conn.execution_options(isolation_level="AUTOCOMMIT")
            observed = (await clock_conn.execute(text("SELECT sync_clock_tick(:ms)"),
                                                 {"ms": far})).scalar_one()
        await push_tx.commit()
        await online
        await api_tx.commit()
    stamp = await world.scalar(
        "SELECT field_hlc -> 'phone' ->> 'hlc' FROM f0_case WHERE id = :i", i=case_id)
    assert stamp > HLC(observed, 99_999).format()


async def test_concurrent_pushes_and_online_edits_of_one_case_neither_fail_nor_deadlock(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    """Pushes tick the clock while holding the case row; online edits of that row read the
    clock in their trigger. The clock row is only ever locked in autocommit, so nobody waits
    for it while holding a row someone else waits for."""
    devices = [unit.device, await second_device(world, unit, http)]
    case_id = await created_case(unit.device, unit)

    async def device_edits(d: RawDevice, n: int) -> list[int]:
        codes = []
        for i in range(n):
            resp = await d.push(d.mutation("f0_case", case_id, {"notes": f"{d.id} {i}"}))
            codes.append(resp.status_code)
        return codes

    async def online_edits(n: int) -> list[int]:
        codes = []
        for i in range(n):
            resp = await http.patch(f"/api/cases/{case_id}", json={"notes": f"online {i}"},
                                    headers=unit.staff.headers)
            codes.append(resp.status_code)
        return codes

    runs = await asyncio.wait_for(asyncio.gather(
        device_edits(devices[0], 8), device_edits(devices[1], 8), online_edits(8),
        online_edits(8)), 120)
    assert {code for run in runs for code in run} == {200}
