"""A device's clock correction (sync/hlc.py ``shift``, sync/client/store.py ``shift_queued``):
the queued mutations move by the measured offset, HLCs and recorded times alike, without
reordering and without falling below what the device knew when it recorded them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sync.client.store import LocalStore
from sync.hlc import HLC, HybridClock
from sync.wire import Mutation

WALL = 1_800_000_000_000
DAY = 86_400_000


def mutation(hlc: HLC, fields: dict[str, object], entity: str = "observation") -> Mutation:
    return Mutation(id=uuid.uuid4(), entity=entity, row_id=uuid.uuid4(), op="upsert",
                    hlc=hlc.format(), author_id=uuid.uuid4(), fields=fields)


def test_a_clock_a_day_ahead_moves_back_and_restarts_from_the_server() -> None:
    clock = HybridClock(lambda: WALL + DAY)
    clock.now()
    clock.shift(-DAY, HLC(WALL).format())
    assert clock.wall_ms() == WALL and clock.offset_ms == -DAY
    assert HLC.parse(clock.now()) == HLC(WALL, 1)


def test_a_clock_behind_moves_forward_and_keeps_its_last_value() -> None:
    clock = HybridClock(lambda: DAY)  # 2 January 1970
    clock.now()
    clock.shift(WALL - DAY, HLC(WALL).format())
    assert clock.wall_ms() == WALL
    assert clock.last == HLC(DAY, 0)  # observing server_hlc moves it forward
    assert HLC.parse(clock.observe(HLC(WALL).format())) == HLC(WALL, 1)


def test_queued_mutations_move_by_the_offset_with_their_recorded_times() -> None:
    store = LocalStore()
    at = datetime.fromtimestamp((WALL + DAY) / 1000, UTC)
    first = mutation(HLC(WALL + DAY, 0), {"measured_at": at.isoformat(), "value": 97})
    second = mutation(HLC(WALL + DAY + 5, 0), {"occurred_at": at, "quantity": 3},
                      "stock_movement")
    third = mutation(HLC(WALL + DAY + 5, 1), {"phone": "2026-12-01T00:00:00+00:00"}, "f0_case")
    for m in (first, second, third):
        store.enqueue(m)
    assert store.shift_queued(-DAY) == 3
    a, b, c = store.pending()
    assert [m.id for m in (a, b, c)] == [first.id, second.id, third.id]
    assert [m.hlc for m in (a, b, c)] == [HLC(WALL).format(), HLC(WALL + 5).format(),
                                          HLC(WALL + 5, 1).format()]
    assert datetime.fromisoformat(a.fields["measured_at"]) == at - timedelta(days=1)
    assert datetime.fromisoformat(b.fields["occurred_at"]) == at - timedelta(days=1)
    assert c.fields["phone"] == "2026-12-01T00:00:00+00:00"  # not a recorded time
    assert {m.clock_correction_ms for m in (a, b, c)} == {-DAY}
    assert store.local_hlc == HLC(WALL + 5, 1).format()  # a restart stays corrected
    store.shift_queued(1000)
    assert store.pending()[0].clock_correction_ms == -DAY + 1000  # corrections add up


def test_a_shifted_mutation_stays_above_what_the_device_knew_and_in_outbox_order() -> None:
    store = LocalStore()
    known = HLC(WALL + 60_000)  # a server_hlc a minute ahead of the right time
    store.set_meta(server_hlc=known.format())
    first = mutation(HLC(WALL + DAY, 0), {"value": 97})
    second = mutation(HLC(WALL + DAY, 1), {"value": 98})
    store.enqueue(first)
    store.enqueue(second)
    store.shift_queued(-DAY)
    assert [m.hlc for m in store.pending()] == [known.successor().format(),
                                                known.successor().successor().format()]


async def test_a_clock_right_again_gives_its_refused_edits_fresh_hlcs() -> None:
    """The server refused an HLC from a clock that was wrong earlier, but the device's clock
    is right now (offset below network delay): nothing to shift, the edit gets a fresh HLC."""
    from tests.unit.test_client_store import WALL as SERVER_WALL
    from tests.unit.test_client_store import FakeServer, make_client

    server = FakeServer()
    server.max_ahead_ms = 5 * 60_000
    client = make_client(server, clock=HybridClock(lambda: SERVER_WALL))
    m = mutation(HLC(SERVER_WALL + 10 * 60_000), {"a": 1}, "cases")
    client.store.enqueue(m)  # recorded while the clock was 10 minutes fast
    [result] = await client.push()
    assert (result.id, result.status) == (m.id, "applied")
    assert server.pushed_ids == [[m.id], [m.id]]
    assert client.clock.offset_ms == 0
