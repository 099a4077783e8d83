"""Long-poll pulls: PostgreSQL LISTEN/NOTIFY on ``sync_feed`` wakes the pulls waiting on it.

The statement-level triggers of migration 0009 send ``<table> <scope_path>`` once per distinct
scope path a statement wrote (PostgreSQL folds identical payloads of one transaction, and
delivers them at commit). One listener connection per process hears them; each waiting pull
is a ``FeedWait`` that wakes only when the table's entity, pulled by its scope rule, may reach
that device (``FeedScope.covers``). A wait holds no database connection: sync/pull.py commits
its read before waiting and reads again in a fresh transaction.

A wait ends at its deadline, when a change in scope commits, when the client disconnects, when
the listener connection is lost (the next long-poll reconnects), or when the server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from litestar import Litestar, Request

from api.live import listener_dsn, open_listener
from sync.feed import FeedScope
from sync.pull import Wake
from sync.registry import Registry

log = logging.getLogger("fieldops.feed")

CHANNEL = "sync_feed"
# Changes heard between the wait's start and the moment its scope is known (the first read):
# kept to be checked against the scope then; past this many, the wait simply wakes once.
MAX_HEARD = 256


class FeedWait:
    """One waiting pull: its scope once known, and whether a change in it has committed."""

    def __init__(self) -> None:
        self._scope: FeedScope | None = None
        self._registry: Registry | None = None
        self._heard: set[tuple[str, str]] = set()
        self._overflow = False
        self._changed = asyncio.Event()
        self._closed = False

    def offer(self, table: str, path: str) -> None:
        """A change at ``path`` in ``table`` has committed."""
        if self._scope is None:
            if len(self._heard) < MAX_HEARD:
                self._heard.add((table, path))
            else:
                self._overflow = True
        elif self._concerns(table, path):
            self._changed.set()

    def watch(self, scope: FeedScope, registry: Registry) -> None:
        """Wake only for this scope from now on, counting what was heard since the start."""
        self._scope, self._registry = scope, registry
        heard, self._heard = self._heard, set()
        if self._overflow or any(self._concerns(t, p) for t, p in heard):
            self._changed.set()

    @property
    def watching(self) -> bool:
        """Whether the first read is done and the wait knows its scope."""
        return self._scope is not None

    def close(self) -> None:
        """End the wait now (client gone, listener lost, server stopping)."""
        self._closed = True
        self._changed.set()

    async def wait(self, seconds: float) -> Wake:
        """Until a change in scope commits, ``seconds`` pass, or the wait is closed."""
        if not self._closed:
            try:
                await asyncio.wait_for(self._changed.wait(), seconds)
            except TimeoutError:
                return Wake.timeout
        if self._closed:
            return Wake.closed
        self._changed.clear()
        return Wake.changed

    def _concerns(self, table: str, path: str) -> bool:
        assert self._scope is not None and self._registry is not None
        spec = self._registry.by_table(table)
        return spec is not None and self._scope.covers(spec.scope, path)


class FeedHub:
    """The process's ``sync_feed`` listener and the pulls waiting on it."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.waits: set[FeedWait] = set()
        self.heard = 0  # notifications received (for tests and diagnostics)
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    async def start(self) -> None:
        """Open the listener connection; does nothing when it is already open."""
        async with self._lock:
            if self._conn is not None or self._closed:
                return
            self._conn = await open_listener(self.dsn, CHANNEL, "fieldops-feed",
                                             self._notified, self._lost)

    async def stop(self) -> None:
        """Close the listener and end every wait."""
        self._closed = True
        conn, self._conn = self._conn, None
        for w in self.waits:
            w.close()
        if conn is not None and not conn.is_closed():
            await conn.close()

    @property
    def listening(self) -> bool:
        """Whether the listener connection is open (a wait can then hear every commit)."""
        return self._conn is not None and not self._closed

    @contextlib.asynccontextmanager
    async def waiting(self) -> AsyncIterator[FeedWait]:
        """A wait registered from now on, so no commit after this point goes unheard."""
        w = FeedWait()
        if not self.listening:
            w.close()  # no listener: answer at once, as a pull without wait_ms would
        self.waits.add(w)
        try:
            yield w
        finally:
            self.waits.discard(w)

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.heard += 1
        table, _, path = payload.partition(" ")
        for w in self.waits:
            w.offer(table, path)

    def _lost(self, _conn: Any) -> None:
        # Changes committed while deaf would go unheard: end the waits; their devices pull
        # again at once, and that long-poll reconnects.
        self._conn = None
        if not self._closed:
            log.warning("sync feed listener connection lost")
        for w in self.waits:
            w.close()


async def feed_hub(app: Litestar) -> FeedHub:
    """The process's hub, created on first use and (re)connected when it is not listening."""
    hub: FeedHub | None = app.state.get("feed_hub")
    if hub is None:
        hub = FeedHub(listener_dsn(app.state.engine))
        app.state.feed_hub = hub
    try:
        await hub.start()
    except (OSError, asyncpg.PostgresError):
        log.warning("sync feed listener unavailable; long-polls answer at once", exc_info=True)
    return hub


@contextlib.asynccontextmanager
async def long_poll(request: Request[Any, Any, Any]) -> AsyncIterator[FeedWait]:
    """A wait for one pull request, closed early when its client disconnects."""
    hub = await feed_hub(request.app)
    async with hub.waiting() as w:
        watcher = asyncio.get_running_loop().create_task(_disconnect(request, w))
        try:
            yield w
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def _disconnect(request: Request[Any, Any, Any], w: FeedWait) -> None:
    """The body is read; the next ASGI message is ``http.disconnect`` when the client leaves."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            w.close()
            return


async def stop_feed(app: Litestar) -> None:
    """Lifespan stop: close the listener and end every waiting pull."""
    hub: FeedHub | None = app.state.get("feed_hub")
    if hub is not None:
        app.state.feed_hub = None
        with contextlib.suppress(Exception):
            await hub.stop()
