"""Directives down the chain of command: what a unit orders, and each addressed unit's copy.

A directive is issued by one unit (``directive``, scoped to the issuer) and addressed to units
below it; each addressed unit gets its own ``directive_recipient`` row, scoped to *that* unit,
which carries a copy of what was ordered. The copy is what makes the directive reach a ward's
tablets by the ordinary pull (a device pulls the rows of its own commune, never the issuer's),
and it is where the addressed unit answers: acknowledgement, progress, completion. Reminders
(urging an overdue unit) are recorded one row each, scoped to the urged unit, so they travel
to its tablets too.

The chain-coverage view counts "acknowledged the latest directive" per commune from
``directive_recipient`` alone: ``unit_code``, ``issued_at`` and ``acknowledged_at`` are on the
row, so that count needs no join.
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
    Integer,
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


class DirectivePriority(enum.StrEnum):
    normal = "normal"
    urgent = "urgent"
    immediate = "immediate"  # "hỏa tốc": act on receipt


class DirectiveStatus(enum.StrEnum):
    """Where an addressed unit stands; forward only (domain/rules/directive_status.py).

    "Overdue" is not a state: it is any state short of ``done`` past the due time.
    """

    unread = "unread"
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    done = "done"


class Directive(SyncColumns, Base):
    """What a unit ordered, as its issuer sees it. Scoped to the issuing unit."""

    __tablename__ = "directive"

    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    issuer_unit_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code"), nullable=False, index=True
    )
    issued_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    issued_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    priority: Mapped[DirectivePriority] = mapped_column(
        pg_enum(DirectivePriority, "directive_priority"), nullable=False,
        server_default="normal",
    )
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    report_required: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )


class DirectiveRecipient(SyncColumns, Base):
    """One addressed unit's copy of a directive and its answer. Scoped to the addressed unit.

    The directive's content is copied in (never edited afterwards: a directive is not
    amended, a new one is issued), so a tablet has everything it acts on offline.
    """

    __tablename__ = "directive_recipient"
    __extra_table_args__ = (
        UniqueConstraint("directive_id", "unit_code"),
        CheckConstraint("progress_pct BETWEEN 0 AND 100", name="progress_range"),
        CheckConstraint("reminder_count >= 0", name="reminders"),
    )

    directive_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directive.id"), nullable=False, index=True
    )
    unit_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code"), nullable=False, index=True
    )
    # Copied from the directive when it is issued.
    issuer_unit_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), nullable=False)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    priority: Mapped[DirectivePriority] = mapped_column(
        pg_enum(DirectivePriority, "directive_priority"), nullable=False
    )
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    report_required: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # The addressed unit's answer.
    status: Mapped[DirectiveStatus] = mapped_column(
        pg_enum(DirectiveStatus, "directive_status"), nullable=False, server_default="unread",
        index=True,
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    progress_pct: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    progress_note: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    completion_report: Mapped[str | None] = mapped_column(Text)
    # Kept by the issuer's reminders (directive_reminder holds each one).
    reminder_count: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    last_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DirectiveReminder(SyncColumns, Base):
    """The issuer urging one addressed unit; recorded once, scoped to the urged unit."""

    __tablename__ = "directive_reminder"

    recipient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directive_recipient.id"), nullable=False, index=True
    )
    directive_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directive.id"), nullable=False)
    unit_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), nullable=False)
    sent_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    sent_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    message: Mapped[str | None] = mapped_column(String(500))
