"""Readiness of each "fortress" (issue 15): a commune's response plan per epidemic level,
what it has ready, and the level each unit is currently at.

The four levels are those of Resolution 128/NQ-CP (11 October 2021): 1 low (green),
2 medium (yellow), 3 high (orange), 4 very high (red). A commune writes what each level needs
and what it has ready (online or on a tablet); the level above sets its current level
(domain/services/readiness.py). Plan rows have ids derived from (commune, level), so tablets
that write a plan offline converge on the same rows.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns

READINESS_NAMESPACE = uuid.UUID("7c2e9a14-3b5d-4f60-8e1a-9d4c2b6f0a37")
# The resources a plan counts, in the order they are shown.
RESOURCES = ("staff", "stations", "home_beds", "oxygen", "teams")


class EpidemicLevel(enum.IntEnum):
    low = 1  # green: new normal
    medium = 2  # yellow
    high = 3  # orange
    very_high = 4  # red

    @property
    def colour(self) -> str:
        return ("green", "yellow", "orange", "red")[self.value - 1]


def readiness_need_id(commune_code: str, level: int) -> uuid.UUID:
    """The id of a commune's plan row for one level (the same on every device)."""
    return uuid.uuid5(READINESS_NAMESPACE, f"readiness_need:{commune_code}:{level}")


def readiness_resources_id(commune_code: str) -> uuid.UUID:
    """The id of a commune's row of resources ready (the same on every device)."""
    return uuid.uuid5(READINESS_NAMESPACE, f"readiness_resources:{commune_code}")


_COUNTS = " AND ".join(f"{r} >= 0" for r in RESOURCES)


class _Counts:
    staff: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    stations: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    home_beds: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    oxygen: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    teams: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class ReadinessNeed(_Counts, SyncColumns, Base):
    """What the commune's plan says it needs at one epidemic level."""

    __tablename__ = "readiness_need"
    __extra_table_args__ = (
        UniqueConstraint("commune_code", "level"),
        CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        CheckConstraint(_COUNTS, name="counts"),
    )

    commune_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), nullable=False)
    level: Mapped[int] = mapped_column(SmallInteger, nullable=False)


class ReadinessResources(_Counts, SyncColumns, Base):
    """What the commune has ready now, against every level's needs."""

    __tablename__ = "readiness_resources"
    __extra_table_args__ = (CheckConstraint(_COUNTS, name="counts"),)

    commune_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code"), nullable=False, unique=True
    )


class UnitLevel(SyncColumns, Base):
    """The epidemic level a unit is at, as set by the level above it."""

    __tablename__ = "unit_epidemic_level"
    __extra_table_args__ = (CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),)

    unit_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code"), nullable=False, unique=True
    )
    level: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    note: Mapped[str | None] = mapped_column(String(500))
    set_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    set_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
