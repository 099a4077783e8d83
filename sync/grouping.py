"""Grouping the commuting mutations of a batch into runs (sync/PROTOCOL.md, guarantee 2).

A device's outbox is a day of visits: a few readings of a patient, then an edit of that
patient, then the next patient. Applied strictly in that order, a batch of 1,000 splits into
about 180 runs, and each run pays its look-ups, statement, savepoint and flush. Two mutations
*commute* when applying them in either order gives the same rows, results, alerts, conflict
entries and audit entries; a mutation may therefore be applied before earlier ones it commutes
with, and the batch becomes a few runs. Those that do not commute keep the device's order.

What commutes, decided here and nowhere else (anything not listed keeps its place):

- two readings (``observation``) with different ids, except two readings of one case that
  both cross a threshold (each opens or escalates the case's alert, so their order matters);
- a reading and a mutation of another case;
- a reading within home-care limits and an edit of its own case that the reading's admission
  does not read: an upsert of a case stored before the batch, carrying no field of
  ``CaseSnapshot`` (status, station, team, scope, deletion), such as a phone, an address or
  notes. A reading past a threshold never passes a mutation of its case (it may move the case
  to ``needs_attention`` and its alert reads the case);
- two ``f0_case`` mutations never pass each other (their order decides merges, the conflict
  log and uniqueness), and a mutation of any other entity passes nothing and is passed by
  nothing: it is a barrier.

Runs keep the device's order among the mutations of one entity that are grouped together
(appliers apply a run in order); readings inside a run are written by author and case order,
as before.
"""

from __future__ import annotations

import bisect
import dataclasses
import uuid
from collections.abc import Sequence

from domain.models.enums import ObservationKind
from domain.rules.readings import CaseSnapshot
from domain.rules.vitals import assess
from domain.settings import VitalThresholds
from sync.codec import Item

READINGS = "observation"
CASES = "f0_case"
# What admitting a reading reads of its case (domain.rules.readings.admit_reading).
ADMISSION_FIELDS = frozenset(f.name for f in dataclasses.fields(CaseSnapshot))
_NO_CASE = uuid.UUID(int=0)  # a reading without a case (refused by the applier)


def crosses_threshold(item: Item, thresholds: VitalThresholds) -> bool:
    """Whether a pushed reading opens or escalates an alert (an unreadable one does not: it is
    refused before anything is written)."""
    v = item.values
    try:
        return assess(ObservationKind(v["kind"]), v.get("value"), v.get("value2"),
                      sorted(set(v.get("symptoms") or [])), thresholds) is not None
    except (KeyError, ValueError, TypeError):
        return False


def cases_edited(items: Sequence[Item]) -> list[uuid.UUID]:
    """Cases that are both read by a reading and upserted in the batch: whether each was
    stored before the batch decides whether its edit commutes with its readings."""
    read = {i.values.get("case_id") for i in items if i.spec.name == READINGS}
    return [i.mutation.row_id for i in items
            if i.spec.name == CASES and i.mutation.op == "upsert" and i.mutation.row_id in read]


def _soft_edit(item: Item, stored: set[uuid.UUID]) -> bool:
    """An edit of a stored case that no reading's admission reads."""
    return (item.mutation.op == "upsert" and item.mutation.row_id in stored
            and ADMISSION_FIELDS.isdisjoint(item.values))


def group_runs(
    items: Sequence[Item], stored_cases: set[uuid.UUID], thresholds: VitalThresholds
) -> list[list[Item]]:
    """Runs of one entity each, in an order that applies the batch as its device's order does.

    Each mutation joins the earliest run of its entity that comes after every run holding a
    mutation it does not commute with (its *barrier*), or starts a new run at the end.
    """
    runs: list[list[Item]] = []
    runs_of: dict[str, list[int]] = {}  # entity -> indices of its runs, ascending
    wall = -1  # the last run holding a barrier mutation
    last_case_run = -1
    reading_id: dict[uuid.UUID, int] = {}  # reading id -> its last run
    any_reading: dict[uuid.UUID, int] = {}  # case -> last run with a reading of it
    alerting: dict[uuid.UUID, int] = {}  # case -> last run with a reading past a threshold
    hard_edit: dict[uuid.UUID, int] = {}  # case -> last run with a mutation readings read
    any_edit: dict[uuid.UUID, int] = {}  # case -> last run with any mutation of it
    for item in items:
        entity, m = item.spec.name, item.mutation
        if entity == READINGS:
            case_id: uuid.UUID = item.values.get("case_id") or _NO_CASE
            alerts = crosses_threshold(item, thresholds)
            barrier = max(wall, reading_id.get(m.row_id, -1),
                          (any_edit if alerts else hard_edit).get(case_id, -1),
                          alerting.get(case_id, -1) if alerts else -1)
        elif entity == CASES:
            soft = _soft_edit(item, stored_cases)
            barrier = max(wall, last_case_run,
                          (alerting if soft else any_reading).get(m.row_id, -1))
        else:
            barrier = len(runs) - 1
        at = _join(runs, runs_of, entity, barrier, item)
        if entity == READINGS:
            reading_id[m.row_id] = max(reading_id.get(m.row_id, -1), at)
            any_reading[case_id] = max(any_reading.get(case_id, -1), at)
            if alerts:
                alerting[case_id] = max(alerting.get(case_id, -1), at)
        elif entity == CASES:
            last_case_run = at
            any_edit[m.row_id] = at
            if not soft:
                hard_edit[m.row_id] = at
        else:
            wall = at
    return runs


def _join(
    runs: list[list[Item]], runs_of: dict[str, list[int]], entity: str, barrier: int, item: Item
) -> int:
    """Put ``item`` in the first run of its entity at or after ``barrier``; its index."""
    mine = runs_of.setdefault(entity, [])
    k = bisect.bisect_left(mine, barrier)
    if k < len(mine):
        runs[mine[k]].append(item)
        return mine[k]
    runs.append([item])
    mine.append(len(runs) - 1)
    return len(runs) - 1
