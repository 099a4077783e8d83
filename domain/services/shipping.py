"""Shipments that fill a requisition: transfer-out movements at the supplying warehouse,
first expiring lots first and never an expired one (domain/services/picking.py), and the receiver's proof of delivery, which books what it
accepted as transfer-in movements. Rejected goods leave both ledgers with their reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import NotFound, ValidationFailed
from domain.models.supply import (
    CatalogItem,
    EquipmentStatus,
    MovementKind,
    Requisition,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StockLocation,
)
from domain.repositories.catalog import CatalogRepository
from domain.repositories.loans import EquipmentRepository
from domain.repositories.requisitions import RequisitionRepository
from domain.repositories.stock import StockRepository
from domain.services.picking import pick_fefo
from domain.services.stock import Entry, StockLedger


def parse_uuid(value: Any, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise ValidationFailed("not a UUID", field=field) from None


def parse_count(value: Any, field: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationFailed(f"expected a whole number >= {minimum}", field=field)
    return value


def item_quantities(lines: Any, *, minimum: int) -> dict[uuid.UUID, int]:
    """``[{"item_id", "quantity"}, ...]`` -> {item_id: quantity}; one line per item."""
    if not isinstance(lines, Sequence) or isinstance(lines, str | bytes):
        raise ValidationFailed("expected a list of lines", field="lines")
    out: dict[uuid.UUID, int] = {}
    for i, line in enumerate(lines):
        if not isinstance(line, Mapping):
            raise ValidationFailed("expected an object", field=f"lines[{i}]")
        item_id = parse_uuid(line.get("item_id"), f"lines[{i}].item_id")
        if item_id in out:
            raise ValidationFailed("one line per item", field=f"lines[{i}].item_id")
        out[item_id] = parse_count(line.get("quantity"), f"lines[{i}].quantity", minimum=minimum)
    return out


class Shipping:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.principal = principal
        self.repo = RequisitionRepository(session)
        self.stock = StockRepository(session)
        self.ledger = StockLedger(session)
        self.units = EquipmentRepository(session)
        self.catalog = CatalogRepository(session)

    async def ship(
        self, req: Requisition, supplier: StockLocation, to_loc: StockLocation,
        lines: Any, carrier: Any,
    ) -> dict[str, Any]:
        """Ship the approved quantities (or less); refused if the warehouse lacks stock."""
        quantities = None if lines is None else item_quantities(lines, minimum=0)
        if carrier is not None and (not isinstance(carrier, str) or len(carrier) > 120):
            raise ValidationFailed("a carrier is text of at most 120 characters", field="carrier")
        req_lines = await self.repo.lines(req.id)
        approved = {line.item_id: line.approved_qty or 0 for line in req_lines}
        wanted = approved if quantities is None else quantities
        for i, (item_id, qty) in enumerate(wanted.items()):
            if qty > approved.get(item_id, 0):
                raise ValidationFailed(f"at most the {approved.get(item_id, 0)} approved",
                                       field=f"lines[{i}].quantity")
        if sum(wanted.values()) == 0:
            raise ValidationFailed("ship at least one unit", field="lines")
        shipment = Shipment(
            id=uuid.uuid4(), requisition_id=req.id, from_location_id=supplier.id,
            to_location_id=to_loc.id, shipped_by=self.principal.user_id, carrier=carrier,
            scope_path=req.scope_path,
        )
        await self.repo.add(shipment)
        plan: list[tuple[CatalogItem, uuid.UUID | None, int]] = []
        for i, (item_id, qty) in enumerate(wanted.items()):
            item = await self.catalog.item(item_id)
            if item is None or qty == 0:
                continue
            plan += await self._pick_lots(supplier, item, qty,
                                          "lines" if quantities is None else f"lines[{i}].quantity")
        # one lock order for every shipment, so two leaving one warehouse cannot deadlock
        plan.sort(key=lambda p: (str(p[0].id), str(p[1])))
        now = datetime.now(UTC)
        out_lines = []
        for item, lot_id, qty in plan:
            await self.ledger.append(
                Entry(id=uuid.uuid4(), location_id=supplier.id, item_id=item.id, lot_id=lot_id,
                      kind=MovementKind.transfer_out, quantity=qty, occurred_at=now,
                      reason=f"shipment for {req.code}"),
                location=supplier, item=item, offline=False, actor_id=self.principal.user_id,
                shipment_id=shipment.id,
            )
            serials: list[str] = []
            if item.durable:
                units = await self.units.pick_in_stock(supplier.id, item.id, qty)
                await self.units.move_units([u.id for u in units], location_id=supplier.id,
                                            scope_path=supplier.scope_path,
                                            status=EquipmentStatus.in_transit)
                serials = [u.serial_no for u in units]
            out_lines.append(ShipmentLine(shipment_id=shipment.id, item_id=item.id, lot_id=lot_id,
                                      quantity=qty, serials=serials, scope_path=req.scope_path))
        await self.repo.add(*out_lines)
        for line in req_lines:
            line.shipped_qty = wanted.get(line.item_id, 0)
        return {"shipment_id": str(shipment.id),
                "shipped": {str(k): v for k, v in wanted.items() if v}}

    async def _pick_lots(
        self, supplier: StockLocation, item: CatalogItem, qty: int, field: str
    ) -> list[tuple[CatalogItem, uuid.UUID | None, int]]:
        picks = await pick_fefo(self.stock, supplier, item, qty, on=datetime.now(UTC).date(),
                                field=field)
        return [(item, p.lot_id, p.quantity) for p in picks]

    async def receive(
        self, req: Requisition, to_loc: StockLocation, lines: Any, note: str | None
    ) -> dict[str, Any]:
        """Book the proof of delivery: accepted + rejected = shipped on every line."""
        shipment = await self.repo.shipment(req.id)
        if shipment is None:
            raise NotFound("no shipment for this requisition", field="requisition_id")
        slines = await self.repo.shipment_lines(shipment.id)
        decisions = self._decisions(slines, lines)
        now = datetime.now(UTC)
        accepted: dict[uuid.UUID, int] = {}
        rejected: dict[uuid.UUID, int] = {}
        for sl in slines:
            acc, rej, reason, bad = decisions[sl.id]
            if acc:
                item = await self.catalog.item(sl.item_id)
                if item is None:
                    raise NotFound("a shipped item left the catalog", field="item_id")
                await self.ledger.append(
                    Entry(id=uuid.uuid4(), location_id=to_loc.id, item_id=sl.item_id,
                          lot_id=sl.lot_id, kind=MovementKind.transfer_in, quantity=acc,
                          occurred_at=now, reason=f"received for {req.code}"),
                    location=to_loc, item=item, offline=False, actor_id=self.principal.user_id,
                    shipment_id=shipment.id,
                )
            if sl.serials:
                units = await self.units.units_by_serials(sl.serials)
                good = [u.id for u in units if u.serial_no not in bad]
                await self.units.move_units(good, location_id=to_loc.id,
                                            scope_path=to_loc.scope_path,
                                            status=EquipmentStatus.in_stock)
                await self.units.set_status([u.id for u in units if u.serial_no in bad],
                                            EquipmentStatus.damaged)
            sl.accepted_qty, sl.rejected_qty, sl.rejection_reason = acc, rej, reason
            accepted[sl.item_id] = accepted.get(sl.item_id, 0) + acc
            rejected[sl.item_id] = rejected.get(sl.item_id, 0) + rej
        for line in await self.repo.lines(req.id):
            if line.item_id in accepted:
                line.accepted_qty, line.rejected_qty = accepted[line.item_id], rejected[line.item_id]
        shipment.status = ShipmentStatus.delivered
        shipment.received_at, shipment.received_by = now, self.principal.user_id
        shipment.receipt_note = note
        return {"accepted": {str(k): v for k, v in accepted.items()},
                "rejected": {str(k): v for k, v in rejected.items() if v}}

    @staticmethod
    def _decisions(
        slines: Sequence[ShipmentLine], lines: Any
    ) -> dict[uuid.UUID, tuple[int, int, str | None, set[str]]]:
        """Per shipment line: (accepted, rejected, reason, rejected serials); default all in."""
        out: dict[uuid.UUID, tuple[int, int, str | None, set[str]]] = {
            sl.id: (sl.quantity, 0, None, set()) for sl in slines
        }
        if lines is None:
            return out
        if not isinstance(lines, Sequence) or isinstance(lines, str | bytes):
            raise ValidationFailed("expected a list of lines", field="lines")
        by_id = {sl.id: sl for sl in slines}
        for i, line in enumerate(lines):
            if not isinstance(line, Mapping):
                raise ValidationFailed("expected an object", field=f"lines[{i}]")
            sl = by_id.get(parse_uuid(line.get("line_id"), f"lines[{i}].line_id"))
            if sl is None:
                raise ValidationFailed("not a line of this shipment", field=f"lines[{i}].line_id")
            acc = parse_count(line.get("accepted_quantity"), f"lines[{i}].accepted_quantity")
            rej = parse_count(line.get("rejected_quantity", 0), f"lines[{i}].rejected_quantity")
            if acc + rej != sl.quantity:
                raise ValidationFailed(f"accepted + rejected must equal the {sl.quantity} shipped",
                                       field=f"lines[{i}].rejected_quantity")
            reason = line.get("reason")
            if rej and not (isinstance(reason, str) and reason.strip()):
                raise ValidationFailed("say why goods were rejected", field=f"lines[{i}].reason")
            bad = set(line.get("rejected_serials") or [])
            if not bad <= set(sl.serials) or len(bad) > rej:
                raise ValidationFailed("rejected serials must be shipped serials, at most the "
                                       "rejected quantity", field=f"lines[{i}].rejected_serials")
            out[sl.id] = (acc, rej, reason if rej else None, bad)
        return out
