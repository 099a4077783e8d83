"""Serving a pull page: the device's scope in feed order, below the oldest running transaction.

The page is read in one REPEATABLE READ READ ONLY transaction on the driver (``feed.snapshot``). Only rows whose writer finished before the
snapshot (sync_txid < snapshot xmin) are returned; a transaction still running then has a txid
at or above xmin, so whatever it commits sorts after the cursor this page returns. That is why
a cursor can never step over a late commit (sync/PROTOCOL.md, "Why a pull cannot skip").

With a hot standby configured (domain/replica.py), the page is read there once the standby
has replayed what the primary held when the pull arrived, on the primary otherwise; the
cursor means the same on both (sync/PROTOCOL.md, "Pulls from a standby").

A long-poll (``wait_ms``) commits that read, waits for a change in the device's scope without
holding a connection, then reads again in a fresh transaction (sync/PROTOCOL.md §7).
"""

from __future__ import annotations

import asyncio
import enum
import time
import uuid
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import Driver
from domain.replica import Replica
from domain.repositories.devices import scope_by_token
from domain.services.devices import active_device, token_hash_of
from sync import feed
from sync.clock import ServerClock, server_time
from sync.cursor import START, Cursor, InvalidCursor, LegacyCursor, Position, scope_fingerprint
from sync.errors import BadSyncRequest, Unauthenticated
from sync.feed import FeedScope
from sync.registry import Registry
from sync.wire import Change, PullRequest, PullResponse

# A wake-up whose read finds nothing: the change is held back behind an older transaction
# (it becomes readable when that one ends, which may notify nothing), or it was a household
# of another commune. Read again after these pauses, then go back to waiting for the next.
RECHECK_S = (0.1, 0.3, 1.0, 3.0)


class Wake(enum.Enum):
    """Why a long-poll's wait ended."""

    changed = "changed"  # a change this scope may pull has committed
    timeout = "timeout"
    closed = "closed"  # the client left, the listener was lost or the server stops


class FeedWaiter(Protocol):
    """Hears committed changes from before the first read on (the API's LISTEN hub)."""

    def watch(self, scope: FeedScope, registry: Registry) -> None:
        """From now on, wake only for changes this scope may pull (heard ones included)."""

    async def wait(self, seconds: float) -> Wake:
        """Until such a change commits, ``seconds`` pass, or the wait is closed."""


async def pull(
    session: AsyncSession, token: str, request: PullRequest, *, registry: Registry,
    clock: ServerClock, key: bytes, waiter: FeedWaiter | None = None,
    replica: Replica | None = None, hints: ScopeHints | None = None,
) -> PullResponse:
    """One page of changes after the request's cursor (or a reset when the scope changed);
    with ``wait_ms`` and a waiter, an empty page waits for a change in scope first.

    The server clock ticks once the page's snapshot is taken, alongside the page's reads, so
    the ``server_hlc`` a device observes is above every stamp of every row the page can
    contain (each committed before the tick began). With ``hints`` (one per process), a
    device's page after its first costs one statement less.
    """
    deadline = time.monotonic() + request.wait_ms / 1000
    page, scope = await _routed(session, replica, token, request, registry, clock, key, hints)
    if waiter is None or request.wait_ms == 0 or page.changes or page.reset or page.has_more:
        return page
    waiter.watch(scope, registry)
    rechecks: list[float] = []
    while (remaining := deadline - time.monotonic()) > 0:
        pause = rechecks.pop(0) if rechecks else None
        wake = await waiter.wait(remaining if pause is None else min(pause, remaining))
        if wake is Wake.closed or (wake is Wake.timeout and pause is None):
            break
        page, _ = await _routed(session, replica, token, request, registry, clock, key, hints)
        if page.changes or page.reset or page.has_more:
            return page
        if wake is Wake.changed:
            rechecks = list(RECHECK_S)
    return PullResponse(changes=[], cursor=page.cursor, has_more=False,
                        server_hlc=await clock.tick(), reset=False, server_time=server_time())


async def _routed(
    session: AsyncSession, replica: Replica | None, token: str, request: PullRequest,
    registry: Registry, clock: ServerClock, key: bytes, hints: ScopeHints | None,
) -> tuple[PullResponse, FeedScope]:
    """Read the page on the standby when it has caught up, on the primary otherwise."""
    if replica is not None and await replica.caught_up():
        async with replica.session_maker() as standby:
            return await _serve(standby, token, request, registry, clock, key, hints)
    return await _serve(session, token, request, registry, clock, key, hints)


async def _serve(
    session: AsyncSession, token: str, request: PullRequest, registry: Registry,
    clock: ServerClock, key: bytes, hints: ScopeHints | None,
) -> tuple[PullResponse, FeedScope]:
    """Read one page in its own snapshot, ended before returning; the session then hands its
    connection back to the pool, so a long-poll holds none while it waits."""
    token_hash = token_hash_of(token)
    if token_hash is None:  # not a device token: nothing to read
        raise Unauthenticated("unknown or revoked device token")
    async with feed.snapshot(session) as db:
        served = await _read(db, token_hash, request, registry, clock, key, hints)
    await session.commit()  # nothing on the wire: the read was the driver's transaction
    return served


