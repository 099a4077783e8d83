"""Which notifications wake a waiting pull (api/feed_hub.py, FeedScope.covers): no database."""

from __future__ import annotations

from typing import Any, cast

from api.feed_hub import MAX_HEARD, FeedWait, _disconnect
from sync.entities import REGISTRY
from sync.feed import FeedScope
from sync.pull import Wake
from sync.registry import Scope

WARD = "VN.79.760.26734"
SIBLING = "VN.79.760.26737"
SCOPE = FeedScope(unit=WARD, district="VN.79.760")


def test_covers_mirrors_the_scope_predicates() -> None:
    assert SCOPE.covers(Scope.unit, WARD) and not SCOPE.covers(Scope.unit, SIBLING)
    assert SCOPE.covers(Scope.district, SIBLING) and not SCOPE.covers(Scope.district, "VN.79")
    assert not SCOPE.covers(Scope.district, "VN.79.7601.1")  # a prefix is not a parent
    for scope in (Scope.lineage, Scope.places):
        assert all(SCOPE.covers(scope, p) for p in ("VN", "VN.79", "VN.79.760", SIBLING))
        assert not SCOPE.covers(scope, "VN.79.761.26764") and not SCOPE.covers(scope, "VN.01")


async def test_a_wait_wakes_for_its_scope_only() -> None:
    w = FeedWait()
    w.watch(SCOPE, REGISTRY)
    w.offer("f0_case", SIBLING)  # a sibling ward's patient
    w.offer("sync_mutation", WARD)  # not a feed table
    assert await w.wait(0.01) is Wake.timeout
    w.offer("station", SIBLING)  # stations are the district's
    assert await w.wait(1) is Wake.changed
    w.offer("observation", WARD)
    assert await w.wait(1) is Wake.changed
    assert await w.wait(0.01) is Wake.timeout  # each wake is consumed once


async def test_what_was_heard_before_the_first_read_counts_once_the_scope_is_known() -> None:
    w = FeedWait()
    w.offer("f0_case", SIBLING)
    w.watch(SCOPE, REGISTRY)
    assert await w.wait(0.01) is Wake.timeout
    w = FeedWait()
    w.offer("alert", WARD)
    w.watch(SCOPE, REGISTRY)
    assert await w.wait(1) is Wake.changed
    w = FeedWait()
    for i in range(MAX_HEARD + 1):  # too much to keep: wake once, to be safe
        w.offer("f0_case", f"VN.01.{i}")
    w.watch(SCOPE, REGISTRY)
    assert await w.wait(1) is Wake.changed


async def test_a_closed_wait_ends_at_once_and_stays_closed() -> None:
    w = FeedWait()
    w.watch(SCOPE, REGISTRY)
    w.close()
    assert await w.wait(10) is Wake.closed
    assert await w.wait(10) is Wake.closed


async def test_a_client_that_disconnects_ends_its_wait() -> None:
    class Gone:
        async def receive(self) -> dict[str, Any]:
            return {"type": "http.disconnect"}

    w = FeedWait()
    w.watch(SCOPE, REGISTRY)
    await _disconnect(cast(Any, Gone()), w)
    assert await w.wait(10) is Wake.closed
