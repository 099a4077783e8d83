"""Requisitions, their history and shipments on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from api.paging import Page, page_schema
from domain.contract import CaseLoad, DaysOfCover, Justification, Note
from domain.models import supply as m
from domain.models.supply import RequisitionStatus, ShipmentStatus
from domain.services.requisitions import RequisitionDetail as Detail

Units = Annotated[int, Meta(ge=0, le=1_000_000)]


class LineQuantity(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    item_id: uuid.UUID
    quantity: Units


class RequisitionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``id`` is optional; a client that sets it can retry without creating a second one."""

    id: uuid.UUID | None = None
    location_id: Annotated[uuid.UUID, Meta(description="the requesting station's location")]
    justification: Justification
    f0_under_care: CaseLoad
    days_of_cover: DaysOfCover
    lines: Annotated[list[LineQuantity], Meta(min_length=1, max_length=50)]


class RequisitionApprove(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Omit ``lines`` to approve every requested quantity; a line may approve less (or 0)."""

    lines: Annotated[list[LineQuantity], Meta(max_length=50)] | None = None
    note: Note | None = None


class RequisitionDecision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Reject (a note is required), forward to the city, or cancel."""

    note: Note | None = None


class RequisitionShip(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Omit ``lines`` to ship every approved quantity; lots go first-expiring first."""

    lines: Annotated[list[LineQuantity], Meta(max_length=50)] | None = None
    carrier: Annotated[str, Meta(min_length=1, max_length=120)] | None = None
    note: Note | None = None


class ReceiptLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_id: Annotated[uuid.UUID, Meta(description="a shipment line")]
    accepted_quantity: Units
    rejected_quantity: Annotated[Units, Meta(
        description="refused on arrival: goes back to the sender's stock")] = 0
    reason: Annotated[Note | None, Meta(description="why goods were rejected")] = None
    rejected_serials: Annotated[list[str], Meta(max_length=1000)] = []
    lost_quantity: Annotated[Units, Meta(
        description="never arrived (lost in transit): written off at the sender, which opens "
                    "a discrepancy there; accepted + rejected + lost = shipped")] = 0
    loss_reason: Annotated[Note | None, Meta(description="what happened to the lost goods")
                           ] = None
    lost_serials: Annotated[list[str], Meta(max_length=1000)] = []


class RequisitionReceive(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Proof of delivery. Omit ``lines`` when everything arrived in good order."""

    lines: Annotated[list[ReceiptLine], Meta(max_length=200)] | None = None
    note: Note | None = None


class RequisitionLine(msgspec.Struct, kw_only=True, frozen=True):
    item_id: uuid.UUID
    requested_qty: int
    approved_qty: int | None
    shipped_qty: int
    accepted_qty: int | None
    rejected_qty: int | None
    lost_qty: int | None


class RequisitionEvent(msgspec.Struct, kw_only=True, frozen=True):
    from_status: RequisitionStatus | None
    to_status: RequisitionStatus
    actor_id: uuid.UUID | None
    at: datetime
    note: str | None
    detail: dict[str, Any]


class ShipmentLine(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    item_id: uuid.UUID
    lot_id: uuid.UUID | None
    quantity: int
    serials: list[str]
    accepted_qty: int | None
    rejected_qty: int | None
    rejection_reason: str | None
    lost_qty: int
    loss_reason: str | None


class Shipment(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    from_location_id: uuid.UUID
    to_location_id: uuid.UUID
    status: ShipmentStatus
    shipped_at: datetime
    shipped_by: uuid.UUID | None
    carrier: str | None
    received_at: datetime | None
    received_by: uuid.UUID | None
    receipt_note: str | None
    lines: list[ShipmentLine]


class Requisition(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    code: str
    location_id: uuid.UUID
    supplier_location_id: uuid.UUID | None
    status: RequisitionStatus
    justification: str
    f0_under_care: int
    days_of_cover: int
    requested_by: uuid.UUID | None
    submitted_at: datetime
    status_changed_at: datetime
    decision_note: str | None

    @classmethod
    def of(cls, r: m.Requisition) -> Requisition:
        return cls(**{f: getattr(r, f) for f in cls.__struct_fields__})


class RequisitionDetail(Requisition, kw_only=True, frozen=True):
    lines: list[RequisitionLine]
    events: list[RequisitionEvent]
    shipment: Shipment | None

    @classmethod
    def of_detail(cls, d: Detail) -> RequisitionDetail:
        def pick(struct: type[msgspec.Struct], obj: object) -> Any:
            return struct(**{f: getattr(obj, f) for f in struct.__struct_fields__ if f != "lines"})

        shipment = None
        if d.shipment is not None:
            fields = {f: getattr(d.shipment, f) for f in Shipment.__struct_fields__ if f != "lines"}
            shipment = Shipment(**fields, lines=[pick(ShipmentLine, x) for x in d.shipment_lines])
        base = Requisition.of(d.requisition)
        return cls(
            **{f: getattr(base, f) for f in Requisition.__struct_fields__},
            lines=[pick(RequisitionLine, x) for x in d.lines],
            events=[pick(RequisitionEvent, x) for x in d.events], shipment=shipment,
        )


RequisitionPage = Annotated[Page[Requisition], page_schema("RequisitionPage")]
