"""Shared benchmark plumbing: a database, a real server process, timers, and result files.

Every figure is written next to a baseline measured in the same run, so a ratio still means
something on a shared, noisy 2-core machine where absolute numbers wander.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
TABLE_START = "<!-- bench:table:start -->"
TABLE_END = "<!-- bench:table:end -->"


@dataclass
class Result:
    """One figure and the baseline it is read against.

    ``ratio`` is value / baseline; ``higher_is_better`` says which way is good (throughput
    versus latency), so the table can say whether a target was met. A missed target carries
    ``short_by`` (how far, in the target's own terms) and ``limited_by`` (what the run measured
    as the bound: where the CPU went, the profile to read), so every run's table says both.
    """

    name: str
    metric: str
    value: float
    baseline_name: str
    baseline_value: float
    higher_is_better: bool = True
    target: str | None = None
    met: bool | None = None
    notes: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    short_by: str | None = None
    limited_by: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")

    def write(self) -> None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        data = {**asdict(self), "ratio": round(self.ratio, 4)}
        (RESULTS / f"{self.name}.json").write_text(json.dumps(data, indent=2, default=str) + "\n")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database() -> Iterator[str]:
    """BENCH_DATABASE_URL, or a private cluster in a temporary directory removed afterwards."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        yield url
        return
    from scripts.pgcluster import PrivateCluster

    root = Path(tempfile.mkdtemp(prefix="fieldops-bench-"))
    root.chmod(0o755)
    cluster = PrivateCluster(root / "pg")
    cluster.start()
    try:
        yield cluster.url()
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


# The running app server's process id (bench/cpu.py measures what it spends).
SERVER_PID: int | None = None


@contextmanager
def server(database_url: str) -> Iterator[str]:
    """A real uvicorn process serving the app on a free loopback port."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "HOST": "127.0.0.1",
           "DB_POOL_SIZE": "20"}
    # Its stderr goes to a file, not a pipe: nobody reads a pipe while benches run, and a
    # server blocked on a full pipe would look like a slow one. The tail is shown at the end.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "run"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        global SERVER_PID
        SERVER_PID = proc.pid
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited: {_tail(log)}")
                try:
                    if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError("server did not become ready in 60 s")
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            if tail := _tail(log):
                print(f"server stderr (last 4 KB):\n{tail}", file=sys.stderr)


def _tail(log: IO[bytes], size: int = 4096) -> str:
    log.seek(0, os.SEEK_END)
    log.seek(max(0, log.tell() - size))
    return log.read().decode(errors="replace").strip()


def rewrite_readme_table(results: list[Result]) -> None:
    """Replace the table between the markers in bench/README.md with this run's figures."""
    lines = [
        "| benchmark | figure | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        met = "—" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(
            f"| {r.name} | {r.value:,.1f} {r.metric} | {r.baseline_name}: "
            f"{r.baseline_value:,.1f} {r.metric} | {r.ratio:.2f} | {r.target or '—'} | {met} |"
        )
    missed = [r for r in results if r.met is False]
    if missed:
        lines += ["", "Missed in this run: by how much, and what the run measured as the bound.",
                  ""]
        lines += [f"- `{r.name}`: {r.value:,.1f} {r.metric}, target {r.target}"
                  + (f"; short by {r.short_by}" if r.short_by else "")
                  + (f". {r.limited_by}" if r.limited_by else "") for r in missed]
    table = "\n".join(lines)
    text = README.read_text() if README.exists() else f"# Benchmarks\n\n{TABLE_START}\n{TABLE_END}\n"
    head, _, rest = text.partition(TABLE_START)
    _, _, tail = rest.partition(TABLE_END)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    README.write_text(f"{head}{TABLE_START}\n_Last run: {stamp}, {os.cpu_count()} cores._\n\n"
                      f"{table}\n{TABLE_END}{tail}")

