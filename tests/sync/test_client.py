"""The reference client against the real server: what a device with a wrong clock goes through."""

from __future__ import annotations

import uuid

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
