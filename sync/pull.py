"""Serving a pull page: the device's scope in feed order, below the oldest running transaction.

The page is read in one REPEATABLE READ transaction. Only rows whose writer finished before the
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

from domain.replica import Replica
from domain.services.devices import authenticate_device
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
    replica: Replica | None = None,
) -> PullResponse:
    """One page of changes after the request's cursor (or a reset when the scope changed);
    with ``wait_ms`` and a waiter, an empty page waits for a change in scope first.

    The server clock ticks once the page's snapshot is taken, alongside the page's reads, so
    the ``server_hlc`` a device observes is above every stamp of every row the page can
    contain (each committed before the tick began).
    """
    deadline = time.monotonic() + request.wait_ms / 1000
    page, scope = await _routed(session, replica, token, request, registry, clock, key)
    if waiter is None or request.wait_ms == 0 or page.changes or page.reset or page.has_more:
        return page
    waiter.watch(scope, registry)
    rechecks: list[float] = []
    while (remaining := deadline - time.monotonic()) > 0:
        pause = rechecks.pop(0) if rechecks else None
        wake = await waiter.wait(remaining if pause is None else min(pause, remaining))
        if wake is Wake.closed or (wake is Wake.timeout and pause is None):
            break
        page, _ = await _routed(session, replica, token, request, registry, clock, key)
        if page.changes or page.reset or page.has_more:
            return page
        if wake is Wake.changed:
            rechecks = list(RECHECK_S)
    return PullResponse(changes=[], cursor=page.cursor, has_more=False,
                        server_hlc=await clock.tick(), reset=False, server_time=server_time())


async def _routed(
    session: AsyncSession, replica: Replica | None, token: str, request: PullRequest,
    registry: Registry, clock: ServerClock, key: bytes,
) -> tuple[PullResponse, FeedScope]:
    """Read the page on the standby when it has caught up, on the primary otherwise."""
    if replica is not None and await replica.caught_up():
        async with replica.session_maker() as standby:
            return await _serve(standby, token, request, registry, clock, key)
    return await _serve(session, token, request, registry, clock, key)


async def _serve(
    session: AsyncSession, token: str, request: PullRequest, registry: Registry,
    clock: ServerClock, key: bytes,
) -> tuple[PullResponse, FeedScope]:
    """Read one page in its own transaction, committed before returning (the connection goes
    back to the pool, so a long-poll holds none while it waits)."""
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    device = await authenticate_device(session, token)
    if device is None:
        raise Unauthenticated("unknown or revoked device token")
    if request.device_id != device.device_id:
        raise BadSyncRequest("device_id is not the device the token belongs to",
                             field="device_id")
    scope = FeedScope(unit=device.unit_path, district=device.district_path)
    fingerprint = scope_fingerprint(scope.unit, scope.district, registry.feed_shape)
    after = _after(request.cursor, key, device.device_id, fingerprint)
    if after is None:
        await session.commit()
        return PullResponse(changes=[], cursor=Cursor(START, fingerprint).encode(
            key, device.device_id), has_more=True, server_hlc=await clock.tick(), reset=True,
            server_time=server_time()), scope
    # The device query took the snapshot: every row the page can show has committed, so the
    # tick may run on its own connection while the page is read (one round trip less to wait).
    tick = _tick_now(clock)
    changes, last, has_more = await _page(session, registry, scope, after, request.limit)
    await session.commit()
    return PullResponse(changes=changes, cursor=Cursor(last, fingerprint).encode(
        key, device.device_id), has_more=has_more, server_hlc=await tick, reset=False,
        server_time=server_time()), scope


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
    session: AsyncSession, registry: Registry, scope: FeedScope, after: Position, limit: int
) -> tuple[list[Change], Position, bool]:
    page = await feed.bounds(session, registry, scope, after=after, limit=limit)
    if page.upto is None:
        return [], after, False
    parts = [(spec, await feed.rows(session, spec, scope, after=after, upto=page.upto,
                                    xmin=page.xmin, count=n)) for spec, n in page.entities]
    return feed.changes(parts), page.upto, page.has_more
