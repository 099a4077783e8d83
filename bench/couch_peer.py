"""Our sync protocol against the CouchDB replication protocol, on the same records.

The peer, as offline health apps built on the Community Health Toolkit sync: **PouchDB 9**
(in-memory local database) as the device, **express-pouchdb** over PouchDB's in-memory
adapter as the CouchDB-compatible server (bench/couch/, npm packages installed on first run).
Ours: the real server (one process) and the bench's lean device, MessagePack gzipped both
ways as the reference client sends it; the peer's server gzips its answers
(express-pouchdb's compression) and PouchDB sends its requests as they are.

What each side does per change:

- **Ours, per mutation pushed:** the device's token, the author's permissions and the ward's
  advisory lock; decoding and validation against the domain's contract; idempotency (the
  mutation log); per-field last-writer-wins merges with their conflict log; the domain rules
  (a reading's alert, a status machine); the row, its audit-trail entry (trigger), the feed
  stamp, the map notification; everything on disk (PostgreSQL, WAL). Per change pulled: the
  device's scope, whole rows in feed order below the snapshot's xmin, a signed cursor.
- **The peer, per document pushed:** `revs_diff` (does the server have this revision?),
  `bulk_docs` with `new_edits: false` (store the revision, the winner chosen by the revision
  tree, conflicts kept for the application to resolve), a checkpoint document both sides;
  no validation, no permissions, no merge of fields, no audit, memory only. Per document
  pulled: the changes feed, `revs_diff`, `bulk_get` of each document with its revision history.

Records: the pull bench ward (about 50,000 rows: cases, readings, events, the reference data)
for the bootstrap, and visits to the push bench station's patients for the pushes: per visit
ten readings then one edit of the patient (the order of a real outbox), each visit a different
patient. The same row ids go both ways; documents are ``<entity>:<row id>`` with the row's
fields. Both sides start from the same state: the peer's device first replicates the cases it
will edit (untimed), as ours holds them from its bootstrap.

Figures: mutations (or rows) per second, requests and body bytes each way, server CPU
(ours: the app process and PostgreSQL's, apart and together; the peer's documents live in its
one process, so its server CPU is that process) and client CPU, per phase: push of a realistic outbox in batches of 100 and of 1,000 (PouchDB's
``batch_size``), bootstrap (ours in pages of 5,000, the reference client's; PouchDB's default
batches of 100), catch-up after 100 visits by another device (ours pages of 500), and several
devices of one station pushing at once. The pushes of one outbox are measured in 3 rounds
that alternate with the peer's, after one untimed push each side (a server's first push
pays for plans and caches a running server has long had), and the median round is
reported; the other phases are one round each: read those with care on a noisy machine.
Baseline: the peer. The table with every figure goes to
bench/results/couch_peer.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.cpu import CpuMeter, postmaster_of
from bench.dataset import BenchStation, EnrolledDevice, enrol, reading_fields, settle
from bench.device import PUSH, Body, Outbox, http_client, pull_all, push_body
from bench.harness import RESULTS, ROOT, Result
from bench.lean_http import LeanClient
from bench.scale_out import servers
from sync.wire import JSON, PROTOCOL_VERSION

PEER = ROOT / "bench" / "couch"
READINGS_PER_VISIT = 10
VISITS = {100: 300, 1000: 1000}  # batch size -> visits (11 mutations each)
QUICK_VISITS = {100: 20, 1000: 100}
DEVICES = 8
ROUNDS = 3  # of each push phase, alternating with the peer's; the median round is reported
DEVICE_VISITS = 20
CATCH_UP_VISITS = 100
PEER_PULL_BATCH = 100  # PouchDB's default batch_size


@dataclass
class Phase:
    """One side's figures for one phase."""

    count: int  # mutations pushed or changes pulled
    seconds: float
    requests: int
    bytes_up: int
    bytes_down: int
    server_cpu_s: float  # the app server's process (the peer's: its one node process)
    client_cpu_s: float
    db_cpu_s: float = 0.0  # ours: PostgreSQL's processes; the peer keeps its data in-process

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("nan")

    @property
    def all_server_cpu_s(self) -> float:
        """What the server side spent in all: the app and its database."""
        return self.server_cpu_s + self.db_cpu_s


