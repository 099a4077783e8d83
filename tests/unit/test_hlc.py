"""HLC invariants the merge logic relies on: monotonicity and string == tuple ordering."""

from __future__ import annotations

import random

import pytest

from sync.hlc import HLC, MAX_COUNTER, ClockDriftError, HybridClock, compare_hlc, hlc_to_ms


class FakeWall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_parse_format_round_trip() -> None:
    h = HLC.parse("001700000000000-00003")
    assert h == HLC(1_700_000_000_000, 3)
    assert str(h) == h.format() == "001700000000000-00003"
    assert hlc_to_ms("001700000000000-00003") == 1_700_000_000_000


@pytest.mark.parametrize(
    "bad", ["", "1700000000000-00003", "001700000000000-3", "001700000000000_00003", "x" * 21]
)
def test_parse_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        HLC.parse(bad)


def test_out_of_range_values_rejected() -> None:
    with pytest.raises(ValueError):
        HLC(0, MAX_COUNTER + 1)
    with pytest.raises(ValueError):
        HLC(-1, 0)


def test_string_order_equals_tuple_order() -> None:
    rng = random.Random(7)
    values = [
        HLC(rng.choice([0, 1, 999, 10**12, 10**15 - 1]), rng.choice([0, 1, 9, 10, MAX_COUNTER]))
        for _ in range(200)
    ]
    for a, b in zip(values, reversed(values), strict=True):
        assert (str(a) < str(b)) == ((a.ms, a.counter) < (b.ms, b.counter)) == (a < b)
        assert (str(a) == str(b)) == (a == b)


def test_compare_hlc_breaks_ties_by_device() -> None:
    h1, h2 = "001700000000000-00001", "001700000000000-00002"
    assert compare_hlc(h1, "b", h2, "a") == -1
    assert compare_hlc(h2, "a", h1, "b") == 1
    assert compare_hlc(h1, "a", h1, "b") == -1
    assert compare_hlc(h1, "b", h1, "a") == 1
    assert compare_hlc(h1, "a", h1, "a") == 0


def test_now_follows_wall_clock_and_bumps_counter_when_stalled() -> None:
    wall = FakeWall(1000)
    clock = HybridClock(wall)
    assert clock.now() == "000000000001000-00000"
    assert clock.now() == "000000000001000-00001"
    wall.ms = 2000
    assert clock.now() == "000000000002000-00000"


def test_monotonic_when_wall_clock_goes_backwards() -> None:
    wall = FakeWall(5000)
    clock = HybridClock(wall)
    issued = [clock.now()]
    for ms in [4000, 100, 5000, 4999, 6000, 1]:
        wall.ms = ms
        issued.append(clock.now())
    assert issued == sorted(issued)
    assert len(set(issued)) == len(issued)
    assert hlc_to_ms(issued[-1]) == 6000


def test_observe_remote_ahead_moves_past_it() -> None:
    wall = FakeWall(1000)
    clock = HybridClock(wall)
    clock.now()
    remote = "000000000009000-00007"
    after = clock.observe(remote)
    assert after == "000000000009000-00008"
    assert clock.now() > remote


def test_observe_remote_behind_keeps_local_order() -> None:
    wall = FakeWall(5000)
    clock = HybridClock(wall)
    first = clock.now()
    assert clock.observe("000000000001000-00050") > first
    wall.ms = 7000
    assert clock.observe("000000000001000-00050") == "000000000007000-00000"


def test_observe_equal_physical_takes_max_counter() -> None:
    wall = FakeWall(100)
    clock = HybridClock(wall, last="000000000000500-00002")
    assert clock.observe("000000000000500-00009") == "000000000000500-00010"


def test_counter_overflow_advances_physical_part() -> None:
    wall = FakeWall(1000)
    clock = HybridClock(wall, last=HLC(1000, MAX_COUNTER - 1))
    assert clock.now() == f"000000000001000-{MAX_COUNTER:05d}"
    nxt = clock.now()
    assert nxt == "000000000001001-00000"
    HLC.parse(nxt)  # still a valid wire string
    assert HybridClock(wall).observe(f"000000000001000-{MAX_COUNTER:05d}") == nxt


def test_max_drift_rejects_far_future_remote() -> None:
    clock = HybridClock(FakeWall(1000), max_drift_ms=60_000)
    clock.observe("000000000050000-00000")
    with pytest.raises(ClockDriftError):
        clock.observe("000000001000000-00000")
    assert clock.last == HLC(50_000, 1)


def test_correct_adopts_the_server_time_when_far_ahead() -> None:
    wall = FakeWall(1_000_000 + 600_000)  # ten minutes fast
    clock = HybridClock(wall)
    refused = clock.now()
    server = HLC(1_000_000, 7).format()
    assert clock.correct(server)
    nxt = clock.now()
    assert server < nxt < refused  # back to the server's time, still after all it has seen
    wall.ms += 5
    assert hlc_to_ms(clock.now()) == 1_000_005  # the wall clock keeps the offset
    assert not clock.correct(HLC(1_000_004).format())  # within tolerance: nothing to correct
