"""Push throughput over real HTTP against the raw write limit of the same tables.

Figure: mutations/s when CLIENTS devices push pre-encoded batches at once, each its own share
of the station's cases (so they never wait on each other's row locks), for readings
(append-only observations) and for phone/address edits of existing cases (per-field LWW).
Baseline: the same number of rows, same batch size and concurrency, written with asyncpg
straight into the same tables (``copy_records_to_table`` / ``executemany``, one transaction
per batch): no HTTP, no decoding, no mutation log, no merge. Triggers (feed stamp, audit)
fire in both. Rounds alternate baseline and figures; the median round counts.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.dataset import BenchStation, EnrolledDevice, raw_connect, reading_fields
from bench.device import Body, Outbox, http_client, push, push_body
from bench.harness import Result
from domain.models.enums import ObservationKind
from domain.rules.vitals import LOINC, UNITS

CLIENTS = 4
OBS_COLUMNS = ("id", "case_id", "scope_path", "kind", "loinc", "value", "unit", "symptoms",
               "measured_at", "measured_by", "device_id")


@dataclass(frozen=True, slots=True)
class Case:
    kind: str  # "event" or "update"
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
                Case("update", 100, 2, 1), Case("update", 1000, 1, 1)]
    return [Case("event", 100, 25, 3), Case("event", 1000, 6, 3),
            Case("update", 100, 3, 2), Case("update", 1000, 1, 2)]


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
            if case.kind == "event":
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
                    if case.kind == "event":
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


async def run(
    url: str, base: str, station: BenchStation, devices: list[EnrolledDevice], *, quick: bool
) -> list[Result]:
    """Every (kind, batch) case: raw, MessagePack and JSON rounds interleaved.

    Bodies are built just before their round: raw writes stamp the edited fields with the
    server's clock, so edits encoded earlier would (rightly) lose to them.
    """
    results = []
    seed = 0
    for case in plan(quick):
        raw: list[float] = []
        rates: dict[str, list[float]] = {"msgpack": [], "json": []}
        for _ in range(case.rounds):
            seed += 1
            raw.append(await _raw_round(url, case, _raw_rows(case, station, seed)))
            for fmt, values in rates.items():
                seed += 1
                bodies = [[push_body(d, m, fmt) for m in batches] for d, batches in
                          zip(devices, _outboxes(case, station, devices, seed), strict=True)]
                values.append(await _push_round(base, bodies, fmt))
        baseline = statistics.median(raw)
        what = "readings (observation)" if case.kind == "event" else "case phone+address (LWW)"
        for fmt, values in rates.items():
            value = statistics.median(values)
            target = ">= 30% of raw"
            met = value >= 0.3 * baseline
            if case.kind == "event" and case.batch == 1000 and fmt == "msgpack":
                target = ">= 10,000/s and >= 30% of raw"
                met = met and value >= 10_000
            results.append(Result(
                name=f"push_{case.kind}_{fmt}_{case.batch}", metric="mutations/s", value=value,
                baseline_name=f"asyncpg {'COPY' if case.kind == 'event' else 'executemany'}",
                baseline_value=baseline, target=target, met=met,
                notes=f"{what}, batches of {case.batch}, {CLIENTS} concurrent devices",
                extra={"rounds": values, "raw_rounds": raw, "mutations_per_round": case.total,
                       "clients": CLIENTS},
            ))
    return results
