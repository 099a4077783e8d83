"""Sync simulator: many devices, each with its own SQLite replica, against one server.

    python -m sync.simulate --devices 200 --mutations 50 --seed 7 [--url http://host:8000]

Devices edit shared rows of their wards while going offline and online, eight to a station,
all at once; the network drops answers after the server committed, delivers requests twice,
refuses connections and holds requests back so devices overtake each other; the server is
killed in the middle of requests and started afresh (in-process runs only); some device
clocks run ahead (a few past the server's bound) or behind; now and then a device pushes a
malformed mutation in the middle of a batch. At the end every device syncs without faults and the simulator checks that
each replica equals the server's view of its scope (a fresh bootstrap, itself checked against
the tables), and that no mutation a device was told was accepted is missing or applied twice.

Without ``--url`` the app runs in-process on the database (DATABASE_URL, or the private
cluster). Either way the simulator creates its own stations, staff and devices there.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from domain.db import create_engine
from domain.settings import Settings
from sync.client import LocalStore, SyncClient
from sync.hlc import HybridClock
from sync.simulation import world
from sync.simulation.device import Ledger, SimulatedDevice
from sync.simulation.faults import FaultCounts, FaultInjector, FaultRates

Snapshot = dict[tuple[str, uuid.UUID], dict[str, Any]]
# Mostly right; some within the server's bound (5 min); one 8 min ahead and one two days
# behind (a tablet whose clock was reset), which the reference client corrects from the
# server's answers.
SKEWS_MS = ([0] * 14 + [-120_000, -45_000, 30_000, 90_000, 150_000] + [8 * 60_000]
            + [-2 * 86_400_000])


@dataclass
class Summary:
    devices: int
    stations: int
    mutations: int
    seed: int
    faults: bool
    created: int = 0  # mutations the devices made (a step may find nothing to do)
    outcomes: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    injected: FaultCounts = field(default_factory=FaultCounts)
    divergent: list[str] = field(default_factory=list)
    lost: int = 0
    doubled: int = 0
    unexpected: int = 0
    unanswered: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every replica converged, the server kept every accepted mutation once, and it
        never answered a 5xx."""
        return not (self.divergent or self.lost or self.doubled or self.unexpected
                    or self.unanswered or self.injected.server_errors)

    def render(self) -> str:
        """The summary as printed by the command line."""
        rejected = ", ".join(f"{c} {n}" for c, n in self.codes.most_common())
        f = self.injected
        return "\n".join([
            f"Sync simulation: {self.devices} devices on {self.stations} stations, "
            f"{self.mutations} edit steps ({self.created} mutations), seed {self.seed}, "
            f"faults {'on' if self.faults else 'off'}",
            "  outcomes:    " + ", ".join(f"{s} {self.outcomes[s]}" for s in
                                          ("applied", "merged", "duplicate", "rejected"))
            + (f" ({rejected})" if rejected else ""),
            f"  faults:      refused {f.refused}, answers dropped {f.dropped}, "
            f"delivered twice {f.duplicated}, delayed {f.delayed}, server killed {f.killed}",
            f"  answers 5xx: {f.server_errors}",
            f"  convergence: {len(self.divergent)} divergent devices of {self.devices}; "
            f"{self.lost} lost, {self.doubled} applied twice, {self.unexpected} unexpected, "
            f"{self.unanswered} unanswered",
            f"  time:        {self.seconds:.1f} s ({self.created / max(self.seconds, 1e-9):.0f}"
            " mutations/s)",
            "  result:      " + ("OK" if self.ok else "FAILED"),
        ])


async def _nap(delay: float) -> None:
    """Retry back-off, shortened: the simulator compresses a day into seconds."""
    await asyncio.sleep(min(delay, 0.02))


async def _drain(dev: SimulatedDevice, limit: asyncio.Semaphore) -> None:
    for _ in range(5):
        if not dev.client.store.pending_count():
            return
        await dev.sync(limit)


async def _server_views(
    http: httpx.AsyncClient, stations: list[world.SimStation], engine: AsyncEngine
) -> tuple[dict[uuid.UUID, Snapshot], list[str]]:
    """Each station's scope as a fresh device bootstraps it, checked against the tables."""
    views: dict[uuid.UUID, Snapshot] = {}
    wrong: list[str] = []
    for st in stations:
        device_id, token = st.observer
        client = SyncClient(device_id=device_id, token=token, store=LocalStore(),
                            clock=HybridClock(), author_id=st.staff, http=http)
        await client.pull()
        snapshot = client.store.snapshot()
        views[st.id] = snapshot
        for entity in ("f0_case", "observation", "alert"):
            pulled = {rid for (e, rid) in snapshot if e == entity}
            if pulled != await world.live_ids(engine, entity, st.scope_path):
                wrong.append(f"observer of station {st.id}: {entity} differs from the table")
    return views, wrong


