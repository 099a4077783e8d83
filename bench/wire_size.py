"""Bytes on the wire per change, JSON and MessagePack, with and without gzip.

Push: a batch of 1,000 mutations (90% readings, 10% case edits) sent to the server in each
encoding; the figure is request body bytes per mutation as sent (gzip as the reference
client does it).
Pull: the bench commune's whole bootstrap (about 50,000 changes, pages of 5,000), bytes of
the answers as they crossed the wire (compressed by the server when gzip was accepted).
Baseline for each: the same content as plain JSON, the protocol's default.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

from bench.dataset import BenchStation, EnrolledDevice, reading_fields
from bench.device import Outbox, http_client, pull_all, push, push_body
from bench.harness import Result

VARIANTS = (("json", False), ("json", True), ("msgpack", False), ("msgpack", True))
BATCH = 1000


def _label(fmt: str, compressed: bool) -> str:
    return f"{fmt}{'_gzip' if compressed else ''}"


def _batch(device: EnrolledDevice, station: BenchStation, seed: int) -> Outbox:
    """90% readings, 10% phone or address edits of the station's cases."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    box = Outbox(device)
    for _ in range(BATCH):
        case = rng.choice(station.case_ids)
        if rng.random() < 0.9:
            box.add("observation", uuid.uuid4(), reading_fields(rng, case, now))
        elif rng.random() < 0.5:
            box.add("f0_case", case, {"phone": f"09{rng.randrange(10**8):08d}"})
        else:
            box.add("f0_case", case, {"address": f"{rng.randint(1, 300)} Hòe Nhai, Ba Đình"})
    return box


async def run(
    base: str, push_station: BenchStation, pusher: EnrolledDevice, puller: EnrolledDevice,
) -> list[Result]:
    """Push one batch per encoding, then bootstrap the pull commune once per encoding."""
    pushed: dict[str, float] = {}
    pulled: dict[str, float] = {}
    changes = 0
    async with http_client(base, 1) as http:
        for fmt, compressed in VARIANTS:
            # The same content in every encoding (same seed); only the random uuids differ,
            # and they must, or the server would answer duplicates.
            box = _batch(pusher, push_station, seed=7)
            body = push_body(pusher, box.mutations, fmt, compressed=compressed)
            results, _ = await push(http, body, fmt)
            if any(r.status not in ("applied", "merged") for r in results):
                raise RuntimeError(f"wire batch {_label(fmt, compressed)}: a mutation was refused")
            pushed[_label(fmt, compressed)] = len(body.content) / BATCH
            _, tally = await pull_all(http, puller, limit=5000, fmt=fmt, compressed=compressed)
            pulled[_label(fmt, compressed)] = tally.wire_bytes / tally.changes
            changes = tally.changes
    results_out = []
    for direction, sizes in (("push", pushed), ("pull", pulled)):
        base_size = sizes["json"]
        for label, size in sizes.items():
            what = ("a batch of 1,000 mutations (90% readings, 10% case edits)"
                    if direction == "push"
                    else f"a bootstrap of {changes:,} changes, pages of 5,000")
            results_out.append(Result(
                name=f"wire_{direction}_{label}", metric="bytes/change", value=size,
                baseline_name="plain JSON", baseline_value=base_size, higher_is_better=False,
                notes=f"{direction} body bytes per change, {what}",
            ))
    return results_out