class _Meter:
    """Seconds, our server's CPU, PostgreSQL's CPU and this process's (the client's) CPU
    from when it was made, read by ``read``."""

    def __init__(self, pid: int, postmaster: int | None) -> None:
        self.cpu = CpuMeter(postmaster, [pid])
        (self.app0, self.db0), self.cpu0 = self.cpu.now(), time.process_time()
        self.t0 = time.perf_counter()

    def read(self) -> tuple[float, float, float, float]:
        """(seconds, app server CPU s, PostgreSQL CPU s, client CPU s)."""
        seconds = time.perf_counter() - self.t0
        app, db = self.cpu.now()
        return seconds, app - self.app0, db - self.db0, time.process_time() - self.cpu0


def ensure_peer() -> bool:
    """Install the peer's npm packages when missing; False when there is no Node here."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return False
    if not (PEER / "node_modules" / "express-pouchdb").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=PEER, check=True)
    return True


@contextmanager
def peer_server() -> Iterator[str]:
    """The peer's server (its CPU it reports itself, at GET /_bench)."""
    proc = subprocess.Popen(["node", "server.js"], cwd=PEER, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        port = json.loads(proc.stdout.readline())["port"]
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class PeerDevice:
    """bench/couch/client.js: one JSON command a line, one JSON answer a line."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def call(self, **command: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(command).encode() + b"\n")
        await self.proc.stdin.drain()
        answer: dict[str, Any] = json.loads(await self.proc.stdout.readline())
        if not answer.pop("ok"):
            raise RuntimeError(f"peer device: {answer['error']}")
        return answer


@asynccontextmanager
async def peer_device() -> AsyncIterator[PeerDevice]:
    proc = await asyncio.create_subprocess_exec(
        "node", "client.js", cwd=PEER, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, limit=1 << 20)
    try:
        yield PeerDevice(proc)
    finally:
        proc.terminate()
        await proc.wait()


def _doc(entity: str, row_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"_id": f"{entity}:{row_id}", "type": entity, **fields}


async def _scope_docs(http: LeanClient, device: EnrolledDevice) -> list[dict[str, Any]]:
    """Every row of the device's scope as documents, read through our own pull (JSON)."""
    docs, cursor = [], None
    headers = {"Authorization": f"Bearer {device.token}", "Content-Type": JSON,
               "Accept": JSON}
    while True:
        body = msgspec.json.encode({"protocol": PROTOCOL_VERSION, "device_id": str(device.id),
                                    "cursor": cursor, "limit": 5000})
        page = (await http.post("/sync/v1/pull", content=body, headers=headers)).json()
        docs += [_doc(c["entity"], c["row_id"], c["fields"]) for c in page["changes"]
                 if c["op"] == "upsert"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return docs


class PeerServer:
    """The peer server's databases and its counters."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def load(self, db: str, docs: list[dict[str, Any]]) -> None:
        await self.http.put(f"/{db}")
        for i in range(0, len(docs), 5000):
            resp = await self.http.post(f"/{db}/_bulk_docs", json={"docs": docs[i:i + 5000]})
            resp.raise_for_status()

    async def edit(self, db: str, edits: dict[str, dict[str, Any]]) -> None:
        """Apply edits to existing documents on the server (another device's sync)."""
        resp = await self.http.post(f"/{db}/_all_docs", params={"include_docs": "true"},
                                    json={"keys": list(edits)})
        docs = [{**r["doc"], **edits[r["id"]]} for r in resp.json()["rows"]]
        (await self.http.post(f"/{db}/_bulk_docs", json={"docs": docs})).raise_for_status()

    async def drop(self, db: str) -> None:
        (await self.http.delete(f"/{db}")).raise_for_status()

    async def reset(self) -> None:
        await self.http.post("/_bench")

    async def counters(self) -> dict[str, Any]:
        data: dict[str, Any] = (await self.http.get("/_bench")).json()
        return data


@dataclass
class Visits:
    """One outbox in both shapes: our mutations and the peer's document writes."""

    mutations: list[dict[str, Any]]
    writes: list[dict[str, Any]]
    case_docs: list[str]  # the documents the outbox edits


def visits(device: EnrolledDevice, cases: list[uuid.UUID], rng: random.Random) -> Visits:
    """Ten readings then an edit of the patient, visit after visit, one patient each."""
    box = Outbox(device)
    writes: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for case in cases:
        for _ in range(READINGS_PER_VISIT):
            m = box.add("observation", uuid.uuid4(), reading_fields(rng, case, now))
            writes.append({"_id": f"observation:{m['row_id']}",
                           "fields": {"type": "observation", **m["fields"]}})
        phone = f"09{rng.randrange(10**8):08d}"
        box.add("f0_case", case, {"phone": phone})
        writes.append({"_id": f"f0_case:{case}", "edit": True, "fields": {"phone": phone}})
    return Visits(box.mutations, writes, [f"f0_case:{c}" for c in cases])


async def _our_pushes(
    http: LeanClient, bodies: list[Body], pid: int, postmaster: int | None
) -> tuple[float, int, int, float, float, float]:
    """Push bodies in order: (seconds, bytes up, bytes down, app server CPU, client CPU,
    PostgreSQL CPU)."""
    meter = _Meter(pid, postmaster)
    up = down = 0
    for body in bodies:
        resp = await http.post(PUSH, content=body.content, headers=body.headers)
        if resp.status_code != 200:
            raise RuntimeError(f"push answered {resp.status_code}: {resp.text[:300]}")
        up += len(body.content)
        down += resp.num_bytes_downloaded
    seconds, app, db, client = meter.read()
    return seconds, up, down, app, client, db


def _bodies(device: EnrolledDevice, mutations: list[dict[str, Any]], batch: int) -> list[Body]:
    return [push_body(device, mutations[i:i + batch], "msgpack", compressed=True)
            for i in range(0, len(mutations), batch)]


async def _peer_phase(
    server: PeerServer, count: int, work: Any
) -> Phase:
    await server.reset()
    answer = await work
    c = await server.counters()
    return Phase(count, answer["seconds"], c["requests"], c["bytes_in"], c["bytes_out"],
                 c["cpu_s"], answer["client_cpu_s"])


async def run(
    url: str, engine: AsyncEngine, pull_station: BenchStation, push_station: BenchStation, *,
    quick: bool,
) -> list[Result]:
    """Every phase on both sides; the peer is each figure's baseline."""
    if not ensure_peer():
        print("couch: skipped, the CouchDB-protocol peer needs node and npm", flush=True)
        return []
    rng = random.Random(9)
    sizes = QUICK_VISITS if quick else VISITS
    free = list(push_station.case_ids)
    rng.shuffle(free)
    phases: dict[str, tuple[Phase, Phase]] = {}
    rates: dict[str, tuple[list[float], list[float]]] = {}
    with servers(url, 1) as (base, pids), peer_server() as peer_base:
        pid, postmaster = pids[0], await postmaster_of(url)
        (reader, catcher, pusher, *fleet) = await enrol(
            engine, [(pull_station.id, pull_station.staff_id)] * 2
            + [(push_station.id, push_station.staff_id)] * (1 + DEVICES), "couch peer")
        async with http_client(base, DEVICES) as http, httpx.AsyncClient(
                base_url=peer_base, timeout=600) as peer_http, peer_device() as device:
            peer = PeerServer(peer_http)
            ward = await _scope_docs(http, reader)
            await peer.load("ward", ward)
            station_docs = [d for d in await _scope_docs(http, pusher)
                            if d["type"] == "f0_case"]

            # bootstrap: the whole ward from nothing
            meter = _Meter(pid, postmaster)
            cursor, tally = await pull_all(http, reader, limit=5000, compressed=True)
            ours = _pulled(tally, reader, meter)
            theirs = await _peer_phase(peer, len(ward), device.call(
                op="pull", remote=f"{peer_base}/ward", name="ward", batch=PEER_PULL_BATCH))
            phases["bootstrap"] = (ours, theirs)

            # catch-up: another device's visits, then each reader pulls from where it was
            pull_cases = list(pull_station.case_ids)[:CATCH_UP_VISITS]
            made = visits(catcher, pull_cases, rng)
            await _our_pushes(http, _bodies(catcher, made.mutations, 1000), pid, postmaster)
            await peer.load("ward", [{"_id": w["_id"], **w["fields"]} for w in made.writes
                                     if not w.get("edit")])
            await peer.edit("ward", {w["_id"]: w["fields"] for w in made.writes
                                     if w.get("edit")})
            meter = _Meter(pid, postmaster)
            _, tally = await pull_all(http, reader, cursor=cursor, limit=500, compressed=True)
            ours = _pulled(tally, reader, meter)
            theirs = await _peer_phase(peer, len(made.writes), device.call(
                op="pull", remote=f"{peer_base}/ward", name="ward", batch=PEER_PULL_BATCH))
            phases["catch_up"] = (ours, theirs)

            # pushes of a realistic outbox, batches of 100 and 1,000: a warm-up push each
            # side, untimed, then rounds of ours then the peer's
            for batch, n in sizes.items():
                def push_round(label: str, visits_n: int, batch: int = batch) -> Any:
                    cases = rng.sample(push_station.case_ids, visits_n)
                    return _push_phase(url, http, peer, device, peer_base, pusher,
                                       (pid, postmaster), station_docs, visits(pusher, cases, rng), batch,
                                       f"station{batch}_{label}")
                await push_round("warm", max(1, batch // (READINGS_PER_VISIT + 1)))
                rounds = [await push_round(str(r), n) for r in range(1 if quick else ROUNDS)]
                phases[f"push_{batch}"] = (_median_phase([o for o, _ in rounds]),
                                           _median_phase([t for _, t in rounds]))
                rates[f"push_{batch}"] = ([o.rate for o, _ in rounds],
                                          [t.rate for _, t in rounds])

            # several devices of one station at once, batches of 100
            n = 4 if quick else DEVICES
            per_device = DEVICE_VISITS // 2 if quick else DEVICE_VISITS
            boxes = []
            for d in fleet[:n]:
                cases, free = free[:per_device], free[per_device:]
                boxes.append(visits(d, cases, rng))
            await peer.load("many", station_docs)
            names = [f"many{i}" for i in range(n)]
            for name, box in zip(names, boxes, strict=True):
                await device.call(op="pull", remote=f"{peer_base}/many", name=name, batch=1000,
                                  doc_ids=box.case_docs)
            await settle(url)
            meter = _Meter(pid, postmaster)
            done = await asyncio.gather(*(
                _our_pushes(http, _bodies(d, b.mutations, 100), pid, postmaster)
                for d, b in zip(fleet[:n], boxes, strict=True)))
            total = sum(len(b.mutations) for b in boxes)
            seconds, app, db, client = meter.read()
            ours = Phase(total, seconds, sum(-(-len(b.mutations) // 100) for b in boxes),
                         sum(x[1] for x in done), sum(x[2] for x in done), app, client, db)
            theirs = await _peer_phase(peer, sum(len(b.writes) for b in boxes), device.call(
                op="push_many", remote=f"{peer_base}/many", names=names,
                outbox_files=[_outbox_file(b.writes) for b in boxes], batch=100))
            phases["many_devices"] = (ours, theirs)
    _write_notes(phases, n, rates)
    return _results(phases, rates)


async def _push_phase(
    url: str, http: LeanClient, peer: PeerServer, device: PeerDevice, peer_base: str,
    pusher: EnrolledDevice, server: tuple[int, int | None],
    station_docs: list[dict[str, Any]], box: Visits,
    batch: int, db: str,
) -> tuple[Phase, Phase]:
    """One outbox pushed by both sides. The peer starts from the station's documents as they
    were loaded; our server from its rows as earlier rounds left them (a round may edit a
    patient an earlier one edited: the peer keeps only the latest phone either way).
    Our round starts after a checkpoint (the peer keeps nothing on disk), so it does not pay
    for the write-back of the rounds before it."""
    await peer.load(db, station_docs)
    await device.call(op="pull", remote=f"{peer_base}/{db}", name=db, batch=1000,
                      doc_ids=box.case_docs)
    await settle(url)
    seconds, up, down, scpu, ccpu, dcpu = await _our_pushes(
        http, _bodies(pusher, box.mutations, batch), *server)
    ours = Phase(len(box.mutations), seconds, -(-len(box.mutations) // batch), up, down,
                 scpu, ccpu, dcpu)
    theirs = await _peer_phase(peer, len(box.writes), device.call(
        op="push", remote=f"{peer_base}/{db}", name=db,
        outbox_file=_outbox_file(box.writes), batch=batch))
    await peer.drop(db)
    return ours, theirs


def _pulled(tally: Any, reader: EnrolledDevice, meter: _Meter) -> Phase:
    """Our side of a pull phase, measured by ``meter`` from its start."""
    seconds, app, db, client = meter.read()
    return Phase(tally.changes, seconds, tally.pages, tally.pages * _pull_request_bytes(reader),
                 tally.wire_bytes, app, client, db)


def _median_phase(rounds: list[Phase]) -> Phase:
    """The round of the median rate (its bytes and CPU with it)."""
    return sorted(rounds, key=lambda p: p.rate)[len(rounds) // 2]


def _pull_request_bytes(device: EnrolledDevice) -> int:
    """The body of one of our pull requests, with a cursor (what pull_all sends each page)."""
    cursor = "2." + "9" * 10 + "." + "9" * 12 + "." + "f" * 16 + "." + "f" * 32
    return len(msgspec.msgpack.encode({"protocol": PROTOCOL_VERSION, "device_id": str(device.id),
                                       "cursor": cursor, "limit": 5000}))


def _outbox_file(writes: list[dict[str, Any]]) -> str:
    fd, path = tempfile.mkstemp(prefix="couch-outbox-", suffix=".json")
    with os.fdopen(fd, "wb") as fh:
        fh.write(msgspec.json.encode(writes))
    return path


_WHAT = {
    "bootstrap": ("rows/s", "bootstrap of the ward from nothing"),
    "catch_up": ("rows/s", "catch-up after another device's 100 visits"),
    "push_100": ("mutations/s", "push of a realistic outbox, batches of 100"),
    "push_1000": ("mutations/s", "push of a realistic outbox, batches of 1,000"),
    "many_devices": ("mutations/s", "devices of one station pushing at once, batches of 100"),
}


def _results(
    phases: dict[str, tuple[Phase, Phase]], rates: dict[str, tuple[list[float], list[float]]]
) -> list[Result]:
    results = []
    for name, (ours, theirs) in phases.items():
        metric, what = _WHAT[name]
        pushing = name.startswith("push") or name == "many_devices"
        # Ours with its database: the peer's one process holds its documents itself.
        cpu_ratio = (ours.all_server_cpu_s / theirs.server_cpu_s if theirs.server_cpu_s
                     else 0.0)
        met = (ours.rate >= theirs.rate and (not pushing or cpu_ratio <= 2)
               if name != "many_devices" else None)
        results.append(Result(
            name=f"couch_{name}", metric=metric, value=ours.rate,
            baseline_name="PouchDB 9 + express-pouchdb (memory)", baseline_value=theirs.rate,
            target=">= peer at <= 2x its server CPU" if name.startswith("push") else (
                ">= peer" if name in ("bootstrap", "catch_up") else None),
            met=met,
            notes=(f"{what}; {ours.count:,} against {theirs.count:,}; requests "
                   f"{ours.requests:,} / {theirs.requests:,}; bytes per change up "
                   f"{_per(ours.bytes_up, ours.count)} / {_per(theirs.bytes_up, theirs.count)}, "
                   f"down {_per(ours.bytes_down, ours.count)} / "
                   f"{_per(theirs.bytes_down, theirs.count)}; server CPU (ours: app + "
                   f"PostgreSQL) {ours.server_cpu_s:.2f} + {ours.db_cpu_s:.2f} / "
                   f"{theirs.server_cpu_s:.2f} s ({cpu_ratio:.1f}x)"),
            short_by=_short_by(ours, theirs, cpu_ratio, pushing) if met is False else None,
            limited_by=_limited_by(ours, theirs) if met is False else "",
            extra={"ours": vars(ours), "peer": vars(theirs),
                   **({"rounds": {"ours": rates[name][0], "peer": rates[name][1]}}
                      if name in rates else {})},
        ))
    return results


def _short_by(ours: Phase, theirs: Phase, cpu_ratio: float, pushing: bool) -> str:
    """How far a missed phase is from the peer: its rate, and for a push its CPU bound."""
    parts = []
    if ours.rate < theirs.rate:
        parts.append(f"{1 - ours.rate / theirs.rate:.2f} of the peer's rate "
                     f"({theirs.rate - ours.rate:,.0f}/s)")
    if pushing and cpu_ratio > 2:
        parts.append(f"server CPU (app + PostgreSQL) {cpu_ratio:.1f}x the peer's, against "
                     "at most 2x")
    return "; ".join(parts)


def _limited_by(ours: Phase, theirs: Phase) -> str:
    """Where a request of ours spent its time, as far as this bench measures it."""
    return (f"A request of ours took {1000 * ours.seconds / ours.requests:.0f} ms on average: "
            f"{1000 * ours.server_cpu_s / ours.requests:.0f} ms of the app server's CPU and "
            f"{1000 * ours.db_cpu_s / ours.requests:.0f} ms of PostgreSQL's, one after the "
            "other for one device "
            f"({1e6 * ours.all_server_cpu_s / ours.count:.0f} µs a change in all against the "
            f"peer's {1e6 * theirs.server_cpu_s / theirs.count:.0f}); PostgreSQL writes each "
            "row with its indexes, audit row and log row to disk, where the peer keeps "
            "documents in memory (profile: results/push_profile.txt)")


def _per(total: float, count: int) -> str:
    """Bytes per change, with a decimal when there is less than ten."""
    value = total / count if count else float("nan")
    return f"{value:.1f}" if value < 10 else f"{value:,.0f}"


def _write_notes(
    phases: dict[str, tuple[Phase, Phase]], devices: int,
    rates: dict[str, tuple[list[float], list[float]]],
) -> None:
    lines = [
        "# Our protocol against the CouchDB replication protocol (bench/couch_peer.py)",
        "",
        f"_Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; pushes of one "
        "outbox: the median of rounds alternating with the peer's, after an untimed push "
        f"each side; other phases one round; many devices = {devices}. Ours / the peer in every cell; bytes are bodies as they "
        "crossed the wire (ours gzipped both ways, the peer's answers gzipped, its requests "
        "not)._",
        "",
        "| phase | changes | seconds | per s | requests | bytes up per change | "
        "bytes down per change | server CPU s | PostgreSQL CPU s (ours) | client CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, (o, t) in phases.items():
        lines.append(
            f"| {_WHAT[name][1]} | {o.count:,} / {t.count:,} | {o.seconds:.2f} / "
            f"{t.seconds:.2f} | {o.rate:,.0f} / {t.rate:,.0f} | {o.requests:,} / "
            f"{t.requests:,} | {_per(o.bytes_up, o.count)} / {_per(t.bytes_up, t.count)} | "
            f"{_per(o.bytes_down, o.count)} / {_per(t.bytes_down, t.count)} | "
            f"{o.server_cpu_s:.2f} / {t.server_cpu_s:.2f} | {o.db_cpu_s:.2f} | "
            f"{o.client_cpu_s:.2f} / {t.client_cpu_s:.2f} |")
    for name, (ours_rates, peer_rates) in rates.items():
        lines.append(f"\n{_WHAT[name][1]}, every round (per s, ours / the peer): " + ", ".join(
            f"{o:,.0f} / {t:,.0f}" for o, t in zip(ours_rates, peer_rates, strict=True)))
    lines += ["", "What each side does per change: see the docstring of bench/couch_peer.py "
              "(ours validates, authorises, merges per field, logs, audits and keeps "
              "everything on disk; the peer stores revisions in memory). Our pull requests' "
              "bytes up are one request body times the pages; the peer's are counted from "
              "Content-Length.", ""]
    (RESULTS / "couch_peer.md").write_text("\n".join(lines))

