"""`python -m api.cli run` as an operator starts it, with several worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from scripts.pgcluster import PrivateCluster

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


async def _serve(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.cli", "run", cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


async def _until_ready(proc: asyncio.subprocess.Process, http: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 90
    ready = False
    while not ready and time.monotonic() < deadline:
        assert proc.returncode is None, "the server exited"
        with contextlib.suppress(httpx.TransportError):
            ready = (await http.get("/ready")).status_code == 200
        if not ready:
            await asyncio.sleep(0.2)
    assert ready, "the server did not become ready"


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 30) == 0


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
    proc = await _serve(env)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
            await _until_ready(proc, http)
            # Each worker holds its own LISTEN connection, so a map on either hears changes.
            assert await _listeners_settle(engine, before + 2, within_s=30) == before + 2
    finally:
        await _stop(proc)
    assert await _listeners_settle(engine, before) == before  # closed with their workers


@pytest.fixture
def private_data_dir() -> Iterator[Path]:
    """A data directory of its own; whatever cluster is left in it is stopped afterwards."""
    root = Path(tempfile.mkdtemp(prefix="fieldops-serve-"))
    root.chmod(0o755)  # the postgres user must reach its files when we are root
    data = (root / "data").resolve()
    try:
        yield data
    finally:
        cluster = PrivateCluster(data)
        if cluster.running():
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


async def test_a_service_stopped_by_sigterm_stops_its_private_database(
    private_data_dir: Path,
) -> None:
    """As a process manager stops it: no PostgreSQL is left running under the data directory."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WEB_CONCURRENCY")}
    env.update(PORT=str(port), FIELDOPS_DATA_DIR=str(private_data_dir))
    cluster = PrivateCluster(private_data_dir)
    proc = await _serve(env)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
            await _until_ready(proc, http)
        assert cluster.running()
    finally:
        await _stop(proc)
    assert not cluster.running()


async def _answer(reader: asyncio.StreamReader) -> bytes:
    """One HTTP/1.1 answer off a raw connection: its head, then Content-Length bytes."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    await reader.readexactly(length)
    return head


async def test_an_idle_kept_alive_connection_outlives_uvicorns_five_seconds(
    database_url: str, tmp_path: Path
) -> None:
    """A client back after 6 s reuses its connection (``KEEP_ALIVE_S``, 75 s by default):
    with uvicorn's own 5 s the server had closed it, and a request sent just as it closed
    failed without an answer. ``KEEP_ALIVE_S=1`` closes it, so the check can fail."""
    request = b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n"
    for keep_alive, still_open in ((None, True), ("1", False)):
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "KEEP_ALIVE_S")}
        env.update(DATABASE_URL=database_url, PORT=str(port), FIELDOPS_DATA_DIR=str(tmp_path),
                   DB_POOL_SIZE="2")
        if keep_alive is not None:
            env["KEEP_ALIVE_S"] = keep_alive
        proc = await _serve(env)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
                await _until_ready(proc, http)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(request)
                assert (await _answer(reader)).startswith(b"HTTP/1.1 200")
                await asyncio.sleep(6)
                writer.write(request)
                try:
                    again = await asyncio.wait_for(_answer(reader), 5)
                except (asyncio.IncompleteReadError, ConnectionError):
                    again = b""  # the server had closed it
                assert again.startswith(b"HTTP/1.1 200") is still_open, keep_alive
            finally:
                writer.close()
        finally:
            await _stop(proc)
