"""An in-memory stock ledger for building demo data: it books movements the way
domain/services/stock.py does (same delta rules), picks lots first-expiring first, and keeps
the serial numbers of durable devices where the ledger says they are. The rows it collects
are bulk-inserted afterwards; stock_balance is then derived from them.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.models.supply import EquipmentStatus, MovementKind
from domain.services.stock import SIGN

M = MovementKind
Key = tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]  # location, item, lot


@dataclass(frozen=True, slots=True)
class Place:
    id: uuid.UUID
    code: str
    scope_path: str
    keeper: uuid.UUID | None = None  # who books its movements


@dataclass(frozen=True, slots=True)
class Stock:
    id: uuid.UUID
    code: str
    durable: bool
    lots: tuple[tuple[uuid.UUID, date], ...] = ()  # (lot id, expiry), first expiring first
    daily_use: float = 0.0  # per open F0 case
    minimum: int = 0  # at a station


@dataclass
class DemoLedger:
    rng: random.Random
    balances: dict[Key, int] = field(default_factory=dict)
    history: dict[Key, list[tuple[datetime, int]]] = field(default_factory=dict)
    totals: dict[tuple[uuid.UUID, uuid.UUID], int] = field(default_factory=dict)  # lots summed
    movements: list[dict[str, Any]] = field(default_factory=list)
    # durable devices: (location, item) -> serials on the shelf; shipment id -> in transit
    shelves: dict[tuple[uuid.UUID, uuid.UUID], list[str]] = field(default_factory=dict)
    transit: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID, str]]] = field(default_factory=dict)
    lost: list[tuple[uuid.UUID, uuid.UUID, str]] = field(default_factory=list)
    serial_count: int = 0

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def on_hand(self, place: Place, item: Stock) -> int:
        return self.totals.get((place.id, item.id), 0)

    def book(
        self, place: Place, item: Stock, lot: uuid.UUID | None, kind: MovementKind, qty: int,
        at: datetime, *, shelve: bool = True, **extra: Any,
    ) -> uuid.UUID:
        """Book one movement; ``shelve=False`` when the caller moves the serials itself."""
        key = (place.id, item.id, lot)
        past = self.history.setdefault(key, [])
        if kind is M.physical_count:  # against the stock just before it, like the service
            delta = qty - sum(d for t, d in past if t < at)
        else:
            delta = SIGN[kind] * qty
        past.append((at, delta))
        self.balances[key] = self.balances.get(key, 0) + delta
        self.totals[(place.id, item.id)] = self.totals.get((place.id, item.id), 0) + delta
        mid = self.new_id()
        self.movements.append({
            "id": mid, "location_id": place.id, "item_id": item.id, "lot_id": lot,
            "kind": kind, "quantity": qty, "delta": delta, "occurred_at": at, "recorded_at": at,
            "recorded_by": place.keeper, "device_id": None, "offline": extra.get("offline", False),
            "reason": extra.get("reason"), "case_id": extra.get("case_id"), "serial_no": None,
            "shipment_id": extra.get("shipment_id"), "loan_id": extra.get("loan_id"),
            "absorbed_by": None, "scope_path": place.scope_path,
        })
        if item.durable and shelve:
            self._shelve(place, item, delta)
        return mid

    def _shelve(self, place: Place, item: Stock, delta: int) -> None:
        shelf = self.shelves.setdefault((place.id, item.id), [])
        for _ in range(delta):
            self.serial_count += 1
            shelf.append(f"{item.code.upper().replace('_', '-')}-{self.serial_count:06d}")
        if delta < 0:
            for serial in shelf[delta:]:
                self.lost.append((place.id, item.id, serial))
            del shelf[delta:]

    def pick(self, place: Place, item: Stock, qty: int) -> list[tuple[uuid.UUID | None, int]]:
        """FEFO split of ``qty`` over the place's lots; whatever is missing is not picked."""
        picked: list[tuple[uuid.UUID | None, int]] = []
        left = qty
        lots: list[uuid.UUID | None] = [lot for lot, _ in item.lots] or [None]
        for lot in lots:
            take = min(self.balances.get((place.id, item.id, lot), 0), left)
            if take > 0:
                picked.append((lot, take))
                left -= take
        return picked

    def transfer(
        self, src: Place, dst: Place | None, item: Stock, qty: int, at: datetime,
        reason: str, **extra: Any,
    ) -> list[tuple[uuid.UUID | None, int, list[str]]]:
        """Transfer out of ``src`` (and into ``dst`` unless in transit): (lot, qty, serials)."""
        lines = []
        for lot, q in self.pick(src, item, qty):
            serials: list[str] = []
            if item.durable:
                shelf = self.shelves.setdefault((src.id, item.id), [])
                serials, shelf[:q] = shelf[:q], []
                self.shelves[(src.id, item.id)] = shelf
            self.book(src, item, lot, M.transfer_out, q, at, shelve=False, reason=reason, **extra)
            if dst is not None:
                self.book(dst, item, lot, M.transfer_in, q, at, shelve=False, reason=reason,
                          **extra)
                if item.durable:
                    self.shelves.setdefault((dst.id, item.id), []).extend(serials)
            elif item.durable and extra.get("shipment_id"):
                self.transit.setdefault(extra["shipment_id"], []).extend(
                    (src.id, item.id, s) for s in serials)
            lines.append((lot, q, serials))
        return lines

    def deliver(
        self, shipment_id: uuid.UUID, dst: Place, item: Stock, lot: uuid.UUID | None, qty: int,
        at: datetime, reason: str,
    ) -> None:
        """Book the accepted part of a shipment line in; its devices leave transit."""
        self.book(dst, item, lot, M.transfer_in, qty, at, shelve=False, reason=reason,
                  shipment_id=shipment_id)
        if item.durable:
            moving = [x for x in self.transit.get(shipment_id, []) if x[1] == item.id][:qty]
            for x in moving:
                self.transit[shipment_id].remove(x)
            self.shelves.setdefault((dst.id, item.id), []).extend(s for _, _, s in moving)

    def units(self, scope_of: dict[uuid.UUID, str], households: set[uuid.UUID]
              ) -> list[dict[str, Any]]:
        """Every serial the ledger knows, where it is and in what state."""
        rows = []
        for (loc, item), serials in self.shelves.items():
            status = EquipmentStatus.on_loan if loc in households else EquipmentStatus.in_stock
            rows += [(loc, item, s, status) for s in serials]
        for moved in self.transit.values():
            rows += [(loc, item, s, EquipmentStatus.in_transit) for loc, item, s in moved]
        rows += [(loc, item, s, EquipmentStatus.lost) for loc, item, s in self.lost]
        return [{"id": self.new_id(), "location_id": loc, "item_id": item, "serial_no": s,
                 "status": st, "scope_path": scope_of[loc]} for loc, item, s, st in rows]
