"""The reading rules (domain.rules.readings) without a database: what a valid reading is, and
whether its case takes it. The API and the sync push both call them; tests/sync/test_contract.py
sends the same readings through both edges."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.authz import Principal
from domain.errors import (
    Conflict,
    Deleted,
    DomainError,
    Forbidden,
    Immutable,
    NotFound,
    ValidationFailed,
)
from domain.models.enums import CaseStatus, ObservationKind, Role
from domain.rules.readings import Admission, CaseSnapshot, admit_reading, validate_reading
from domain.settings import VitalThresholds
from sync.apply_events import _pushed
from sync.codec import Item
from sync.entities import OBSERVATION
from sync.wire import Mutation

K = ObservationKind
WARD = "VN.79.760.26734"
STATION = uuid.uuid4()
NOW = datetime(2021, 8, 5, 8, 30, tzinfo=UTC)
STAFF = Principal(user_id=uuid.uuid4(), username="staff", role=Role.station_staff,
                  unit_code="26734", unit_path=WARD, station_id=STATION)
CASE = CaseSnapshot(id=uuid.uuid4(), scope_path=WARD, station_id=STATION, team_id=None,
                    status=CaseStatus.home_monitoring, status_changed_at=NOW - timedelta(days=3),
                    deleted=False)


def reading(**over: Any) -> Any:
    values: dict[str, Any] = {"reading_id": uuid.UUID(int=1), "case_id": CASE.id,
                              "kind": K.spo2, "value": 97, "measured_at": NOW,
                              "measured_by": STAFF.user_id, "now": NOW, **over}
    return validate_reading(**values)


@pytest.mark.parametrize(("over", "field"), [
    ({"value": 49}, "value"),
    ({"value": None}, "value"),
    ({"value2": 60}, "value2"),
    ({"symptoms": ["cough"]}, "symptoms"),
    ({"kind": K.symptoms, "symptoms": ["cough"]}, "value"),
    ({"kind": K.blood_pressure, "value": 120}, "value2"),
    ({"kind": K.blood_pressure, "value": 120, "value2": 125}, "value2"),
    ({"kind": K.blood_pressure, "value": 290, "value2": 250}, "value2"),
    ({"kind": K.blood_pressure, "value": 120, "value2": 19}, "value2"),
    ({"loinc": "8867-4"}, "loinc"),
    ({"measured_at": datetime(2021, 8, 5, 8, 30)}, "measured_at"),
    ({"measured_at": NOW + timedelta(minutes=6)}, "measured_at"),
])
def test_an_invalid_reading_is_refused_naming_the_field(over: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        reading(**over)
    assert refused.value.field == field


def test_a_valid_reading_is_stored_in_its_canonical_form() -> None:
    r = reading(measured_at=NOW.astimezone(timezone(timedelta(hours=7))))
    assert (r.value, r.loinc, r.unit, r.measured_at.tzinfo) == (97.0, "59408-5", "%", UTC)
    s = reading(kind=K.symptoms, value=None, symptoms=["dyspnea", "cough", "cough"])
    assert s.symptoms == ("cough", "dyspnea") and s.finding(VitalThresholds()) is not None
    assert reading(loinc="2708-6").loinc == "2708-6"  # arterial saturation codes SpO2 too
    assert reading(measured_at=NOW + timedelta(minutes=4)).measured_at > NOW  # clock grace


def test_admitting_a_reading_against_its_case() -> None:
    r = reading()
    assert admit_reading(STAFF, r, CASE, None) is Admission.record
    assert admit_reading(STAFF, r, CASE, r) is Admission.replay
    refusals: list[tuple[Any, type[DomainError], str | None]] = [
        ((STAFF, r, None, None), NotFound, "case_id"),
        ((STAFF, r, replace(CASE, scope_path="VN.79.760.26737"), None), NotFound, "case_id"),
        ((STAFF, r, replace(CASE, deleted=True), None), Deleted, "case_id"),
        ((STAFF, r, replace(CASE, station_id=uuid.uuid4()), None), Forbidden, None),
        ((STAFF, r, CASE, replace(r, value=96.0)), Immutable, "id"),
        ((STAFF, r, CASE, replace(r, case_id=uuid.uuid4())), Immutable, "id"),
        ((STAFF, r, CASE, replace(r, measured_by=None)), Immutable, "id"),
        ((STAFF, r, replace(CASE, status=CaseStatus.recovered, status_changed_at=NOW
                            - timedelta(minutes=1)), None), Conflict, "case_id"),
    ]
    for args, error, field in refusals:
        with pytest.raises(error) as refused:
            admit_reading(*args)
        assert type(refused.value) is error and refused.value.field == field, args
    closed = replace(CASE, status=CaseStatus.recovered, status_changed_at=NOW + timedelta(1))
    assert admit_reading(STAFF, r, closed, None) is Admission.record  # measured before
    with pytest.raises(Forbidden):  # a device of another ward
        admit_reading(STAFF, r, CASE, None, unit_path="VN.79.760.26737")


def test_a_pushed_reading_is_judged_by_the_same_rules() -> None:
    def item(measured_at: datetime) -> Item:
        values = {"case_id": uuid.uuid4(), "kind": "spo2", "value": 97.0,
                  "measured_at": measured_at}
        m = Mutation(id=uuid.uuid4(), entity="observation", row_id=uuid.uuid4(), op="upsert",
                     hlc="001700000000000-00000", author_id=uuid.uuid4(), fields={})
        return Item(0, m, OBSERVATION, values, content="")

    with pytest.raises(ValidationFailed) as refused:
        _pushed(item(datetime(2021, 8, 5, 8, 30)), VitalThresholds())
    assert refused.value.field == "measured_at"
    pushed = _pushed(item(NOW), VitalThresholds())
    assert pushed.reading.measured_at == NOW and not pushed.alerts
