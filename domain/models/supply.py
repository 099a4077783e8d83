"""Supplies: catalog, stock-holding locations, the stock ledger, requisitions, loans (issue 5).

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
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
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


class RequisitionStatus(enum.StrEnum):
    submitted = "submitted"
    forwarded = "forwarded"  # district sent it up to the city
    approved = "approved"  # fully or partly: see the lines' approved quantities
    rejected = "rejected"
    shipped = "shipped"
    received = "received"
    cancelled = "cancelled"


class ShipmentStatus(enum.StrEnum):
    in_transit = "in_transit"
    delivered = "delivered"


class EquipmentStatus(enum.StrEnum):
    in_stock = "in_stock"
    in_transit = "in_transit"
    on_loan = "on_loan"
    damaged = "damaged"
    lost = "lost"


class LoanStatus(enum.StrEnum):
    open = "open"
    returned = "returned"
    lost = "lost"


class DiscrepancyStatus(enum.StrEnum):
    open = "open"
    resolved = "resolved"


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


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


class StockDiscrepancy(Base):
    """Opened when a recorded physical event took stock below zero; closed by reconciliation."""

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


class Requisition(SyncColumns, Base):
    """A station's request for supplies; its scope is the requesting location's."""

    __tablename__ = "requisition"
    __extra_table_args__ = (
        CheckConstraint("f0_under_care >= 0 AND days_of_cover BETWEEN 1 AND 90", name="need"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stock_location.id"), nullable=False, index=True
    )
    supplier_location_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stock_location.id")
    )
    status: Mapped[RequisitionStatus] = mapped_column(
        pg_enum(RequisitionStatus, "requisition_status"), nullable=False,
        server_default="submitted", index=True,
    )
    justification: Mapped[str] = mapped_column(Text, nullable=False)
    f0_under_care: Mapped[int] = mapped_column(Integer, nullable=False)
    days_of_cover: Mapped[int] = mapped_column(Integer, nullable=False)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    submitted_at: Mapped[datetime] = _now()
    status_changed_at: Mapped[datetime] = _now()
    decision_note: Mapped[str | None] = mapped_column(String(255))


class RequisitionLine(SyncColumns, Base):
    __tablename__ = "requisition_line"
    __extra_table_args__ = (
        UniqueConstraint("requisition_id", "item_id"),
        CheckConstraint("requested_qty > 0 AND coalesce(approved_qty, 0) >= 0", name="qty"),
    )

    requisition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requisition.id"), nullable=False
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_item.id"), nullable=False)
    requested_qty: Mapped[int] = mapped_column(Integer, nullable=False)
    approved_qty: Mapped[int | None] = mapped_column(Integer)
    shipped_qty: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    accepted_qty: Mapped[int | None] = mapped_column(Integer)
    rejected_qty: Mapped[int | None] = mapped_column(Integer)


class RequisitionEvent(SyncColumns, Base):
    """Append-only history of a requisition: who moved it, from what, to what, with what."""

    __tablename__ = "requisition_event"

    requisition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requisition.id"), nullable=False, index=True
    )
    from_status: Mapped[RequisitionStatus | None] = mapped_column(
        pg_enum(RequisitionStatus, "requisition_status")
    )
    to_status: Mapped[RequisitionStatus] = mapped_column(
        pg_enum(RequisitionStatus, "requisition_status"), nullable=False
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = _now()
    note: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )


class Shipment(SyncColumns, Base):
    """Goods on their way for one requisition; the receiver's confirmation is the proof."""

    __tablename__ = "shipment"

    requisition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requisition.id"), unique=True, nullable=False
    )
    from_location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stock_location.id"), nullable=False
    )
    to_location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stock_location.id"), nullable=False
    )
    status: Mapped[ShipmentStatus] = mapped_column(
        pg_enum(ShipmentStatus, "shipment_status"), nullable=False, server_default="in_transit"
    )
    shipped_at: Mapped[datetime] = _now()
    shipped_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    carrier: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    receipt_note: Mapped[str | None] = mapped_column(String(255))


class ShipmentLine(SyncColumns, Base):
    __tablename__ = "shipment_line"
    __extra_table_args__ = (
        CheckConstraint(
            "quantity > 0 AND (accepted_qty IS NULL OR accepted_qty + rejected_qty = quantity)",
            name="qty",
        ),
    )

    shipment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shipment.id"), nullable=False, index=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_item.id"), nullable=False)
    lot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("item_lot.id"))
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    serials: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), nullable=False, server_default=text("'{}'")
    )
    accepted_qty: Mapped[int | None] = mapped_column(Integer)
    rejected_qty: Mapped[int | None] = mapped_column(Integer)
    rejection_reason: Mapped[str | None] = mapped_column(String(255))


class EquipmentUnit(SyncColumns, Base):
    """One serial-numbered device and where it is now."""

    __tablename__ = "equipment_unit"

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_item.id"), nullable=False)
    serial_no: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stock_location.id"), nullable=False, index=True
    )
    status: Mapped[EquipmentStatus] = mapped_column(
        pg_enum(EquipmentStatus, "equipment_status"), nullable=False, server_default="in_stock"
    )


class EquipmentLoan(SyncColumns, Base):
    """A device lent to an F0 household, by serial number, until it comes back."""

    __tablename__ = "equipment_loan"
    __extra_table_args__ = (
        Index("uq_equipment_loan_open_unit", "unit_id", unique=True,
              postgresql_where=text("status = 'open'")),
        Index("ix_equipment_loan_status_due", "status", "due_on"),
    )

    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("equipment_unit.id"), nullable=False)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_item.id"), nullable=False)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("f0_case.id"), nullable=False, index=True)
    station_location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stock_location.id"), nullable=False
    )
    household_location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stock_location.id"), nullable=False
    )
    status: Mapped[LoanStatus] = mapped_column(
        pg_enum(LoanStatus, "loan_status"), nullable=False, server_default="open"
    )
    lent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    lent_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    returned_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    return_condition: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(255))
