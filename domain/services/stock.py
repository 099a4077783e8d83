"""The stock ledger: every change is an immutable movement; stock on hand is derived.

Each movement locks its (location, item, lot) balance row, is inserted, and moves the
balance by its ``delta`` in the same transaction, so concurrent writers serialise per key
and the balance always equals the sum of the ledger's deltas.

Late and back-dated movements, and physical counts:

* A count at time T says "stock was C at T". Its delta is C minus the ledger's balance just
  before T (movements with ``occurred_at < T``), so movements after T still apply on top.
* The latest count is the authority for everything before it. A movement that arrives late
  with ``occurred_at`` earlier than the key's latest count (an offline issue made at 09:00,
  synced after the 10:00 count) was physically included in that count: it is recorded as it
  happened, with ``delta = 0`` and ``absorbed_by`` naming the count, so it changes no stock.
  The same holds for an older count arriving after a newer one (or a second count of the
  same instant). A movement at exactly the count's time counts as after it.
* A back-dated movement later than the latest count simply applies its delta.

Expired lots: an issue of a lot past its expiry date is refused (ExpiredLot, 422), online
and pushed alike (domain/rules/expiry.py); writing it off, counting or adjusting it is not.

Below zero: an online request that would take stock below zero is refused
(InsufficientStock). A pushed movement (``offline=True``) records a physical event that
already happened, so it is accepted and a discrepancy is opened for reconciliation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from domain.models.case import F0Case
from domain.models.supply import (
    CatalogItem,
    EquipmentStatus,
    EquipmentUnit,
    MovementKind,
    StockDiscrepancy,
    StockLocation,
    StockMovement,
)
from domain.repositories.catalog import CatalogRepository
from domain.repositories.loans import EquipmentRepository
from domain.repositories.stock import StockRepository
from domain.rules.expiry import OUTGOING, require_unexpired
from domain.rules.recorded_time import FUTURE_TOLERANCE
from domain.services.locations import LocationService, require_keeper

M = MovementKind
SIGN = {M.receipt: 1, M.transfer_in: 1, M.issue: -1, M.transfer_out: -1, M.loss: -1,
        M.expiry: -1, M.adjustment: 1}
REASON_REQUIRED = frozenset({M.adjustment, M.loss, M.expiry})


@dataclass(frozen=True, slots=True)
class Entry:
    """A movement as reported; the fields compared when the same id arrives again."""

    id: uuid.UUID
    location_id: uuid.UUID
    item_id: uuid.UUID
    lot_id: uuid.UUID | None
    kind: MovementKind
    quantity: int
    occurred_at: datetime
    reason: str | None = None
    case_id: uuid.UUID | None = None
    serial_no: str | None = None


_COMPARED = [f.name for f in fields(Entry)]


class StockLedger:
    """Appends movements and keeps stock_balance in step, inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.repo = StockRepository(session)

    async def append(
        self, e: Entry, *, location: StockLocation, item: CatalogItem, offline: bool,
        actor_id: uuid.UUID | None, device_id: uuid.UUID | None = None,
        shipment_id: uuid.UUID | None = None, loan_id: uuid.UUID | None = None,
    ) -> tuple[StockMovement, bool]:
        """Returns (movement, created); the same id with the same content is a no-op."""
        bal = await self.repo.lock_balance(e.location_id, e.item_id, e.lot_id, location.scope_path)
        existing = await self.repo.movement(e.id)
        if existing is not None:
            if any(getattr(existing, f) != getattr(e, f) for f in _COMPARED):
                raise Conflict(f"movement {e.id} was already recorded with other content",
                               field="id")
            return existing, False
        absorbed_by = None
        last = bal.last_count_at
        if last is not None and (e.occurred_at < last
                                 or (e.kind is M.physical_count and e.occurred_at == last)):
            delta, absorbed_by = 0, bal.last_count_id
        elif e.kind is M.physical_count:
            later = bal.last_occurred_at is not None and e.occurred_at <= bal.last_occurred_at
            before = (await self.repo.balance_before(e.location_id, e.item_id, e.lot_id,
                                                     e.occurred_at)) if later else bal.qty
            delta = e.quantity - before
        else:
            delta = SIGN[e.kind] * e.quantity
        short = delta < 0 and bal.qty + delta < 0
        # a count is an observation: never refused, flagged if later issues leave it negative
        if short and not offline and e.kind is not M.physical_count:
            raise InsufficientStock(
                f"only {bal.qty} {item.unit_of_issue} of {item.code} on hand at "
                f"{location.code}", field="quantity",
            )
        movement = await self.repo.add_movement(StockMovement(
            id=e.id, location_id=e.location_id, item_id=e.item_id, lot_id=e.lot_id,
            kind=e.kind, quantity=e.quantity, delta=delta, occurred_at=e.occurred_at,
            reason=e.reason, case_id=e.case_id, serial_no=e.serial_no, offline=offline,
            recorded_by=actor_id, device_id=device_id, shipment_id=shipment_id,
            loan_id=loan_id, absorbed_by=absorbed_by, scope_path=location.scope_path,
        ))
        is_new_count = e.kind is M.physical_count and absorbed_by is None
        await self.repo.apply_delta(bal.id, delta, e.occurred_at,
                                    count_id=e.id if is_new_count else None)
        if short:
            await self.repo.add_discrepancy(StockDiscrepancy(
                scope_path=location.scope_path, location_id=e.location_id, item_id=e.item_id,
                lot_id=e.lot_id, movement_id=e.id, balance_after=bal.qty + delta,
            ))
        return movement, True


