"""The one global lock order of every write transaction, and the unit locks that start it.

Writers of one ward (the ward's tablets pushing, its staff online) used to take row locks in
whatever order their users worked: a batch locked the cases it edited while another batch's
readings took foreign-key locks on the same cases, and triggers and alert openings locked more
rows on the way, so PostgreSQL found deadlocks and pushes failed. Instead every write
transaction takes its locks in this order, and never the other way round:

1. **Unit locks** (this module), before any row lock: transaction-level advisory locks on the
   administrative units it writes in, from the root of the hierarchy down, *shared* on every
   ancestor and *exclusive* on the unit itself. Two writers in one ward therefore run one after
   the other, a district writer waits for the ward writers below it (and they for it), and two
   wards never wait on each other. Locks are taken in (depth, path) order, so two transactions
   can never wait on each other's unit locks. A push of plain readings (events that only
   insert rows and lock none another writer locks) and plain edits (``lww`` fields of
   existing records, each locking its own row alone) holds its ward shared instead, so such
   pushes run side by side while every other writer of the ward still waits for them; the
   rows it edits it locks all at once (step 3).
2. **The device row** of a sync push (``lock_push``, in the statement that takes its unit
   locks), which keeps a revocation or a move from passing a push halfway.
3. **Rows**, as the services take them (cases FOR NO KEY UPDATE, so that foreign-key checks of
   rows that merely reference them never wait); inside one unit held exclusive nobody else
   holds them. A push holding its ward shared locks every row it edits at once, just before
   its first edit, by entity name and then id (``sync.queries.lock_rows``), and locks nothing
   else (its readings' foreign-key checks take KEY SHARE, which conflicts with no lock an
   edit takes): two such pushes wait on each other only for the rows they both edit, only
   while the edits and the commit run, and always in the same order, so they cannot
   deadlock.

The server clock row is never locked inside a request's transaction (sync/clock.py ticks it on
its own connection), so it has no place in this order.

Writes that reach this module's callers without a unit (logins, scripts) take no unit lock;
they touch rows no push or online edit of a ward locks in another order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import driver

# hashtextextended is PostgreSQL's stable 64-bit hash; the seed keeps these keys apart from
# any other advisory-lock user of the database. One SELECT takes all of a transaction's unit
# locks: PostgreSQL evaluates a target list left to right, which is the order of the plan.
_SEED = 7902021


def _lock_calls(plan: list[tuple[str, bool]], first: int) -> list[str]:
    """The lock calls of ``plan`` with positional parameters from ``$first`` on."""
    return [
        f"pg_advisory_xact_lock{'' if exclusive else '_shared'}"
        f"(hashtextextended(${first + i}, {_SEED})) AS l{i}"
        for i, (_, exclusive) in enumerate(plan)
    ]


def lock_plan(units: Iterable[str], *, exclusive: bool = True) -> list[tuple[str, bool]]:
    """(path, exclusive) in the global order: shared on ancestors, exclusive on the units
    (shared too with ``exclusive=False``: see ``lock_units``).

    A unit below another written unit needs nothing more (the lock above covers it).
    """
    written = sorted(set(units), key=lambda p: (p.count("."), p))
    leaves: list[str] = []
    for path in written:
        if not any(path.startswith(e + ".") for e in leaves):
            leaves.append(path)
    plan: dict[str, bool] = {}
    for path in leaves:
        parts = path.split(".")
        for depth in range(1, len(parts)):
            plan.setdefault(".".join(parts[:depth]), False)
        plan[path] = exclusive
    return sorted(plan.items(), key=lambda pe: (pe[0].count("."), pe[0]))


async def lock_units(
    session: AsyncSession, units: Iterable[str], *, exclusive: bool = True
) -> None:
    """Take the unit locks of a write transaction in the units given (first in the order).

    ``exclusive=False`` is for a writer that takes no row lock anyone else in the unit takes
    (a push of plain readings only inserts rows), or that takes all of them at once in the
    order of step 3 (a push of plain edits): such writers share the unit with each other and
    still exclude, and wait for, every other writer of the unit. (A sync push takes them with
    its device row, ``lock_push``.)
    """
    plan = lock_plan(units, exclusive=exclusive)
    if plan:
        await (await driver(session)).execute(
            f"SELECT {', '.join(_lock_calls(plan, 1))}", *(p for p, _ in plan))


async def lock_push(
    session: AsyncSession, units: Iterable[str], *, exclusive: bool, wait: str,
    token_hash: str,
) -> tuple[uuid.UUID, str, bool] | None:
    """Steps 1 and 2 of a sync push in one statement: its unit locks, then its device row,
    which the same statement marks as seen now. (station id, the station's scope, revoked),
    or None when no device has the token.

    The UPDATE locks the device row only once the unit locks are held (it needs their row to
    join), and reads the row's latest version whatever the statement's snapshot, so a move
    or revocation committed while the push waited is seen here.
    """
    plan = lock_plan(units, exclusive=exclusive)
    calls = ["set_config('lock_timeout', $2, true) AS wait", *_lock_calls(plan, 3)]
    sql = (f"WITH unit_locks AS MATERIALIZED (SELECT {', '.join(calls)}) "
           "UPDATE device SET last_seen_at = now() FROM unit_locks WHERE device.token_hash = $1 "
           "RETURNING device.station_id, device.revoked_at IS NOT NULL, "
           "(SELECT scope_path FROM station WHERE station.id = device.station_id)")
    row = await (await driver(session)).fetchrow(sql, token_hash, wait, *(p for p, _ in plan))
    return None if row is None else (row[0], row[2], row[1])