class ScopeHints:
    """The feed scope each token had at its last pull, in this process: a hint that lets the
    next page read the device and its key query in one statement. Never trusted: the device
    read in that statement decides, and a hint that no longer matches (the device moved or
    was revoked) costs the key query once more, in the same snapshot."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._scopes: dict[str, FeedScope] = {}

    def get(self, token_hash: str) -> FeedScope | None:
        """The scope last seen for the token, if any."""
        return self._scopes.get(token_hash)

    def remember(self, token_hash: str, scope: FeedScope | None) -> None:
        """Keep (or, with None, forget) the scope a token's device was read with."""
        if scope is None:
            self._scopes.pop(token_hash, None)
            return
        if self._scopes.get(token_hash) != scope:
            if len(self._scopes) >= self._size:
                del self._scopes[next(iter(self._scopes))]  # the oldest remembered
            self._scopes[token_hash] = scope


async def _read(
    db: Driver, token_hash: str, request: PullRequest, registry: Registry, clock: ServerClock,
    key: bytes, hints: ScopeHints | None,
) -> tuple[PullResponse, FeedScope]:
    # The device's first statement takes the snapshot; with a hint of its scope it is the
    # page's key query too.
    hinted = hints.get(token_hash) if hints is not None else None
    guess = None if hinted is None else _guess(request, registry, key, hinted)
    guessed: feed.PageBounds | None = None
    if hinted is not None and guess is not None:
        found, guessed = await feed.device_and_bounds(db, registry, token_hash, hinted,
                                                      after=guess, limit=request.limit)
    else:
        found = await scope_by_token(db, token_hash)
    device = active_device(found)
    if device is None:
        if hints is not None:
            hints.remember(token_hash, None)
        raise Unauthenticated("unknown or revoked device token")
    if request.device_id != device.device_id:
        raise BadSyncRequest("device_id is not the device the token belongs to",
                             field="device_id")
    scope = FeedScope(unit=device.unit_path, district=device.district_path)
    if hints is not None:
        hints.remember(token_hash, scope)
    fingerprint = scope_fingerprint(scope.unit, scope.district, registry.feed_shape)
    after = _after(request.cursor, key, device.device_id, fingerprint)
    if after is None:
        return PullResponse(changes=[], cursor=Cursor(START, fingerprint).encode(
            key, device.device_id), has_more=True, server_hlc=await clock.tick(), reset=True,
            server_time=server_time()), scope
    # The device query took the snapshot: every row the page can show has committed, so the
    # tick may run on its own connection while the page is read (one round trip less to wait).
    tick = _tick_now(clock)
    if guessed is not None and scope == hinted and after == guess:
        page = guessed
    else:
        page = await feed.bounds(db, registry, scope, after=after, limit=request.limit)
    changes, last, has_more = await _page(db, page, scope, after)
    return PullResponse(changes=changes, cursor=Cursor(last, fingerprint).encode(
        key, device.device_id), has_more=has_more, server_hlc=await tick, reset=False,
        server_time=server_time()), scope


def _guess(
    request: PullRequest, registry: Registry, key: bytes, hinted: FeedScope
) -> Position | None:
    """Where the page starts if the device is the one the request names and still has the
    hinted scope; None when the cursor would not resume there (then nothing is guessed, and
    its faults are reported once the device is known, as without a hint)."""
    fingerprint = scope_fingerprint(hinted.unit, hinted.district, registry.feed_shape)
    try:
        return _after(request.cursor, key, request.device_id, fingerprint)
    except BadSyncRequest:
        return None


def _tick_now(clock: ServerClock) -> asyncio.Future[str]:
    """Start a tick; if the page then fails, its outcome is dropped rather than left unread."""
    tick = asyncio.ensure_future(clock.tick())
    tick.add_done_callback(lambda t: t.cancelled() or t.exception())
    return tick


def _after(
    text: str | None, key: bytes, device_id: uuid.UUID, fingerprint: str
) -> Position | None:
    """Where the device's feed resumes; None when it must reset (scope changed, old cursor)."""
    if text is None:
        return START
    try:
        cursor = Cursor.decode(text, key, device_id)
    except LegacyCursor:
        return None  # unsigned: its position cannot be trusted, but a re-bootstrap is safe
    except InvalidCursor as exc:
        raise BadSyncRequest(str(exc), field="cursor") from exc
    return cursor.position if cursor.fingerprint == fingerprint else None


async def _page(
    db: Driver, page: feed.PageBounds, scope: FeedScope, after: Position
) -> tuple[list[Change], Position, bool]:
    if page.upto is None:
        return [], after, False
    parts = [(spec, await feed.rows(db, spec, scope, after=after, upto=page.upto,
                                    xmin=page.xmin)) for spec in page.entities]
    return feed.changes(parts), page.upto, page.has_more
