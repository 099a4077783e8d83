"""The write contract of the aggregates devices and people edit: one constrained type per field.

Both edges take their constraints from here, so a value is valid or not whatever path it
came by: the HTTP schemas (api/schemas) annotate their fields with these types, the sync
registry (sync/entities.py) converts pushed values to them, and ``GET /sync/v1/schema``
publishes them (``constraints``) so a tablet can check a value while the nurse is still with
the patient. Before this module the phone pattern lived only in the API, and a tablet could
store "0901", which the API refused.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Union, get_args, get_origin

from msgspec import Meta

from domain.models.enums import ObservationKind
from domain.rules.vitals import RANGES, UNITS

# -- shared ------------------------------------------------------------------------------
Code = Annotated[str, Meta(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Address = Annotated[str, Meta(min_length=1, max_length=255)]
Phone = Annotated[str, Meta(pattern=r"^\+?[0-9][0-9 .-]{5,18}$", max_length=20)]

# -- stations ----------------------------------------------------------------------------
StationCode = Annotated[str, Meta(min_length=3, max_length=32,
                                  pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
StationName = Annotated[str, Meta(min_length=1, max_length=160)]
Capacity = Annotated[
    int, Meta(ge=1, le=1000,
              description="F0 patients the station is staffed for (designed for 50–100)")
]
StaffCount = Annotated[int, Meta(ge=0, le=500)]
OpeningHours = Annotated[str, Meta(min_length=1, max_length=120, examples=["07:00–21:00"])]

STATION_FIELDS: Mapping[str, Any] = {
    "name": StationName, "address": Address, "phone": Phone, "opening_hours": OpeningHours,
    "capacity": Capacity, "doctors": StaffCount, "nurses": StaffCount, "volunteers": StaffCount,
}

# -- F0 cases ----------------------------------------------------------------------------
CaseCode = Code
PersonName = Annotated[str, Meta(min_length=1, max_length=120)]
YearOfBirth = Annotated[int, Meta(ge=1900, le=2100)]
NationalId = Annotated[str, Meta(pattern=r"^([0-9]{9}|[0-9]{12})$", description="CMND or CCCD")]
Condition = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{1,39}$", examples=["diabetes"])]
Conditions = Annotated[list[Condition], Meta(max_length=20)]
VaccineDoses = Annotated[int, Meta(ge=0, le=10)]
Notes = Annotated[str, Meta(max_length=2000)]
Reason = Annotated[str, Meta(min_length=1, max_length=255)]

# When something happened, with its offset (a move's effective time, a registration).
HappenedAt = Annotated[datetime, Meta(tz=True)]

CASE_FIELDS: Mapping[str, Any] = {
    "case_code": CaseCode, "full_name": PersonName, "year_of_birth": YearOfBirth,
    "phone": Phone, "address": Address, "national_id": NationalId,
    "comorbidities": Conditions, "vaccine_doses": VaccineDoses, "notes": Notes,
    # inputs of a push: when the status move happened, when the case was recorded
    "status_effective_at": HappenedAt, "registered_at": HappenedAt,
}


# -- alerts ------------------------------------------------------------------------------
Note = Annotated[str, Meta(min_length=1, max_length=255)]

ALERT_FIELDS: Mapping[str, Any] = {"resolution_note": Note}

# -- stock and requisitions ----------------------------------------------------------------
Quantity = Annotated[int, Meta(ge=-1_000_000, le=1_000_000, description=(
    "units moved (> 0); signed for an adjustment; the counted stock for a physical_count"))]
SerialNo = Annotated[str, Meta(min_length=1, max_length=64)]
Justification = Annotated[str, Meta(min_length=1, max_length=2000)]
CaseLoad = Annotated[int, Meta(ge=0, le=100_000)]
DaysOfCover = Annotated[int, Meta(ge=1, le=90, description="days the request should last")]

STOCK_MOVEMENT_FIELDS: Mapping[str, Any] = {
    "quantity": Quantity, "reason": Reason, "serial_no": SerialNo,
}
DISPENSING_FIELDS: Mapping[str, Any] = {"serial_no": SerialNo}
REQUISITION_FIELDS: Mapping[str, Any] = {
    "justification": Justification, "f0_under_care": CaseLoad, "days_of_cover": DaysOfCover,
}


def reading_ranges() -> dict[str, dict[str, Any]]:
    """Per reading kind, the value range and unit a reading must respect (the same RANGES
    domain.services.observations checks)."""
    return {kind.value: {"minimum": low, "maximum": high, "unit": UNITS[kind]}
            for kind, (low, high) in RANGES.items() if kind is not ObservationKind.symptoms}


# -- describing a type ---------------------------------------------------------------------
_PUBLISHED = ("pattern", "min_length", "max_length", "ge", "le", "gt", "lt")


def _metas(tp: Any) -> tuple[Any, list[Meta]]:
    """(the bare type, its Meta annotations), through Optional."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        parts = [a for a in get_args(tp) if a is not type(None)]
        return _metas(parts[0]) if len(parts) == 1 else (tp, [])
    if origin is Annotated:
        base, *extra = get_args(tp)
        inner, metas = _metas(base)
        return inner, metas + [m for m in extra if isinstance(m, Meta)]
    return tp, []


def describe(tp: Any) -> dict[str, Any]:
    """The constraints of a contract type as JSON: pattern, lengths, bounds, and for a list
    its items' constraints under ``items``."""
    base, metas = _metas(tp)
    out: dict[str, Any] = {}
    for meta in metas:
        for name in _PUBLISHED:
            value = getattr(meta, name, None)
            if value is not None:
                out[name] = value
    if get_origin(base) is list:
        (item,) = get_args(base)
        items = describe(item)
        if items:
            out["items"] = items
    return out
