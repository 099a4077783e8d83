"""CPU time of the server's processes, read from /proc, for per-mutation costs.

The app server is the bench's child (bench/harness.py records its pid); PostgreSQL's
backends are the children of the postmaster behind a connection (found from one backend's
parent). Both are summed over a process and all its descendants, so a server with several
workers, or the backends of the pool, count whole.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench import harness
from bench.dataset import raw_connect

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the 3rd (state) on


def parent_of(pid: int) -> int | None:
    """The parent process id (None once the process is gone)."""
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of ``root`` and every live descendant, and of the
    descendants that ended and were reaped."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is None:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        # utime, stime, and cutime, cstime: what its children that ended spent (PostgreSQL's
        # postmaster reaps the backends of closed connections, the raw writers' among them).
        cpu[int(entry.name)] = sum(int(f) for f in fields[11:15]) / _TICK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


async def postmaster_of(url: str) -> int | None:
    """The pid of the PostgreSQL postmaster serving ``url`` (the parent of a backend), read
    while the backend lives: once its connection is closed it has no parent to read."""
    conn = await raw_connect(url)
    try:
        return parent_of(int(await conn.fetchval("SELECT pg_backend_pid()")))
    finally:
        await conn.close()


class CpuMeter:
    """CPU seconds spent by the app server and by PostgreSQL while a block runs: the bench's
    server, or the processes ``app`` names (several behind one address)."""

    def __init__(self, postmaster: int | None, app: list[int] | None = None) -> None:
        self.postmaster = postmaster
        self.app = app

    def now(self) -> tuple[float, float]:
        pids = self.app if self.app is not None else (
            [harness.SERVER_PID] if harness.SERVER_PID else [])
        app = sum(tree_cpu_s(pid) for pid in pids)
        db = tree_cpu_s(self.postmaster) if self.postmaster else 0.0
        return app, db
