"""Inspections of a commune by a level above it, and what follows from them.

An inspection is scoped to the *inspected* commune (its ``scope_path``), so the commune reads
it, its tablets pull it, and its siblings see nothing; the inspecting unit reads it because
the commune lies below it. What the inspection decides goes through the existing workflows,
linked back here: each correction is a directive to the commune (``inspection_correction``
names it), each resource adjustment a requisition for one of its stations
(``inspection_adjustment`` names it), and commendations or disciplinary notes
(``inspection_merit``) name the unit or the person.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import pg_enum

# The checklist of a "fortress" (each commune a fortress), in the order inspectors read it.
CHECKLIST = ("plan_ready", "steering_committee", "community_teams_active", "stations_staffed",
             "stations_supplied", "connected")


class AdjustmentKind(enum.StrEnum):
    """``requisition``: a request for the station goes up the usual chain to be approved;
    ``transfer``: the inspecting level sends the goods from its own warehouse now."""

    requisition = "requisition"
    transfer = "transfer"


class MeritKind(enum.StrEnum):
    commendation = "commendation"  # khen thưởng
    discipline = "discipline"  # kỷ luật


def _flag() -> Mapped[bool]:
    return mapped_column(Boolean, nullable=False, server_default=text("false"))


class Inspection(SyncColumns, Base):
    """One inspection visit of a commune; scoped to the inspected commune."""

    __tablename__ = "inspection"

    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    unit_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code"), nullable=False, index=True
    )
    inspector_unit_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code"), nullable=False
    )
    inspected_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    inspected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    plan_ready: Mapped[bool] = _flag()
    steering_committee: Mapped[bool] = _flag()
    community_teams_active: Mapped[bool] = _flag()
    stations_staffed: Mapped[bool] = _flag()
    stations_supplied: Mapped[bool] = _flag()
    connected: Mapped[bool] = _flag()
    findings: Mapped[str] = mapped_column(Text, nullable=False)


class InspectionCorrection(SyncColumns, Base):
    """A correction the inspection ordered: the directive (and the commune's copy of it) that
    carries it, so the commune acts on it offline through the directive flow."""

    __tablename__ = "inspection_correction"
    __extra_table_args__ = (UniqueConstraint("directive_id"),)

    inspection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspection.id"), nullable=False, index=True
    )
    directive_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directive.id"), nullable=False)
    recipient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directive_recipient.id"), nullable=False
    )


class InspectionAdjustment(SyncColumns, Base):
    """A resource adjustment the inspection decided: the requisition that carries it."""

    __tablename__ = "inspection_adjustment"
    __extra_table_args__ = (UniqueConstraint("requisition_id"),)

    inspection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspection.id"), nullable=False, index=True
    )
    kind: Mapped[AdjustmentKind] = mapped_column(
        pg_enum(AdjustmentKind, "adjustment_kind"), nullable=False
    )
    requisition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requisition.id"), nullable=False
    )


class InspectionMerit(SyncColumns, Base):
    """A commendation or a disciplinary note following an inspection, for the unit or one
    person of it (a user, or someone without a login named in ``person_name``)."""

    __tablename__ = "inspection_merit"
    __extra_table_args__ = (
        CheckConstraint("user_id IS NULL OR person_name IS NULL", name="one_person"),
    )

    inspection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspection.id"), nullable=False, index=True
    )
    kind: Mapped[MeritKind] = mapped_column(pg_enum(MeritKind, "merit_kind"), nullable=False)
    unit_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    person_name: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    decided_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
