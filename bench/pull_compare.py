"""Pull before/after in one run: two servers (two trees of the code) on one database, their
bootstraps alternating with the raw SELECT + encode baseline, round after round.

    python -m bench.pull_compare DATABASE_URL BASE_BEFORE,BASE_AFTER ROUNDS

Start the servers yourself (``git archive <rev> | tar -x -C DIR`` for the old tree, then
``DATABASE_URL=... PORT=... JWT_SECRET=<the same> python -m api.cli run`` in each). Not part
of ``make bench``: it is how bench/results/pull_notes.md was measured.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from contextlib import AsyncExitStack

from bench.dataset import PULL_WARD, bench_station, enrol
from bench.device import http_client, pull_all
from bench.pull import raw_bootstrap
from domain.db import create_engine

PAGES = (5000, 500)


async def compare(url: str, bases: list[str], rounds: int) -> None:
    engine = create_engine(url, pool_size=2)
    station = await bench_station(engine, ward_code=PULL_WARD, tag="PULL", cases=5000,
                                  readings_per_case=7)
    (device,) = await enrol(engine, [(station.id, station.staff_id)], "pull compare")
    raw: list[float] = []
    rates: dict[tuple[str, int], list[float]] = {(b, p): [] for b in bases for p in PAGES}
    async with AsyncExitStack() as stack:
        clients = {b: await stack.enter_async_context(http_client(b, 1)) for b in bases}
        for http in clients.values():
            await pull_all(http, device, limit=5000)  # warm both servers
        for _ in range(rounds):
            rows, seconds, _ = await raw_bootstrap(url, station)
            raw.append(rows / seconds)
            for b, http in clients.items():
                for page in PAGES:
                    t0 = time.perf_counter()
                    _, tally = await pull_all(http, device, limit=page)
                    rates[(b, page)].append(tally.changes / (time.perf_counter() - t0))
    await engine.dispose()
    baseline = statistics.median(raw)
    print(f"raw SELECT + encode: median {baseline:,.0f}/s, rounds {[round(r) for r in raw]}")
    for (b, page), values in rates.items():
        value = statistics.median(values)
        print(f"{b} pages of {page}: {value:,.0f}/s, ratio {value / baseline:.2f}, "
              f"rounds {[round(v) for v in values]}")


if __name__ == "__main__":
    asyncio.run(compare(sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])))
