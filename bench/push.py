"""Push throughput over real HTTP against the raw write limit of the same tables.

Figure: mutations/s when CLIENTS devices push pre-encoded batches at once, each its own share
of the station's cases (so they never wait on each other's row locks), for readings
(append-only observations) and for phone/address edits of existing cases (per-field LWW).
Baseline: the same number of rows, same batch size and concurrency, written with asyncpg
straight into the same tables (``copy_records_to_table`` / ``executemany``, one transaction
per batch): no HTTP, no decoding, no mutation log, no merge. Triggers (feed stamp, audit)
fire in both. Rounds alternate baseline and figures (the two formats take turns going
first), each begins after a CHECKPOINT so none pays for the last one's write-back; the
median round counts.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.cpu import CpuMeter, postmaster_of
from bench.dataset import (
    BenchStation,
    EnrolledDevice,
    new_case_fields,
    raw_connect,
    reading_fields,
    settle,
)
from bench.device import Body, Outbox, http_client, push, push_body
from bench.harness import Result
from domain.models.enums import ObservationKind
from domain.rules.vitals import LOINC, UNITS

CLIENTS = 4
OBS_COLUMNS = ("id", "case_id", "scope_path", "kind", "loinc", "value", "unit", "symptoms",
               "measured_at", "measured_by", "device_id")


# A realistic outbox: a visit is VISIT_READINGS readings of a patient, then one edit of that
# patient (notes or phone); one visit in NEW_PATIENT_EVERY enrols a new patient first.
VISIT_READINGS = 10
NEW_PATIENT_EVERY = 25


@dataclass(frozen=True, slots=True)
class Case:
    kind: str  # "event", "update" or "visit"
    batch: int
    batches_per_client: int
    rounds: int

    @property
    def total(self) -> int:
        return CLIENTS * self.batch * self.batches_per_client


def plan(quick: bool) -> list[Case]:
    """A few seconds of work per round; edits are row-at-a-time, so they get fewer rounds."""
    if quick:
        return [Case("event", 100, 10, 1), Case("event", 1000, 2, 1),
                Case("update", 100, 2, 1), Case("update", 1000, 1, 1),
                Case("visit", 100, 10, 1), Case("visit", 1000, 2, 1)]
    return [Case("event", 100, 25, 3), Case("event", 1000, 6, 3),
            Case("update", 100, 3, 2), Case("update", 1000, 1, 2),
            Case("visit", 100, 10, 3), Case("visit", 1000, 2, 3)]


def _slices(station: BenchStation) -> list[list[uuid.UUID]]:
    return [station.case_ids[i::CLIENTS] for i in range(CLIENTS)]


def _outboxes(
    case: Case, station: BenchStation, devices: list[EnrolledDevice], seed: int
) -> list[list[list[dict[str, Any]]]]:
    """Per client, its batches of mutations (readings, or edits of its own cases)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    out = []
    for device, cases in zip(devices, _slices(station), strict=True):
        box = Outbox(device)
        batches = []
        if case.kind == "visit":
            out.append(_visits(case, box, cases, station, rng, now))
            continue
        for b in range(case.batches_per_client):
            start = len(box.mutations)
            for i in range(case.batch):
                if case.kind == "event":
                    box.add("observation", uuid.uuid4(),
                            reading_fields(rng, rng.choice(cases), now))
                else:
                    row = cases[(b * case.batch + i) % len(cases)]
                    box.add("f0_case", row, {
                        "phone": f"09{rng.randrange(10**8):08d}",
                        "address": f"{rng.randint(1, 300)} Quán Thánh, Ba Đình"})
            batches.append(box.mutations[start:])
        out.append(batches)
    return out