async def simulate(
    engine: AsyncEngine, settings: Settings, *, devices: int, mutations: int, seed: int,
    url: str | None = None, stations: int | None = None, faults: bool = True,
    progress: bool = True, concurrency: int = 8, rates: FaultRates | None = None,
) -> Summary:
    """Run one simulation and return its summary (``summary.ok`` tells whether it held).
    ``rates``: how often each fault strikes a request (``FaultRates()`` by default)."""
    n_stations = stations or max(1, devices // 8)
    tag = f"{seed}-{random.Random().randrange(16**6):06x}"
    sim_stations, sims = await world.build(engine, stations=n_stations, devices=devices, tag=tag)
    summary = Summary(devices, n_stations, devices * mutations, seed, faults)
    ledger = Ledger()
    limit = asyncio.Semaphore(concurrency)
    restart: Callable[[], None] | None = None
    if url:
        http = httpx.AsyncClient(base_url=url, timeout=120)
    else:
        from api.app import create_app

        def server() -> Any:
            return create_app(settings, engine=engine)

        transport = httpx.ASGITransport(app=server())

        def restart() -> None:  # a new server process: nothing kept but the database
            transport.app = server()

        http = httpx.AsyncClient(transport=transport, base_url="http://simulator", timeout=120)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fieldops-sim-") as tmp:
        fleet: list[SimulatedDevice] = []
        for i, sim in enumerate(sims):
            rng = random.Random(f"{seed}:{i}")
            injector = FaultInjector(rng, summary.injected, rates or FaultRates(), restart)
            injector.enabled = faults

            def connect(clock: HybridClock, i: int = i, sim: world.SimDevice = sim,
                        rng: random.Random = rng, injector: FaultInjector = injector
                        ) -> SyncClient:
                return SyncClient(
                    device_id=sim.id, token=sim.token, store=LocalStore(Path(tmp) / f"{i}.db"),
                    clock=clock, author_id=sim.author, http=http, fault=injector, sleep=_nap,
                    rng=rng, max_retries=8, batch_size=rng.choice([10, 50, 200]),
                    pull_limit=rng.choice([25, 100, 500]),
                )

            fleet.append(SimulatedDevice(sim, connect, injector, rng, ledger,
                                         skew_ms=rng.choice(SKEWS_MS) if faults else 0))
        firsts = {d.sim.station.id: d for d in reversed(fleet)}
        for dev in firsts.values():  # every station starts with a few patients
            for _ in range(3):
                await dev.new_case()
            await _drain(dev, limit)
        await asyncio.gather(*(d.sync(limit) for d in fleet))
        with tqdm(total=devices * mutations, desc="mutations", unit="mut",
                  disable=not progress) as bar:
            # one device in eight pushes a malformed value half-way, whatever else happens
            await asyncio.gather(*(d.run(mutations, limit, lambda: bar.update(1),
                                         malformed_at=mutations // 2 if i % 8 == 0 else None)
                                   for i, d in enumerate(fleet)))
        for dev in fleet:  # back in coverage; wrong clocks are corrected by the client itself
            dev.faults.enabled = False
        await asyncio.gather(*(_drain(d, limit) for d in fleet))
        await asyncio.gather(*(d.client.pull() for d in fleet))
        views, wrong = await _server_views(http, sim_stations, engine)
        summary.divergent = wrong + [
            f"device {d.sim.id}" for d in fleet
            if d.client.store.snapshot() != views[d.sim.station.id]
        ]
        summary.unanswered = (len(ledger.created - ledger.outcomes.keys())
                              + sum(d.client.store.pending_count() for d in fleet))
        for d in fleet:
            d.client.store.close()
    await http.aclose()
    check = await world.check_ledger(engine, [s.id for s in sims],
                                     {m: s for m, s in ledger.outcomes.items()
                                      if m in ledger.created}, ledger.events)
    summary.lost, summary.doubled, summary.unexpected = (
        len(check.lost), len(check.doubled), len(check.unexpected))
    summary.outcomes = Counter(s for m, s in ledger.outcomes.items() if m in ledger.created)
    summary.codes = ledger.codes
    summary.created = len(ledger.created)
    summary.seconds = time.monotonic() - started
    return summary


async def _units_loaded(url: str) -> bool:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return bool(await conn.scalar(text("SELECT EXISTS (SELECT 1 FROM admin_unit)")))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exits 1 when a check failed."""
    parser = argparse.ArgumentParser(prog="python -m sync.simulate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--mutations", type=int, default=20, help="edits per device")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="a running server (default: the app in-process)")
    parser.add_argument("--stations", type=int, help="default: one per 8 devices")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--concurrency", type=int, default=8, help="syncs in flight at once")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    settings = Settings.from_env(os.environ)
    from api.cli import database
    from domain import migrations
    from domain.services.admin_units import load_admin_units

    with database(settings, keep_running=True) as url:
        migrations.upgrade(url)
        if not asyncio.run(_units_loaded(url)):
            asyncio.run(load_admin_units(url))
        run_settings = Settings.from_env(os.environ, database_url=url)

        async def run() -> Summary:
            engine = create_engine(url, pool_size=max(args.concurrency, 5))
            try:
                return await simulate(
                    engine, run_settings, devices=args.devices, mutations=args.mutations,
                    seed=args.seed, url=args.url, stations=args.stations,
                    faults=not args.no_faults, progress=sys.stderr.isatty(),
                    concurrency=args.concurrency,
                )
            finally:
                await engine.dispose()

        summary = asyncio.run(run())
    print(summary.render())
    for line in summary.divergent[:20]:
        print(f"  divergent: {line}")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
