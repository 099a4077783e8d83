"""Synced supply entities: the catalog and stock locations (reference), the stock ledger and
dispensings (append-only), and requisitions (a state machine).

Stock on hand is derived from the ledger by domain/services/stock.py and never pushed: a
device records movements, and reads balances from the API when it is online.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.contract import DISPENSING_FIELDS, REQUISITION_FIELDS, STOCK_MOVEMENT_FIELDS
from domain.errors import Forbidden, TransitionNotAllowed, ValidationFailed
from domain.models.supply import (
    CatalogItem,
    Dispensing,
    DispensingKind,
    ItemLot,
    Requisition,
    RequisitionEvent,
    RequisitionLine,
    RequisitionStatus,
    StockLocation,
    StockMovement,
)
from domain.repositories.locations import LocationRepository
from domain.services import requisitions
from domain.services.dispensing import DispensingService
from domain.services.stock import StockService
from sync.apply_events import ServiceEventApplier
from sync.apply_records import RecordApplier, Values
from sync.codec import Item
from sync.registry import EntitySpec, Kind, Policy, Scope, model_fields

P = Policy

CATALOG_ITEM = EntitySpec(
    name="catalog_item",
    model=CatalogItem,
    kind=Kind.reference,
    scope=Scope.lineage,
    description="The supply catalog (national).",
    fields=model_fields(CatalogItem, {
        P.read_only: ("code", "name", "category", "unit_of_issue", "durable", "lot_tracked",
                      "size_label", "map_key", "min_station_stock", "daily_use_per_case"),
    }),
)

ITEM_LOT = EntitySpec(
    name="item_lot",
    model=ItemLot,
    kind=Kind.reference,
    scope=Scope.lineage,
    description="Lots of lot-tracked catalog items, with their expiry dates.",
    fields=model_fields(ItemLot, {P.read_only: ("item_id", "lot_no", "expires_on")}),
)

STOCK_LOCATION = EntitySpec(
    name="stock_location",
    model=StockLocation,
    kind=Kind.reference,
    scope=Scope.places,
    description=(
        "Places holding stock in the device's district and the warehouses above it; F0 "
        "households (they name a patient) only of the device's own commune."
    ),
    fields=model_fields(StockLocation, {
        P.read_only: ("code", "name", "kind", "unit_code", "station_id", "case_id"),
    }),
)


async def _in_unit(session: AsyncSession, principal: Principal, location_id: uuid.UUID) -> None:
    """A device records stock only at locations of its own unit."""
    location = await LocationRepository(session).get(location_id)
    if location is not None and location.scope_path != principal.unit_path:
        raise Forbidden("the location belongs to another unit", field="location_id")


async def _record_movement(session: AsyncSession, principal: Principal, item: Item) -> bool:
    v = item.values
    await _in_unit(session, principal, v["location_id"])
    _, created = await StockService(session, principal).record_once(
        movement_id=item.mutation.row_id, location_id=v["location_id"],
        item_id=v["item_id"], lot_id=v.get("lot_id"), kind=v["kind"], quantity=v["quantity"],
        occurred_at=v["occurred_at"], reason=v.get("reason"), device_id=principal.device_id,
        offline=True, case_id=v.get("case_id"), serial_no=v.get("serial_no"),
    )
    return created


STOCK_MOVEMENT = EntitySpec(
    name="stock_movement",
    model=StockMovement,
    kind=Kind.event,
    scope=Scope.unit,
    description=(
        "The stock ledger of the device's station. Append-only: a movement is recorded once; "
        "one taking stock below zero is kept (it happened) and opens a discrepancy."
    ),
    fields=model_fields(StockMovement, {
        P.append_only: ("location_id", "item_id", "lot_id", "kind", "quantity", "occurred_at",
                        "reason", "case_id", "serial_no"),
        P.derived: ("delta", "absorbed_by"),
        P.read_only: ("recorded_at", "recorded_by", "device_id", "offline", "shipment_id",
                      "loan_id"),
    }, required=("location_id", "item_id", "kind", "quantity", "occurred_at"),
       contract=STOCK_MOVEMENT_FIELDS),
    applier=ServiceEventApplier(record=_record_movement),
)


async def _record_dispensing(session: AsyncSession, principal: Principal, item: Item) -> bool:
    v = item.values
    _, created = await DispensingService(session, principal).dispense(
        dispensing_id=item.mutation.row_id, case_id=v["case_id"],
        kind=DispensingKind(v["kind"]),
        given_at=v["given_at"], lot_id=v.get("lot_id"), serial_no=v.get("serial_no"),
        due_on=v.get("due_on"), offline=True, device_id=principal.device_id,
    )
    return created


DISPENSING = EntitySpec(
    name="dispensing",
    model=Dispensing,
    kind=Kind.event,
    scope=Scope.unit,
    description=(
        "Medicine bags given and devices lent in the device's commune: one mutation records "
        "the case side and issues the stock from the station (the lot named, else the first "
        "expiring valid lot). Append-only; one taking stock below zero is kept and opens a "
        "discrepancy; an expired lot is refused (`lot_expired`)."
    ),
    fields=model_fields(Dispensing, {
        P.append_only: ("case_id", "kind", "given_at", "lot_id", "serial_no", "due_on"),
        P.derived: ("location_id", "item_id", "movement_id", "loan_id"),
        P.read_only: ("recorded_at", "recorded_by", "device_id", "offline"),
    }, required=("case_id", "kind", "given_at"), contract=DISPENSING_FIELDS),
    applier=ServiceEventApplier(record=_record_dispensing),
)


async def _create_requisition(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, values: Values
) -> None:
    await _in_unit(session, principal, values["location_id"])
    await requisitions.RequisitionService(session, principal).create(
        location_id=values["location_id"], justification=values["justification"],
        f0_under_care=values["f0_under_care"], days_of_cover=values["days_of_cover"],
        lines=values["lines"], requisition_id=row_id,
    )
    status = values.get("status")
    if status is not None and status is not RequisitionStatus.submitted:
        await _transition_requisition(session, principal, row_id,
                                      {"status": status, "transition": values.get("transition")})


async def _transition_requisition(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, targets: Values
) -> None:
    payload: Any = targets.get("transition") or {}
    if "status" not in targets:
        raise TransitionNotAllowed("a transition payload goes with a new status",
                                   field="transition")
    if not isinstance(payload, dict):
        raise ValidationFailed("transition is an object of the target's payload",
                               field="transition")
    await requisitions.RequisitionService(session, principal).transition_to(
        row_id, targets["status"], **payload
    )


REQUISITION = EntitySpec(
    name="requisition",
    model=Requisition,
    kind=Kind.record,
    scope=Scope.unit,
    description=(
        "Supply requests of the device's station. A device submits one (with `lines`) and "
        "moves it as its role allows (cancel, receive with `transition` = the payload of "
        "the move: lines, note); each move must be allowed from the server's current status."
    ),
    fields=model_fields(Requisition, {
        P.create_only: ("location_id", "justification", "f0_under_care", "days_of_cover"),
        P.state_machine: ("status",),
        P.read_only: ("code", "supplier_location_id", "requested_by", "submitted_at",
                      "status_changed_at", "decision_note"),
    }, required=("location_id", "justification", "f0_under_care", "days_of_cover", "lines"),
        contract=REQUISITION_FIELDS, inputs=("lines", "transition")),
    applier=RecordApplier(create=_create_requisition, transition=_transition_requisition),
)

REQUISITION_LINE = EntitySpec(
    name="requisition_line",
    model=RequisitionLine,
    kind=Kind.reference,
    scope=Scope.unit,
    description="Lines of the station's requisitions: requested, approved, shipped, accepted.",
    fields=model_fields(RequisitionLine, {
        P.read_only: ("requisition_id", "item_id", "requested_qty", "approved_qty",
                      "shipped_qty", "accepted_qty", "rejected_qty", "lost_qty"),
    }),
)

REQUISITION_EVENT = EntitySpec(
    name="requisition_event",
    model=RequisitionEvent,
    kind=Kind.reference,
    scope=Scope.unit,
    description="History of the station's requisitions, written by the server.",
    fields=model_fields(RequisitionEvent, {
        P.read_only: ("requisition_id", "from_status", "to_status", "actor_id", "at", "note",
                      "detail"),
    }),
)

SUPPLY_ENTITIES = [CATALOG_ITEM, ITEM_LOT, STOCK_LOCATION, STOCK_MOVEMENT, DISPENSING,
                   REQUISITION, REQUISITION_LINE, REQUISITION_EVENT]