def _visits(
    case: Case, box: Outbox, cases: list[uuid.UUID], station: BenchStation, rng: random.Random,
    now: datetime,
) -> list[list[dict[str, Any]]]:
    """A day of visits cut into batches: readings of a patient, then an edit of them."""
    patients = list(cases)
    n = 0
    while len(box.mutations) < case.batch * case.batches_per_client:
        n += 1
        if n % NEW_PATIENT_EVERY == 0:
            patient = uuid.uuid4()
            box.add("f0_case", patient, new_case_fields(rng, station.id, now.date()))
            patients.append(patient)
        else:
            patient = rng.choice(patients)
        for _ in range(VISIT_READINGS):
            box.add("observation", uuid.uuid4(), reading_fields(rng, patient, now))
        box.add("f0_case", patient, rng.choice([
            {"notes": f"visit {n}: stable"}, {"phone": f"09{rng.randrange(10**8):08d}"}]))
    total = case.batch * case.batches_per_client
    return [box.mutations[i:i + case.batch] for i in range(0, total, case.batch)]


async def _push_round(base: str, bodies: list[list[Body]], fmt: str) -> float:
    """All clients push their batches; returns mutations/s; every mutation must apply."""
    async with http_client(base, CLIENTS) as http:

        async def client(mine: list[Body]) -> None:
            for body in mine:
                results, _ = await push(http, body, fmt)
                bad = [r for r in results if r.status != "applied"]
                if bad:
                    raise RuntimeError(f"{len(bad)} not applied, e.g. {bad[0]}")

        t0 = time.perf_counter()
        await asyncio.gather(*(client(mine) for mine in bodies))
        elapsed = time.perf_counter() - t0
    return sum(b.count for mine in bodies for b in mine) / elapsed


