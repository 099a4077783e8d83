"""Real servers for the tests that need a socket: a database of their own, and uvicorn on it.

A server commits for real, so it never shares the rolled-back test database: each fixture
gets a fresh database, migrated, with the administrative units loaded, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from litestar import Litestar
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from api.live import stop_live
from domain import migrations


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _admin_sql(url: str, sql: str) -> None:
    eng = create_async_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with eng.connect() as conn:
        await conn.execute(text(sql))
    await eng.dispose()


@contextmanager
def fresh_database(database_url: str, name: str) -> Iterator[str]:
    """The URL of database ``name`` on the test server, made anew, migrated and holding the
    administrative units; dropped on the way out."""
    asyncio.run(_admin_sql(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin_sql(database_url, f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        from domain.services.admin_units import load_admin_units

        asyncio.run(load_admin_units(url))
        yield url
    finally:
        asyncio.run(_admin_sql(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def serving(app: Litestar, *, keep_alive_s: int = 5) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; its base URL (idle
    kept-alive connections are closed after ``keep_alive_s``, uvicorn's default 5 s)."""
    app.on_shutdown.append(stop_live)  # the listener must not outlive the server
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2,
        timeout_keep_alive=keep_alive_s,
    ))
    thread = threading.Thread(target=server.run, name=f"test-uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
