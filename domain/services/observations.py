"""Observations and the alert rules they trigger.

What a valid reading is, and when its case takes it (scope, care, a closed case, a replayed
id), is domain.rules.readings, which the sync push calls too. A reading past a threshold (domain.rules.vitals.assess) opens an alert on the worklist of the
case's station and team, or escalates the unresolved one: one alert per episode, not one per
reading. It also moves a case in home monitoring to "needs attention" (a system move, made in
the name of whoever measured). Readings of a case that left home care are still accepted when
they were measured before it left (an offline tablet syncing late), but open no alert.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import NotFound
from domain.models.enums import AlertSeverity, AlertStatus, CaseStatus, ObservationKind
from domain.models.observation import Alert, Observation
from domain.repositories.alerts import AlertRepository
from domain.repositories.cases import CaseRepository
from domain.repositories.observations import ObservationRepository, reading_of
from domain.rules.case_status import OPEN_STATUSES
from domain.rules.readings import Admission, admit_reading, validate_reading
from domain.rules.vitals import Finding
from domain.services.cases import set_status
from domain.settings import VitalThresholds

SEVERITY_RANK = {AlertSeverity.attention: 0, AlertSeverity.emergency: 1}

class ObservationService:
    """The readings the principal records and reads, in their session (API and sync push)."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def record(
        self, *, observation_id: uuid.UUID, case_id: uuid.UUID, kind: ObservationKind,
        value: float | None, value2: float | None = None, symptoms: list[str] | None = None,
        measured_at: datetime, measured_by: uuid.UUID | None, device_id: uuid.UUID | None = None,
        loinc: str | None = None, thresholds: VitalThresholds,
    ) -> Observation:
        """Validate and store a reading (domain.rules.readings), then open or escalate the case's
        alert episode.

        The same ``observation_id`` again with the same content returns the stored reading; with
        other content (another case, value, time, LOINC or author) it raises Immutable
        (``field="id"``), as the sync push answers ``immutable``.
        """
        reading = validate_reading(
            reading_id=observation_id, case_id=case_id, kind=kind, value=value, value2=value2,
            symptoms=symptoms, measured_at=measured_at, measured_by=measured_by, loinc=loinc)
        case = (await CaseRepository(self.session).snapshots([case_id])).get(case_id)
        repo = ObservationRepository(self.session)
        existing = await repo.get(observation_id)
        stored = reading_of(existing) if existing is not None else None
        if admit_reading(self.principal, reading, case, stored) is Admission.replay:
            assert existing is not None
            return existing
        assert case is not None
        observation = await repo.add(Observation(
            id=reading.id, case_id=reading.case_id, scope_path=case.scope_path, kind=reading.kind,
            loinc=reading.loinc, value=reading.value, value2=reading.value2, unit=reading.unit,
            symptoms=list(reading.symptoms), measured_at=reading.measured_at,
            measured_by=reading.measured_by, device_id=device_id,
        ))
        finding = reading.finding(thresholds)
        if finding is not None:
            await self._raise_alert(case_id, observation, finding)
        return observation

    async def _raise_alert(
        self, case_id: uuid.UUID, observation: Observation, finding: Finding,
    ) -> None:
        # The case row lock queues concurrent readings of one case; the partial unique index
        # behind open_episode would still refuse a second open alert without it.
        case = await CaseRepository(self.session).get_for_update(case_id)
        if case is None or case.status not in OPEN_STATUSES:
            return
        alerts = AlertRepository(self.session)
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
            await set_status(self.session, case, CaseStatus.needs_attention,
                             actor=self.principal.user_id, reason=finding.reason)
        await self.session.flush()

    async def case_after_reading(self, case_id: uuid.UUID) -> tuple[CaseStatus, Alert | None]:
        """Where a reading left its case (the caller just recorded it, so it is in scope)."""
        view = await CaseRepository(self.session).get(case_id)
        if view is None:
            raise NotFound("case not found", field="case_id")
        alert = await AlertRepository(self.session).unresolved_for_case(case_id, for_update=False)
        return view.case.status, alert

    async def search(
        self, case_id: uuid.UUID, *, kind: ObservationKind | None = None,
        since: datetime | None = None, until: datetime | None = None, limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Observation], int]:
        view = await CaseRepository(self.session).get(case_id)
        if view is None or not self.principal.can_read(view.case.scope_path):
            raise NotFound("case not found", field="case_id")
        return await ObservationRepository(self.session).page(
            case_id, kind=kind, since=since, until=until, limit=limit, offset=offset
        )
