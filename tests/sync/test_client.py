"""The reference client against the real server: what a device with a wrong clock goes through."""

from __future__ import annotations

import uuid

import httpx
import msgspec

from sync.client import LocalStore, SyncClient
from sync.hlc import HybridClock, hlc_to_ms, system_ms
from tests.sync.conftest import Unit, World, new_case

TEN_MINUTES = 10 * 60 * 1000


async def test_a_device_ten_minutes_fast_gets_its_edit_applied_in_one_sync(
    unit: Unit, world: World
) -> None:
    d = unit.device
    store = LocalStore()
    client = SyncClient(device_id=d.id, token=d.token, store=store, author_id=unit.staff.id,
                        clock=HybridClock(lambda: system_ms() + TEN_MINUTES), http=d.http,
                        fmt="json")
    case_id = uuid.uuid4()
    await client.edit("f0_case", case_id, new_case(unit.station_id))
    report = await client.sync()
    assert (report.rejected, client.rejections, store.pending_count()) == (0, [], 0)
    assert await world.scalar("SELECT count(*) FROM f0_case WHERE id = :i", i=case_id) == 1
    assert store.get("f0_case", case_id)["full_name"] == "Nguyễn Văn An"
    # Its clock now follows the server's, so its next edit is accepted at once.
    assert hlc_to_ms(client.clock.now()) < system_ms() + 60_000
    await client.edit("f0_case", case_id, {"phone": "0908765432"})
    [result] = await client.push()
    assert result.status == "applied"
    stamp = await world.scalar(
        "SELECT field_hlc -> 'phone' ->> 'hlc' FROM f0_case WHERE id = :i", i=case_id)
    assert hlc_to_ms(stamp) < system_ms() + 60_000


async def test_a_bootstrap_pulls_in_large_pages_and_later_pulls_in_small_ones(
    unit: Unit, world: World
) -> None:
    d = unit.device
    for _ in range(3):
        await d.push_ok(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id)))
    limits: list[int] = []

    async def record(request: httpx.Request) -> None:
        if request.url.path == "/sync/v1/pull":
            limits.append(msgspec.json.decode(await request.aread())["limit"])

    d.http.event_hooks["request"].append(record)
    store = LocalStore()
    client = SyncClient(device_id=d.id, token=d.token, store=store, author_id=unit.staff.id,
                        clock=HybridClock(), http=d.http, fmt="json", pull_limit=2,
                        bootstrap_limit=500)
    assert await client.pull() >= 3  # the station, its cases, the commune's units: one page
    assert limits == [500]
    for _ in range(3):
        await d.push_ok(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id)))
    assert await client.pull() >= 3
    assert limits[0] == 500 and len(limits) >= 3 and set(limits[1:]) == {2}  # from a cursor
    assert len(store.rows("f0_case")) == 6
