"""Long-poll pulls (``wait_ms``): an empty page waits for a change in the device's scope, heard
through LISTEN/NOTIFY on ``sync_feed``, without holding a database connection meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from api.feed_hub import FeedHub, stop_feed
from tests.sync.conftest import NEIGHBOUR, RawDevice, Unit, World, make_unit, new_case


@pytest.fixture(autouse=True)
async def _hub_closed_after(committed_app: Litestar) -> AsyncIterator[None]:
    yield
    await stop_feed(committed_app)


async def long_pull(d: RawDevice, wait_ms: int) -> dict[str, Any]:
    resp = await d.post("/sync/v1/pull", {"protocol": 1, "device_id": str(d.id),
                                          "cursor": d.cursor, "wait_ms": wait_ms})
    assert resp.status_code == 200, resp.text
    page: dict[str, Any] = resp.json()
    return page


async def waiting(app: Litestar, task: asyncio.Task[Any], n: int = 1) -> FeedHub:
    """Until ``n`` pulls have done their first read and wait for a change."""
    for _ in range(500):
        hub: FeedHub | None = app.state.get("feed_hub")
        if hub is not None and sum(w.watching for w in hub.waits) >= n:
            return hub
        assert not task.done(), task.result()
        await asyncio.sleep(0.01)
    raise AssertionError("the pull never started waiting")


async def heard(hub: FeedHub, more_than: int) -> None:
    for _ in range(500):
        if hub.heard > more_than:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no notification reached the hub")


async def caught_up(unit: Unit) -> uuid.UUID:
    d = unit.device
    case_id = uuid.uuid4()
    await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
    await d.sync_down()
    return case_id


def reading(d: RawDevice, case_id: uuid.UUID) -> dict[str, Any]:
    return d.mutation("observation", uuid.uuid4(), {
        "case_id": str(case_id), "kind": "pulse", "value": 80.0,
        "measured_at": datetime.now(UTC).isoformat()})


async def test_a_push_in_scope_answers_the_waiting_pull(
    unit: Unit, world: World, committed_app: Litestar
) -> None:
    case_id = await caught_up(unit)
    d = unit.device
    task = asyncio.create_task(long_pull(d, 20_000))
    await waiting(committed_app, task)
    # Another tablet of the station pushes a reading.
    other = RawDevice(d.http, *(await world.device(unit.station_id, unit.officer)),
                      unit.staff.id)
    mutation = reading(other, case_id)
    await other.push_ok(mutation)
    page = await asyncio.wait_for(task, 10)
    assert [(c["entity"], c["row_id"]) for c in page["changes"]] == [
        ("observation", mutation["row_id"])]
    assert page["cursor"] != d.cursor and not page["reset"]


async def test_an_online_edit_in_scope_answers_the_waiting_pull(
    unit: Unit, committed_app: Litestar
) -> None:
    case_id = await caught_up(unit)
    d = unit.device
    task = asyncio.create_task(long_pull(d, 20_000))
    await waiting(committed_app, task)
    resp = await d.http.patch(f"/api/cases/{case_id}", json={"phone": "0909000111"},
                              headers=unit.staff.headers)
    assert resp.status_code == 200, resp.text
    page = await asyncio.wait_for(task, 10)
    [case] = [c for c in page["changes"] if c["entity"] == "f0_case"]
    assert (case["row_id"], case["fields"]["phone"]) == (str(case_id), "0909000111")


async def test_a_change_in_a_sibling_ward_does_not_answer_it(
    unit: Unit, world: World, committed_app: Litestar
) -> None:
    neighbour = await make_unit(world, unit.device.http, NEIGHBOUR)  # its station: in scope
    case_id = await caught_up(unit)
    d = unit.device
    task = asyncio.create_task(long_pull(d, 20_000))
    hub = await waiting(committed_app, task)
    before = hub.heard
    n = neighbour.device
    await n.push_ok(n.mutation("f0_case", uuid.uuid4(), new_case(neighbour.station_id)))
    await heard(hub, before)
    await asyncio.sleep(0.5)  # time enough to answer, were it woken
    assert not task.done()
    await d.push_ok(reading(d, case_id))  # then one in scope does
    page = await asyncio.wait_for(task, 10)
    assert {c["entity"] for c in page["changes"]} == {"observation"}


async def test_with_no_change_it_times_out_with_an_empty_page(unit: Unit) -> None:
    await caught_up(unit)
    d = unit.device
    page = await long_pull(d, 300)
    assert (page["changes"], page["has_more"], page["reset"]) == ([], False, False)
    assert page["cursor"] == d.cursor


async def test_it_holds_no_database_connection_while_waiting(
    unit: Unit, world: World, committed_app: Litestar, engine: AsyncEngine
) -> None:
    case_id = await caught_up(unit)
    d = unit.device
    second = RawDevice(d.http, *(await world.device(unit.station_id, unit.officer)),
                       unit.staff.id)
    await second.sync_down()
    tasks = [asyncio.create_task(long_pull(p, 20_000)) for p in (d, second)]
    await waiting(committed_app, tasks[0], n=2)
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    busy = await world.scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fieldops' "
        "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()")
    assert busy == 0
    await d.push_ok(reading(d, case_id))
    pages = await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert all(any(c["entity"] == "observation" for c in p["changes"]) for p in pages)


async def test_a_page_that_is_not_empty_is_answered_at_once(unit: Unit) -> None:
    case_id = await caught_up(unit)
    d = unit.device
    await d.push_ok(reading(d, case_id))
    page = await asyncio.wait_for(long_pull(d, 30_000), 10)
    assert [c["entity"] for c in page["changes"]] == ["observation"]


async def test_wait_ms_is_bounded(unit: Unit) -> None:
    d = unit.device
    resp = await d.post("/sync/v1/pull", {"protocol": 1, "device_id": str(d.id),
                                          "cursor": None, "wait_ms": 30_001})
    assert resp.status_code == 400 and resp.json()["field"] == "wait_ms"


async def test_the_reference_client_long_polls_once_caught_up(
    unit: Unit, world: World, committed_app: Litestar
) -> None:
    from sync.client import LocalStore, SyncClient
    from sync.hlc import HybridClock

    d = unit.device
    case_id = await caught_up(unit)
    client = SyncClient(device_id=d.id, token=d.token, store=LocalStore(),
                        author_id=unit.staff.id, http=d.http, fmt="json", clock=HybridClock())
    await client.pull()  # bootstrap: never waits
    task = asyncio.create_task(client.pull(wait_ms=20_000))
    await waiting(committed_app, task)
    other = RawDevice(d.http, *(await world.device(unit.station_id, unit.officer)),
                      unit.staff.id)
    mutation = reading(other, case_id)
    await other.push_ok(mutation)
    assert await asyncio.wait_for(task, 10) == 1
    assert client.store.get("observation", uuid.UUID(mutation["row_id"])) is not None
