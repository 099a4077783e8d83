"""Mobile health stations: community teams in a ward that care for F0 patients at home."""

from __future__ import annotations

import uuid

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import StationStatus, pg_enum


class Station(SyncColumns, Base):
    __tablename__ = "station"
    __extra_table_args__ = (
        CheckConstraint("capacity BETWEEN 1 AND 1000", name="capacity_range"),
        CheckConstraint("doctors >= 0 AND nurses >= 0 AND volunteers >= 0", name="staff_counts"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(160), nullable=False)
    commune_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code"), nullable=False, index=True
    )
    position = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    address: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[StationStatus] = mapped_column(
        pg_enum(StationStatus, "station_status"), nullable=False, server_default="preparing"
    )
    capacity: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("50"))
    doctors: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    nurses: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    volunteers: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    opening_hours: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))


class CareTeam(SyncColumns, Base):
    """A community team (tổ chăm sóc) caring for F0 patients of one station's ward at home."""

    __tablename__ = "care_team"

    station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("station.id"), nullable=False, index=True
    )
    commune_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)


class CareTeamMember(Base):
    __tablename__ = "care_team_member"

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("care_team.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
