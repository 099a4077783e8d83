"""Serial-numbered equipment and its loans to F0 households."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import pg_enum


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
