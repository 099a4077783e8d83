"""Dispensing: a medicine bag given to an F0 patient, or a device lent to their household,
recorded with the stock it took from the station in one action (domain/services/dispensing.py)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import pg_enum


class DispensingKind(enum.StrEnum):
    bag_a = "bag_a"
    bag_b = "bag_b"
    bag_c = "bag_c"
    loan = "loan"  # a serial-numbered device (SpO2 meter, oxygen) lent to the household


class Dispensing(SyncColumns, Base):
    """One giving: the case side (bag given / loan) and the stock movement it booked."""

    __tablename__ = "dispensing"
    __extra_table_args__ = (
        # each bag once per patient (the case rule); a device may be lent many times
        Index("uq_dispensing_case_bag", "case_id", "kind", unique=True,
              postgresql_where=text("kind <> 'loan'")),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("f0_case.id"), nullable=False,
                                               index=True)
    kind: Mapped[DispensingKind] = mapped_column(pg_enum(DispensingKind, "dispensing_kind"),
                                                 nullable=False)
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_location.id"),
                                                   nullable=False)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_item.id"), nullable=False)
    lot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("item_lot.id"))
    serial_no: Mapped[str | None] = mapped_column(String(64))
    due_on: Mapped[date | None] = mapped_column(Date)
    movement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stock_movement.id"))
    loan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("equipment_loan.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                  server_default=func.now())
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    device_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    offline: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
