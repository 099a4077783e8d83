"""The synced entities: one spec each, with the domain services that apply their pushes.

Adding an entity here changes every device's scope fingerprint, so devices reset once and
bootstrap the new entity's existing rows (sync/cursor.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.contract import ALERT_FIELDS, CASE_FIELDS, STATION_FIELDS, reading_ranges
from domain.errors import Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from domain.models.admin_unit import AdminUnit
from domain.models.case import CaseAssignment, CaseFollowUp, CaseStatusEvent, F0Case
from domain.models.enums import AlertStatus, CaseStatus
from domain.models.observation import Alert, Observation
from domain.models.station import CareTeam, Station
from domain.models.user import User
from domain.repositories.cases import CaseRepository
from domain.repositories.stations import StationRepository
from domain.rules.alert_status import ALERT_STATUS
from domain.rules.followup import LOCAL_TIME, READING_INTERVAL, UNDER_CARE
from domain.rules.vitals import DIASTOLIC_RANGE
from domain.services import cases
from domain.services.alerts import AlertService
from domain.services.cases import CaseService, apply_case_edit
from domain.services.dispensing import KIND_OF_BAG, DispensingService, dispensing_id_of_bag
from domain.services.stations import StationService
from sync.apply_events import ObservationApplier
from sync.apply_records import Flagged, RecordApplier, Values
from sync.chain import CHAIN_ENTITIES
from sync.context import wire
from sync.orders import ORDER_ENTITIES
from sync.registry import Deletes, EntitySpec, Kind, Policy, Registry, Scope, model_fields
from sync.supplies import SUPPLY_ENTITIES

P = Policy

# -- stations ------------------------------------------------------------------------------


async def _update_station(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, changes: Values
) -> Station:
    return await StationService(session, principal).edit(row_id, changes)


STATION = EntitySpec(
    name="station",
    model=Station,
    kind=Kind.record,
    scope=Scope.district,
    description=(
        "Mobile health stations of the device's district. Devices edit their own station's "
        "details (last writer wins per field); its status follows the station status flow."
    ),
    fields=model_fields(Station, {
        P.read_only: ("code", "commune_code"),
        P.lww: ("name", "address", "phone", "opening_hours", "capacity", "doctors", "nurses",
                "volunteers", "position"),
        P.state_machine: ("status",),
    }, contract=STATION_FIELDS),
    applier=RecordApplier(update=_update_station),
)

# -- F0 cases ------------------------------------------------------------------------------

BAGS = {"bag_a_given_at": cases.MedicineBag.A, "bag_b_given_at": cases.MedicineBag.B,
        "bag_c_given_at": cases.MedicineBag.C}


async def _create_case(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, values: Values
) -> Flagged | None:
    station = await StationRepository(session).row(values["station_id"])
    if station is not None and station.scope_path != principal.unit_path:
        raise Forbidden("the station belongs to another unit", field="station_id")
    person = dict(values)
    status = person.pop("status", None)
    effective_at = person.pop("status_effective_at", None)
    bags = {name: person.pop(name) for name in (*BAGS, "bag_b_ordered_by") if name in person}
    # ``id`` rides along with the person's fields into the F0Case the service builds. The
    # same person already a case is kept and flagged, never refused: the tablet cannot ask.
    case = await CaseService(session, principal).enrol(
        station_id=person.pop("station_id"),
        case_code=person.pop("case_code", None), home_position=person.pop("home_position", None),
        flag_duplicate=True, id=row_id, **person,
    )
    targets = dict(bags)
    if status is not None and status is not CaseStatus.home_monitoring:
        targets["status"] = status
        if effective_at is not None:
            targets["status_effective_at"] = effective_at
    await _case_transition(session, principal, row_id, targets)
    original = case.possible_duplicate_of
    if original is None:
        return None
    return Flagged(
        field="possible_duplicate_of", policy="duplicate", kept_value=str(original),
        code="possible_duplicate",
        message=f"kept and flagged: the same person as case {original} (same national id, "
                "or same phone, name and year of birth); the ward settles it at POST "
                f"/api/cases/{row_id}/duplicate-review")


async def _update_case(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, changes: Values
) -> F0Case:
    return await CaseService(session, principal).edit(row_id, changes)


async def _case_transition(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, targets: Values
) -> None:
    """Bags before the status: a bag is given while the case is still in home care. The
    move takes effect at ``status_effective_at`` when the device sent one."""
    targets = dict(targets)
    effective_at = targets.pop("status_effective_at", None)
    if targets.pop("registered_at", None) is not None:
        raise ValidationFailed("registered_at is given when the case is created",
                               field="registered_at")
    if effective_at is not None and "status" not in targets:
        raise ValidationFailed("status_effective_at goes with a status move",
                               field="status_effective_at")
    for name, target in targets.items():
        if name == "status":
            try:
                await CaseService(session, principal).change_status(row_id, target,
                                                                    effective_at=effective_at)
            except ValidationFailed as exc:  # the pushed field has the input's name
                if exc.field != "effective_at":
                    raise
                raise ValidationFailed(exc.message, field="status_effective_at") from None
        elif name == "bag_b_ordered_by":
            if target != principal.user_id:
                raise ValidationFailed("bag B is ordered by the author, a doctor",
                                       field="bag_b_ordered_by")
            await CaseService(session, principal).order_bag_b(row_id)
        else:  # a bag given is a dispensing: it takes the bag from the station's stock
            bag = BAGS[name]
            await DispensingService(session, principal).dispense(
                dispensing_id=dispensing_id_of_bag(row_id, bag), case_id=row_id,
                kind=KIND_OF_BAG[bag], given_at=target, offline=True,
                device_id=principal.device_id,
            )


async def _before_case_delete(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID
) -> None:
    """Deleting a case (entered twice, or by mistake) is for those who enrol cases; its open
    alert goes with it."""
    case = await CaseRepository(session).get_for_update(row_id)
    if case is None or not principal.can_read(case.scope_path):
        raise NotFound("case not found", field="case_id")
    cases.require_care(principal, scope_path=case.scope_path, station_id=case.station_id,
                       team_id=case.team_id)
    principal.require_role(cases.ENROL_ROLES, "delete F0 cases")
    await AlertService(session, principal).resolve_for_deleted_case(row_id)


F0_CASE = EntitySpec(
    name="f0_case",
    model=F0Case,
    kind=Kind.record,
    scope=Scope.unit,
    description=(
        "F0 patients cared for at home in the device's commune. Personal and clinical details "
        "merge per field (last writer wins); the status and the medicine bags move only as "
        "the case rules allow, a move effective at `status_effective_at` when given; the "
        "risk group is derived. The same person pushed twice is kept and flagged "
        "(`possible_duplicate_of`) for the ward's review. A delete is final."
    ),
    fields=model_fields(F0Case, {
        P.create_only: ("case_code", "station_id"),
        P.lww: ("full_name", "year_of_birth", "sex", "phone", "address", "home_position",
                "national_id", "test_date", "test_type", "comorbidities", "vaccine_doses",
                "pregnant", "notes"),
        P.state_machine: ("bag_a_given_at", "bag_b_ordered_by", "bag_b_given_at",
                          "bag_c_given_at", "status"),
        P.derived: ("risk_group",),
        P.read_only: ("commune_code", "team_id", "status_changed_at", "possible_duplicate_of"),
    }, required=("station_id", "full_name", "year_of_birth", "sex", "test_date", "test_type"),
       inputs=("status_effective_at", "registered_at"), contract=CASE_FIELDS),
    applier=RecordApplier(update=_update_case, create=_create_case,
                          transition=_case_transition,
                          before_delete=_before_case_delete,
                          edit=apply_case_edit),
    deletes=Deletes.tombstone_wins,
)

# -- observations and alerts ----------------------------------------------------------------

OBSERVATION = EntitySpec(
    name="observation",
    model=Observation,
    kind=Kind.event,
    scope=Scope.unit,
    description=(
        "Vital signs and symptoms measured at home. Append-only: a reading is recorded once "
        "and never changes; one past a threshold opens or escalates the case's alert."
    ),
    fields=model_fields(Observation, {
        P.append_only: ("case_id", "kind", "value", "value2", "symptoms", "measured_at",
                        "measured_by", "loinc"),
        P.read_only: ("unit", "recorded_at", "device_id"),
    }, required=("case_id", "kind", "measured_at")),
    applier=ObservationApplier(),
    rules={"value_ranges": reading_ranges(),
           "value2": "blood_pressure only: the diastolic, between {:g} and {:g} and below "
                     "the systolic".format(*DIASTOLIC_RANGE),
           "symptoms": "symptoms readings only, and they carry no value"},
)

def _alert_settles(name: str, pushed: Any, current: Any) -> bool:
    """An alert only moves forward: acknowledging a resolved alert is already satisfied."""
    if name == "status":
        return ALERT_STATUS.reached(AlertStatus(pushed), AlertStatus(current))
    return bool(wire(pushed) == wire(current))


async def _alert_transition(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, targets: Values
) -> None:
    status, note = targets.get("status"), targets.get("resolution_note")
    if status is AlertStatus.resolved:
        await AlertService(session, principal).resolve(row_id, note)
    elif status is None:
        raise TransitionNotAllowed("the resolution note is written when resolving the alert",
                                   field="resolution_note")
    elif note is not None:
        raise ValidationFailed("a resolution note goes with status resolved",
                               field="resolution_note")
    else:
        await AlertService(session, principal).acknowledge(row_id)


ALERT = EntitySpec(
    name="alert",
    model=Alert,
    kind=Kind.record,
    scope=Scope.unit,
    description=(
        "Alerts on the station's worklist, opened by readings. Devices acknowledge and "
        "resolve them; the status only moves forward, so concurrent handling never conflicts."
    ),
    fields=model_fields(Alert, {
        P.read_only: ("case_id", "station_id", "team_id", "severity", "reasons",
                      "observation_id", "opened_at", "acknowledged_at", "acknowledged_by",
                      "resolved_at", "resolved_by"),
        P.state_machine: ("status", "resolution_note"),
    }, contract=ALERT_FIELDS),
    applier=RecordApplier(transition=_alert_transition, settles=_alert_settles),
)

# -- reference data and history (pull only) --------------------------------------------------

ADMIN_UNIT = EntitySpec(
    name="admin_unit",
    model=AdminUnit,
    kind=Kind.reference,
    scope=Scope.lineage,
    description="Administrative units of the device's district, its communes and ancestors.",
    fields=model_fields(AdminUnit, {
        P.read_only: ("code", "level", "name", "short_name", "unit_type", "name_en",
                      "parent_code", "centroid"),
    }),
)

CARE_TEAM = EntitySpec(
    name="care_team",
    model=CareTeam,
    kind=Kind.reference,
    scope=Scope.unit,
    description="Care teams of the device's commune (managed online by the station).",
    fields=model_fields(CareTeam, {P.read_only: ("station_id", "commune_code", "name")}),
)

WARD_USER = EntitySpec(
    name="ward_user",
    model=User,
    kind=Kind.reference,
    scope=Scope.unit,
    description=(
        "The users of the device's commune, so a tablet offline from its first start can "
        "offer the authors it may name (active users of the commune). Maintained online; "
        "no login name, phone or credential travels."
    ),
    fields=model_fields(User, {P.read_only: ("full_name", "role", "active", "station_id")}),
)

CASE_STATUS_EVENT = EntitySpec(
    name="case_status_event",
    model=CaseStatusEvent,
    kind=Kind.reference,
    scope=Scope.unit,
    description=("History of case status moves, written by the server: `effective_at` when "
                 "the move happened, `changed_at` when it was recorded."),
    fields=model_fields(CaseStatusEvent, {
        P.read_only: ("case_id", "from_status", "to_status", "changed_by", "changed_at",
                      "effective_at", "reason"),
    }),
)

CASE_ASSIGNMENT = EntitySpec(
    name="case_assignment",
    model=CaseAssignment,
    kind=Kind.reference,
    scope=Scope.unit,
    description="History of which care team each case was assigned to.",
    fields=model_fields(CaseAssignment, {
        P.read_only: ("case_id", "team_id", "previous_team_id", "assigned_by", "assigned_at",
                      "reason"),
    }),
)

CASE_FOLLOWUP = EntitySpec(
    name="case_followup",
    model=CaseFollowUp,
    kind=Kind.reference,
    scope=Scope.unit,
    description=(
        "Whether each case (row_id is the case's id) is under home care and since when, kept "
        "by the server on every status move. With the case's vital-sign readings it gives "
        "when the patient is next due one; the device judges \"overdue now\" with its own "
        "clock (sync/PROTOCOL.md, case_followup)."
    ),
    fields=model_fields(CaseFollowUp, {
        P.read_only: ("case_id", "under_care", "care_since"),
    }),
    rules={"reading_interval_s": int(READING_INTERVAL.total_seconds()),
           "under_care_statuses": sorted(s.value for s in UNDER_CARE),
           "vital_sign_kinds": "every observation kind but symptoms",
           "next_due_at": "max(latest measured_at of the case's vital-sign readings, "
                          "care_since) + reading_interval_s",
           "overdue": "under_care and now >= next_due_at",
           "readings_today_time_zone": LOCAL_TIME.key},
)

REGISTRY = Registry([
    ADMIN_UNIT, STATION, CARE_TEAM, WARD_USER, F0_CASE, CASE_STATUS_EVENT, CASE_ASSIGNMENT,
    OBSERVATION, ALERT, CASE_FOLLOWUP, *SUPPLY_ENTITIES, *ORDER_ENTITIES, *CHAIN_ENTITIES,
])
