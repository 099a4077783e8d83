"""Stock-holding locations and the stock ledger.

Stock is never stored as an editable number: ``stock_movement`` is the append-only ledger and
``stock_balance`` is derived from it in the same transaction (see domain/services/stock.py).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import pg_enum


class LocationKind(enum.StrEnum):
    city_warehouse = "city_warehouse"
    district_warehouse = "district_warehouse"
    station = "station"
    household = "household"  # an F0 household holding lent devices


class MovementKind(enum.StrEnum):
    receipt = "receipt"
    issue = "issue"  # to a patient
    transfer_out = "transfer_out"
    transfer_in = "transfer_in"
    adjustment = "adjustment"  # signed quantity, reason required
    physical_count = "physical_count"  # quantity is the counted stock
    loss = "loss"  # loss or damage
    expiry = "expiry"


class DiscrepancyStatus(enum.StrEnum):
    open = "open"
    resolved = "resolved"


class DiscrepancyCause(enum.StrEnum):
    negative_stock = "negative_stock"  # a recorded physical event took stock below zero
    loss_in_transit = "loss_in_transit"  # a shipment arrived short


class DiscrepancyOutcome(enum.StrEnum):
    """How the level above closed it: the books stand, or a count or an adjustment fixed them."""

    confirmed = "confirmed"
    counted = "counted"
    adjusted = "adjusted"


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class StockLocation(SyncColumns, Base):
    """A place that holds stock; scope_path is the admin path of the unit it belongs to."""

    __tablename__ = "stock_location"
    __extra_table_args__ = (
        CheckConstraint("kind <> 'station' OR station_id IS NOT NULL", name="station_has_station"),
        CheckConstraint("kind <> 'household' OR case_id IS NOT NULL", name="household_has_case"),
        Index("uq_stock_location_station", "station_id", unique=True,
              postgresql_where=text("kind = 'station'")),
        Index("uq_stock_location_warehouse", "unit_code", unique=True,
              postgresql_where=text("kind IN ('city_warehouse', 'district_warehouse')")),
    )

    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(160), nullable=False)
    kind: Mapped[LocationKind] = mapped_column(pg_enum(LocationKind, "location_kind"), nullable=False)
    unit_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), nullable=False)
    # the station itself, or for a household the station that lent the devices
    station_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("station.id"), index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("f0_case.id"), unique=True)


class StockMovement(SyncColumns, Base):
    """One immutable ledger entry. ``quantity`` is what was reported (counted stock for a
    count, signed for an adjustment); ``delta`` is what it changed on the balance."""

    __tablename__ = "stock_movement"
    __extra_table_args__ = (
        CheckConstraint(
            "CASE kind WHEN 'adjustment' THEN quantity <> 0 WHEN 'physical_count' THEN quantity >= 0 "
            "ELSE quantity > 0 END", name="quantity_sign",
        ),
        Index("ix_stock_movement_key_time", "location_id", "item_id", "lot_id", "occurred_at"),
        Index("ix_stock_movement_location_time", "location_id", "occurred_at"),
        # recent use per item (days of cover) read from the index alone
        Index("ix_stock_movement_usage", "item_id", "occurred_at",
              postgresql_include=["location_id", "quantity"],
              postgresql_where=text("kind IN ('issue', 'transfer_out')")),
    )

    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_location.id"), nullable=False)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_item.id"), nullable=False)
    lot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("item_lot.id"))
    kind: Mapped[MovementKind] = mapped_column(pg_enum(MovementKind, "movement_kind"), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    delta: Mapped[int] = mapped_column(Integer, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_at: Mapped[datetime] = _now()
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    device_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    offline: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    reason: Mapped[str | None] = mapped_column(String(255))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("f0_case.id"), index=True)
    serial_no: Mapped[str | None] = mapped_column(String(64))
    shipment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("shipment.id"), index=True)
    loan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("equipment_loan.id"))
    # set when a physical count taken after this movement's occurred_at already included it
    absorbed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class StockBalance(Base):
    """Stock on hand per location, item and lot: derived from the ledger, never edited."""

    __tablename__ = "stock_balance"
    __table_args__ = (
        UniqueConstraint("location_id", "item_id", "lot_id", postgresql_nulls_not_distinct=True),
        Index("ix_stock_balance_scope", "scope_path",
              postgresql_ops={"scope_path": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_location.id"), nullable=False)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_item.id"), nullable=False)
    lot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("item_lot.id"))
    scope_path: Mapped[str] = mapped_column(String(64), nullable=False)
    qty: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    last_count_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_count_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    last_occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = _now()


class StationCaseload(Base):
    """Open F0 cases per station, kept by statement-level triggers on f0_case (migration
    0003): the map reads every station's days of cover without counting cases."""

    __tablename__ = "station_caseload"

    station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("station.id", ondelete="CASCADE"), primary_key=True
    )
    open_cases: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class StationKeyStock(Base):
    """Per station, its balances summed per key supply, one array slot per key in
    ``map_key_slots()`` order (KEY_ITEMS): the map's quantities without pivoting the
    balances. Kept by statement-level triggers on stock_balance (migration 0019)."""

    __tablename__ = "station_key_stock"

    station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("station.id", ondelete="CASCADE"), primary_key=True
    )
    on_hand: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False)


class StationKeyIssues(Base):
    """Per station and UTC day, what was issued or transferred out per key supply (slots as
    in StationKeyStock): the map's 7-day need from at most 8 rows a station. Kept by
    statement-level triggers on stock_movement (migration 0019)."""

    __tablename__ = "station_key_issues"

    # day first: the map reads the last week's days, however long the history grows
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("station.id", ondelete="CASCADE"), primary_key=True
    )
    issued: Mapped[list[int]] = mapped_column(ARRAY(Integer), nullable=False)


class StockDiscrepancy(Base):
    """Opened when a recorded physical event took stock below zero, or a shipment arrived
    short; the keeper explains it, the level above closes it (domain/services/discrepancies.py)."""

    __tablename__ = "stock_discrepancy"
    __table_args__ = (
        Index("ix_stock_discrepancy_scope", "scope_path",
              postgresql_ops={"scope_path": "text_pattern_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    scope_path: Mapped[str] = mapped_column(String(64), nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_location.id"), nullable=False)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_item.id"), nullable=False)
    lot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("item_lot.id"))
    movement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stock_movement.id"), unique=True, nullable=False
    )
    balance_after: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[DiscrepancyStatus] = mapped_column(
        pg_enum(DiscrepancyStatus, "discrepancy_status"), nullable=False, server_default="open"
    )
    opened_at: Mapped[datetime] = _now()
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    resolution: Mapped[str | None] = mapped_column(String(255))
    cause: Mapped[DiscrepancyCause] = mapped_column(
        pg_enum(DiscrepancyCause, "discrepancy_cause"), nullable=False,
        server_default="negative_stock",
    )
    quantity: Mapped[int | None] = mapped_column(Integer)  # lost in transit
    explanation: Mapped[str | None] = mapped_column(String(255))
    explained_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    explained_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    outcome: Mapped[DiscrepancyOutcome | None] = mapped_column(
        pg_enum(DiscrepancyOutcome, "discrepancy_outcome")
    )
    # the count or adjustment the closing level booked
    resolution_movement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stock_movement.id")
    )
