"""Live map updates: PostgreSQL LISTEN/NOTIFY fanned out to server-sent-event subscribers.

One listener connection per process hears ``station_changed`` (sent by the triggers of
migrations 0006 and 0022 on every committed write, through the API or through sync, with the
station's id; ``all`` when the catalog or a unit's name changed, migration 0023, which every
station's feature may show: the kept features go and every open map reloads). Notifications are
gathered for a short window, the changed stations are read once, and each subscriber gets the
features inside its scope. A subscriber keeps only the latest feature per station, so a slow
browser costs bounded memory and still ends up with the current state.

Wire it in the app's lifespan with ``start_live(app)`` / ``stop_live(app)``; the stream
handler also starts it on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar
from litestar.response import ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.map_cache import MapCache
from api.schemas.map import StationFeature
from domain.admin_dataset import NATIONAL_CODE
from domain.authz import within
from domain.services.map import station_views

log = logging.getLogger("fieldops.live")

CHANNEL = "station_changed"
EVERY_STATION = "all"  # the payload of a change no station's row shows (migration 0023)
COALESCE_S = 0.25  # a burst of writes (a sync push) becomes one message per station
HEARTBEAT_S = 15.0  # keeps proxies from closing an idle stream; ends it when the client left
RECONNECT_MAX_S = 30.0
BARRIER_TIMEOUT_S = 2.0  # a listener that does not answer a trivial query this fast is lost
_encoder = msgspec.json.Encoder()


class Subscription:
    """One open map: its scope and the latest not-yet-sent feature of each changed station."""

    def __init__(self, scope_path: str) -> None:
        self.scope_path = scope_path
        self.pending: dict[str, bytes] = {}
        self.resync = False
        self.wake = asyncio.Event()

    def offer(self, features: list[tuple[str, str, bytes]]) -> None:
        for station_id, path, body in features:
            if within(path, self.scope_path):
                self.pending[station_id] = body
        if self.pending:
            self.wake.set()

    def take(self) -> bytes:
        body = b"[" + b",".join(self.pending.values()) + b"]"
        self.pending.clear()
        return body


class LiveHub:
    def __init__(self, dsn: str, session_maker: async_sessionmaker[AsyncSession]) -> None:
        self.dsn = dsn
        self.session_maker = session_maker
        self.subscriptions: set[Subscription] = set()
        self._conn: asyncpg.Connection | None = None
        self._changed: set[uuid.UUID] = set()
        self._resyncs = 0  # ``all`` heard so far: a read that one overtook is not sent
        self._tasks: set[asyncio.Task[None]] = set()
        self._flush: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._barrier_lock = asyncio.Lock()
        self._closed = False
        # the map's kept features, marked stale as notifications come (api/map_cache.py)
        self.cache = MapCache(session_maker)

    async def start(self) -> None:
        """Open the listener connection; does nothing when it is already open."""
        async with self._lock:
            if self._conn is not None or self._closed:
                return
            self._conn = await open_listener(self.dsn, CHANNEL, "fieldops-live",
                                             self._notified, self._lost)

    async def barrier(self) -> bool:
        """Once this returns True, every notification of a transaction committed before the
        call has been handled (PostgreSQL sends a listener its pending notifications ahead of
        a query's result). False when the listener is down: nothing heard can be trusted."""
        conn = self._conn
        if conn is None or conn.is_closed() or self._closed:
            return False
        try:
            async with self._barrier_lock:  # one query at a time on the connection
                await conn.execute("SELECT 1", timeout=BARRIER_TIMEOUT_S)
        except TimeoutError:
            # a link that stopped answering: drop it, so the hub reconnects and resyncs
            self.cache.forget()
            conn.terminate()
            return False
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        await asyncio.sleep(0)  # the notification callbacks scheduled before the result
        return self._conn is conn

    async def stop(self) -> None:
        self._closed = True
        self.cache.forget()
        for task in [*self._tasks, *([self._flush] if self._flush else [])]:
            task.cancel()
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            await conn.close()
        for sub in self.subscriptions:
            sub.wake.set()

    async def stream(self, scope_path: str) -> AsyncIterator[ServerSentEventMessage]:
        """Events for one browser: ``ready``, then ``stations`` (changed features) or ``resync``."""
        sub = Subscription(scope_path)
        self.subscriptions.add(sub)
        try:
            yield ServerSentEventMessage(event="ready", data="{}", retry=2000)
            while not self._closed:
                try:
                    await asyncio.wait_for(sub.wake.wait(), HEARTBEAT_S)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="keep-alive", data=None)
                    continue
                sub.wake.clear()
                if sub.resync:
                    sub.resync = False
                    sub.pending.clear()
                    yield ServerSentEventMessage(event="resync", data="{}")
                elif sub.pending:
                    yield ServerSentEventMessage(event="stations", data=sub.take().decode())
        finally:
            self.subscriptions.discard(sub)

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == EVERY_STATION:
            self._resyncs += 1
            self.cache.forget()
            self._broadcast_resync()
            return
        try:
            station_id = uuid.UUID(payload)
        except ValueError:
            return
        self._changed.add(station_id)
        self.cache.changed((station_id,))
        if self._flush is None or self._flush.done():
            self._flush = asyncio.get_running_loop().create_task(self._publish())

    async def _publish(self) -> None:
        # Loops while writes keep coming, so none is left waiting for the next notification.
        while self._changed:
            await asyncio.sleep(COALESCE_S)
            ids, self._changed = self._changed, set()
            if not self.subscriptions:
                continue
            resyncs = self._resyncs
            try:
                async with self.session_maker() as session:
                    views = await station_views(session, NATIONAL_CODE, ids=sorted(ids))
            except Exception:
                log.exception("could not read %d changed stations", len(ids))
                self._broadcast_resync()
                continue
            if resyncs != self._resyncs:
                # maps were told to reload while this read ran, maybe from an older snapshot:
                # sent after their reload, these features could undo it
                continue
            features = [
                (str(v.station.id), v.station.path, _encoder.encode(StationFeature.of(v)))
                for v in views
            ]
            for sub in self.subscriptions:
                sub.offer(features)

    def _lost(self, _conn: Any) -> None:
        self._conn = None
        self.cache.forget()  # what commits until the listener is back goes unheard
        if not self._closed:
            log.warning("live listener connection lost; reconnecting")
            self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.5
        while not self._closed:
            try:
                await self.start()
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
                continue
            # Changes committed while we were deaf are unknown: open maps reload everything.
            self._broadcast_resync()
            return

    def _broadcast_resync(self) -> None:
        for sub in self.subscriptions:
            sub.resync = True
            sub.wake.set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def listener_dsn(engine: AsyncEngine) -> str:
    """asyncpg's own URL for the database the app's engine points at."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def open_listener(
    dsn: str, channel: str, name: str, on_notify: Any, on_lost: Any
) -> asyncpg.Connection:
    """A connection of its own that LISTENs on ``channel`` (the map hub's and the sync feed
    hub's), calling ``on_lost`` when the server closes it."""
    conn = await asyncpg.connect(dsn, server_settings={"application_name": name})
    await conn.add_listener(channel, on_notify)
    conn.add_termination_listener(on_lost)
    return conn


async def live_hub(app: Litestar) -> LiveHub:
    """The process's hub, created and started on first use."""
    hub: LiveHub | None = app.state.get("live_hub")
    if hub is None:
        hub = LiveHub(listener_dsn(app.state.engine), app.state.session_maker)
        app.state.live_hub = hub
    await hub.start()
    return hub


async def start_live(app: Litestar) -> None:
    """Lifespan start: open the listener before the first map connects."""
    await live_hub(app)


async def stop_live(app: Litestar) -> None:
    """Lifespan stop: close the listener and end every open stream."""
    hub: LiveHub | None = app.state.get("live_hub")
    if hub is not None:
        app.state.live_hub = None
        with contextlib.suppress(Exception):
            await hub.stop()
