"""Stateless app servers: one address, several server processes, many devices.

1, then 2 (and, in a full run, 3) server processes are started on one address, each binding
it with SO_REUSEPORT (bench/reuseport.py: the kernel spreads connections over them by hash,
as a load balancer would over hosts; uvicorn's own ``--workers``, which ``WEB_CONCURRENCY``
uses, share one accepting socket and let one busy process take most connections). DEVICES
tablets, one per demo station across the city's wards, each on its own connection, do ROUNDS
rounds of what a tablet does when it comes online: push a batch of BATCH readings of its own
patients, then pull until caught up (pages of 500, from the cursor it got at the end of its
previous round; each device bootstraps once before the clock starts).

Figures per worker count: mutations pushed per second with pull changes alongside, request
p99, how the server CPU spread over the worker processes (from /proc), and the check that
every pushed reading is stored exactly once whichever process took it. Baseline: the same
load on one process. Nothing a request needs lives in one process's memory: the server clock
is a database row (sync/clock.py), login throttling and stream tickets are tables, the
live-map and long-poll hubs are per-process LISTEN connections that every process opens, and
cursors are signed with the shared secret, so any process answers any device.

On this machine the database, the clients and every worker share 2 cores: more processes
cannot add cores, so the figure shows that the load spreads and stays correct, and what a
second process buys where the single event loop was the limit.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.dataset import (
    DemoStation,
    EnrolledDevice,
    demo_stations,
    enrol,
    raw_connect,
    reading_fields,
)
from bench.device import Body, Outbox, http_client, pull_all, push, push_body
from bench.harness import ROOT, Result, free_port, percentile

DEVICES = 48
ROUNDS = 4
BATCH = 100
WORKERS = (1, 2, 3)


@dataclass
class Load:
    pushed: int = 0
    pulled: int = 0
    request_s: list[float] = field(default_factory=list)
    seconds: float = 0.0
    readings: set[uuid.UUID] = field(default_factory=set)


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """utime + stime (clock ticks) of each process."""
    ticks = {}
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks[p] = int(fields[11]) + int(fields[12])
    return ticks


@contextmanager
def servers(url: str, count: int) -> Iterator[tuple[str, list[int]]]:
    """``count`` processes of bench/reuseport.py on one free port; (base URL, their pids),
    once every one of them accepts connections."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "DB_POOL_SIZE": str(max(4, 20 // count))}
    procs = [subprocess.Popen([sys.executable, "-m", "bench.reuseport", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
             for _ in range(count)]
    try:
        for p in procs:  # each says "ready" once it accepts connections, or exits
            assert p.stdout is not None
            if p.stdout.readline().strip() != b"ready":
                raise RuntimeError("a server process did not start")
        yield f"http://127.0.0.1:{port}", [p.pid for p in procs]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


async def _round_trip(
    base: str, fleet: list[tuple[EnrolledDevice, list[uuid.UUID]]], rounds: int, seed: int
) -> Load:
    load = Load()
    rng = random.Random(seed)
    cursors: dict[uuid.UUID, str] = {}
    async with http_client(base, len(fleet)) as http:

        async def bootstrap(device: EnrolledDevice) -> None:
            cursors[device.id], _ = await pull_all(http, device, limit=5000)

        await asyncio.gather(*(bootstrap(d) for d, _ in fleet))
        bodies: list[list[Body]] = []
        for device, cases in fleet:
            per_round = []
            for _ in range(rounds):
                box = Outbox(device)
                now = datetime.now(UTC)
                for _ in range(BATCH):
                    m = box.add("observation", uuid.uuid4(),
                                reading_fields(rng, rng.choice(cases), now))
                    load.readings.add(uuid.UUID(m["row_id"]))
                per_round.append(push_body(device, box.mutations, "msgpack"))
            bodies.append(per_round)

        async def tablet(device: EnrolledDevice, per_round: list[Body]) -> None:
            for body in per_round:
                results, seconds = await push(http, body, "msgpack")
                if {r.status for r in results} != {"applied"}:
                    raise RuntimeError(f"push not applied: {[r.code for r in results][:5]}")
                load.request_s.append(seconds)
                load.pushed += body.count
                cursors[device.id], tally = await pull_all(http, device,
                                                           cursor=cursors[device.id])
                load.request_s.extend(tally.seconds)
                load.pulled += tally.changes

        t0 = time.perf_counter()
        await asyncio.gather(*(tablet(d, b) for (d, _), b in zip(fleet, bodies, strict=True)))
        load.seconds = time.perf_counter() - t0
    return load


async def _stored_once(url: str, readings: set[uuid.UUID]) -> bool:
    conn = await raw_connect(url)
    try:
        found = await conn.fetchval("SELECT count(*) FROM observation WHERE id = ANY($1::uuid[])",
                                    list(readings))
    finally:
        await conn.close()
    return int(found) == len(readings)  # ids are primary keys: once each, or missing


async def run(url: str, engine: AsyncEngine, *, quick: bool) -> list[Result]:
    """Each worker count in turn on a server of its own; the one-process run is the baseline."""
    stations = [s for s in await demo_stations(engine) if s.case_ids]
    wards: dict[str, DemoStation] = {}
    for s in stations:  # one tablet per ward: pushes of one ward queue on its lock
        wards.setdefault(s.scope_path, s)
    picked = list(wards.values())[: 12 if quick else DEVICES]
    rounds = 2 if quick else ROUNDS
    counts = WORKERS[:2] if quick else WORKERS
    loads: dict[int, tuple[Load, dict[int, int], bool]] = {}
    for n in counts:
        devices = await enrol(engine, [(s.id, s.staff_id) for s in picked], f"scale-out {n}")
        fleet = [(d, s.case_ids) for d, s in zip(devices, picked, strict=True)]
        with servers(url, n) as (base, pids):
            before = cpu_ticks(pids)
            load = await _round_trip(base, fleet, rounds, seed=n)
            after = cpu_ticks(pids)
        spread = {p: after.get(p, 0) - before.get(p, 0) for p in after}
        loads[n] = (load, spread, await _stored_once(url, load.readings))
    base_load = loads[counts[0]][0]
    base_rate = base_load.pushed / base_load.seconds
    results = []
    hz = os.sysconf("SC_CLK_TCK")
    for n, (load, spread, once) in loads.items():
        cpu = sorted((t / hz for t in spread.values()), reverse=True)
        rate = load.pushed / load.seconds
        results.append(Result(
            name=f"scale_out_workers{n}", metric="mutations/s", value=rate,
            baseline_name="1 server process", baseline_value=base_rate,
            target="every reading stored once" if n > 1 else None,
            met=once if n > 1 else None,
            notes=(f"{len(picked)} devices, {rounds} rounds of push {BATCH} + pull; "
                   f"{load.pulled / load.seconds:,.0f} changes/s pulled; request p99 "
                   f"{percentile(load.request_s, 99) * 1000:,.0f} ms; server CPU by process "
                   f"{' / '.join(f'{c:.1f}' for c in cpu)} s; stored once: "
                   f"{'yes' if once else 'NO'}"),
            extra={"workers": n, "devices": len(picked), "rounds": rounds,
                   "pushed": load.pushed, "pulled": load.pulled, "seconds": load.seconds,
                   "p50_ms": percentile(load.request_s, 50) * 1000,
                   "p99_ms": percentile(load.request_s, 99) * 1000,
                   "cpu_s_by_process": cpu, "stored_once": once},
        ))
    return results

