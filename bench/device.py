"""A lean device for the benchmarks: the outbox encoded once, sent over a shared lean client.

Real tablets encode, decompress and store on their own CPUs. Here every client shares two
cores with the server, so a bench device does no more than the protocol requires: it sends
pre-encoded bodies and reads only what it needs from the answers (statuses, the cursor).
"""

from __future__ import annotations

import gzip
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from bench.dataset import EnrolledDevice
from bench.lean_http import LeanClient
from sync.hlc import HybridClock
from sync.wire import JSON, MSGPACK, PROTOCOL_VERSION

PUSH = "/sync/v1/push"
PULL = "/sync/v1/pull"
FORMATS = {"json": JSON, "msgpack": MSGPACK}


class Answer(Protocol):
    """What a bench device reads of an answer (the lean client's, or httpx's in-process)."""

    @property
    def status_code(self) -> int: ...
    @property
    def content(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    @property
    def num_bytes_downloaded(self) -> int: ...


class Client(Protocol):
    """The lean client over real HTTP; httpx over the ASGI transport for in-process profiles."""

    async def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Answer: ...


class _Result(msgspec.Struct):
    status: str
    code: str | None = None


class _PushAnswer(msgspec.Struct):
    results: list[_Result]


class _Page(msgspec.Struct):
    """A pull answer with the changes left undecoded: the bench only counts them."""

    changes: list[msgspec.Raw]
    cursor: str
    has_more: bool
    reset: bool


@dataclass
class Outbox:
    """Mutations queued on one device, with the clock that stamped them."""

    device: EnrolledDevice
    clock: HybridClock = field(default_factory=HybridClock)
    mutations: list[dict[str, Any]] = field(default_factory=list)

    def add(self, entity: str, row_id: uuid.UUID, fields: dict[str, Any]) -> dict[str, Any]:
        m = {"id": str(uuid.uuid4()), "entity": entity, "row_id": str(row_id), "op": "upsert",
             "hlc": self.clock.now(), "author_id": str(self.device.author_id), "fields": fields}
        self.mutations.append(m)
        return m


@dataclass(frozen=True, slots=True)
class Body:
    """One encoded request, ready to send again and again."""

    content: bytes
    headers: dict[str, str]
    count: int  # mutations in it (0 for a pull)


def _encode(payload: Any, fmt: str) -> bytes:
    return msgspec.msgpack.encode(payload) if fmt == "msgpack" else msgspec.json.encode(payload)


def _headers(device: EnrolledDevice, fmt: str, compressed: bool) -> dict[str, str]:
    return {"Authorization": f"Bearer {device.token}", "Content-Type": FORMATS[fmt],
            "Accept": FORMATS[fmt], "Accept-Encoding": "gzip" if compressed else "identity"}


def push_body(
    device: EnrolledDevice, mutations: list[dict[str, Any]], fmt: str, *, compressed: bool = False
) -> Body:
    """A push request as the reference client sends it (gzip level 9, as gzip.compress)."""
    raw = _encode({"protocol": PROTOCOL_VERSION, "device_id": str(device.id),
                   "mutations": mutations}, fmt)
    headers = _headers(device, fmt, compressed)
    if compressed:
        raw = gzip.compress(raw)
        headers["Content-Encoding"] = "gzip"
    return Body(raw, headers, len(mutations))


def _decode(data: bytes, type_: type[Any], fmt: str) -> Any:
    return msgspec.msgpack.decode(data, type=type_) if fmt == "msgpack" else msgspec.json.decode(
        data, type=type_)


async def push(http: Client, body: Body, fmt: str) -> tuple[list[_Result], float]:
    """Send one push; returns the per-mutation results and the round trip in seconds."""
    t0 = time.perf_counter()
    resp = await http.post(PUSH, content=body.content, headers=body.headers)
    elapsed = time.perf_counter() - t0
    if resp.status_code != 200:
        raise RuntimeError(f"push answered {resp.status_code}: {resp.text[:500]}")
    answer: _PushAnswer = _decode(resp.content, _PushAnswer, fmt)
    if len(answer.results) != body.count:
        raise RuntimeError(f"{len(answer.results)} results for {body.count} mutations")
    return answer.results, elapsed


@dataclass
class PullTally:
    changes: int = 0
    pages: int = 0
    wire_bytes: int = 0  # response bodies as they crossed the wire (compressed if gzip)
    body_bytes: int = 0  # the same bodies decoded
    seconds: list[float] = field(default_factory=list)  # per page


async def pull_all(
    http: Client, device: EnrolledDevice, *, cursor: str | None = None,
    limit: int = 500, fmt: str = "msgpack", compressed: bool = False,
) -> tuple[str, PullTally]:
    """Pull pages until the device is caught up; returns the final cursor and a tally."""
    headers = _headers(device, fmt, compressed)
    tally = PullTally()
    while True:
        body = _encode({"protocol": PROTOCOL_VERSION, "device_id": str(device.id),
                        "cursor": cursor, "limit": limit}, fmt)
        t0 = time.perf_counter()
        resp = await http.post(PULL, content=body, headers=headers)
        tally.seconds.append(time.perf_counter() - t0)
        if resp.status_code != 200:
            raise RuntimeError(f"pull answered {resp.status_code}: {resp.text[:500]}")
        page: _Page = _decode(resp.content, _Page, fmt)
        tally.pages += 1
        tally.wire_bytes += resp.num_bytes_downloaded
        tally.body_bytes += len(resp.content)
        if page.reset:
            raise RuntimeError("unexpected reset: the bench device's scope changed")
        tally.changes += len(page.changes)
        cursor = page.cursor
        if not page.has_more:
            return cursor, tally


def http_client(base: str, connections: int) -> LeanClient:
    """One pooled client for all bench devices; ``connections`` bounds what is in flight."""
    return LeanClient(base, connections, timeout_s=300.0)
