"""Alerts on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.paging import Page, page_schema
from domain.contract import Note
from domain.models.enums import AlertSeverity, AlertStatus
from domain.models.observation import Alert as AlertRow


class AlertResolution(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Note | None = None


class Alert(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    case_id: uuid.UUID
    station_id: uuid.UUID
    team_id: uuid.UUID | None
    path: str
    severity: AlertSeverity
    status: AlertStatus
    reasons: list[str]
    observation_id: uuid.UUID | None
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
    resolved_at: datetime | None
    resolved_by: uuid.UUID | None
    resolution_note: str | None

    @classmethod
    def of(cls, a: AlertRow) -> Alert:
        return cls(
            id=a.id, case_id=a.case_id, station_id=a.station_id, team_id=a.team_id,
            path=a.scope_path, severity=a.severity, status=a.status, reasons=list(a.reasons),
            observation_id=a.observation_id, opened_at=a.opened_at,
            acknowledged_at=a.acknowledged_at, acknowledged_by=a.acknowledged_by,
            resolved_at=a.resolved_at, resolved_by=a.resolved_by,
            resolution_note=a.resolution_note,
        )


AlertPage = Annotated[Page[Alert], page_schema("AlertPage")]