def _raw_rows(case: Case, station: BenchStation, seed: int) -> list[list[list[tuple[Any, ...]]]]:
    """Per client, its batches of rows as the raw writer sends them."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    spo2 = ObservationKind.spo2
    out = []
    for cases in _slices(station):
        batches: list[list[tuple[Any, ...]]] = []
        for b in range(case.batches_per_client):
            if case.kind == "visit":
                batch: list[tuple[Any, ...]] = []
                while len(batch) < case.batch:
                    patient = rng.choice(cases)
                    batch += [(uuid.uuid4(), patient, station.scope_path, spo2.value,
                               LOINC[spo2], float(rng.choice([96, 97, 98, 99])), UNITS[spo2],
                               [], now - timedelta(minutes=rng.randint(5, 1440)),
                               station.staff_id, None) for _ in range(VISIT_READINGS)]
                    batch.append((patient, f"09{rng.randrange(10**8):08d}", "visit"))
                batches.append(batch[:case.batch])
            elif case.kind == "event":
                batches.append([
                    (uuid.uuid4(), rng.choice(cases), station.scope_path, spo2.value,
                     LOINC[spo2], float(rng.choice([96, 97, 98, 99])), UNITS[spo2], [],
                     now - timedelta(minutes=rng.randint(5, 1440)), station.staff_id, None)
                    for _ in range(case.batch)])
            else:
                batches.append([
                    (cases[(b * case.batch + i) % len(cases)],
                     f"09{rng.randrange(10**8):08d}", f"{rng.randint(1, 300)} Quán Thánh")
                    for i in range(case.batch)])
        out.append(batches)
    return out


async def _raw_round(url: str, case: Case, rows: list[list[list[tuple[Any, ...]]]]) -> float:
    conns = [await raw_connect(url) for _ in range(CLIENTS)]
    try:
        async def writer(conn: Any, batches: list[list[tuple[Any, ...]]]) -> None:
            for batch in batches:
                async with conn.transaction():
                    if case.kind == "visit":  # a visit's readings, then its UPDATE
                        await _raw_visits(conn, batch)
                    elif case.kind == "event":
                        await conn.copy_records_to_table("observation", records=batch,
                                                         columns=OBS_COLUMNS)
                    else:
                        await conn.executemany(
                            "UPDATE f0_case SET phone = $2, address = $3 WHERE id = $1", batch)

        t0 = time.perf_counter()
        await asyncio.gather(*(writer(c, b) for c, b in zip(conns, rows, strict=True)))
        elapsed = time.perf_counter() - t0
    finally:
        for c in conns:
            await c.close()
    return case.total / elapsed


async def _raw_visits(conn: Any, batch: list[tuple[Any, ...]]) -> None:
    """The raw writer of a day of visits, in its order: each visit's readings in one COPY,
    then the patient's UPDATE (a new patient is an UPDATE too, as in the surge's baseline)."""
    readings: list[tuple[Any, ...]] = []
    for row in batch:
        if len(row) == len(OBS_COLUMNS):
            readings.append(row)
            continue
        if readings:
            await conn.copy_records_to_table("observation", records=readings,
                                             columns=OBS_COLUMNS)
            readings = []
        await conn.execute("UPDATE f0_case SET phone = $2, notes = $3 WHERE id = $1", *row)
    if readings:
        await conn.copy_records_to_table("observation", records=readings, columns=OBS_COLUMNS)


BARE = "bench_bare_observation"
_WHAT = {"event": "readings (observation)", "update": "case phone+address (LWW)",
         "visit": f"visits ({VISIT_READINGS} readings then an edit of the patient, a new "
                  f"patient every {NEW_PATIENT_EVERY} visits)"}
_RAW = {"event": "asyncpg COPY", "update": "asyncpg executemany",
        "visit": "asyncpg COPY + UPDATE per visit"}


async def _bare_table(url: str, create: bool) -> None:
    """The observation table without its triggers and foreign key (indexes kept): what COPY
    costs with nothing but the storage, the physical limit of a push of readings."""
    conn = await raw_connect(url)
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {BARE}")
        if create:
            await conn.execute(f"CREATE TABLE {BARE} (LIKE observation INCLUDING ALL)")
    finally:
        await conn.close()


async def _bare_round(url: str, case: Case, rows: list[list[list[tuple[Any, ...]]]]) -> float:
    conns = [await raw_connect(url) for _ in range(CLIENTS)]
    try:
        async def writer(conn: Any, batches: list[list[tuple[Any, ...]]]) -> None:
            for batch in batches:
                async with conn.transaction():
                    await conn.copy_records_to_table(BARE, records=batch, columns=OBS_COLUMNS)

        t0 = time.perf_counter()
        await asyncio.gather(*(writer(c, b) for c, b in zip(conns, rows, strict=True)))
        elapsed = time.perf_counter() - t0
    finally:
        for c in conns:
            await c.close()
    return case.total / elapsed


async def run(
    url: str, base: str, station: BenchStation, devices: list[EnrolledDevice], *, quick: bool
) -> list[Result]:
    """Every (kind, batch) case: raw, MessagePack and JSON rounds interleaved.

    Bodies are built just before their round: raw writes stamp the edited fields with the
    server's clock, so edits encoded earlier would (rightly) lose to them. Readings are also
    copied into a bare table (no trigger, no foreign key), and every round records the CPU the
    app server and PostgreSQL spent on it.
    """
    results = []
    seed = 0
    meter = CpuMeter(await postmaster_of(url))
    await _bare_table(url, create=True)
    try:
        for case in plan(quick):
            raw: list[float] = []
            bare: list[float] = []
            raw_cpu: list[tuple[float, float]] = []
            rates: dict[str, list[float]] = {"msgpack": [], "json": []}
            cpu: dict[str, list[tuple[float, float]]] = {"msgpack": [], "json": []}
            for r in range(case.rounds):
                seed += 1
                rows = _raw_rows(case, station, seed)
                await settle(url)
                before = meter.now()
                raw.append(await _raw_round(url, case, rows))
                raw_cpu.append(_spent(meter, before, case.total))
                if case.kind == "event":
                    await settle(url)
                    bare.append(await _bare_round(url, case, rows))
                formats = list(rates)
                for fmt in formats[r % 2:] + formats[:r % 2]:  # neither always first
                    seed += 1
                    bodies = [[push_body(d, m, fmt) for m in batches] for d, batches in
                              zip(devices, _outboxes(case, station, devices, seed), strict=True)]
                    await settle(url)
                    before = meter.now()
                    rates[fmt].append(await _push_round(base, bodies, fmt))
                    cpu[fmt].append(_spent(meter, before, case.total))
            results += _results(case, raw, bare, raw_cpu, rates, cpu)
    finally:
        await _bare_table(url, create=False)
    return results


def _spent(meter: CpuMeter, before: tuple[float, float], mutations: int) -> tuple[float, float]:
    """(app, PostgreSQL) CPU microseconds per mutation since ``before``."""
    app, db = meter.now()
    return ((app - before[0]) * 1e6 / mutations, (db - before[1]) * 1e6 / mutations)


def _results(
    case: Case, raw: list[float], bare: list[float], raw_cpu: list[tuple[float, float]],
    rates: dict[str, list[float]], cpu: dict[str, list[tuple[float, float]]],
) -> list[Result]:
    baseline = statistics.median(raw)
    out = []
    for fmt, values in rates.items():
        value = statistics.median(values)
        share = 0.3
        target = ">= 30% of raw"
        met: bool | None = value >= 0.3 * baseline
        if case.kind == "event":
            share = 0.5 if case.batch == 100 else 0.6
            target = f">= {share:.0%} of raw"
            met = value >= share * baseline
        elif case.kind == "visit":
            target, met = "as fast as the CouchDB-protocol peer (its own bench)", None
        app_us = statistics.median(c[0] for c in cpu[fmt])
        db_us = statistics.median(c[1] for c in cpu[fmt])
        raw_db_us = statistics.median(c[1] for c in raw_cpu)
        extra: dict[str, Any] = {
            "rounds": values, "raw_rounds": raw, "mutations_per_round": case.total,
            "clients": CLIENTS, "app_cpu_us_per_mutation": round(app_us, 1),
            "db_cpu_us_per_mutation": round(db_us, 1),
            "raw_db_cpu_us_per_mutation": round(statistics.median(c[1] for c in raw_cpu), 1)}
        if bare:
            extra |= {"bare_copy_rounds": bare, "bare_copy": statistics.median(bare),
                      "ratio_to_bare_copy": round(value / statistics.median(bare), 3)}
        out.append(Result(
            name=f"push_{case.kind}_{fmt}_{case.batch}", metric="mutations/s", value=value,
            baseline_name=_RAW[case.kind], baseline_value=baseline, target=target, met=met,
            notes=f"{_WHAT[case.kind]}, batches of {case.batch}, {CLIENTS} concurrent devices",
            extra=extra,
            short_by=f"{share - value / baseline:.2f} of raw ({share * baseline - value:,.0f} "
                     "mutations/s)" if met is False else None,
            limited_by=(f"CPU per mutation: app server {app_us:.0f} µs and PostgreSQL "
                        f"{db_us:.0f} µs, against {raw_db_us:.0f} µs of PostgreSQL for the raw "
                        f"writes, on {os.cpu_count()} cores shared with the clients "
                        "(profile: results/push_profile.txt)") if met is False else "",
        ))
    if case.kind == "visit":
        app_us = statistics.median(c[0] for c in cpu["msgpack"])
        db_us = statistics.median(c[1] for c in cpu["msgpack"])
        out.append(Result(
            name=f"push_visit_cpu_{case.batch}", metric="µs CPU/mutation",
            value=app_us + db_us, baseline_name="raw writes, PostgreSQL CPU",
            baseline_value=statistics.median(c[1] for c in raw_cpu),
            target="<= 2x the CouchDB-protocol peer's server CPU", met=None,
            notes=f"MessagePack visits, batches of {case.batch}: app server "
                  f"{app_us:.0f} µs + PostgreSQL {db_us:.0f} µs per mutation",
            extra={"app_cpu_us_per_mutation": app_us, "db_cpu_us_per_mutation": db_us}))
    if bare:
        out.append(Result(
            name=f"push_event_bare_copy_{case.batch}", metric="mutations/s",
            value=statistics.median(rates["msgpack"]), baseline_name="COPY into the bare table",
            baseline_value=statistics.median(bare), target="— (the physical limit)", met=None,
            notes="MessagePack readings against COPY into observation's columns and indexes "
                  "without its triggers and foreign key",
            extra={"bare_copy_rounds": bare}))
    return out
