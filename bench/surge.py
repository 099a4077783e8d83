"""The surge: 2,000 station tablets reconnect at once after a day offline, 100 mutations each.

Devices are enrolled across the demo's active stations (about five per station), each with
its station's staff account as author. Before the surge every device holds yesterday's
cursor (one bootstrap per ward, shared by the ward's devices) and an outbox of 100 mutations
made during the day: MIX below, on its own station's cases. Then all of them connect at once;
at most CONCURRENCY are served at a time (the others wait for a connection, as they would
in a server's accept queue). Each pushes its outbox in one request and then pulls until
caught up (pages of 500, the reference client's default). They are served by one server
process per core behind one address (bench/reuseport.py), as a deployment on this machine
would serve them.

Figures: time until the last device is caught up; push latency p50/p99 (request sent to
answer read; the wait for a connection is reported apart); and the check that nothing was
lost or applied twice, from the mutation log and the tables. Baselines: as many rows written
with asyncpg at the same concurrency after the surge (per device one transaction: its 90
readings by COPY, 9 case updates by executemany, 1 station update); and the push latency of
one device on the idle server. Clients and server share the same 2 cores.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.cpu import CpuMeter, postmaster_of
from bench.dataset import (
    DemoStation,
    EnrolledDevice,
    demo_stations,
    enrol,
    new_case_fields,
    raw_connect,
    reading_fields,
    settle,
)
from bench.device import Body, Outbox, http_client, pull_all, push, push_body
from bench.harness import Result, percentile
from bench.push import OBS_COLUMNS
from bench.scale_out import servers
from domain.models.enums import ObservationKind
from domain.rules.vitals import LOINC, UNITS
from sync.cursor import Cursor, cursor_key

DEVICES = 2000
MUTATIONS = 100
CONCURRENCY = 8
# Per 100 mutations: readings (1 in 200 low enough to open an alert), edits of a case's
# phone/address/notes (last writer wins per field), a new patient, the station's details.
MIX = {"reading": 90, "case_edit": 8, "new_case": 1, "station_edit": 1}
LOW_READING = 0.005
IDLE_PUSHES = 20


def devices(quick: bool) -> int:
    return 400 if quick else DEVICES


@dataclass
class Sent:
    """What the devices sent and were told, to check the server against."""

    mutations: set[uuid.UUID] = field(default_factory=set)
    readings: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # mutation -> row
    new_cases: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # mutation -> row
    answers: dict[uuid.UUID, str] = field(default_factory=dict)
    codes: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Queued:
    device: EnrolledDevice
    body: Body
    ids: list[uuid.UUID]
    cursor: str


def _outbox(
    device: EnrolledDevice, station: DemoStation, rng: random.Random, sent: Sent
) -> list[dict[str, Any]]:
    """A day of one tablet's work, in the order it was done."""
    now = datetime.now(UTC)
    box = Outbox(device)
    kinds = [k for k, n in MIX.items() for _ in range(n * MUTATIONS // 100)]
    rng.shuffle(kinds)
    for kind in kinds:
        case = rng.choice(station.case_ids)
        if kind == "reading":
            m = box.add("observation", uuid.uuid4(),
                        reading_fields(rng, case, now, low=rng.random() < LOW_READING))
            sent.readings[uuid.UUID(m["id"])] = uuid.UUID(m["row_id"])
        elif kind == "case_edit":
            name = rng.choice(["phone", "address", "notes"])
            value = {"phone": f"09{rng.randrange(10**8):08d}",
                     "address": f"{rng.randint(1, 300)} Nguyễn Trãi",
                     "notes": rng.choice(["ổn định", "ho nhiều", "gọi lại"])}[name]
            box.add("f0_case", case, {name: value})
        elif kind == "new_case":
            m = box.add("f0_case", uuid.uuid4(), new_case_fields(rng, station.id, now.date()))
            sent.new_cases[uuid.UUID(m["id"])] = uuid.UUID(m["row_id"])
        else:
            box.add("station", station.id, {"phone": f"028{rng.randrange(10**7):07d}",
                                            "volunteers": rng.randint(3, 30)})
    sent.mutations.update(uuid.UUID(m["id"]) for m in box.mutations)
    return box.mutations


async def _cursors(
    base: str, fleet: list[tuple[EnrolledDevice, DemoStation]]
) -> dict[uuid.UUID, str]:
    """Yesterday's cursor of every device: one bootstrap per ward, its position shared in the
    ward. Cursors are signed for one device, so each device's is re-signed with the server's
    key (the bench and the server share JWT_SECRET), as if it had pulled the same pages."""
    key = cursor_key(os.environ["JWT_SECRET"])
    first: dict[str, EnrolledDevice] = {}
    for device, station in fleet:
        first.setdefault(station.scope_path, device)
    by_ward: dict[str, str] = {}
    async with http_client(base, 4) as http:
        sem = asyncio.Semaphore(4)

        async def bootstrap(ward: str, device: EnrolledDevice) -> None:
            async with sem:
                by_ward[ward], _ = await pull_all(http, device, limit=5000)

        await asyncio.gather(*(bootstrap(w, d) for w, d in first.items()))
    positions = {ward: Cursor.decode(by_ward[ward], key, device.id)
                 for ward, device in first.items()}
    return {d.id: positions[s.scope_path].encode(key, d.id) for d, s in fleet}


@dataclass
class Timings:
    push_s: list[float] = field(default_factory=list)
    wait_s: list[float] = field(default_factory=list)  # waiting for a connection slot
    pull_s: list[float] = field(default_factory=list)  # per device, all its pages
    pulled: int = 0
    drain_s: float = 0.0


async def _surge(base: str, queued: list[Queued], sent: Sent) -> Timings:
    t = Timings()
    sem = asyncio.Semaphore(CONCURRENCY)
    async with http_client(base, CONCURRENCY) as http:

        async def reconnect(q: Queued) -> None:
            arrived = time.perf_counter()
            async with sem:
                t.wait_s.append(time.perf_counter() - arrived)
                results, seconds = await push(http, q.body, "msgpack")
                t.push_s.append(seconds)
                t0 = time.perf_counter()
                _, tally = await pull_all(http, q.device, cursor=q.cursor, limit=500)
                t.pull_s.append(time.perf_counter() - t0)
                t.pulled += tally.changes
            for mutation_id, r in zip(q.ids, results, strict=True):
                sent.answers[mutation_id] = r.status
                if r.code:
                    sent.codes[r.code] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(reconnect(q) for q in queued))
        t.drain_s = time.perf_counter() - t0
    return t


async def _idle_latency(base: str, device: EnrolledDevice, station: DemoStation) -> list[float]:
    """One device alone on the server pushing outboxes of the same mix."""
    rng = random.Random(5)
    out = []
    async with http_client(base, 1) as http:
        for _ in range(IDLE_PUSHES):
            body = push_body(device, _outbox(device, station, rng, Sent()), "msgpack",
                             compressed=True)
            _, seconds = await push(http, body, "msgpack")
            out.append(seconds)
    return out


@dataclass(frozen=True, slots=True)
class Check:
    """Mutation ids that break "applied exactly once, as answered"."""

    unanswered: int  # sent, no answer
    unlogged: int  # sent, not in the mutation log
    lost: int  # answered accepted, yet not logged as applied or its row is missing
    doubled: int  # a reading inserted more than once (per the audit trail)
    unexpected: int  # logged as applied although the device was told it was refused

    @property
    def total(self) -> int:
        return self.unanswered + self.unlogged + self.lost + self.doubled + self.unexpected


async def _check(url: str, fleet_ids: list[uuid.UUID], sent: Sent) -> Check:
    conn = await raw_connect(url)
    try:
        logged = {r[0]: r[1] for r in await conn.fetch(
            "SELECT id, status FROM sync_mutation WHERE device_id = ANY($1::uuid[])", fleet_ids)}
        inserts = {r[0]: r[1] for r in await conn.fetch(
            "SELECT row_id, count(*) FROM audit_log WHERE entity = 'observation' "
            "AND action = 'insert' AND row_id = ANY($1::uuid[]) GROUP BY row_id",
            list(sent.readings.values()))}
        cases = {r[0] for r in await conn.fetch(
            "SELECT id FROM f0_case WHERE id = ANY($1::uuid[])", list(sent.new_cases.values()))}
    finally:
        await conn.close()
    ok = ("applied", "merged", "duplicate")
    answers = sent.answers
    lost = sum(1 for m, s in answers.items() if s in ok and logged.get(m) not in ok[:2])
    lost += sum(1 for m, row in sent.readings.items()
                if answers.get(m) == "applied" and row not in inserts)
    lost += sum(1 for m, row in sent.new_cases.items()
                if answers.get(m) == "applied" and row not in cases)
    return Check(
        unanswered=len(sent.mutations - answers.keys()),
        unlogged=len(sent.mutations - logged.keys()),
        lost=lost,
        doubled=sum(n - 1 for n in inserts.values() if n > 1),
        unexpected=sum(1 for m, s in logged.items() if s in ok[:2] and answers.get(m) not in ok),
    )


async def _raw_drain(url: str, fleet: list[tuple[EnrolledDevice, DemoStation]]) -> float:
    """As many rows as the surge wrote, straight into the tables over CONCURRENCY
    connections: per device one transaction of readings (COPY) and updates."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    edits = MUTATIONS * (MIX["case_edit"] + MIX["new_case"]) // 100
    work: asyncio.Queue[Any] = asyncio.Queue()
    for device, st in fleet:
        readings: list[tuple[Any, ...]] = [
            (uuid.uuid4(), rng.choice(st.case_ids), st.scope_path, "spo2",
             LOINC[ObservationKind.spo2], 97.0, UNITS[ObservationKind.spo2], [],
             now - timedelta(minutes=rng.randint(5, 1440)), device.author_id, device.id)
            for _ in range(MUTATIONS * MIX["reading"] // 100)]
        phones = [(rng.choice(st.case_ids), f"09{rng.randrange(10**8):08d}")
                  for _ in range(edits)]
        work.put_nowait((readings, phones, st.id))
    conns = [await raw_connect(url) for _ in range(CONCURRENCY)]

    async def writer(conn: Any) -> None:
        while not work.empty():
            readings, phones, station_id = work.get_nowait()
            async with conn.transaction():
                await conn.copy_records_to_table("observation", records=readings,
                                                 columns=OBS_COLUMNS)
                await conn.executemany("UPDATE f0_case SET phone = $2 WHERE id = $1", phones)
                await conn.execute(
                    "UPDATE station SET volunteers = volunteers + 1 WHERE id = $1", station_id)

    try:
        t0 = time.perf_counter()
        await asyncio.gather(*(writer(c) for c in conns))
        return time.perf_counter() - t0
    finally:
        for c in conns:
            await c.close()


async def run(
    url: str, engine: AsyncEngine, *, quick: bool, log: Callable[[str], None]
) -> list[Result]:
    """The surge served as a deployment on this machine would serve it: one server process
    per core behind one address (bench/reuseport.py), not the bench's single process, whose
    one core the surge's app work saturated while the other core waited (76% of 2 cores
    busy in a 400-device run; 97% with two processes, the drain 16% shorter)."""
    procs = os.cpu_count() or 1
    with servers(url, procs) as (base, pids):
        return await _run(base, pids, url, engine, quick=quick, log=log)


async def _run(
    base: str, pids: list[int], url: str, engine: AsyncEngine, *, quick: bool,
    log: Callable[[str], None],
) -> list[Result]:
    """Enrol, queue, set cursors; the surge; the checks; then the baselines."""
    n = devices(quick)
    stations = await demo_stations(engine)
    picked = [stations[i % len(stations)] for i in range(n + 1)]
    enrolled = await enrol(engine, [(s.id, s.staff_id) for s in picked], "surge tablet")
    fleet = list(zip(enrolled[1:], picked[1:], strict=True))
    idle = await _idle_latency(base, enrolled[0], picked[0])
    wards = len({s.scope_path for _, s in fleet})
    log(f"  idle push p50 {percentile(idle, 50) * 1000:.0f} ms; yesterday's cursors for "
        f"{wards} wards")
    cursors = await _cursors(base, fleet)
    rng = random.Random(2021)
    sent = Sent()
    queued = []
    for device, station in fleet:
        mutations = _outbox(device, station, rng, sent)
        queued.append(Queued(device, push_body(device, mutations, "msgpack", compressed=True),
                             [uuid.UUID(m["id"]) for m in mutations], cursors[device.id]))
    total = len(sent.mutations)
    log(f"  {total:,} mutations queued on {n:,} devices; all reconnect, {CONCURRENCY} served "
        "at a time")
    await settle(url)  # the surge does not pay for the set-up's write-back
    meter = CpuMeter(await postmaster_of(url), pids)
    before, client0 = meter.now(), time.process_time()
    t = await _surge(base, queued, sent)
    after, client_s = meter.now(), time.process_time() - client0
    app_s, db_s = after[0] - before[0], after[1] - before[1]
    check = await _check(url, [d.id for d, _ in fleet], sent)
    log(f"  drained in {t.drain_s:.1f} s; answers {dict(Counter(sent.answers.values()))}; "
        f"check {check}")
    await settle(url)  # nor its baseline for the surge's
    raw = await _raw_drain(url, fleet)
    setting = (f"{n:,} devices on {len(stations)} stations in {wards} wards, {MUTATIONS} "
               f"mutations each ({', '.join(f'{k} {v}%' for k, v in MIX.items())}), "
               f"{CONCURRENCY} served at a time by {len(pids)} server processes behind one "
               f"address (one per core); clients on the same {os.cpu_count()} cores")
    extra: dict[str, object] = {
        "devices": n, "mutations": total, "concurrency": CONCURRENCY, "mix_percent": MIX,
        "low_reading_share": LOW_READING, "answers": dict(Counter(sent.answers.values())),
        "reject_codes": dict(sent.codes), "check": dataclasses.asdict(check),
        "pulled_changes": t.pulled, "mutations_per_s": total / t.drain_s,
        "pull_p50_s": percentile(t.pull_s, 50), "pull_p99_s": percentile(t.pull_s, 99),
        "connection_wait_p50_s": percentile(t.wait_s, 50),
        "connection_wait_p99_s": percentile(t.wait_s, 99),
        "app_cpu_s": round(app_s, 1), "db_cpu_s": round(db_s, 1),
        "client_cpu_s": round(client_s, 1),
    }
    cores = os.cpu_count() or 1
    busy = (app_s + db_s + client_s) / (t.drain_s * cores)
    drained = t.drain_s <= 3 * raw
    return [
        Result(name="surge_drain", metric="s", value=t.drain_s,
               baseline_name="asyncpg writes of the same rows", baseline_value=raw,
               higher_is_better=False, target="<= 3x the raw writes",
               met=drained,
               notes=f"{setting}; every device pushes then pulls until caught up",
               extra=extra,
               short_by=None if drained else
               f"{t.drain_s / raw - 3:.1f}x of the raw writes ({t.drain_s - 3 * raw:.0f} s)",
               limited_by="" if drained else (
                   f"CPU: in the drain the app server spent {app_s:.0f} s, PostgreSQL "
                   f"{db_s:.0f} s and the clients {client_s:.0f} s, {busy:.0%} of {cores} "
                   f"cores for {t.drain_s:.0f} s; per mutation pushed and pulled back, app "
                   f"{app_s * 1e6 / total:.0f} µs and PostgreSQL {db_s * 1e6 / total:.0f} µs "
                   "(profile: results/push_profile_mixed.txt, the surge's mix)")),
        Result(name="surge_push_p50", metric="ms", value=percentile(t.push_s, 50) * 1000,
               baseline_name="idle server p50", baseline_value=percentile(idle, 50) * 1000,
               higher_is_better=False, notes=f"push of 100 mutations (gzip MessagePack); {setting}",
               extra=extra),
        Result(name="surge_push_p99", metric="ms", value=percentile(t.push_s, 99) * 1000,
               baseline_name="idle server p99", baseline_value=percentile(idle, 99) * 1000,
               higher_is_better=False, target="< 1,000 ms", met=percentile(t.push_s, 99) < 1,
               notes=f"push of 100 mutations (gzip MessagePack); {setting}", extra=extra),
        Result(name="surge_lost_or_doubled", metric="mutations", value=float(check.total),
               baseline_name="mutations sent", baseline_value=float(total),
               higher_is_better=False, target="0", met=check.total == 0,
               notes="unanswered, missing from the log, accepted but absent, applied twice, or "
                     "applied although refused; counted from sync_mutation, the tables and the "
                     "audit trail", extra=extra),
    ]
