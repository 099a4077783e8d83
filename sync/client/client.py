"""Reference device client: pushes the outbox, pulls server changes, retries safely.

Retrying is safe because every mutation keeps its id across attempts and the server is
idempotent on it; only transient failures are retried, while auth, protocol and bad-batch
errors surface immediately since repeating them cannot help.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from gzip import compress as gzip_compress
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx
import msgspec

from sync.client.store import LocalStore
from sync.hlc import HybridClock
from sync.wire import (
    JSON,
    MAX_PULL_LIMIT,
    MSGPACK,
    PROTOCOL_VERSION,
    Fields,
    Mutation,
    MutationResult,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    SchemaSummary,
    decode,
    encode,
)

PUSH_PATH = "/sync/v1/push"
PULL_PATH = "/sync/v1/pull"
SCHEMA_PATH = "/sync/v1/schema"
MAX_RESETS_PER_PULL = 3
CLOCK_SKEW = "clock_skew"  # a refusal that is not final: correct the clock and retry
CLOCK_CODES = frozenset({CLOCK_SKEW, "clock_behind"})
# Below this a measured offset is network delay, not a wrong clock.
CORRECTION_TOLERANCE_MS = 1000

T = TypeVar("T")
Send = Callable[[httpx.Request], Awaitable[httpx.Response]]
Fault = Callable[[httpx.Request, Send], Awaitable[httpx.Response]]
"""Wraps each request: may call ``send`` zero/one/many times, raise, or alter the response."""


class SyncError(Exception):
    """Base class for everything the client raises about syncing."""


class Unauthorized(SyncError):
    """Token revoked or unknown: stop syncing until the device is re-enrolled."""


class UnsupportedProtocol(SyncError):
    """The server no longer speaks our protocol version: the app needs an update."""

    def __init__(self, supported_versions: Sequence[int]) -> None:
        super().__init__(f"protocol {PROTOCOL_VERSION} unsupported; server: {supported_versions}")
        self.supported_versions = list(supported_versions)


class HTTPStatusError(SyncError):
    """Non-success HTTP status; ``problem`` is the decoded error body."""

    def __init__(self, status: int, problem: Any) -> None:
        super().__init__(f"HTTP {status}: {problem}")
        self.status = status
        self.problem = problem


class BadBatch(HTTPStatusError):
    """Server refused the whole request (400/413/422); nothing from it was applied."""


class UnexpectedStatus(HTTPStatusError):
    """A status the contract does not assign a meaning to (or a retried 5xx/429)."""


class RetriesExhausted(SyncError):
    """Transient failures persisted; the outbox is intact, so syncing later is safe."""


class ProtocolViolation(SyncError):
    """The server answered something the contract does not allow."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A mutation the server refused; kept so the app can tell the user what was lost."""

    mutation: Mutation
    code: str | None
    message: str | None
    current: Fields | None


@dataclass(slots=True)
class SyncReport:
    pushed: int = 0
    rejected: int = 0
    pulled: int = 0


def _problem(response: httpx.Response) -> Any:
    """Best-effort decode of an error body (JSON problem, MessagePack, or text)."""
    ctype = response.headers.get("content-type", "")
    try:
        if "msgpack" in ctype:
            return msgspec.msgpack.decode(response.content)
        return msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return response.text


def _problem_field(problem: Any) -> str | None:
    field = problem.get("field") if isinstance(problem, dict) else None
    return field if isinstance(field, str) else None


def _supported_versions(problem: Any) -> list[int]:
    if isinstance(problem, dict):
        versions = problem.get("supported_versions", problem.get("supported", []))
        if isinstance(versions, list):
            return [v for v in versions if isinstance(v, int)]
    return []


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


