"""LocalStore and SyncClient against an in-memory fake of the sync server (no network)."""

from __future__ import annotations

import gzip
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync.client import (
    BadBatch,
    LocalStore,
    RetriesExhausted,
    SyncClient,
    Unauthorized,
    UnsupportedProtocol,
)
from sync.client.client import PULL_PATH, PUSH_PATH, Send
from sync.hlc import HybridClock, hlc_to_ms
from sync.wire import (
    JSON,
    Change,
    Mutation,
    MutationResult,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    Status,
    decode,
    encode,
    media_type,
)

TOKEN = "device-token"
WALL = 1_800_000_000_000  # the fake server's wall clock
WALL_TIME = datetime.fromtimestamp(WALL / 1000, UTC)
AUTHOR = uuid.UUID(int=42)


def mutation(row: uuid.UUID, fields: dict[str, Any], op: str = "upsert") -> Mutation:
    return Mutation(
        id=uuid.uuid4(),
        entity="cases",
        row_id=row,
        op="delete" if op == "delete" else "upsert",
        hlc="001700000000000-00000",
        author_id=AUTHOR,
        fields=fields,
    )


def change(row: uuid.UUID, fields: dict[str, Any], op: str = "upsert") -> Change:
    return Change(
        entity="cases", row_id=row, op="delete" if op == "delete" else "upsert", fields=fields
    )


# -- LocalStore ------------------------------------------------------------------------


def test_apply_changes_and_cursor_are_atomic() -> None:
    store = LocalStore()
    r1, r2 = uuid.uuid4(), uuid.uuid4()
    store.apply_changes([change(r1, {"a": 1})], cursor="c1")
    assert store.cursor == "c1"
    unencodable = change(r2, {"bad": object()})
    with pytest.raises(TypeError):
        store.apply_changes([change(r1, {"a": 2}), unencodable], cursor="c2")
    assert store.cursor == "c1"
    assert store.get("cases", r1) == {"a": 1}
    assert store.get("cases", r2) is None


def test_cursor_and_outbox_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "replica.db"
    store = LocalStore(path)
    row = uuid.uuid4()
    store.apply_changes([change(row, {"a": 1})], cursor="c9", server_hlc="001700000000000-00001")
    m = mutation(row, {"b": 2})
    store.enqueue(m)
    store.close()
    reopened = LocalStore(path)
    assert reopened.cursor == "c9"
    assert reopened.server_hlc == "001700000000000-00001"
    assert reopened.pending() == [m]
    assert reopened.get("cases", row) == {"a": 1, "b": 2}


def test_outbox_order_pending_limit_and_ack() -> None:
    store = LocalStore()
    ms = [mutation(uuid.uuid4(), {"n": i}) for i in range(5)]
    for m in ms:
        store.enqueue(m)
    assert store.pending() == ms
    assert store.pending(2) == ms[:2]
    assert store.ack([ms[1].id, ms[3].id, uuid.uuid4()]) == 2
    assert store.pending() == [ms[0], ms[2], ms[4]]
    assert store.pending_count() == 3


def test_optimistic_edit_merges_fields_and_delete_tombstones() -> None:
    store = LocalStore()
    row = uuid.uuid4()
    store.apply_changes([change(row, {"name": "An", "age": 30})], cursor="c1")
    store.enqueue(mutation(row, {"age": 31, "ward": "X"}))
    assert store.get("cases", row) == {"name": "An", "age": 31, "ward": "X"}
    store.enqueue(mutation(row, {}, op="delete"))
    assert store.get("cases", row) is None
    assert store.is_deleted("cases", row)
    assert store.snapshot() == {}


def test_pulled_row_keeps_pending_local_edit_on_top() -> None:
    store = LocalStore()
    row = uuid.uuid4()
    store.enqueue(mutation(row, {"age": 31}))
    store.apply_changes([change(row, {"name": "An", "age": 30})], cursor="c1")
    assert store.get("cases", row) == {"name": "An", "age": 31}


def test_reset_replica_keeps_outbox_and_its_edits() -> None:
    store = LocalStore()
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    store.apply_changes([change(dropped, {"a": 1})], cursor="c5")
    m = mutation(kept, {"b": 2})
    store.enqueue(m)
    store.reset_replica()
    assert store.cursor is None
    assert store.pending() == [m]
    assert store.snapshot() == {("cases", kept): {"b": 2}}


def settle(store: LocalStore, *outcomes: tuple[Mutation, Status, dict[str, Any] | None]) -> None:
    store.settle([(m, MutationResult(id=m.id, status=st, current=cur)) for m, st, cur in outcomes])


