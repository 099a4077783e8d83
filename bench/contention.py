"""Eight devices of one ward pushing at once over the same cases: how long a batch waits.

Figure: p99 (and p50) round trip of a push when WRITERS devices of one ward each push a mixed
outbox at the same moment (visits: a few readings of a patient, sometimes an edit of the same
patient, all over the ward's shared cases), in batches of 1,000 and of 100. Baseline: p99 of
the same batches pushed by one device alone, one after the other (no one to wait for). The
ratio is what sharing the ward costs; the target is the sync-trust issue's: under 2 s.

Pushes of one ward that edit shared cases wait for each other only while they edit and
commit: each locks the rows it edits just before its first edit (sync/PROTOCOL.md §11,
domain/repositories/write_locks.py), and its readings go in beside the others'.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bench.dataset import BenchStation, EnrolledDevice, reading_fields
from bench.device import Body, Outbox, http_client, push, push_body
from bench.harness import Result

WRITERS = 8
SHARED_CASES = 40


def _batches(
    station: BenchStation, devices: list[EnrolledDevice], size: int, count: int, seed: int
) -> list[list[Body]]:
    """Per device, ``count`` batches of ``size`` visits' mutations over the shared cases."""
    rng = random.Random(seed)
    cases = station.case_ids[:SHARED_CASES]
    now = datetime.now(UTC)
    out = []
    for device in devices:
        box = Outbox(device)
        bodies = []
        for _ in range(count):
            start = len(box.mutations)
            while len(box.mutations) - start < size:
                case = rng.choice(cases)
                for _ in range(min(4, size - (len(box.mutations) - start))):
                    box.add("observation", uuid.uuid4(), reading_fields(rng, case, now))
                if len(box.mutations) - start < size and rng.random() < 0.3:
                    box.add("f0_case", case, {"notes": f"visit {len(box.mutations)}"})
            bodies.append(push_body(device, box.mutations[start:], "msgpack"))
        out.append(bodies)
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _send_all(base: str, bodies: list[list[Body]], *, together: bool) -> list[float]:
    """Round trips of every push: all devices at once, or one push at a time."""
    times: list[float] = []
    async with http_client(base, WRITERS) as http:

        async def device(mine: list[Body]) -> None:
            for body in mine:
                results, elapsed = await push(http, body, "msgpack")
                bad = [r for r in results if r.status not in ("applied", "merged")]
                if bad:
                    raise RuntimeError(f"{len(bad)} not applied, e.g. {bad[0]}")
                times.append(elapsed)

        if together:
            await asyncio.gather(*(device(mine) for mine in bodies))
        else:
            for mine in bodies:
                await device(mine)
    return times


async def run(
    base: str, station: BenchStation, devices: list[EnrolledDevice], *, quick: bool
) -> list[Result]:
    """Batches of 1,000 and of 100: alone against together, p99 and p50."""
    results = []
    plans = [(1000, 1), (100, 3 if quick else 6)]
    for seed, (size, count) in enumerate(plans):
        alone = await _send_all(base, _batches(station, devices[:1], size, count * 2, seed),
                                together=False)
        t0 = time.perf_counter()
        together = await _send_all(base, _batches(station, devices, size, count, seed + 10),
                                   together=True)
        wall = time.perf_counter() - t0
        extra: dict[str, Any] = {"writers": WRITERS, "shared_cases": SHARED_CASES,
                                 "pushes": len(together), "wall_s": wall,
                                 "alone_p50_ms": statistics.median(alone) * 1000,
                                 "together_p50_ms": statistics.median(together) * 1000}
        p99 = _p(together, 0.99) * 1000
        results.append(Result(
            name=f"push_contended_p99_{size}", metric="ms", value=p99,
            baseline_name="p99 of the same batches pushed alone",
            baseline_value=_p(alone, 0.99) * 1000, higher_is_better=False,
            target="< 2,000 ms", met=p99 < 2000,
            notes=f"{WRITERS} devices of one ward push batches of {size} at once over "
                  f"{SHARED_CASES} shared cases (readings and edits interleaved per visit)",
            extra=extra,
        ))
    return results
