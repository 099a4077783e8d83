"""The supply catalog: what can be stocked, and the lots that carry an expiry date."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import pg_enum


class ItemCategory(enum.StrEnum):
    medicine_bag = "medicine_bag"
    test_kit = "test_kit"
    spo2_meter = "spo2_meter"
    bp_meter = "bp_meter"
    oxygen_cylinder = "oxygen_cylinder"
    oxygen_concentrator = "oxygen_concentrator"
    protective_equipment = "protective_equipment"


class CatalogItem(SyncColumns, Base):
    """What can be stocked. Durable items are serial-numbered; lot-tracked ones carry expiry."""

    __tablename__ = "catalog_item"
    __extra_table_args__ = (
        CheckConstraint("NOT (durable AND lot_tracked)", name="durable_not_lot"),
        CheckConstraint("min_station_stock >= 0 AND daily_use_per_case >= 0", name="planning"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    category: Mapped[ItemCategory] = mapped_column(
        pg_enum(ItemCategory, "item_category"), nullable=False
    )
    unit_of_issue: Mapped[str] = mapped_column(String(16), nullable=False)
    durable: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    lot_tracked: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    size_label: Mapped[str | None] = mapped_column(String(24))
    # The map shows three key supplies per station ("oxygen", "spo2_meter", "bag_a").
    map_key: Mapped[str | None] = mapped_column(String(16), index=True)
    # Planning figures: a station below its minimum, or under 3 days of cover, is "low".
    min_station_stock: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    daily_use_per_case: Mapped[float] = mapped_column(Float, nullable=False, server_default=text("0"))


class ItemLot(SyncColumns, Base):
    __tablename__ = "item_lot"
    __extra_table_args__ = (UniqueConstraint("item_id", "lot_no"),)

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_item.id"), nullable=False)
    lot_no: Mapped[str] = mapped_column(String(40), nullable=False)
    expires_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
