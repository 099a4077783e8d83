"""Pull throughput: one device bootstraps its commune's scope of about 50,000 rows.

Figure: changes/s of a bootstrap from ``cursor: null`` over real HTTP, page after page until
``has_more`` is false (MessagePack, no gzip), at the largest page (5,000: what the reference
client asks for when it bootstraps; target 75% of the baseline) and at 500 (what it asks for
once it holds a cursor, where the fixed cost of a page shows; target 45%). Baseline: the same rows read with one plain SELECT per entity over a
bare asyncpg connection (the feed's own scope predicates and columns) and encoded with
``msgspec.msgpack`` as arrays: no HTTP, no cursor, no ordering, no field names. Both sides
must count the same rows.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import msgspec

from bench.cpu import CpuMeter, postmaster_of
from bench.dataset import BenchStation, EnrolledDevice, raw_connect
from bench.device import http_client, pull_all
from bench.harness import Result
from sync.entities import REGISTRY
from sync.feed import SCOPE_SQL, FeedScope, column_sql
from sync.wire import DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT

ROUNDS = 3
# Issue 17: bootstrap pages at three quarters of the raw read, catch-up pages at 45%.
TARGET_SHARE = {MAX_PULL_LIMIT: 0.75, DEFAULT_PULL_LIMIT: 0.45}


def scope_of(station: BenchStation) -> FeedScope:
    """The feed scope of a device at the station: its commune, and the commune's district."""
    return FeedScope(unit=station.scope_path, district=station.scope_path.rsplit(".", 1)[0])


def _select(spec: Any, params: dict[str, Any]) -> tuple[str, list[Any]]:
    where = SCOPE_SQL[spec.scope]
    names = [n for n in ("unit", "district_like", "lineage") if f":{n}" in where]
    for i, n in enumerate(names, 1):
        where = where.replace(f":{n}", f"${i}")
    sql = f"SELECT id, deleted, {column_sql(spec)} FROM {spec.table} WHERE {where}"
    return sql, [params[n] for n in names]


async def raw_bootstrap(url: str, station: BenchStation) -> tuple[int, float, int]:
    """(rows, seconds, encoded bytes) of the raw SELECT + msgspec encoding of the scope."""
    params = scope_of(station).params()
    queries = [_select(spec, params) for spec in REGISTRY]
    encoder = msgspec.msgpack.Encoder()
    conn = await raw_connect(url)
    try:
        t0 = time.perf_counter()
        rows = size = 0
        for sql, args in queries:
            records = await conn.fetch(sql, *args)
            rows += len(records)
            size += len(encoder.encode([tuple(r) for r in records]))
        return rows, time.perf_counter() - t0, size
    finally:
        await conn.close()


async def run(
    url: str, base: str, station: BenchStation, device: EnrolledDevice, *, quick: bool
) -> list[Result]:
    """Raw and HTTP bootstraps interleaved; the median round of each counts."""
    raw: list[float] = []
    rates: dict[int, list[float]] = {MAX_PULL_LIMIT: [], DEFAULT_PULL_LIMIT: []}
    # CPU seconds of the app server and of PostgreSQL in each HTTP bootstrap
    spent: dict[int, list[tuple[float, float]]] = {MAX_PULL_LIMIT: [], DEFAULT_PULL_LIMIT: []}
    rows = 0
    pages: dict[int, int] = {}
    meter = CpuMeter(await postmaster_of(url))
    async with http_client(base, 1) as http:
        for _ in range(1 if quick else ROUNDS):
            rows, seconds, _ = await raw_bootstrap(url, station)
            raw.append(rows / seconds)
            for limit, values in rates.items():
                before = meter.now()
                t0 = time.perf_counter()
                _, tally = await pull_all(http, device, limit=limit)
                values.append(tally.changes / (time.perf_counter() - t0))
                after = meter.now()
                spent[limit].append((after[0] - before[0], after[1] - before[1]))
                if tally.changes != rows:
                    raise RuntimeError(f"pulled {tally.changes} changes, the scope has {rows}")
                pages[limit] = tally.pages
    baseline = statistics.median(raw)
    results = []
    for limit, values in rates.items():
        value = statistics.median(values)
        met = value >= TARGET_SHARE[limit] * baseline
        app_ms = statistics.median(a for a, _ in spent[limit]) * 1000 / pages[limit]
        db_ms = statistics.median(d for _, d in spent[limit]) * 1000 / pages[limit]
        page_ms, raw_ms = 1000 * rows / value / pages[limit], 1000 * rows / baseline / pages[limit]
        results.append(Result(
            name=f"pull_bootstrap_page{limit}", metric="changes/s", value=value,
            baseline_name="SELECT + msgspec", baseline_value=baseline,
            target=f">= {TARGET_SHARE[limit]:.0%} of raw", met=met,
            notes=f"{rows:,} rows in {pages[limit]} pages of {limit}, MessagePack, 1 device"
                  + ("" if limit == MAX_PULL_LIMIT else "; the client's page size once it "
                     "holds a cursor, not its bootstrap"),
            extra={"rows": rows, "pages": pages[limit], "rounds": values, "raw_rounds": raw,
                   "app_cpu_ms_per_page": round(app_ms, 2), "db_cpu_ms_per_page": round(db_ms, 2),
                   "ms_per_page": round(page_ms, 2)},
            short_by=None if met else (
                f"{TARGET_SHARE[limit] - value / baseline:.2f} of raw "
                f"({TARGET_SHARE[limit] * baseline - value:,.0f} changes/s)"),
            limited_by="" if met else (
                f"A page took {page_ms:.1f} ms over HTTP, one after the other, against "
                f"{raw_ms:.1f} ms for the raw read and encoding of its rows; its CPU: app "
                f"server {app_ms:.1f} ms, PostgreSQL {db_ms:.1f} ms, the rest the client "
                "decoding it and the round trips (the split inside the server: "
                "bench/README.md, pull row)"),
        ))
    return results
