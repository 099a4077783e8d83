"""Shipments that fill a requisition: transfer-out movements at the supplying warehouse,
first expiring lots first and never an expired one (domain/services/picking.py), and the
receiver's proof of delivery, which books what it accepted as transfer-in movements, returns what it rejected to the sender's ledger and
writes off at the sender what was lost in transit, with a discrepancy (see ``receive``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import NotFound, ValidationFailed
from domain.models.supply import (
    CatalogItem,
    DiscrepancyCause,
    EquipmentStatus,
    MovementKind,
    Requisition,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StockDiscrepancy,
    StockLocation,
)
from domain.repositories.catalog import CatalogRepository
from domain.repositories.loans import EquipmentRepository
from domain.repositories.locations import LocationRepository
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
        """Book the proof of delivery: accepted + rejected + lost = shipped on every line.

        Accepted goods enter the receiver's ledger; rejected goods go back to the sender's
        (a return movement, their serials back on its shelf); goods lost in transit are
        booked back at the sender and written off there as a loss, which opens a discrepancy
        for the level above the sender. Nothing shipped leaves the books unaccounted for.
        """
        shipment = await self.repo.shipment(req.id)
        if shipment is None:
            raise NotFound("no shipment for this requisition", field="requisition_id")
        supplier = await LocationRepository(self.stock.session).get(shipment.from_location_id)
        if supplier is None:
            raise NotFound("the shipping warehouse is gone", field="requisition_id")
        slines = await self.repo.shipment_lines(shipment.id)
        decisions = self._decisions(slines, lines)
        now = datetime.now(UTC)
        totals: dict[str, dict[uuid.UUID, int]] = {"accepted": {}, "rejected": {}, "lost": {}}
        for sl in sorted(slines, key=lambda x: (str(x.item_id), str(x.lot_id))):
            d = decisions[sl.id]
            item = await self.catalog.item(sl.item_id)
            if item is None:
                raise NotFound("a shipped item left the catalog", field="item_id")
            book = functools.partial(self._book, shipment, sl, item, at=now)
            if d.accepted:
                await book(to_loc, MovementKind.transfer_in, d.accepted,
                           f"received for {req.code}")
            if d.rejected:
                await book(supplier, MovementKind.transfer_in, d.rejected,
                           f"returned: rejected at {to_loc.code} for {req.code}: {d.reason}")
            if d.lost:
                await book(supplier, MovementKind.transfer_in, d.lost,
                           f"booked back to write off: lost in transit for {req.code}")
                loss_id = await book(supplier, MovementKind.loss, d.lost,
                                     f"lost in transit for {req.code}: {d.loss_reason}")
                balance = await self.stock.lock_balance(supplier.id, sl.item_id, sl.lot_id,
                                                        supplier.scope_path)
                await self.stock.add_discrepancy(StockDiscrepancy(
                    scope_path=supplier.scope_path, location_id=supplier.id,
                    item_id=sl.item_id, lot_id=sl.lot_id, movement_id=loss_id,
                    balance_after=balance.qty, cause=DiscrepancyCause.loss_in_transit,
                    quantity=d.lost,
                ))
            if sl.serials:
                await self._settle_serials(sl, d, to_loc, supplier)
            sl.accepted_qty, sl.rejected_qty, sl.lost_qty = d.accepted, d.rejected, d.lost
            sl.rejection_reason, sl.loss_reason = d.reason, d.loss_reason
            for key, qty in (("accepted", d.accepted), ("rejected", d.rejected),
                             ("lost", d.lost)):
                totals[key][sl.item_id] = totals[key].get(sl.item_id, 0) + qty
        for line in await self.repo.lines(req.id):
            if line.item_id in totals["accepted"]:
                line.accepted_qty = totals["accepted"][line.item_id]
                line.rejected_qty = totals["rejected"][line.item_id]
                line.lost_qty = totals["lost"][line.item_id]
        shipment.status = ShipmentStatus.delivered
        shipment.received_at, shipment.received_by = now, self.principal.user_id
        shipment.receipt_note = note
        return {"accepted": {str(k): v for k, v in totals["accepted"].items()},
                "rejected": {str(k): v for k, v in totals["rejected"].items() if v},
                "lost": {str(k): v for k, v in totals["lost"].items() if v}}

    async def _book(
        self, shipment: Shipment, sl: ShipmentLine, item: CatalogItem, loc: StockLocation,
        kind: MovementKind, qty: int, reason: str, *, at: datetime,
    ) -> uuid.UUID:
        """One movement of a shipment line's item and lot at ``loc``; its id."""
        movement, _ = await self.ledger.append(
            Entry(id=uuid.uuid4(), location_id=loc.id, item_id=sl.item_id, lot_id=sl.lot_id,
                  kind=kind, quantity=qty, occurred_at=at, reason=reason[:255]),
            location=loc, item=item, offline=False, actor_id=self.principal.user_id,
            shipment_id=shipment.id,
        )
        return movement.id

    async def _settle_serials(
        self, sl: ShipmentLine, d: Decision, to_loc: StockLocation, supplier: StockLocation
    ) -> None:
        """Accepted devices are on the receiver's shelf, rejected ones back on the sender's,
        lost ones lost (at the sender, whose books wrote them off)."""
        units = await self.units.units_by_serials(sl.serials)
        rejected = [u.id for u in units if u.serial_no in d.rejected_serials]
        lost = [u.id for u in units if u.serial_no in d.lost_serials]
        good = [u.id for u in units if u.id not in rejected and u.id not in lost]
        await self.units.move_units(good, location_id=to_loc.id, scope_path=to_loc.scope_path,
                                    status=EquipmentStatus.in_stock)
        await self.units.move_units(rejected, location_id=supplier.id,
                                    scope_path=supplier.scope_path,
                                    status=EquipmentStatus.in_stock)
        await self.units.move_units(lost, location_id=supplier.id,
                                    scope_path=supplier.scope_path, status=EquipmentStatus.lost)

    @staticmethod
    def _decisions(slines: Sequence[ShipmentLine], lines: Any) -> dict[uuid.UUID, Decision]:
        """Per shipment line what arrived, was refused and never came; default all in."""
        out = {sl.id: Decision(accepted=sl.quantity) for sl in slines}
        if lines is None:
            return out
        if not isinstance(lines, Sequence) or isinstance(lines, str | bytes):
            raise ValidationFailed("expected a list of lines", field="lines")
        by_id = {sl.id: sl for sl in slines}
        for i, line in enumerate(lines):
            if not isinstance(line, Mapping):
                raise ValidationFailed("expected an object", field=f"lines[{i}]")
            at = f"lines[{i}]"
            sl = by_id.get(parse_uuid(line.get("line_id"), f"{at}.line_id"))
            if sl is None:
                raise ValidationFailed("not a line of this shipment", field=f"{at}.line_id")
            acc = parse_count(line.get("accepted_quantity"), f"{at}.accepted_quantity")
            rej = parse_count(line.get("rejected_quantity", 0), f"{at}.rejected_quantity")
            lost = parse_count(line.get("lost_quantity", 0), f"{at}.lost_quantity")
            if acc + rej + lost != sl.quantity:
                raise ValidationFailed(
                    f"accepted + rejected + lost must equal the {sl.quantity} shipped",
                    field=f"{at}.lost_quantity" if lost else f"{at}.rejected_quantity")
            reason, loss_reason = line.get("reason"), line.get("loss_reason")
            if rej and not (isinstance(reason, str) and reason.strip()):
                raise ValidationFailed("say why goods were rejected", field=f"{at}.reason")
            if lost and not (isinstance(loss_reason, str) and loss_reason.strip()):
                raise ValidationFailed("say what happened to the goods lost in transit",
                                       field=f"{at}.loss_reason")
            for key, text in (("reason", reason), ("loss_reason", loss_reason)):
                if text is not None and (not isinstance(text, str) or len(text) > 255):
                    raise ValidationFailed("text of at most 255 characters",
                                           field=f"{at}.{key}")
            bad = _serials(line, "rejected_serials", sl, rej, at)
            missing = _serials(line, "lost_serials", sl, lost, at)
            if bad & missing:
                raise ValidationFailed("a device is either rejected or lost",
                                       field=f"{at}.lost_serials")
            out[sl.id] = Decision(acc, rej, lost, reason if rej else None,
                                  loss_reason if lost else None, bad, missing)
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """What the receiver says of one shipment line."""

    accepted: int
    rejected: int = 0
    lost: int = 0
    reason: str | None = None
    loss_reason: str | None = None
    rejected_serials: frozenset[str] = frozenset()
    lost_serials: frozenset[str] = frozenset()


def _serials(
    line: Mapping[str, Any], key: str, sl: ShipmentLine, quantity: int, at: str
) -> frozenset[str]:
    """The serials named for the rejected or lost part of a line of devices: shipped ones, as
    many as that quantity (so each device's fate is known)."""
    named = line.get(key) or []
    if not isinstance(named, Sequence) or isinstance(named, str | bytes) or not all(
        isinstance(x, str) for x in named
    ):
        raise ValidationFailed("expected a list of serial numbers", field=f"{at}.{key}")
    found = frozenset(named)
    if not found <= set(sl.serials) or len(found) != len(named):
        raise ValidationFailed(f"{key} must be serials of this shipment line, each once",
                               field=f"{at}.{key}")
    if sl.serials and len(found) != quantity:
        raise ValidationFailed(f"name the {quantity} devices ({key})", field=f"{at}.{key}")
    if not sl.serials and found:
        raise ValidationFailed("this line carries no serial numbers", field=f"{at}.{key}")
    return found
