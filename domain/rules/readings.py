"""What a valid reading is, and whether its case takes it: the one set of rules that online
recording (domain.services.observations) and the sync push (sync/apply_events.py) both call.

``validate_reading`` judges the values alone (ranges, LOINC, time); ``admit_reading`` judges
a validated reading against a snapshot of its case and the reading already stored under its
id, if any. Both are pure: the callers load what they need and act on the outcome.

Rules decided here:
- A reading of a case outside the caller's scope is "not found"; of a deleted case,
  ``deleted``; of a case the caller does not care for, ``forbidden`` (domain.rules.care).
- The same id again with the same content is a replay: the stored reading stands, nothing is
  written. The same id with other content (another case, value, time, LOINC, author...) is
  refused ``immutable``: a recorded reading never changes, and a new one needs a new id.
- A case that left home care (hospitalized, recovered, deceased) still takes readings
  measured before it left (a tablet syncing late), never one measured after.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.authz import Principal
from domain.errors import Conflict, Deleted, Forbidden, Immutable, NotFound, ValidationFailed
from domain.models.enums import CaseStatus, ObservationKind
from domain.rules.care import require_care
from domain.rules.case_status import OPEN_STATUSES
from domain.rules.recorded_time import is_future
from domain.rules.vitals import (
    ACCEPTED_LOINC,
    DIASTOLIC_RANGE,
    LOINC,
    RANGES,
    UNITS,
    Finding,
    assess,
)
from domain.settings import VitalThresholds

K = ObservationKind


@dataclass(frozen=True, slots=True)
class Reading:
    """A validated reading, as it is stored: defaults filled in, symptoms sorted and unique,
    ``measured_at`` in UTC."""

    id: uuid.UUID
    case_id: uuid.UUID
    kind: ObservationKind
    value: float | None
    value2: float | None
    symptoms: tuple[str, ...]
    measured_at: datetime
    measured_by: uuid.UUID | None
    loinc: str

    @property
    def unit(self) -> str | None:
        """The UCUM unit of the kind (None for symptoms)."""
        return UNITS[self.kind]

    def finding(self, thresholds: VitalThresholds) -> Finding | None:
        """The alert this reading raises, or None within home-care limits."""
        return assess(self.kind, self.value, self.value2, list(self.symptoms), thresholds)


@dataclass(frozen=True, slots=True)
class CaseSnapshot:
    """What admitting a reading needs to know of its case (deleted cases included)."""

    id: uuid.UUID
    scope_path: str
    station_id: uuid.UUID | None
    team_id: uuid.UUID | None
    status: CaseStatus
    status_changed_at: datetime
    deleted: bool


class Admission(enum.Enum):
    """The outcome of admitting a reading that its case takes."""

    record = "record"  # new: store it
    replay = "replay"  # stored before with this content: answer with the stored reading


def _check_values(
    kind: ObservationKind, value: float | None, value2: float | None, symptoms: tuple[str, ...]
) -> None:
    if kind is K.symptoms:
        if value is not None or value2 is not None:
            raise ValidationFailed("a symptoms observation carries no value", field="value")
        return
    if symptoms:
        raise ValidationFailed(f"a {kind.value} observation carries no symptoms",
                               field="symptoms")
    low, high = RANGES[kind]
    if value is None or not low <= value <= high:
        raise ValidationFailed(f"{kind.value} must lie between {low:g} and {high:g}",
                               field="value")
    if kind is K.blood_pressure:
        low2, high2 = DIASTOLIC_RANGE
        if value2 is None or not low2 <= value2 <= high2 or value2 >= value:
            raise ValidationFailed(
                f"diastolic pressure goes in value2, between {low2:g} and {high2:g} and "
                "below the systolic", field="value2")
    elif value2 is not None:
        raise ValidationFailed(f"a {kind.value} observation has a single value", field="value2")


def validate_reading(
    *, reading_id: uuid.UUID, case_id: uuid.UUID, kind: ObservationKind, value: float | None,
    value2: float | None = None, symptoms: list[str] | tuple[str, ...] | None = None,
    measured_at: datetime, measured_by: uuid.UUID | None, loinc: str | None = None,
    now: datetime | None = None,
) -> Reading:
    """The reading as it will be stored; raises ValidationFailed naming the field at fault."""
    tidy = tuple(sorted(set(symptoms or ())))
    _check_values(kind, value, value2, tidy)
    loinc = loinc or LOINC[kind]
    if loinc not in ACCEPTED_LOINC[kind]:
        raise ValidationFailed(f"LOINC {loinc} does not code {kind.value}", field="loinc")
    if measured_at.tzinfo is None:
        raise ValidationFailed("measured_at needs a time zone", field="measured_at")
    if is_future(measured_at, now):
        raise ValidationFailed("measured_at is in the future", field="measured_at")
    return Reading(id=reading_id, case_id=case_id, kind=kind,
                   value=None if value is None else float(value),
                   value2=None if value2 is None else float(value2), symptoms=tidy,
                   measured_at=measured_at.astimezone(UTC), measured_by=measured_by,
                   loinc=loinc)


def admit_reading(
    principal: Principal, reading: Reading, case: CaseSnapshot | None, stored: Reading | None,
    *, unit_path: str | None = None,
) -> Admission:
    """Whether ``case`` takes ``reading`` (``stored``: the reading already kept under its id).

    ``unit_path`` is the unit a device recorded it in: a case of another unit is forbidden.
    Raises NotFound, Deleted, Forbidden, Immutable (field ``id``) or Conflict.
    """
    if case is None:
        raise NotFound("case not found", field="case_id")
    if unit_path is not None and case.scope_path != unit_path:
        raise Forbidden("the case belongs to another unit", field="case_id")
    if not principal.can_read(case.scope_path):
        raise NotFound("case not found", field="case_id")
    if case.deleted:
        raise Deleted("the case was deleted", field="case_id")
    require_care(principal, scope_path=case.scope_path, station_id=case.station_id,
                 team_id=case.team_id)
    if stored is not None:
        if stored != reading:
            raise Immutable("this observation id was recorded with other values", field="id")
        return Admission.replay
    if case.status not in OPEN_STATUSES and reading.measured_at > case.status_changed_at:
        raise Conflict(f"the case is {case.status.value} since {case.status_changed_at:%Y-%m-%d}",
                       field="case_id")
    return Admission.record
