"""Run the benchmarks end to end: one database, one demo load, one server for all of them.

    python -m bench.run [--only NAME ...] [--quick]

Each bench writes its figures to bench/results/<name>.json as it finishes; at the end the
table in bench/README.md is rewritten. With ``--only``, the benches not run keep the rows of
their last run (read back from their result files).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import logging
import os
import secrets
import sys
import time
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from bench import (
    contention,
    couch_peer,
    live_latency,
    map_latency,
    profile_push,
    pull,
    push,
    scale_out,
    station_browser,
    surge,
    wire_size,
)
from bench.dataset import (
    PULL_WARD,
    PUSH_WARD,
    BenchStation,
    bench_station,
    enrol,
    prepare_demo,
)
from bench.harness import RESULTS, Result, database, rewrite_readme_table, server
from domain.db import create_engine

BENCHES = ("map", "live", "pull", "wire", "push", "contention", "profile", "surge", "scale",
           "couch", "browser")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _tagged(bench: str, results: list[Result]) -> list[Result]:
    for rank, r in enumerate(results):
        # (benches may share one extra dict between their figures)
        r.extra = {**r.extra, "bench": bench, "rank": rank}  # rank: the table keeps the order
        r.write()
        log(f"  {r.name}: {r.value:,.1f} {r.metric} (baseline {r.baseline_value:,.1f}, "
            f"ratio {r.ratio:.2f}{'' if r.met is None else ', met' if r.met else ', MISSED'})")
    return results


async def _stations(engine: AsyncEngine, names: Sequence[str]) -> dict[str, BenchStation]:
    made = {}
    if {"pull", "wire", "couch", "browser"} & set(names):
        log("bench ward for pulls: 5,000 cases and their readings (about 50,000 rows)")
        made["pull"] = await bench_station(engine, ward_code=PULL_WARD, tag="PULL",
                                           cases=5000, readings_per_case=7)
    if {"push", "wire", "profile", "contention", "couch", "browser"} & set(names):
        log("bench station for pushes: 4,000 cases in home care")
        made["push"] = await bench_station(engine, ward_code=PUSH_WARD, tag="PUSH",
                                           cases=4000, readings_per_case=1)
    return made


async def _run(url: str, base: str, names: Sequence[str], quick: bool) -> list[Result]:
    engine = create_engine(url, pool_size=5)
    results: list[Result] = []
    try:
        if "map" in names:  # first: the demo data exactly as loaded
            log("map and dashboard latency")
            results += _tagged("map", await map_latency.run(url, base, engine, quick=quick))
        if "live" in names:
            log("live map updates: a PATCH until the open map hears it")
            results += _tagged("live", await live_latency.run(url, base, quick=quick))
        st = await _stations(engine, names)
        if "pull" in names:
            log("pull: bootstrap of one commune")
            (device,) = await enrol(engine, [(st["pull"].id, st["pull"].staff_id)], "bench pull")
            results += _tagged("pull", await pull.run(url, base, st["pull"], device, quick=quick))
        if "wire" in names:
            log("wire: bytes per change")
            pusher, puller = await enrol(engine, [(st["push"].id, st["push"].staff_id),
                                                  (st["pull"].id, st["pull"].staff_id)],
                                         "bench wire")
            results += _tagged("wire", await wire_size.run(base, st["push"], pusher, puller))
        if "push" in names:
            log(f"push: {push.CLIENTS} devices, batches of 100 and 1,000")
            devices = await enrol(engine, [(st["push"].id, st["push"].staff_id)] * push.CLIENTS,
                                  "bench push")
            results += _tagged("push", await push.run(url, base, st["push"], devices,
                                                      quick=quick))
        if "contention" in names:
            log(f"contention: {contention.WRITERS} devices of one ward push at once")
            devices = await enrol(engine, [(st["push"].id, st["push"].staff_id)]
                                  * contention.WRITERS, "bench contention")
            results += _tagged("contention", await contention.run(base, st["push"], devices,
                                                                  quick=quick))
        if "profile" in names:
            log("profile: the push path in-process under pyinstrument")
            (device,) = await enrol(engine, [(st["push"].id, st["push"].staff_id)],
                                    "bench profile")
            results += _tagged("profile", await profile_push.run(url, engine, st["push"], device,
                                                                 quick=quick))
        if "surge" in names:
            log(f"surge: {surge.devices(quick):,} devices reconnect at once")
            results += _tagged("surge", await surge.run(url, engine, quick=quick, log=log))
        if "scale" in names:
            log("scale: several server processes behind one address, many devices")
            results += _tagged("scale", await scale_out.run(url, engine, quick=quick))
        if "couch" in names:
            log("couch: the CouchDB-protocol peer (PouchDB 9, express-pouchdb) on the same records")
            results += _tagged("couch", await couch_peer.run(url, engine, st["pull"], st["push"],
                                                             quick=quick))
        if "browser" in names:
            log("browser: the JavaScript client in Chromium against the Python client")
            n = 2 * (1 if quick else station_browser.ROUNDS)
            pulls = await enrol(engine, [(st["pull"].id, st["pull"].staff_id)] * n, "bench js pull")
            pushes = await enrol(engine, [(st["push"].id, st["push"].staff_id)] * n, "bench js push")
            results += _tagged("browser", await station_browser.run(
                base, st["pull"], st["push"], pulls, pushes, quick=quick))
    finally:
        await engine.dispose()
    return results


def _previous(ran: Sequence[str]) -> list[Result]:
    """Results of the benches not run this time, from their files."""
    fields = {f.name for f in dataclasses.fields(Result)}
    kept = []
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        bench = data.get("extra", {}).get("bench")
        if bench in ran or bench not in BENCHES:
            continue
        kept.append(Result(**{k: v for k, v in data.items() if k in fields}))
    return kept


def _ordered(results: list[Result]) -> list[Result]:
    order = {b: i for i, b in enumerate(BENCHES)}
    def key(r: Result) -> tuple[int, int, str]:
        rank = r.extra.get("rank")
        return (order.get(str(r.extra.get("bench")), len(order)),
                rank if isinstance(rank, int) else len(results), r.name)

    return sorted(results, key=key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=BENCHES,
                        help="run only this bench (repeatable)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one round")
    args = parser.parse_args(argv)
    names = list(args.only or BENCHES)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The server and the in-process benches must sign and read the same tokens.
    os.environ.setdefault("JWT_SECRET", secrets.token_urlsafe(32))
    started = time.monotonic()
    with database() as url:
        log("database ready; migrating and loading the demo (436 stations, 20,000 cases)")
        for stage, seconds in prepare_demo(url).items():
            log(f"  {stage}: {seconds:.1f}")
        # Long-lived objects out of the collector's sight, as in the server (api/cli.py):
        # otherwise full collections, not the work measured, set the baselines' pace.
        gc.freeze()
        with server(url) as base:
            log(f"server at {base}")
            results = asyncio.run(_run(url, base, names, args.quick))
    table = _ordered(results + (_previous(names) if args.only else []))
    rewrite_readme_table(table)
    log(f"done in {time.monotonic() - started:.0f} s; bench/README.md rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