def test_settle_applies_results_in_push_order() -> None:
    store = LocalStore()
    row = uuid.uuid4()
    store.apply_changes([change(row, {"a": 0, "b": 0})], cursor="c1")
    m1, m2 = mutation(row, {"a": "mine"}), mutation(row, {"b": 2})
    store.enqueue(m1)
    store.enqueue(m2)
    settle(store, (m1, "merged", {"a": "theirs", "b": 0}), (m2, "applied", None))
    assert store.pending() == []
    assert store.snapshot() == {("cases", row): {"a": "theirs", "b": 2}}


def test_rejected_edit_vanishes_from_view() -> None:
    store = LocalStore()
    row, new = uuid.uuid4(), uuid.uuid4()
    store.apply_changes([change(row, {"a": 1})], cursor="c1")
    m1, m2, m3 = mutation(row, {"a": 2}), mutation(new, {"x": 1}), mutation(row, {"c": 3})
    for m in (m1, m2, m3):
        store.enqueue(m)
    settle(store, (m1, "rejected", None), (m2, "rejected", None))
    assert store.snapshot() == {("cases", row): {"a": 1, "c": 3}}  # m3 still pending
    assert store.pending() == [m3]


def test_duplicate_without_current_waits_for_pull() -> None:
    store = LocalStore()
    row = uuid.uuid4()
    store.apply_changes([change(row, {"a": 1})], cursor="c1")
    m = mutation(row, {"a": 2})
    store.enqueue(m)
    settle(store, (m, "duplicate", None))
    assert store.get("cases", row) == {"a": 1}  # server row unknown; the pull will say
    store.apply_changes([change(row, {"a": 5})], cursor="c2")
    assert store.get("cases", row) == {"a": 5}


# -- fake server -----------------------------------------------------------------------


