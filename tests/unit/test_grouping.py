"""sync/grouping.py: which mutations of a batch are grouped into one run, and which keep
their place (the outcome is checked against one-by-one application in
tests/sync/test_grouping.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.settings import VitalThresholds
from sync.codec import Item, validate
from sync.entities import REGISTRY
from sync.grouping import group_runs
from sync.hlc import HLC, system_ms
from sync.wire import Mutation

AUTHOR = uuid.uuid4()
THRESHOLDS = VitalThresholds()
_n = 0


def item(entity: str, row_id: uuid.UUID, fields: dict[str, Any], op: str = "upsert") -> Item:
    global _n
    _n += 1
    m = Mutation(id=uuid.uuid4(), entity=entity, row_id=row_id, op=op,  # type: ignore[arg-type]
                 hlc=HLC(system_ms(), 0).format(), author_id=AUTHOR, fields=fields)
    return validate(_n, m, REGISTRY)


def reading(case_id: uuid.UUID, value: float = 97.0) -> Item:
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return item("observation", uuid.uuid4(),
                {"case_id": str(case_id), "kind": "spo2", "value": value, "measured_at": at})


def shape(runs: list[list[Item]], named: dict[int, str]) -> list[list[str]]:
    return [[named[i.index] for i in run] for run in runs]


def test_a_day_of_visits_to_stored_patients_is_two_runs() -> None:
    cases = [uuid.uuid4() for _ in range(20)]
    batch = []
    for c in cases:
        batch += [reading(c) for _ in range(10)]
        batch.append(item("f0_case", c, {"notes": "stable"}))
    runs = group_runs(batch, set(cases), THRESHOLDS)
    assert [run[0].spec.name for run in runs] == ["observation", "f0_case"]
    assert [i.index for i in runs[1]] == [i.index for i in batch if i.spec.name == "f0_case"]


def test_readings_never_pass_a_status_move_a_creation_or_a_delete_of_their_case() -> None:
    a, b, new = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    steps = {"r_a1": reading(a), "move_a": item("f0_case", a, {"status": "recovered"}),
             "r_a2": reading(a), "r_b": reading(b), "new": item("f0_case", new, {"notes": "x"}),
             "r_new": reading(new), "del_b": item("f0_case", b, {}, op="delete"),
             "r_b2": reading(b)}
    named = {i.index: name for name, i in steps.items()}
    runs = shape(group_runs(list(steps.values()), {a, b}, THRESHOLDS), named)
    assert runs == [["r_a1", "r_b"], ["move_a", "new", "del_b"], ["r_a2", "r_new", "r_b2"]]


def test_a_reading_past_a_threshold_keeps_its_place_beside_its_case_edits() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    steps = {"plain_a": reading(a), "edit_a": item("f0_case", a, {"notes": "x"}),
             "alert_a": reading(a, 90.0), "plain_b": reading(b),
             "edit_a2": item("f0_case", a, {"phone": "0901234567"})}
    named = {i.index: name for name, i in steps.items()}
    runs = shape(group_runs(list(steps.values()), {a, b}, THRESHOLDS), named)
    assert runs == [["plain_a", "plain_b"], ["edit_a"], ["alert_a"], ["edit_a2"]]


def test_another_entity_is_a_barrier() -> None:
    a = uuid.uuid4()
    steps = {"r1": reading(a), "station": item("station", uuid.uuid4(), {"phone": "0281234567"}),
             "r2": reading(a)}
    named = {i.index: name for name, i in steps.items()}
    runs = shape(group_runs(list(steps.values()), {a}, THRESHOLDS), named)
    assert runs == [["r1"], ["station"], ["r2"]]
