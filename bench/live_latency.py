"""Write-to-map latency: a station's status changed through the API, until an open map hears it.

Figures: p50 and p99, over sequential rounds, of the time from sending ``PATCH
/api/stations/{id}`` to the ``stations`` server-sent event naming that station arriving on a
city coordinator's ``/api/map/events`` stream on the same server. Baseline: the PATCH's own
round trip (the write the user made), measured in the same rounds. The raw floor of the
mechanism, a NOTIFY committed on one bare asyncpg connection and heard on another, is kept in
``extra``. Each change is undone at the end, so the demo data is left as it was.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from bench.dataset import raw_connect
from bench.harness import Result, percentile
from bench.map_latency import coordinator_headers

TARGET_MS = 2000.0
GAP_S = 0.4  # longer than the hub's coalescing window, so rounds do not share a message


class _Listener:
    """Reads one SSE stream and stamps the arrival of each station it names."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.arrivals: dict[str, float] = {}
        self.heard = asyncio.Condition()

    async def follow(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        event = ""
        # As the map page does: a single-use stream ticket, never the token in the URL.
        ticket = (await http.post("/api/map/stream-ticket", headers=headers)).json()["ticket"]
        async with http.stream("GET", "/api/map/events", params={"ticket": ticket}) as resp:
            resp.raise_for_status()
            async for line in resp.aiter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                    if event == "ready":
                        self.ready.set()
                elif line.startswith("data:") and event == "stations":
                    now = time.perf_counter()
                    async with self.heard:
                        for feature in json.loads(line.split(":", 1)[1]):
                            self.arrivals.setdefault(feature["id"], now)
                        self.heard.notify_all()

    async def arrival(self, station_id: str, within_s: float = 10.0) -> float:
        async with self.heard:
            await asyncio.wait_for(
                self.heard.wait_for(lambda: station_id in self.arrivals), within_s
            )
            return self.arrivals.pop(station_id)


async def _notify_floor_ms(url: str, n: int) -> list[float]:
    """NOTIFY on one connection, heard by LISTEN on another: the mechanism without the app."""
    listener, sender = await raw_connect(url), await raw_connect(url)
    heard: asyncio.Queue[float] = asyncio.Queue()
    try:
        await listener.add_listener("bench_floor", lambda *_: heard.put_nowait(time.perf_counter()))
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            await sender.execute("SELECT pg_notify('bench_floor', 'x')")
            times.append((await asyncio.wait_for(heard.get(), 5) - t0) * 1000)
        return times
    finally:
        await listener.close()
        await sender.close()


async def run(url: str, base: str, *, quick: bool) -> list[Result]:
    rounds = 10 if quick else 40
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        headers = await coordinator_headers(http)
        stations: list[dict[str, Any]] = [
            f for f in (await http.get("/api/map/stations", headers=headers)).json()["features"]
            if f["properties"]["status"] == "active"
        ][:rounds]
        listener = _Listener()
        follower = asyncio.create_task(listener.follow(http, headers))
        write_ms: list[float] = []
        seen_ms: list[float] = []
        try:
            await asyncio.wait_for(listener.ready.wait(), 10)
            for status in ("suspended", "active"):  # the second pass undoes the first
                for feature in stations:
                    t0 = time.perf_counter()
                    resp = await http.patch(f"/api/stations/{feature['id']}",
                                            json={"status": status}, headers=headers)
                    write_ms.append((time.perf_counter() - t0) * 1000)
                    resp.raise_for_status()
                    seen_ms.append((await listener.arrival(feature["id"]) - t0) * 1000)
                    await asyncio.sleep(GAP_S)
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
    floor = await _notify_floor_ms(url, len(seen_ms))
    extra: dict[str, object] = {"rounds": len(seen_ms), "notify_floor_p50_ms": percentile(floor, 50),
                                "notify_floor_p99_ms": percentile(floor, 99)}
    return [
        Result(
            name=f"live_update_p{p}", metric="ms", value=percentile(seen_ms, p),
            baseline_name=f"the PATCH round trip p{p}", baseline_value=percentile(write_ms, p),
            higher_is_better=False, target=f"p{p} < {TARGET_MS:.0f} ms",
            met=percentile(seen_ms, p) < TARGET_MS,
            notes=f"PATCH a station's status until the map's SSE stream names it; "
                  f"{len(seen_ms)} rounds, one open map; includes the hub's "
                  f"250 ms coalescing window",
            extra=extra,
        )
        for p in (50, 99)
    ]