class FakeServer:
    """Just enough of the contract: idempotent push, cursor pull, reset, auth, gzip."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, uuid.UUID], tuple[dict[str, Any], bool]] = {}
        self.log: list[tuple[str, uuid.UUID]] = []
        self.results: dict[uuid.UUID, MutationResult] = {}
        self.pushed_ids: list[list[uuid.UUID]] = []
        self.clock = HybridClock(lambda: WALL)
        self.requests = 0
        self.gzipped = 0
        self.fail_with: list[int] = []
        self.reset_next_pull = False
        self.content_types: set[str] = set()
        self.max_ahead_ms: int | None = None  # refuse HLCs further ahead with clock_skew

    def snapshot(self) -> dict[tuple[str, uuid.UUID], dict[str, Any]]:
        return {k: f for k, (f, deleted) in self.rows.items() if not deleted}

    def _apply(self, m: Mutation) -> MutationResult:
        if m.id in self.results:
            return MutationResult(id=m.id, status="duplicate")
        if self.max_ahead_ms is not None and hlc_to_ms(m.hlc) > WALL + self.max_ahead_ms:
            return MutationResult(id=m.id, status="rejected", code="clock_skew", message="ahead")
        self.clock.observe(m.hlc)
        key = (m.entity, m.row_id)
        fields, _ = self.rows.get(key, ({}, False))
        if m.fields.get("status") == "invalid":
            res = MutationResult(id=m.id, status="rejected", code="invalid_value", message="no")
            res.current = dict(fields) if key in self.rows else None
        else:
            merged = {**fields, **m.fields}
            self.rows[key] = (merged, m.op == "delete")
            self.log.append(key)
            res = MutationResult(id=m.id, status="applied")
        self.results[m.id] = res
        return res

    def _pull(self, req: PullRequest) -> PullResponse:
        if self.reset_next_pull:
            self.reset_next_pull = False
            return PullResponse(
                changes=[], cursor="0", has_more=False, server_hlc=self.clock.now(), reset=True,
                server_time=WALL_TIME,
            )
        start = int(req.cursor or 0)
        keys = self.log[start : start + req.limit]
        changes = [
            Change(
                entity=e,
                row_id=r,
                op="delete" if self.rows[(e, r)][1] else "upsert",
                fields=self.rows[(e, r)][0],
            )
            for e, r in keys
        ]
        end = start + len(keys)
        return PullResponse(
            changes=changes,
            cursor=str(end),
            has_more=end < len(self.log),
            server_hlc=self.clock.now(),
            reset=False,
            server_time=WALL_TIME,
        )

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"title": "unknown token"})
        if self.fail_with:
            status = self.fail_with.pop(0)
            return httpx.Response(status, json={"title": "injected", "supported_versions": [2]})
        body = await request.aread()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
            self.gzipped += 1
        ctype = request.headers["content-type"]
        self.content_types.add(ctype)
        out = media_type(request.headers.get("accept", JSON))
        resp: PushResponse | PullResponse
        if request.url.path == PUSH_PATH:
            push = decode(body, PushRequest, ctype)
            self.pushed_ids.append([m.id for m in push.mutations])
            results = [self._apply(m) for m in push.mutations]
            resp = PushResponse(results=results, server_hlc=self.clock.now(),
                                server_time=WALL_TIME)
        elif request.url.path == PULL_PATH:
            resp = self._pull(decode(body, PullRequest, ctype))
        else:
            return httpx.Response(404)
        return httpx.Response(200, content=encode(resp, out), headers={"content-type": out})


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


class Sleeps(list[float]):
    async def __call__(self, delay: float) -> None:
        self.append(delay)


def make_client(server: FakeServer, **kw: Any) -> SyncClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server), base_url="http://sync.test")
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("clock", HybridClock(lambda: 1_700_000_000_000))
    return SyncClient(
        device_id=uuid.uuid4(),
        token=TOKEN,
        store=LocalStore(),
        author_id=AUTHOR,
        http=http,
        **kw,
    )


# -- SyncClient --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["msgpack", "json"])
async def test_two_devices_converge(server: FakeServer, fmt: Any) -> None:
    a, b = make_client(server, fmt=fmt), make_client(server, fmt=fmt, batch_size=2, pull_limit=2)
    row = uuid.uuid4()
    await a.edit("cases", row, {"name": "An", "age": 30})
    for i in range(4):
        await b.edit("visits", uuid.uuid4(), {"n": i})
    await a.sync()
    report = await b.sync()
    await a.sync()
    assert report.pushed == 4 and report.pulled == 5
    assert a.store.snapshot() == b.store.snapshot() == server.snapshot()
    assert len(server.snapshot()) == 5
    assert server.content_types == {f"application/{fmt}"}
    assert [len(ids) for ids in server.pushed_ids] == [1, 2, 2]
    assert a.store.pending_count() == b.store.pending_count() == 0
    assert a.clock.now() > "001800000000000"  # observed the server's clock


async def test_dropped_response_is_retried_with_same_ids(server: FakeServer) -> None:
    dropped = False

    async def drop_first_push(request: httpx.Request, send: Send) -> httpx.Response:
        nonlocal dropped
        response = await send(request)  # server commits...
        if request.url.path == PUSH_PATH and not dropped:
            dropped = True
            raise httpx.ReadError("connection reset", request=request)  # ...reply is lost
        return response

    sleeps = Sleeps()
    client = make_client(server, fault=drop_first_push, sleep=sleeps)
    m = await client.edit("cases", uuid.uuid4(), {"a": 1})
    results = await client.push()
    assert server.pushed_ids == [[m.id], [m.id]]
    assert [r.status for r in results] == ["duplicate"]
    assert client.store.pending_count() == 0
    assert len(sleeps) == 1


async def test_duplicate_delivery_is_harmless(server: FakeServer) -> None:
    async def deliver_twice(request: httpx.Request, send: Send) -> httpx.Response:
        await send(request)
        return await send(request)

    client = make_client(server, fault=deliver_twice)
    row = uuid.uuid4()
    await client.edit("cases", row, {"a": 1})
    await client.sync()
    assert client.store.snapshot() == server.snapshot() == {("cases", row): {"a": 1}}


async def test_unauthorized_is_not_retried(server: FakeServer) -> None:
    client = make_client(server)
    client.token = "revoked"
    await client.edit("cases", uuid.uuid4(), {"a": 1})
    with pytest.raises(Unauthorized):
        await client.sync()
    assert server.requests == 1
    assert client.store.pending_count() == 1


async def test_server_errors_are_retried_then_succeed(server: FakeServer) -> None:
    server.fail_with = [503, 500, 429]
    sleeps = Sleeps()
    client = make_client(server, sleep=sleeps, backoff_base=1.0, backoff_cap=3.0)
    await client.edit("cases", uuid.uuid4(), {"a": 1})
    await client.push()
    assert len(sleeps) == 3
    assert all(0 <= d <= 3.0 for d in sleeps)
    assert client.store.pending_count() == 0


async def test_retries_are_bounded(server: FakeServer) -> None:
    server.fail_with = [502] * 10
    client = make_client(server, max_retries=2)
    await client.edit("cases", uuid.uuid4(), {"a": 1})
    with pytest.raises(RetriesExhausted):
        await client.push()
    assert server.requests == 3
    assert client.store.pending_count() == 1


async def test_bad_batch_and_protocol_errors_surface(server: FakeServer) -> None:
    client = make_client(server)
    await client.edit("cases", uuid.uuid4(), {"a": 1})
    server.fail_with = [400]
    with pytest.raises(BadBatch) as bad:
        await client.push()
    assert bad.value.status == 400 and server.requests == 1
    server.fail_with = [426]
    with pytest.raises(UnsupportedProtocol) as old:
        await client.push()
    assert old.value.supported_versions == [2]
    assert client.store.pending_count() == 1


async def test_too_large_batch_is_split(server: FakeServer) -> None:
    client = make_client(server, batch_size=4)
    for i in range(4):
        await client.edit("cases", uuid.uuid4(), {"n": i})
    server.fail_with = [413]
    await client.push()
    assert [len(ids) for ids in server.pushed_ids] == [2, 2]


async def test_gzip_request_body_accepted(server: FakeServer) -> None:
    client = make_client(server, gzip_min_bytes=0)
    await client.edit("cases", uuid.uuid4(), {"note": "x" * 500})
    await client.sync()
    assert server.gzipped == 2  # push and pull
    assert client.store.snapshot() == server.snapshot()


async def test_rejection_is_recorded_and_server_row_adopted(server: FakeServer) -> None:
    client = make_client(server)
    row, new_row = uuid.uuid4(), uuid.uuid4()
    await client.edit("cases", row, {"status": "open"})
    await client.sync()
    await client.edit("cases", row, {"status": "invalid"})
    await client.edit("cases", new_row, {"status": "invalid"})
    report = await client.sync()
    assert report.rejected == 2
    assert [r.code for r in client.rejections] == ["invalid_value", "invalid_value"]
    assert client.store.snapshot() == server.snapshot() == {("cases", row): {"status": "open"}}


async def test_reset_drops_replica_but_keeps_outbox(server: FakeServer) -> None:
    writer, reader = make_client(server), make_client(server)
    row = uuid.uuid4()
    await writer.edit("cases", row, {"a": 1})
    await writer.sync()
    await reader.sync()
    stale = uuid.uuid4()
    reader.store.apply_changes([change(stale, {"ghost": True})])  # not on the server
    server.reset_next_pull = True
    pending_row = uuid.uuid4()
    await reader.edit("cases", pending_row, {"b": 2})
    await reader.pull()
    assert reader.store.pending_count() == 1
    assert reader.store.snapshot() == {("cases", row): {"a": 1}, ("cases", pending_row): {"b": 2}}
    await reader.sync()
    assert reader.store.snapshot() == server.snapshot()


async def test_a_fast_clock_is_corrected_and_its_edits_retried_in_order(
    server: FakeServer,
) -> None:
    server.max_ahead_ms = 5 * 60_000
    client = make_client(server, clock=HybridClock(lambda: WALL + 10 * 60_000))
    first, second = uuid.uuid4(), uuid.uuid4()
    edits = [await client.edit("cases", first, {"a": 1}), await client.edit("cases", second, {"b": 2})]
    results = await client.push()
    assert [(r.id, r.status) for r in results] == [(m.id, "applied") for m in edits]
    assert server.pushed_ids == [[m.id for m in edits]] * 2  # same ids, sent again once
    assert client.rejections == [] and client.store.pending_count() == 0
    assert server.log == [("cases", first), ("cases", second)]  # still in the order made
    assert hlc_to_ms(client.clock.now()) <= WALL + 1
    assert hlc_to_ms(client.store.local_hlc or "") <= WALL  # a restart stays corrected


async def test_a_clock_still_refused_after_one_correction_waits_in_the_outbox(
    server: FakeServer,
) -> None:
    server.max_ahead_ms = -60 * 60_000  # a server that refuses even its own time
    client = make_client(server, clock=HybridClock(lambda: WALL + 10 * 60_000))
    m = await client.edit("cases", uuid.uuid4(), {"a": 1})
    [result] = await client.push()
    assert (result.status, result.code) == ("rejected", "clock_skew")
    assert server.pushed_ids == [[m.id], [m.id]]  # one retry, no loop
    assert client.rejections == []
    assert [p.id for p in client.store.pending()] == [m.id]  # not lost: next sync tries again