class StockService:
    """The ledger's writes as the principal makes them (API, sync push), in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def record(
        self, *, movement_id: uuid.UUID, location_id: uuid.UUID, item_id: uuid.UUID,
        lot_id: uuid.UUID | None, kind: str, quantity: int, occurred_at: datetime,
        reason: str | None, device_id: uuid.UUID | None = None, offline: bool = False,
        case_id: uuid.UUID | None = None, serial_no: str | None = None,
    ) -> StockMovement:
        """Record one movement made by the keeper of its location, online or pushed by a device.

        ``offline=True`` (sync push) accepts a movement taking stock below zero and opens a
        discrepancy; the same id with the same content returns the existing movement; the same
        id with different content raises Conflict.
        """
        movement, _ = await self.record_once(
            movement_id=movement_id, location_id=location_id, item_id=item_id,
            lot_id=lot_id, kind=kind, quantity=quantity, occurred_at=occurred_at, reason=reason,
            device_id=device_id, offline=offline, case_id=case_id, serial_no=serial_no,
        )
        return movement

    async def record_once(
        self, *, movement_id: uuid.UUID, location_id: uuid.UUID, item_id: uuid.UUID,
        lot_id: uuid.UUID | None, kind: str, quantity: int, occurred_at: datetime,
        reason: str | None, device_id: uuid.UUID | None = None, offline: bool = False,
        case_id: uuid.UUID | None = None, serial_no: str | None = None,
    ) -> tuple[StockMovement, bool]:
        """``record`` that also tells whether this call created it (False on a replay)."""
        try:
            mkind = MovementKind(kind)
        except ValueError:
            raise ValidationFailed(f"unknown movement kind {kind!r}", field="kind") from None
        location = await LocationService(self.session, self.principal).get(location_id)
        require_keeper(self.principal, location)
        item = await CatalogRepository(self.session).item(item_id)
        if item is None:
            raise NotFound("catalog item not found", field="item_id")
        entry = Entry(
            id=movement_id, location_id=location_id, item_id=item_id, lot_id=lot_id, kind=mkind,
            quantity=quantity, occurred_at=occurred_at, reason=reason, case_id=case_id,
            serial_no=serial_no,
        )
        await _validate(self.session, entry, item, location)
        ledger = StockLedger(self.session)
        if serial_no is not None and await ledger.repo.movement(movement_id) is None:
            await _track_serial(self.session, entry, serial_no, location)
        return await ledger.append(
            entry, location=location, item=item, offline=offline, actor_id=self.principal.user_id,
            device_id=device_id or self.principal.device_id,
        )


async def _validate(
    session: AsyncSession, e: Entry, item: CatalogItem, location: StockLocation
) -> None:
    if e.occurred_at.tzinfo is None:
        raise ValidationFailed("occurred_at needs a time zone offset", field="occurred_at")
    if e.occurred_at > datetime.now(UTC) + FUTURE_TOLERANCE:
        raise ValidationFailed("occurred_at is in the future", field="occurred_at")
    if e.kind is M.physical_count and e.quantity < 0:
        raise ValidationFailed("a count cannot be negative", field="quantity")
    if e.kind is M.adjustment and e.quantity == 0:
        raise ValidationFailed("an adjustment changes stock by a non-zero amount",
                               field="quantity")
    if e.kind not in (M.physical_count, M.adjustment) and e.quantity <= 0:
        raise ValidationFailed(f"a {e.kind.value} moves a positive quantity", field="quantity")
    if e.kind in REASON_REQUIRED and not (e.reason or "").strip():
        raise ValidationFailed(f"a {e.kind.value} needs a reason", field="reason")
    if item.lot_tracked and e.lot_id is None:
        raise ValidationFailed(f"{item.code} is tracked by lot: give lot_id", field="lot_id")
    if not item.lot_tracked and e.lot_id is not None:
        raise ValidationFailed(f"{item.code} is not tracked by lot", field="lot_id")
    if e.lot_id is not None:
        lot = await CatalogRepository(session).lot(e.lot_id)
        if lot is None or lot.item_id != e.item_id:
            raise NotFound("lot not found for this item", field="lot_id")
        if e.kind in OUTGOING:
            require_unexpired(lot, e.occurred_at)
    if e.serial_no is not None and not (item.durable and e.quantity == 1
                                        and e.kind in (M.receipt, M.loss)):
        raise ValidationFailed(
            "a serial number goes with a receipt or loss of one durable device",
            field="serial_no",
        )
    if e.case_id is not None:
        case = await session.get(F0Case, e.case_id)
        if case is None or case.scope_path != location.scope_path or e.kind is not M.issue:
            raise ValidationFailed("issues go to an F0 case of the location's commune",
                                   field="case_id")


async def _track_serial(
    session: AsyncSession, e: Entry, serial_no: str, location: StockLocation
) -> None:
    """A receipt registers the device at the location; a loss marks it lost."""
    repo = EquipmentRepository(session)
    unit = await repo.unit_by_serial(serial_no)
    if e.kind is M.receipt:
        if unit is not None and unit.status is not EquipmentStatus.lost:
            raise Conflict(f"serial {serial_no} is already registered", field="serial_no")
        if unit is None:
            await repo.add_unit(EquipmentUnit(
                item_id=e.item_id, serial_no=serial_no, location_id=location.id,
                scope_path=location.scope_path,
            ))
        else:
            await repo.move_units([unit.id], location_id=location.id,
                                  scope_path=location.scope_path, status=EquipmentStatus.in_stock)
        return
    if unit is None or unit.location_id != location.id:
        raise ValidationFailed(f"serial {serial_no} is not held here", field="serial_no")
    await repo.move_units([unit.id], location_id=location.id, scope_path=location.scope_path,
                          status=EquipmentStatus.lost)
