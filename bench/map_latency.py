"""Latency of the coordinator map's stations GeoJSON and of the city dashboard.

Figures: p50 and p99 of ``GET /api/map/stations`` (all 436 stations, the city coordinator's
token) and of ``GET /api/dashboard?unit=79`` over the demo data, one client on a kept-alive
connection, requests interleaved with ``GET /health`` so noise hits all three alike; answers
gzip-compressed as a browser asks for them. Baselines: ``GET /health`` on the same server
(the HTTP floor), and the raw SQL time: every statement the endpoint ran, captured once from
the app in-process, replayed in order over a bare asyncpg connection.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from bench.dataset import raw_connect
from bench.harness import Result, percentile
from domain.db import Driver
from domain.demo.operations import DEMO_LOGINS, DEMO_PASSWORD
from domain.models.enums import Role
from domain.settings import Settings

# Every status asked for: the same stations, read afresh (a filtered request never uses the
# features kept between requests, api/map_cache.py): what every request cost before them.
UNCACHED = "/api/map/stations?status=preparing&status=active&status=suspended&status=closed"
ENDPOINTS = {"map_stations": "/api/map/stations", "map_stations_uncached": UNCACHED,
             "dashboard": "/api/dashboard?unit=79"}
TARGETS_MS = {"map_stations": 40.0}  # issue 17: p99 under 40 ms in every run


async def coordinator_headers(http: httpx.AsyncClient) -> dict[str, str]:
    """The demo city coordinator's bearer header."""
    resp = await http.post("/api/auth/login", json={
        "username": DEMO_LOGINS[Role.city_coordinator], "password": DEMO_PASSWORD})
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def _statements(
    url: str, engine: AsyncEngine, path: str, headers: dict[str, str]
) -> list[tuple[str, tuple[Any, ...]]]:
    """The SQL the endpoint runs (with its parameters), from one in-process request: what
    goes through SQLAlchemy, and what repositories run on the driver (``Driver``). In process
    there is no lifespan, so no live hub and no kept map features: the map's statements run
    as on the first request after a write to every station."""
    captured: list[tuple[str, tuple[Any, ...]]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        captured.append((statement, tuple(parameters or ())))

    def recorded(method: Any) -> Any:
        async def run(self: Driver, sql: str, *args: Any) -> Any:
            captured.append((sql, args))
            return await method(self, sql, *args)
        return run

    app: Any = create_app(Settings.from_env(os.environ, database_url=url), engine=engine)
    originals = {name: getattr(Driver, name) for name in ("fetch", "fetchrow", "execute")}
    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    for name, method in originals.items():
        setattr(Driver, name, recorded(method))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bench") as http:
            (await http.get(path, headers=headers)).raise_for_status()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
        for name, method in originals.items():
            setattr(Driver, name, method)
    return captured


async def _raw_sql_ms(
    url: str, statements: list[tuple[str, tuple[Any, ...]]], n: int
) -> list[float]:
    conn = await raw_connect(url)
    try:
        times = []
        for i in range(n + 5):
            t0 = time.perf_counter()
            async with conn.transaction():
                for sql, params in statements:
                    await conn.fetch(sql, *params)
            if i >= 5:  # the first few prepare the statements
                times.append((time.perf_counter() - t0) * 1000)
        return times
    finally:
        await conn.close()


async def run(url: str, base: str, engine: AsyncEngine, *, quick: bool) -> list[Result]:
    """Interleaved HTTP rounds, then the raw SQL replays; three figures per endpoint."""
    n = 50 if quick else 200
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        headers = await coordinator_headers(http)
        times: dict[str, list[float]] = {"health": [], **{k: [] for k in ENDPOINTS}}
        sizes: dict[str, int] = {}
        for i in range(n + 10):
            for name, path in (("health", "/health"), *ENDPOINTS.items()):
                t0 = time.perf_counter()
                resp = await http.get(path, headers=headers)
                elapsed = (time.perf_counter() - t0) * 1000
                resp.raise_for_status()
                if i >= 10:  # warm-up: connection, caches, prepared statements
                    times[name].append(elapsed)
                sizes[name] = resp.num_bytes_downloaded
        body = (await http.get(ENDPOINTS["map_stations"], headers=headers)).json()
        features = len(body["features"])
        # A write to one station before each request: what a busy city's map pays (the
        # request re-reads the station the write touched).
        station_ids = [f["id"] for f in body["features"]]
        conn = await raw_connect(url)
        try:
            after_write: list[float] = []
            for i in range(n // 2):
                await conn.execute("UPDATE station SET volunteers = volunteers WHERE id = $1",
                                   uuid.UUID(station_ids[i * 7 % len(station_ids)]))
                t0 = time.perf_counter()
                (await http.get(ENDPOINTS["map_stations"], headers=headers)).raise_for_status()
                after_write.append((time.perf_counter() - t0) * 1000)
        finally:
            await conn.close()
    results = []
    health = times["health"]
    for name, path in ENDPOINTS.items():
        lat = times[name]
        target = TARGETS_MS.get(name)
        where = (f"GET {path}, {features} stations, city coordinator" if name == "map_stations"
                 else f"GET {path}, city coordinator")
        common: dict[str, object] = {"requests": len(lat), "response_bytes_gzip": sizes[name]}
        for p in (50, 99):
            results.append(Result(
                name=f"{name}_p{p}", metric="ms", value=percentile(lat, p),
                baseline_name=f"GET /health p{p}", baseline_value=percentile(health, p),
                higher_is_better=False,
                target=f"p{p} < {target:.0f} ms" if target else None,
                met=percentile(lat, p) < target if target else None,
                notes=f"{where}; {len(lat)} requests", extra=common,
            ))
        if name == "map_stations":
            continue  # kept between requests: no statement to compare with (see below)
        statements = await _statements(url, engine, path, headers)
        sql = await _raw_sql_ms(url, statements, n // 2)
        common["sql_statements"] = len(statements)
        results.append(Result(
            name=f"{name}_vs_sql", metric="ms", value=percentile(lat, 50),
            baseline_name="its SQL, raw asyncpg p50", baseline_value=percentile(sql, 50),
            higher_is_better=False,
            notes=f"{where}; the endpoint's {len(statements)} statements replayed "
                  f"{len(sql)} times",
            extra={**common, "sql_p99_ms": percentile(sql, 99)},
        ))
    fresh = times["map_stations_uncached"]
    for p in (50, 99):
        results.append(Result(
            name=f"map_stations_after_write_p{p}", metric="ms",
            value=percentile(after_write, p),
            baseline_name=f"read afresh (every status asked for) p{p}",
            baseline_value=percentile(fresh, p), higher_is_better=False,
            notes=f"GET /api/map/stations right after an UPDATE of one station (a different "
                  f"one each time), {len(after_write)} requests",
            extra={"requests": len(after_write)},
        ))
    return results