class SyncClient:
    """Syncs one device's ``LocalStore`` with the server.

    Pulls ask for ``pull_limit`` changes a page; a bootstrap (no cursor yet, or after a
    reset) asks for ``bootstrap_limit``: a fresh tablet copies its whole commune, and each
    page has a fixed cost on the server that a larger page shares out (bench/README.md).
    """

    def __init__(
        self,
        base_url: str = "",
        *,
        device_id: uuid.UUID,
        token: str,
        store: LocalStore,
        clock: HybridClock,
        author_id: uuid.UUID,
        http: httpx.AsyncClient | None = None,
        fmt: Literal["msgpack", "json"] = "msgpack",
        gzip: bool = True,
        gzip_min_bytes: int = 1024,
        batch_size: int = 200,
        pull_limit: int = 500,
        bootstrap_limit: int = MAX_PULL_LIMIT,
        max_retries: int = 5,
        backoff_base: float = 0.25,
        backoff_cap: float = 30.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        fault: Fault | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.device_id = device_id
        self.token = token
        self.store = store
        self.clock = clock
        self.author_id = author_id
        self.batch_size = batch_size
        self.pull_limit = pull_limit
        self.bootstrap_limit = bootstrap_limit
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.rejections: list[Rejection] = []
        self._base_url = base_url.rstrip("/")
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._ctype = MSGPACK if fmt == "msgpack" else JSON
        self._gzip = gzip
        self._gzip_min_bytes = gzip_min_bytes
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._fault = fault
        self._lock = asyncio.Lock()  # one push/pull at a time, or batches would double-send
        self._received_ms = 0  # our wall clock when the last answer arrived

        if store.device_id is None:
            store.set_meta(device_id=str(device_id))
        elif store.device_id != str(device_id):
            raise ValueError(f"store belongs to device {store.device_id}, not {device_id}")
        # A restarted device must never issue an HLC older than one it already used.
        for seen in (store.server_hlc, store.local_hlc):
            if seen:
                clock.observe(seen)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> SyncClient:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- local edits ------------------------------------------------------------------

    def now(self) -> datetime:
        """The time to record readings and movements with: the device's clock as corrected by
        the server's time (a correction later shifts the queued ones as well)."""
        return datetime.fromtimestamp(self.clock.wall_ms() / 1000, UTC)

    async def edit(self, entity: str, row_id: uuid.UUID, fields: Fields) -> Mutation:
        """Record an upsert of the changed ``fields`` only (the server merges per field)."""
        return self._enqueue(entity, row_id, "upsert", fields)

    async def delete(self, entity: str, row_id: uuid.UUID) -> Mutation:
        return self._enqueue(entity, row_id, "delete", {})

    def _enqueue(
        self, entity: str, row_id: uuid.UUID, op: Literal["upsert", "delete"], fields: Fields
    ) -> Mutation:
        m = Mutation(
            id=uuid.uuid4(),
            entity=entity,
            row_id=row_id,
            op=op,
            hlc=self.clock.now(),
            author_id=self.author_id,
            fields=dict(fields),
        )
        # Validate now: an invalid mutation in the outbox would fail every later push.
        decode(encode(m), Mutation)
        self.store.enqueue(m)
        return m

    # -- sync -------------------------------------------------------------------------

    async def sync(self) -> SyncReport:
        """Push first so the pull already reflects (and cannot clobber) our own edits."""
        async with self._lock:
            before = len(self.rejections)
            results = await self._push()
            pulled = await self._pull()
        return SyncReport(len(results), len(self.rejections) - before, pulled)

    async def push(self) -> list[MutationResult]:
        async with self._lock:
            return await self._push()

    async def pull(self, wait_ms: int = 0) -> int:
        """Pull until caught up; returns the changes applied. With ``wait_ms`` (up to 30,000)
        and a cursor held, an empty first page waits on the server for news (long-poll)."""
        async with self._lock:
            return await self._pull(wait_ms)

    async def schema(self) -> list[str]:
        """Entity names the server syncs."""
        summary = await self._call("GET", SCHEMA_PATH, None, SchemaSummary)
        return [e.name for e in summary.entities]

    async def _push(self) -> list[MutationResult]:
        results: list[MutationResult] = []
        size = self.batch_size
        corrected = False
        while batch := self.store.pending(size):
            self.store.mark_sent(m.id for m in batch)
            req = PushRequest(protocol=PROTOCOL_VERSION, device_id=self.device_id, mutations=batch)
            try:
                resp = await self._call("POST", PUSH_PATH, req, PushResponse)
            except BadBatch as exc:
                if exc.status == 413 and len(batch) > 1:  # too big, not bad: split it
                    size = max(1, len(batch) // 2)
                    continue
                raise
            skewed = self._settle(batch, resp)
            if skewed and corrected:  # still refused after one correction: try next sync
                results.extend(resp.results)
                break
            results.extend(r for r in resp.results if r.code not in CLOCK_CODES)
            if skewed:  # they stay first in the outbox: the next batch retries them
                self._correct_clock(resp, [r.id for r in resp.results
                                           if r.code in CLOCK_CODES and r.id is not None])
                corrected = True
        return results

    def _settle(self, batch: list[Mutation], resp: PushResponse) -> bool:
        """Answered mutations leave the outbox, rejected ones included (they are final), except
        those refused for our clock (clock_skew, clock_behind), which stay; returns whether
        there were any."""
        if [r.id for r in resp.results] != [m.id for m in batch]:
            raise ProtocolViolation("push results do not match the batch one-to-one")
        answered = [(m, r) for m, r in zip(batch, resp.results, strict=True)
                    if r.code not in CLOCK_CODES]
        for m, r in answered:
            if r.status == "rejected":
                self.rejections.append(Rejection(m, r.code, r.message, r.current))
        self.store.settle(answered)
        self._observe(resp.server_hlc)
        return len(answered) < len(batch)

    def _correct_clock(self, resp: PushResponse, refused: list[uuid.UUID]) -> None:
        """The server found our clock wrong: measure our offset from its ``server_time``, move
        our clock by it, and correct the queued mutations (ids unchanged, outbox order) by the
        same offset, HLCs and recorded times alike (``LocalStore.shift_queued``)."""
        offset = int(resp.server_time.timestamp() * 1000) - self._received_ms
        if abs(offset) > CORRECTION_TOLERANCE_MS:
            self.clock.shift(offset, resp.server_hlc)
            self.store.shift_queued(offset)
            if self.store.local_hlc:  # new edits sort after the corrected outbox
                self.clock.observe(self.store.local_hlc)
            return
        # Our clock is right now but was wrong when these were made, by an amount we cannot
        # know: fresh HLCs let them through; their recorded times stay as they are (one in
        # the future is accepted once that time has come).
        self.clock.correct(resp.server_hlc)
        self.store.restamp_ids(refused, self.clock.now)

    async def _pull(self, wait_ms: int = 0) -> int:
        applied = resets = 0
        while True:
            cursor = self.store.cursor
            # Only a caught-up device long-polls: a bootstrap or a page with more behind it
            # has nothing to wait for.
            wait = wait_ms if cursor is not None and applied == 0 else 0
            req = PullRequest(
                protocol=PROTOCOL_VERSION,
                device_id=self.device_id,
                cursor=cursor,
                limit=self.pull_limit if cursor is not None else self.bootstrap_limit,
                wait_ms=wait,
            )
            resp: PullResponse | None = None
            try:
                resp = await self._call("POST", PULL_PATH, req, PullResponse,
                                        wait_s=wait / 1000)
                self._observe(resp.server_hlc)
            except BadBatch as exc:
                # A cursor the server does not recognise (its secret was rotated, or the
                # stored cursor was damaged) is replaced by a fresh bootstrap, as on a reset.
                if cursor is None or _problem_field(exc.problem) != "cursor":
                    raise
            if resp is None or resp.reset:
                resets += 1
                if resets > MAX_RESETS_PER_PULL:
                    raise ProtocolViolation("server keeps demanding a replica reset")
                self.store.reset_replica()
                continue
            self.store.apply_changes(resp.changes, resp.cursor, resp.server_hlc)
            applied += len(resp.changes)
            if not resp.has_more:
                return applied
            if not resp.changes and resp.cursor == cursor:
                raise ProtocolViolation("has_more with no progress")

    def _observe(self, server_hlc: str) -> None:
        self.clock.observe(server_hlc)
        self.store.set_meta(server_hlc=server_hlc)

    # -- transport --------------------------------------------------------------------

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter, so devices reconnecting together don't retry in lockstep."""
        delay = self._rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_cap))
        return delay

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept": self._ctype,
            "Accept-Encoding": "gzip",
        }

    async def _call(
        self, method: str, path: str, payload: Any, rtype: type[T], *, wait_s: float = 0.0
    ) -> T:
        headers = self._headers()
        body: bytes | None = None
        if payload is not None:
            body = encode(payload, self._ctype)
            headers["Content-Type"] = self._ctype
            if self._gzip and len(body) >= self._gzip_min_bytes:
                body = gzip_compress(body)
                headers["Content-Encoding"] = "gzip"
        url = f"{self._base_url}{path}"
        last: Exception | None = None
        retry_after: float | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                await self._sleep(self._backoff(attempt - 1, retry_after))
            timeout = self._http.timeout
            if wait_s and timeout.read is not None:  # the server holds a long-poll that long
                timeout = httpx.Timeout(timeout.connect, read=timeout.read + wait_s,
                                        write=timeout.write, pool=timeout.pool)
            request = self._http.build_request(method, url, content=body, headers=headers,
                                               timeout=timeout)
            try:
                if self._fault is not None:
                    response = await self._fault(request, self._http.send)
                else:
                    response = await self._http.send(request)
            except httpx.UnsupportedProtocol:  # malformed URL: retrying cannot help
                raise
            except httpx.TransportError as exc:  # includes timeouts and dropped responses
                last, retry_after = exc, None
                continue
            status = response.status_code
            self._received_ms = self.clock.wall_ms()
            if 200 <= status < 300:
                try:
                    return decode(response.content, rtype, response.headers.get("content-type"))
                except (msgspec.DecodeError, ValueError) as exc:
                    raise ProtocolViolation(f"undecodable {path} response: {exc}") from exc
            problem = _problem(response)
            if status == 401:
                raise Unauthorized(problem)
            if status == 426:
                raise UnsupportedProtocol(_supported_versions(problem))
            if status in (400, 413, 422):
                raise BadBatch(status, problem)
            if status == 429 or status >= 500:
                last, retry_after = UnexpectedStatus(status, problem), _retry_after(response)
                continue
            raise UnexpectedStatus(status, problem)
        raise RetriesExhausted(f"{method} {path} failed {self.max_retries + 1} times: {last}")
