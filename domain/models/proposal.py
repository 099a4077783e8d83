"""Proposals a unit sends to the level above (more staff, a new station, oxygen, support),
which that level accepts with a note or declines with a reason (issue 15).

A supply need is not decided here: it becomes a requisition through the requisition service
(the one path for supplies), and the proposal keeps its id.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import pg_enum


class ProposalKind(enum.StrEnum):
    staff = "staff"
    station = "station"
    oxygen = "oxygen"
    support = "support"
    supplies = "supplies"


class ProposalStatus(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    requisitioned = "requisitioned"  # a supply need, handed to the requisition workflow


class Proposal(SyncColumns, Base):
    """``scope_path`` is the proposing unit's, so the proposer and every level above read it
    and siblings do not; ``to_unit_code`` is the parent that decides."""

    __tablename__ = "proposal"

    unit_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), nullable=False)
    to_unit_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code"), nullable=False, index=True
    )
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("situation_report.id"))
    kind: Mapped[ProposalKind] = mapped_column(pg_enum(ProposalKind, "proposal_kind"),
                                               nullable=False)
    title: Mapped[str] = mapped_column(String(160), nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[ProposalStatus] = mapped_column(
        pg_enum(ProposalStatus, "proposal_status"), nullable=False, server_default="pending",
        index=True,
    )
    proposed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    decision_note: Mapped[str | None] = mapped_column(String(1000))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requisition_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("requisition.id"))
