"""`python -m api.cli run` as an operator starts it, with several worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _listeners(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fieldops-live'"
        ))).scalar_one())


async def _listeners_settle(engine: AsyncEngine, want: int, within_s: float = 10) -> int:
    """The listener count once it reaches ``want`` (backends come and go a moment late)."""
    for _ in range(int(within_s * 10)):
        count = await _listeners(engine)
        if count == want:
            break
        await asyncio.sleep(0.1)
    return count


async def test_two_workers_serve_and_each_follows_live_changes(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    before = await _listeners(engine)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port),
           "WEB_CONCURRENCY": "2", "FIELDOPS_DATA_DIR": str(tmp_path), "DB_POOL_SIZE": "2"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.cli", "run", cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        ready = False
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
            while not ready and time.monotonic() < deadline:
                assert proc.returncode is None, "the server exited"
                with contextlib.suppress(httpx.TransportError):
                    ready = (await http.get("/ready")).status_code == 200
                if not ready:
                    await asyncio.sleep(0.2)
            assert ready, "the server did not become ready"
            # Each worker holds its own LISTEN connection, so a map on either hears changes.
            assert await _listeners_settle(engine, before + 2, within_s=30) == before + 2
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    assert await _listeners_settle(engine, before) == before  # closed with their workers
