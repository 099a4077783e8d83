"""The server's hybrid logical clock, kept in the database (``sync_clock``, migration 0008).

A clock in process memory went back after a restart and was one per worker. The database row
is shared by every process and survives restarts; ``sync_clock_tick`` moves it to a new
millisecond strictly above everything issued or observed before, so a counter extension a
device makes of a value it received (same millisecond, counter 1, 2, ...) sorts below the next
value the server issues, and below every later online edit (stamped above the clock by the
``sync_stamp_field_hlc`` trigger).

The tick runs on an engine of its own in AUTOCOMMIT: no request transaction ever holds the
clock row (a push waiting for it while holding case rows an online edit waits on would
otherwise be a deadlock), and requests waiting for a connection cannot starve the clock.
Callers arriving while a tick is running share the next one: server HLCs need not be unique,
only never smaller than anything issued or observed before the caller arrived.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from domain.db import Driver, ping_when_idle
from sync.hlc import HLC, hlc_to_ms

_TICK = "SELECT sync_clock_tick($1)"


def server_time() -> datetime:
    """The server's wall time as it goes into every sync answer: UTC, to the millisecond."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class ServerClock:
    """One per process; the engine is built on the first tick and disposed by ``aclose``."""

    def __init__(self, database_url: str, *, pool_size: int = 2, timeout_s: float = 10.0) -> None:
        self._url = database_url
        self._pool_size = pool_size
        self._timeout_s = timeout_s
        self._engine: AsyncEngine | None = None
        self._running: asyncio.Future[int] | None = None
        self._queued: asyncio.Future[int] | None = None
        self._queued_remote = 0

    def _get_engine(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_async_engine(
                self._url, isolation_level="AUTOCOMMIT", pool_size=self._pool_size,
                max_overflow=0,
                connect_args={"server_settings": {"application_name": "fieldops-clock"}},
            )
            ping_when_idle(self._engine)  # not on every tick: one round trip less per answer
        return self._engine

    async def aclose(self) -> None:
        """Close the clock's connections (at shutdown)."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def tick(self, observed: str | None = None) -> str:
        """A server HLC above everything issued or observed so far, and above ``observed``.

        ``observed`` is an HLC the server accepted (the highest of a push): once this returns,
        no later server HLC and no later online stamp can sort below it.
        """
        remote = hlc_to_ms(observed) if observed is not None else 0
        ms = await asyncio.wait_for(asyncio.shield(self._join(remote)), self._timeout_s)
        return HLC(ms, 0).format()

    async def try_tick(self) -> str | None:
        """``tick`` for an error answer: None when the database cannot be reached."""
        try:
            return await self.tick()
        except Exception:
            return None

    def _join(self, remote: int) -> asyncio.Future[int]:
        """The future of a tick that starts after this call: the running one may already have
        read the clock, so later callers queue for the next one, which serves them all."""
        if self._running is None:
            self._running = asyncio.ensure_future(self._run(remote))
            return self._running
        if self._queued is None:
            self._queued = asyncio.get_running_loop().create_future()
            self._queued_remote = remote
        else:
            self._queued_remote = max(self._queued_remote, remote)
        return self._queued

    async def _run(self, remote: int) -> int:
        try:
            return await self._execute(remote)
        finally:
            self._running = None
            queued, self._queued = self._queued, None
            if queued is not None:
                self._running = asyncio.ensure_future(self._run(self._queued_remote))
                self._running.add_done_callback(functools.partial(_settle, queued))

    async def _execute(self, remote: int) -> int:
        async with self._get_engine().connect() as conn:  # AUTOCOMMIT: one statement
            row = await Driver(await conn.get_raw_connection()).fetchrow(_TICK, remote)
            return int(row[0])


def _settle(target: asyncio.Future[int], source: asyncio.Future[int]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (exc := source.exception()) is not None:
        target.set_exception(exc)
    else:
        target.set_result(source.result())
