"""Observations and the alert rules they trigger.

A reading past a threshold (domain.rules.vitals.assess) opens an alert on the worklist of the
case's station and team, or escalates the unresolved one: one alert per episode, not one per
reading. It also moves a case in home monitoring to "needs attention" (a system move, made in
the name of whoever measured). Readings of a case that left home care are still accepted when
they were measured before it left (an offline tablet syncing late), but open no alert.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.models.enums import AlertSeverity, AlertStatus, CaseStatus, ObservationKind
from domain.models.observation import Alert, Observation
from domain.repositories.alerts import AlertRepository
from domain.repositories.cases import CaseRepository
from domain.repositories.observations import ObservationRepository
from domain.rules.case_status import OPEN_STATUSES
from domain.rules.vitals import ACCEPTED_LOINC, LOINC, RANGES, UNITS, Finding, assess
from domain.services.cases import CLOCK_TOLERANCE, require_care, set_status
from domain.settings import VitalThresholds

SEVERITY_RANK = {AlertSeverity.attention: 0, AlertSeverity.emergency: 1}
K = ObservationKind


def _check_values(
    kind: ObservationKind, value: float | None, value2: float | None, symptoms: list[str]
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
        if value2 is None or not low / 2 <= value2 < value:
            raise ValidationFailed("diastolic pressure goes in value2, below the systolic",
                                   field="value2")
    elif value2 is not None:
        raise ValidationFailed(f"a {kind.value} observation has a single value", field="value2")


async def record_observation(
    session: AsyncSession, principal: Principal, *, observation_id: uuid.UUID,
    case_id: uuid.UUID, kind: ObservationKind, value: float | None, value2: float | None = None,
    symptoms: list[str] | None = None, measured_at: datetime, measured_by: uuid.UUID | None,
    device_id: uuid.UUID | None = None, loinc: str | None = None, thresholds: VitalThresholds,
) -> Observation:
    """Validate and store a reading, then open or escalate the case's alert episode.

    Replaying the same ``observation_id`` for the same case returns the stored reading.
    """
    symptoms = sorted(set(symptoms or []))
    _check_values(kind, value, value2, symptoms)
    loinc = loinc or LOINC[kind]
    if loinc not in ACCEPTED_LOINC[kind]:
        raise ValidationFailed(f"LOINC {loinc} does not code {kind.value}", field="loinc")
    if measured_at.tzinfo is None:
        raise ValidationFailed("measured_at needs a time zone", field="measured_at")
    if measured_at > datetime.now(UTC) + CLOCK_TOLERANCE:
        raise ValidationFailed("measured_at is in the future", field="measured_at")

    view = await CaseRepository(session).get(case_id)
    if view is None or not principal.can_read(view.case.scope_path):
        raise NotFound("case not found", field="case_id")
    case = view.case
    require_care(principal, scope_path=case.scope_path, station_id=case.station_id,
                 team_id=case.team_id)
    repo = ObservationRepository(session)
    existing = await repo.get(observation_id)
    if existing is not None:
        if existing.case_id != case_id:
            raise Conflict("this observation id belongs to another case", field="id")
        return existing
    if case.status not in OPEN_STATUSES and measured_at > case.status_changed_at:
        raise Conflict(f"the case is {case.status.value} since {case.status_changed_at:%Y-%m-%d}",
                       field="case_id")
    observation = await repo.add(Observation(
        id=observation_id, case_id=case.id, scope_path=case.scope_path, kind=kind, loinc=loinc,
        value=value, value2=value2, unit=UNITS[kind], symptoms=symptoms,
        measured_at=measured_at, measured_by=measured_by, device_id=device_id,
    ))
    finding = assess(kind, value, value2, symptoms, thresholds)
    if finding is not None:
        await _raise_alert(session, principal, case_id, observation, finding)
    return observation


async def _raise_alert(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, observation: Observation,
    finding: Finding,
) -> None:
    # The case row lock queues concurrent readings of one case; the partial unique index
    # behind open_episode would still refuse a second open alert without it.
    case = await CaseRepository(session).get_for_update(case_id)
    if case is None or case.status not in OPEN_STATUSES:
        return
    alerts = AlertRepository(session)
    opened = await alerts.open_episode({
        "case_id": case.id, "station_id": case.station_id, "team_id": case.team_id,
        "scope_path": case.scope_path, "severity": finding.severity,
        "reasons": [finding.reason], "observation_id": observation.id,
    })
    if opened is None:
        alert = await alerts.unresolved_for_case(case.id)
        if alert is not None and SEVERITY_RANK[finding.severity] > SEVERITY_RANK[alert.severity]:
            # A worse reading escalates the episode and puts it back on top of the worklist.
            alert.severity = finding.severity
            alert.reasons = [*alert.reasons, finding.reason]
            alert.observation_id = observation.id
            alert.status = AlertStatus.open
            alert.acknowledged_at = alert.acknowledged_by = None
    if case.status is CaseStatus.home_monitoring:
        await set_status(session, case, CaseStatus.needs_attention, actor=principal.user_id,
                         reason=finding.reason)
    await session.flush()


async def case_after_reading(
    session: AsyncSession, case_id: uuid.UUID
) -> tuple[CaseStatus, Alert | None]:
    """Where a reading left its case (the caller just recorded it, so it is in scope)."""
    view = await CaseRepository(session).get(case_id)
    if view is None:
        raise NotFound("case not found", field="case_id")
    alert = await AlertRepository(session).unresolved_for_case(case_id, for_update=False)
    return view.case.status, alert


async def list_observations(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *,
    kind: ObservationKind | None = None, since: datetime | None = None,
    until: datetime | None = None, limit: int = 100, offset: int = 0,
) -> tuple[list[Observation], int]:
    view = await CaseRepository(session).get(case_id)
    if view is None or not principal.can_read(view.case.scope_path):
        raise NotFound("case not found", field="case_id")
    return await ObservationRepository(session).page(
        case_id, kind=kind, since=since, until=until, limit=limit, offset=offset
    )
