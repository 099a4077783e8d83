"""A profile of the push path: the app in-process (httpx.ASGITransport) under pyinstrument,
one device pushing MessagePack batches of 1,000 readings.

In-process there is no socket and no second process, so the profile shows the request's own
work: decoding, validation, the mutation log, the bulk insert, the answer. It is saved as
bench/results/push_profile.txt and .html. The same batches pushed without the profiler give
the in-process rate, read against one asyncpg connection COPYing the same number of rows.
One batch of 1,000 phone/address edits is profiled too (push_profile_edits.txt): edits are
checked in memory and written in one flush (push_profile_edits.txt). And 20 batches of 100
in the surge's mix, readings with a few edits, a new patient and a station edit between them
(push_profile_mixed.txt): a device's day as the surge pushes it, in runs of a few mutations.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from pyinstrument import Profiler
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from bench.dataset import (
    BenchStation,
    EnrolledDevice,
    new_case_fields,
    raw_connect,
    reading_fields,
)
from bench.device import Body, Outbox, push, push_body
from bench.harness import RESULTS, Result
from bench.push import OBS_COLUMNS
from bench.surge import MIX
from domain.models.enums import ObservationKind
from domain.rules.vitals import LOINC, UNITS
from domain.settings import Settings

BATCH = 1000


def _edits(device: EnrolledDevice, station: BenchStation) -> Body:
    rng = random.Random(3)
    box = Outbox(device)
    for case_id in rng.sample(station.case_ids, BATCH):
        box.add("f0_case", case_id, {"phone": f"09{rng.randrange(10**8):08d}",
                                     "address": f"{rng.randint(1, 300)} Hàng Bún, Ba Đình"})
    return push_body(device, box.mutations, "msgpack")


def _mixed(device: EnrolledDevice, station: BenchStation, n: int) -> list[Body]:
    """Batches of 100 in the surge's mix, in a shuffled order as a day's work comes."""
    rng = random.Random(5)
    now = datetime.now(UTC)
    box = Outbox(device)  # one clock: HLCs rise across the batches
    bodies = []
    for _ in range(n):
        box.mutations = []
        kinds = [k for k, count in MIX.items() for _ in range(count)]
        rng.shuffle(kinds)
        for kind in kinds:
            case = rng.choice(station.case_ids)
            if kind == "reading":
                box.add("observation", uuid.uuid4(), reading_fields(rng, case, now))
            elif kind == "case_edit":
                box.add("f0_case", case, {"notes": rng.choice(["ổn định", "ho nhiều"])})
            elif kind == "new_case":
                box.add("f0_case", uuid.uuid4(), new_case_fields(rng, station.id, now.date()))
            else:
                box.add("station", station.id, {"volunteers": rng.randint(3, 30)})
        bodies.append(push_body(device, box.mutations, "msgpack"))
    return bodies


def _bodies(device: EnrolledDevice, station: BenchStation, n: int, seed: int) -> list[Body]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    box = Outbox(device)
    bodies = []
    for _ in range(n):
        box.mutations = []
        for _ in range(BATCH):
            box.add("observation", uuid.uuid4(),
                    reading_fields(rng, rng.choice(station.case_ids), now))
        bodies.append(push_body(device, box.mutations, "msgpack"))
    return bodies


async def _push_all(http: httpx.AsyncClient, bodies: list[Body]) -> float:
    t0 = time.perf_counter()
    for body in bodies:
        results, _ = await push(http, body, "msgpack")
        if any(r.status != "applied" for r in results):
            raise RuntimeError("a profiled mutation was not applied")
    return sum(b.count for b in bodies) / (time.perf_counter() - t0)


async def _raw_copy(url: str, station: BenchStation, batches: int) -> float:
    rng = random.Random(1)
    spo2 = ObservationKind.spo2
    now = datetime.now(UTC)
    conn = await raw_connect(url)
    try:
        rows: list[list[tuple[Any, ...]]] = [
            [(uuid.uuid4(), rng.choice(station.case_ids), station.scope_path, spo2.value,
              LOINC[spo2], 97.0, UNITS[spo2], [], now, station.staff_id, None)
             for _ in range(BATCH)]
            for _ in range(batches)]
        t0 = time.perf_counter()
        for batch in rows:
            async with conn.transaction():
                await conn.copy_records_to_table("observation", records=batch,
                                                 columns=OBS_COLUMNS)
        return batches * BATCH / (time.perf_counter() - t0)
    finally:
        await conn.close()


async def run(
    url: str, engine: AsyncEngine, station: BenchStation, device: EnrolledDevice, *, quick: bool
) -> list[Result]:
    """Unprofiled and raw rounds for the rate, then one profiled run written to results/."""
    batches = 5 if quick else 10
    settings = Settings.from_env(os.environ, database_url=url)
    app: Any = create_app(settings, engine=engine)  # an ASGI app, as httpx types it
    transport = httpx.ASGITransport(app=app)
    rates: list[float] = []
    raw: list[float] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        await _push_all(http, _bodies(device, station, 2, seed=0))  # warm caches and the pool
        for r in range(1 if quick else 3):
            raw.append(await _raw_copy(url, station, batches))
            rates.append(await _push_all(http, _bodies(device, station, batches, seed=r + 1)))
        bodies = _bodies(device, station, batches, seed=99)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        await _push_all(http, bodies)
        profiler.stop()
        edits = _edits(device, station)
        edits_profiler = Profiler(interval=0.0005)
        edits_profiler.start()
        await _push_all(http, [edits])
        edits_profiler.stop()
        mixed = _mixed(device, station, 20)
        mixed_profiler = Profiler(interval=0.0005)
        mixed_profiler.start()
        await _push_all(http, mixed)
        mixed_profiler.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "push_profile.txt").write_text(profiler.output_text(unicode=True, color=False))
    (RESULTS / "push_profile.html").write_text(profiler.output_html())
    (RESULTS / "push_profile_edits.txt").write_text(
        edits_profiler.output_text(unicode=True, color=False))
    (RESULTS / "push_profile_mixed.txt").write_text(
        mixed_profiler.output_text(unicode=True, color=False))
    value, baseline = statistics.median(rates), statistics.median(raw)
    return [Result(
        name="push_inprocess_msgpack_1000", metric="mutations/s", value=value,
        baseline_name="asyncpg COPY, 1 connection", baseline_value=baseline,
        notes=f"readings, 1 device, app in-process (no HTTP socket), {batches} batches "
              "of 1,000; profile in push_profile.txt/.html",
        extra={"rounds": rates, "raw_rounds": raw},
    )]
