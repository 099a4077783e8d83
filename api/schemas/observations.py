"""Observations on the wire: one request shape per kind, tagged by ``kind``.

Each kind carries its own plausible range, so the constraints reach OpenAPI and a typing
error (SpO2 of 9.5) is refused at the edge with the field named.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from api.paging import Page, page_schema
from api.schemas.alerts import Alert
from domain.models.enums import CaseStatus, ObservationKind
from domain.models.observation import Observation as ObservationRow
from domain.rules.vitals import DIASTOLIC_RANGE, RANGES

K = ObservationKind

MeasuredAt = Annotated[
    datetime, Meta(tz=True, description="when it was measured; not in the future (5 min grace)")
]
Loinc = Annotated[str, Meta(pattern=r"^[0-9]{1,7}-[0-9]$", description="default per kind")]
Symptom = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{1,39}$", examples=["dyspnea"])]


class _Reading(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="kind"):
    id: uuid.UUID | None = None
    measured_at: MeasuredAt
    loinc: Loinc | None = None


def _value(kind: ObservationKind, description: str) -> object:
    """A reading's value, constrained by the domain's plausible range for its kind."""
    low, high = RANGES[kind]
    return Annotated[float, Meta(ge=low, le=high, description=description)]


class Spo2Reading(_Reading, tag="spo2"):
    value: _value(K.spo2, "SpO2, %")  # type: ignore[valid-type]


class PulseReading(_Reading, tag="pulse"):
    value: _value(K.pulse, "beats per minute")  # type: ignore[valid-type]


class TemperatureReading(_Reading, tag="temperature"):
    value: _value(K.temperature, "°C")  # type: ignore[valid-type]


class RespiratoryRateReading(_Reading, tag="respiratory_rate"):
    value: _value(K.respiratory_rate, "breaths per minute")  # type: ignore[valid-type]


class BloodPressureReading(_Reading, tag="blood_pressure"):
    value: _value(K.blood_pressure, "systolic, mm Hg")  # type: ignore[valid-type]
    value2: Annotated[float, Meta(ge=DIASTOLIC_RANGE[0], le=DIASTOLIC_RANGE[1],
                                  description="diastolic, mm Hg")]


class SymptomsReading(_Reading, tag="symptoms"):
    symptoms: Annotated[list[Symptom], Meta(max_length=20)]


ObservationCreate = (
    Spo2Reading | PulseReading | TemperatureReading | RespiratoryRateReading
    | BloodPressureReading | SymptomsReading
)


class Observation(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    case_id: uuid.UUID
    kind: ObservationKind
    loinc: str
    value: float | None
    value2: float | None
    unit: str | None
    symptoms: list[str]
    measured_at: datetime
    measured_by: uuid.UUID | None
    recorded_at: datetime
    device_id: uuid.UUID | None

    @classmethod
    def of(cls, o: ObservationRow) -> Observation:
        return cls(
            id=o.id, case_id=o.case_id, kind=o.kind, loinc=o.loinc, value=o.value,
            value2=o.value2, unit=o.unit, symptoms=list(o.symptoms), measured_at=o.measured_at,
            measured_by=o.measured_by, recorded_at=o.recorded_at, device_id=o.device_id,
        )


ObservationPage = Annotated[Page[Observation], page_schema("ObservationPage")]


class RecordedObservation(msgspec.Struct, kw_only=True, frozen=True):
    """The stored reading and where it left the case: its status and its unresolved alert."""

    observation: Observation
    case_status: CaseStatus
    alert: Alert | None
