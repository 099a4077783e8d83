"""Reads served by a streaming-replication hot standby (``DATABASE_REPLICA_URL``).

A standby is behind the primary by its replay lag, and a read there must never be older than
what its caller already knows: a device that pushes and then pulls would otherwise be sent the
rows it just changed as they were before its push, and briefly show the older values. So a read
is routed to the standby only once the standby has replayed the primary's WAL up to where the
primary stood when the read began (``pg_current_wal_insert_lsn()``: the end of every record
inserted, so every commit answered before, asynchronous commits included). The standby's
snapshot taken after that point sees every transaction the primary had committed then; a
standby that does not get there within ``wait_s`` is skipped and the read goes to the primary.

The feed's no-skip rule (sync/PROTOCOL.md, "Why a pull cannot skip") needs nothing more on a
standby: a hot standby's snapshot counts as running every transaction id it has seen assigned
and not yet seen end, and every id below the newest it has seen, so ``sync_txid < xmin`` there
still means "finished"; the wait above only buys read-your-writes.

Two small AUTOCOMMIT pools do the bookkeeping (one statement each side); reads get a session
of the standby's own engine.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from domain.db import create_engine, create_session_maker, ping_when_idle

_PRIMARY_POSITION = text("SELECT pg_current_wal_insert_lsn()::text")
# Reached when replay has passed the target, or the target only lies past a WAL page header
# (an idle primary's insert position skips the header of the page it has not begun; no record
# lies between, and replay reports the end of the last record, before that header).
_REACHED = text("""
SELECT r IS NOT NULL AND (pg_wal_lsn_diff(t, r) <= 0
       OR (pg_wal_lsn_diff(t, r) <= 40 AND pg_wal_lsn_diff(t, '0/0') % 8192 IN (24, 40)))
FROM (SELECT CAST(CAST(:target AS text) AS pg_lsn) AS t, pg_last_wal_replay_lsn() AS r) p
""")
# The first look is at once; then short pauses (replay of a commit takes about a millisecond
# after the walwriter sends it).
_PAUSES_S = (0.001, 0.002, 0.004, 0.008, 0.016)


class Replica:
    """A hot standby for reads that tolerate nothing older than their start."""

    def __init__(
        self, replica_url: str, primary_url: str, *, pool_size: int = 10, wait_s: float = 1.0
    ) -> None:
        self.engine = create_engine(replica_url, pool_size=pool_size)
        self.session_maker: async_sessionmaker[AsyncSession] = create_session_maker(self.engine)
        self._watch = _autocommit(replica_url, "fieldops-replica-watch")
        self._primary = _autocommit(primary_url, "fieldops-replica-primary")
        self.wait_s = wait_s
        self.served = 0  # reads answered by the standby and by the primary (for the bench)
        self.fell_back = 0

    async def aclose(self) -> None:
        """Close every pool (at shutdown)."""
        for engine in (self.engine, self._watch, self._primary):
            await engine.dispose()

    async def primary_position(self) -> str:
        """Where the primary's WAL stands now."""
        async with self._primary.connect() as conn:
            return str((await conn.execute(_PRIMARY_POSITION)).scalar_one())

    async def reached(self, target: str, wait_s: float | None = None) -> bool:
        """Whether the standby has replayed up to ``target``, waiting up to ``wait_s``."""
        deadline = time.monotonic() + (self.wait_s if wait_s is None else wait_s)
        pauses = list(_PAUSES_S)
        async with self._watch.connect() as conn:
            while True:
                if (await conn.execute(_REACHED, {"target": target})).scalar_one():
                    return True
                pause = pauses.pop(0) if len(pauses) > 1 else pauses[0]
                if time.monotonic() + pause > deadline:
                    return False
                await asyncio.sleep(pause)

    async def caught_up(self) -> bool:
        """Whether a read may go to the standby now: it has replayed what the primary had
        when this was called (counted, for the bench, as served there or fallen back). A
        standby that cannot be reached is passed over the same way."""
        try:
            ok = await self.reached(await self.primary_position())
        except (OperationalError, InterfaceError, OSError, TimeoutError):
            ok = False
        if ok:
            self.served += 1
        else:
            self.fell_back += 1
        return ok


def _autocommit(url: str, name: str) -> AsyncEngine:
    engine = create_async_engine(
        url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=4,
        connect_args={"server_settings": {"application_name": name}},
    )
    ping_when_idle(engine)
    return engine
