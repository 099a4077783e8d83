"""The JavaScript client in headless Chromium (the station app's engine), against the Python
reference client on the same ward and server.

Figures:
- ``browser_bootstrap_idb``: changes/s of a bootstrap of the ~50,000-row pull ward into the
  browser's IndexedDB (pages of 5,000, MessagePack, each page and its cursor in one IndexedDB
  transaction). Baseline: the Python client (``sync/client``, SQLite in memory) bootstrapping
  the same ward with the same page size.
- ``browser_reconnect_100``: milliseconds from the link coming back (Chromium's network emulation
  switched on again) to an empty outbox, for 100 readings queued offline, driven by the client's
  own live loop (it waits out its backoff until the ``online`` event wakes it). Baseline: the
  Python client pushing the same 100 readings with the link up all along.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from playwright.async_api import Browser, Page, Playwright, async_playwright

from bench.dataset import BenchStation, EnrolledDevice, reading_fields
from bench.harness import Result
from sync.client import LocalStore, SyncClient
from sync.hlc import HybridClock

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROUNDS = 3
OUTBOX = 100

_OPEN = """async ([deviceId, token]) => {
  const m = await import('/static/sync-client/index.js');
  window.bench = await m.openDevice({ deviceId, token, bootstrapLimit: 5000 });
  window.addEventListener('online', () => window.bench.live?.wake());
  return true;
}"""

_BOOTSTRAP = """async () => {
  const t0 = performance.now();
  const n = await window.bench.pull();
  return [n, (performance.now() - t0) / 1000];
}"""

_QUEUE = """async ([edits, author]) => {
  for (const e of edits) await window.bench.enqueue([e], author);
  window.bench.live = window.bench.startLive();
  return await window.bench.store.pendingCount();
}"""


async def _browser_page(pw: Playwright, base: str, device: EnrolledDevice) -> tuple[Browser, Page]:
    browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    context = await browser.new_context()
    page = await context.new_page()
    # A document of the server's origin, so the page may import the client and use its IndexedDB.
    await page.goto(f"{base}/static/sync-client/index.js")
    await page.evaluate(_OPEN, [str(device.id), device.token])
    return browser, page


def _readings(station: BenchStation, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    return [{"entity": "observation", "row_id": str(uuid.uuid4()),
             "fields": reading_fields(rng, rng.choice(station.case_ids), now)}
            for _ in range(OUTBOX)]


async def _python_bootstrap(base: str, device: EnrolledDevice) -> tuple[int, float]:
    async with SyncClient(base, device_id=device.id, token=device.token, store=LocalStore(),
                          clock=HybridClock(), author_id=device.author_id) as client:
        t0 = time.perf_counter()
        n = await client.pull()
        return n, time.perf_counter() - t0


async def _python_push(base: str, device: EnrolledDevice, edits: list[dict[str, Any]]) -> float:
    async with SyncClient(base, device_id=device.id, token=device.token, store=LocalStore(),
                          clock=HybridClock(), author_id=device.author_id,
                          batch_size=OUTBOX) as client:
        for e in edits:
            await client.edit("observation", uuid.UUID(e["row_id"]), e["fields"])
        t0 = time.perf_counter()
        results = await client.push()
        if any(r.status != "applied" for r in results):
            raise RuntimeError(f"python push: {[r for r in results if r.status != 'applied']}")
        return (time.perf_counter() - t0) * 1000


async def run(
    base: str, pull_station: BenchStation, push_station: BenchStation,
    pull_devices: list[EnrolledDevice], push_devices: list[EnrolledDevice], *, quick: bool,
) -> list[Result]:
    """Rounds alternate the two clients; each round uses fresh devices (a fresh bootstrap)."""
    rounds = 1 if quick else ROUNDS
    js_rates: list[float] = []
    py_rates: list[float] = []
    js_reconnect: list[float] = []
    py_push: list[float] = []
    rows = 0
    async with async_playwright() as pw:
        for i in range(rounds):
            n, seconds = await _python_bootstrap(base, pull_devices[2 * i])
            py_rates.append(n / seconds)
            browser, page = await _browser_page(pw, base, pull_devices[2 * i + 1])
            try:
                rows, seconds = await page.evaluate(_BOOTSTRAP)
                js_rates.append(rows / seconds)
                if rows != n:
                    raise RuntimeError(f"browser pulled {rows} changes, python {n}")
            finally:
                await browser.close()

            if i % 2 == 0:  # who pushes first alternates: the second meets a warmer server
                py_push.append(await _python_push(base, push_devices[2 * i],
                                                  _readings(push_station, i)))
            browser, page = await _browser_page(pw, base, push_devices[2 * i + 1])
            try:
                await page.context.set_offline(True)
                queued = await page.evaluate(_QUEUE, [_readings(push_station, 100 + i),
                                                      str(push_devices[2 * i + 1].author_id)])
                if queued != OUTBOX:
                    raise RuntimeError(f"{queued} queued, not {OUTBOX}")
                await page.wait_for_timeout(1500)  # the live loop meets the dead link, backs off
                t0 = time.perf_counter()
                await page.context.set_offline(False)
                await page.wait_for_function(
                    "window.bench.store.pendingCount().then((n) => n === 0)", polling=20,
                    timeout=120_000)
                js_reconnect.append((time.perf_counter() - t0) * 1000)
            finally:
                await browser.close()
            if i % 2 == 1:
                py_push.append(await _python_push(base, push_devices[2 * i],
                                                  _readings(push_station, i)))
    return [
        Result(name="browser_bootstrap_idb", metric="changes/s", value=statistics.median(js_rates),
               baseline_name="Python client (SQLite)", baseline_value=statistics.median(py_rates),
               notes=f"{rows:,} rows of one ward into Chromium's IndexedDB, pages of 5,000",
               extra={"rows": rows, "rounds": js_rates, "baseline_rounds": py_rates}),
        Result(name="browser_reconnect_100", metric="ms", value=statistics.median(js_reconnect),
               baseline_name="Python client push, link up", baseline_value=statistics.median(py_push),
               higher_is_better=False,
               notes=f"{OUTBOX} readings queued offline; from the link's return to an empty outbox",
               extra={"rounds": js_reconnect, "baseline_rounds": py_push}),
    ]
