"""Vietnam's administrative units as they stood in early 2025 (the dataset has no 2021
state): province, district, commune/ward."""

from __future__ import annotations

import enum
import uuid

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns

ADMIN_UNIT_NAMESPACE = uuid.UUID("6b1f4a52-8f0e-4d3c-9a57-0c2f1e9d7a31")


class AdminLevel(enum.StrEnum):
    national = "national"
    province = "province"
    district = "district"
    commune = "commune"


ADMIN_LEVEL_ENUM = Enum(
    AdminLevel, name="admin_level", values_callable=lambda e: [m.value for m in e]
)


def admin_unit_id(code: str) -> uuid.UUID:
    """Stable row id for a unit, so every device and every reload agree on it."""
    return uuid.uuid5(ADMIN_UNIT_NAMESPACE, f"admin_unit:{code}")


class AdminUnit(SyncColumns, Base):
    __tablename__ = "admin_unit"
    __extra_table_args__ = (
        CheckConstraint("ST_Covers(bbox, centroid)", name="centroid_in_bbox"),
        Index(
            "ix_admin_unit_search_trgm",
            "search_name",
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        ),
    )

    code: Mapped[str] = mapped_column(String(8), unique=True, nullable=False)
    level: Mapped[AdminLevel] = mapped_column(ADMIN_LEVEL_ENUM, nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    short_name: Mapped[str] = mapped_column(String(120), nullable=False)
    unit_type: Mapped[str] = mapped_column(String(40), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(160))
    search_name: Mapped[str] = mapped_column(String(240), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("admin_unit.code", ondelete="RESTRICT"), index=True
    )
    centroid = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    bbox = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=True), nullable=False)

    @property
    def path(self) -> str:
        return self.scope_path
