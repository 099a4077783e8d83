"""Vital signs measured at home, and the alerts they open on a station's worklist."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import AlertSeverity, AlertStatus, ObservationKind, pg_enum


class Observation(SyncColumns, Base):
    """One measurement; append-only. Blood pressure keeps systolic in value, diastolic in value2."""

    __tablename__ = "observation"
    __extra_table_args__ = (Index("ix_observation_case_time", "case_id", "measured_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("f0_case.id"), nullable=False)
    kind: Mapped[ObservationKind] = mapped_column(
        pg_enum(ObservationKind, "observation_kind"), nullable=False
    )
    loinc: Mapped[str] = mapped_column(String(16), nullable=False)
    value: Mapped[float | None] = mapped_column(Float)
    value2: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    symptoms: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), nullable=False, server_default=text("'{}'")
    )
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    measured_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    device_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class Alert(SyncColumns, Base):
    """One per episode: opened by the first reading past a threshold, escalated by worse ones.

    The partial unique index allows a single unresolved alert per case, so concurrent low
    readings cannot open two.
    """

    __tablename__ = "alert"
    __extra_table_args__ = (
        Index(
            "uq_alert_one_open_per_case", "case_id", unique=True,
            postgresql_where=text("status <> 'resolved'"),
        ),
        Index("ix_alert_station_status", "station_id", "status"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("f0_case.id"), nullable=False)
    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("station.id"), nullable=False)
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("care_team.id"))
    severity: Mapped[AlertSeverity] = mapped_column(
        pg_enum(AlertSeverity, "alert_severity"), nullable=False
    )
    status: Mapped[AlertStatus] = mapped_column(
        pg_enum(AlertStatus, "alert_status"), nullable=False, server_default="open"
    )
    reasons: Mapped[list[str]] = mapped_column(
        ARRAY(String(80)), nullable=False, server_default=text("'{}'")
    )
    observation_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    opened_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    resolution_note: Mapped[str | None] = mapped_column(String(255))
