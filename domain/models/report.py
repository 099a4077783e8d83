"""Daily situation reports: each unit reports its day to the level above (issue 15).

One report per unit and day. A draft is edited (online or on a tablet); submitting it freezes
it: the figures are snapshotted into ``figures`` and nothing changes afterwards. A commune's
figures come from its live data; a district's or province's from the submitted reports of the
units below it (domain/services/reports.py).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import pg_enum

REPORT_NAMESPACE = uuid.UUID("0d3b8f52-4c1e-4a8e-9f3d-15b2c7a9e061")


class ReportStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"


def report_id(unit_code: str, report_date: date) -> uuid.UUID:
    """The one id of a unit's report of a day, so two tablets of a ward that open the same
    day's draft offline write the same row (and merge) instead of colliding."""
    return uuid.uuid5(REPORT_NAMESPACE, f"situation_report:{unit_code}:{report_date.isoformat()}")


class SituationReport(SyncColumns, Base):
    __tablename__ = "situation_report"
    __extra_table_args__ = (UniqueConstraint("unit_code", "report_date"),)

    unit_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), nullable=False)
    report_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    status: Mapped[ReportStatus] = mapped_column(
        pg_enum(ReportStatus, "report_status"), nullable=False, server_default="draft"
    )
    notes: Mapped[str | None] = mapped_column(Text)
    # The figures as they stood when the report was submitted; None while it is a draft.
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
