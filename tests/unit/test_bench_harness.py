"""The benchmark harness on temporary files: result files, the README table, percentiles.

The real bench/README.md and bench/results/ are never touched: both paths are redirected.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import harness, run
from bench.harness import Result, percentile

README = f"""# Benchmarks

Intro that must survive.

{harness.TABLE_START}
| old | table |
{harness.TABLE_END}

## Limits

Text after the table that must survive.
"""


@pytest.fixture
def bench_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "README.md").write_text(README)
    monkeypatch.setattr(harness, "README", tmp_path / "README.md")
    monkeypatch.setattr(harness, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(run, "RESULTS", tmp_path / "results")
    return tmp_path


def _results() -> list[Result]:
    return [
        Result(name="push_event_msgpack_1000", metric="mutations/s", value=12_000.0,
               baseline_name="asyncpg COPY", baseline_value=30_000.0,
               target=">= 30% of raw", met=True, extra={"bench": "push"}),
        Result(name="map_stations_p99", metric="ms", value=80.0, baseline_name="GET /health p99",
               baseline_value=4.0, higher_is_better=False, target="p99 < 50 ms", met=False,
               extra={"bench": "map"}, short_by="30.0 ms",
               limited_by="CPU: the statement 60 ms of it (profile: results/map.txt)"),
        Result(name="wire_pull_msgpack", metric="bytes/change", value=150.0,
               baseline_name="plain JSON", baseline_value=300.0, higher_is_better=False,
               extra={"bench": "wire"}),
    ]


def test_result_file_carries_the_ratio(bench_dir: Path) -> None:
    result = _results()[0]
    result.write()
    data = json.loads((bench_dir / "results" / "push_event_msgpack_1000.json").read_text())
    assert data["ratio"] == 0.4
    assert data["baseline_name"] == "asyncpg COPY"
    assert data["met"] is True


def test_table_is_replaced_between_the_markers_only(bench_dir: Path) -> None:
    harness.rewrite_readme_table(_results())
    harness.rewrite_readme_table(_results())  # a second run replaces, never appends
    text = (bench_dir / "README.md").read_text()
    assert "Intro that must survive." in text
    assert "Text after the table that must survive." in text
    assert "| old | table |" not in text
    assert text.count(harness.TABLE_START) == text.count(harness.TABLE_END) == 1
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(_results())  # header + one row per figure
    assert "| push_event_msgpack_1000 | 12,000.0 mutations/s | asyncpg COPY: 30,000.0" in text
    assert "| 0.40 | >= 30% of raw | yes |" in text
    assert "| 20.00 | p99 < 50 ms | **no** |" in text  # a missed target stands out
    assert "| 0.50 | — | — |" in text  # no target: nothing to meet


def test_a_missed_target_says_by_how_much_and_what_limits_it(bench_dir: Path) -> None:
    """Every run's table ends with its missed targets, each with its shortfall and bound;
    a met target is not listed."""
    harness.rewrite_readme_table(_results())
    text = (bench_dir / "README.md").read_text()
    table = text[text.index(harness.TABLE_START):text.index(harness.TABLE_END)]
    missed = [line for line in table.splitlines() if line.startswith("- `")]
    assert missed == ["- `map_stations_p99`: 80.0 ms, target p99 < 50 ms; short by 30.0 ms. "
                      "CPU: the statement 60 ms of it (profile: results/map.txt)"]


def test_results_of_benches_not_run_are_read_back(bench_dir: Path) -> None:
    for r in _results():
        r.write()
    kept = run._previous(["push"])  # push ran again: its old file must not come back
    assert sorted(r.name for r in kept) == ["map_stations_p99", "wire_pull_msgpack"]
    map_row = next(r for r in kept if r.name == "map_stations_p99")
    assert map_row.higher_is_better is False
    assert map_row.ratio == 20.0


def test_percentile_interpolates() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3.0], 99) == 3.0
