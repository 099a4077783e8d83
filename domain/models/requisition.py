"""Requisitions: a station's request for supplies, its history, and the shipment filling it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import pg_enum


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


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


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
    lost_qty: Mapped[int | None] = mapped_column(Integer)


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
            "quantity > 0 AND lost_qty >= 0 AND "
            "(accepted_qty IS NULL OR accepted_qty + rejected_qty + lost_qty = quantity)",
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
    # what never arrived (a loss in transit): accepted + rejected + lost = quantity
    lost_qty: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    loss_reason: Mapped[str | None] = mapped_column(String(255))
