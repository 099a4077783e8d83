"""Alerts on a station's worklist: open -> acknowledged -> resolved (domain.rules.alert_status),
with who and when.

Those who care for the patient handle the alert (domain.services.cases.require_care: the
ward's field roles at the case's station, the patient's own care team, district doctors).
Everyone in scope reads alerts, so a district or the city watches its wards' worklists.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import NotFound
from domain.models.enums import AlertSeverity, AlertStatus
from domain.models.observation import Alert
from domain.repositories.alerts import AlertFilter, AlertRepository
from domain.rules.alert_status import ALERT_STATUS
from domain.services.cases import require_care
from domain.services.stations import StationService


class AlertService:
    """The alerts the principal reads and handles, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = AlertRepository(session)

    async def get(self, alert_id: uuid.UUID) -> Alert:
        alert = await self.repo.get(alert_id)
        if alert is None or not self.principal.can_read(alert.scope_path):
            raise NotFound("alert not found", field="alert_id")
        return alert

    async def search(
        self, *, district: str | None = None, commune: str | None = None,
        status: AlertStatus | None = None, unresolved: bool = False,
        severity: AlertSeverity | None = None, station_id: uuid.UUID | None = None,
        team_id: uuid.UUID | None = None, case_id: uuid.UUID | None = None, limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Alert], int]:
        """A worklist: unresolved first, emergencies first, newest first."""
        units = await StationService(self.session, self.principal).unit_paths(
            district=district, commune=commune
        )
        f = AlertFilter(units=units, status=status, unresolved=unresolved, severity=severity,
                        station_id=station_id, team_id=team_id, case_id=case_id)
        return await self.repo.page(f, limit=limit, offset=offset)

    async def _for_change(self, alert_id: uuid.UUID) -> Alert:
        alert = await self.repo.get(alert_id, for_update=True)
        if alert is None or not self.principal.can_read(alert.scope_path):
            raise NotFound("alert not found", field="alert_id")
        require_care(self.principal, scope_path=alert.scope_path, station_id=alert.station_id,
                     team_id=alert.team_id, what="alert")
        return alert

    async def acknowledge(self, alert_id: uuid.UUID) -> Alert:
        """Someone has seen the alert and is on it."""
        principal = self.principal
        alert = await self._for_change(alert_id)
        ALERT_STATUS.check(alert.status, AlertStatus.acknowledged, principal.role)
        alert.status = AlertStatus.acknowledged
        alert.acknowledged_at = datetime.now(UTC)
        alert.acknowledged_by = principal.user_id
        await self.session.flush()
        return alert

    async def resolve(self, alert_id: uuid.UUID, note: str | None = None) -> Alert:
        """Close the episode; the next reading past a threshold opens a new alert."""
        principal = self.principal
        alert = await self._for_change(alert_id)
        ALERT_STATUS.check(alert.status, AlertStatus.resolved, principal.role)
        alert.status = AlertStatus.resolved
        alert.resolved_at = datetime.now(UTC)
        alert.resolved_by = principal.user_id
        alert.resolution_note = note
        await self.session.flush()
        return alert

    async def resolve_for_deleted_case(self, case_id: uuid.UUID) -> Alert | None:
        """A deleted case leaves nothing on the worklist or the map: its unresolved alert is
        resolved by whoever deleted the case (the caller has checked they may)."""
        alert = await self.repo.unresolved_for_case(case_id)
        if alert is None:
            return None
        alert.status = AlertStatus.resolved
        alert.resolved_at = datetime.now(UTC)
        alert.resolved_by = self.principal.user_id
        alert.resolution_note = "case deleted"
        await self.session.flush()
        return alert
