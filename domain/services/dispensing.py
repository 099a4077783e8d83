"""Dispensing: giving a medicine bag or lending a device is ONE action that records the case
side and takes the stock from the station's shelf, in one transaction, online and pushed.

Rules decided here:
- The case side is the case's own rules, called, not copied: ``CaseService.give_medicine_bag``
  (who gives which bag: A anyone caring for the patient, B once a doctor ordered it, C a doctor
  within the antiviral window; each bag once) and ``LoanService.lend`` (the station's keepers
  lend a device on its shelf to an open case of the station).
- A bag leaves the stock location of the case's station: the lot the user names (it must be a
  lot of that bag and not expired on the day of the giving: 422 ``lot_expired``), or else the
  first expiring valid lot (domain/services/picking.py, the rule shipments pick by).
- Short stock online is refused with 409 ``insufficient_stock``, as every online issue is, and
  nothing is written. A pushed dispensing (``offline=True``) already happened: it is kept,
  the ledger goes below zero on the named (or first valid) lot and a discrepancy opens.
  Only when the catalog knows no valid lot of the bag at all is there nothing to book on.
- A loan books the device out of the station and into the household (LoanService); a device
  that is not on the station's shelf is refused, offline too (a serial is in one place).
- The id is the client's: the same id with the same content returns the first dispensing
  (created=False); with other content it is a Conflict on ``id``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.models.case import F0Case
from domain.models.dispensing import Dispensing, DispensingKind
from domain.models.supply import CatalogItem, MovementKind, StockLocation
from domain.repositories.catalog import CatalogRepository
from domain.repositories.dispensing import DispensingRepository
from domain.repositories.locations import LocationRepository
from domain.repositories.stock import StockRepository
from domain.rules.expiry import require_unexpired
from domain.services.cases import CaseService, MedicineBag
from domain.services.catalog import item_id as catalog_item_id
from domain.services.loans import LoanService
from domain.services.picking import pick_fefo
from domain.services.stock import Entry, StockLedger

BAGS: dict[DispensingKind, MedicineBag] = {
    DispensingKind.bag_a: MedicineBag.A, DispensingKind.bag_b: MedicineBag.B,
    DispensingKind.bag_c: MedicineBag.C,
}
KIND_OF_BAG = {bag: kind for kind, bag in BAGS.items()}
_IDS = uuid.UUID("1b5e3a52-7f0c-4d35-9a51-6f1d2c0e8b44")


def movement_id_of(dispensing_id: uuid.UUID) -> uuid.UUID:
    """The stock issue a dispensing books has an id derived from it, so a retry finds it."""
    return uuid.uuid5(_IDS, f"{dispensing_id}:issue")


def dispensing_id_of_bag(case_id: uuid.UUID, bag: MedicineBag) -> uuid.UUID:
    """The dispensing behind a bag given through the case record (one per case and bag)."""
    return uuid.uuid5(_IDS, f"{case_id}:bag_{bag.value.lower()}")


class DispensingService:
    """Dispensings the principal reads and makes, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = DispensingRepository(session)

    async def get(self, dispensing_id: uuid.UUID) -> Dispensing:
        row = await self.repo.get(dispensing_id)
        if row is None or not self.principal.can_read(row.scope_path):
            raise NotFound("dispensing not found", field="dispensing_id")
        return row

    async def search(
        self, *, case_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[list[Dispensing], int]:
        rows, total = await self.repo.page(scope_path=self.principal.unit_path, case_id=case_id,
                                           limit=limit, offset=offset)
        return list(rows), total

    async def dispense(
        self, *, dispensing_id: uuid.UUID, case_id: uuid.UUID, kind: DispensingKind,
        given_at: datetime | None = None, lot_id: uuid.UUID | None = None,
        serial_no: str | None = None, due_on: date | None = None, offline: bool = False,
        device_id: uuid.UUID | None = None, note: str | None = None,
    ) -> tuple[Dispensing, bool]:
        """Record the giving and move its stock; (dispensing, created). ``note`` goes with a
        loan (``POST /api/loans`` lends through here, so every loan is a dispensing too)."""
        existing = await self.repo.get(dispensing_id)
        if existing is not None:
            if not self.principal.can_read(existing.scope_path) or _differs(
                existing, case_id=case_id, kind=kind, given_at=given_at, lot_id=lot_id,
                serial_no=serial_no, due_on=due_on,
            ):
                raise Conflict(f"dispensing {dispensing_id} was already recorded with other "
                               "content", field="id")
            return existing, False
        if given_at is not None and given_at.tzinfo is None:
            raise ValidationFailed("given_at needs a time zone offset", field="given_at")
        at = given_at or datetime.now(UTC)
        if kind is DispensingKind.loan:
            return await self._lend(dispensing_id, case_id, at, serial_no, due_on, lot_id,
                                    offline, device_id, note)
        if serial_no is not None or due_on is not None or note is not None:
            raise ValidationFailed(
                "a medicine bag carries no serial number, due date or note",
                field="serial_no" if serial_no is not None else "due_on" if due_on is not None
                else "note")
        return await self._give_bag(dispensing_id, case_id, kind, at, lot_id, offline,
                                    device_id), True

    async def _give_bag(
        self, dispensing_id: uuid.UUID, case_id: uuid.UUID, kind: DispensingKind,
        at: datetime, lot_id: uuid.UUID | None, offline: bool, device_id: uuid.UUID | None,
    ) -> Dispensing:
        view = await CaseService(self.session, self.principal).give_medicine_bag(
            case_id, BAGS[kind], given_at=at)
        case = view.case
        location = await self._station_location(case)
        item = await self._item(catalog_item_id(kind.value))
        lot = await self._lot(item, lot_id, at)
        stock = StockRepository(self.session)
        if lot is None:
            [pick] = await pick_fefo(stock, location, item, 1, on=at.astimezone(UTC).date(),
                                     field="lot_id", allow_short=offline)
            lot = pick.lot_id
        movement_id = movement_id_of(dispensing_id)
        await StockLedger(self.session).append(
            Entry(id=movement_id, location_id=location.id, item_id=item.id, lot_id=lot,
                  kind=MovementKind.issue, quantity=1, occurred_at=at,
                  reason=f"bag {BAGS[kind].value} given to {case.case_code}", case_id=case.id),
            location=location, item=item, offline=offline, actor_id=self.principal.user_id,
            device_id=device_id or self.principal.device_id,
        )
        return await self.repo.add(Dispensing(
            id=dispensing_id, case_id=case.id, kind=kind, given_at=at, location_id=location.id,
            item_id=item.id, lot_id=lot, movement_id=movement_id,
            recorded_by=self.principal.user_id, device_id=device_id or self.principal.device_id,
            offline=offline, scope_path=case.scope_path,
        ))

    async def _lend(
        self, dispensing_id: uuid.UUID, case_id: uuid.UUID, at: datetime,
        serial_no: str | None, due_on: date | None, lot_id: uuid.UUID | None, offline: bool,
        device_id: uuid.UUID | None, note: str | None,
    ) -> tuple[Dispensing, bool]:
        """The loan and its dispensing, both with the dispensing's id. A loan that already
        was (lent before loans were dispensings, or by a request racing this one) keeps its
        own time and lender, and is not created again."""
        if serial_no is None:
            raise ValidationFailed("a loan names the device's serial number", field="serial_no")
        if due_on is None:
            raise ValidationFailed("a loan says when the device is due back", field="due_on")
        if lot_id is not None:
            raise ValidationFailed("lent devices are tracked by serial, not lot", field="lot_id")
        loan, created = await LoanService(self.session, self.principal).lend(
            serial_no=serial_no, case_id=case_id, due_on=due_on, loan_id=dispensing_id,
            lent_at=at, note=note,
        )
        return await self.repo.add(Dispensing(
            id=dispensing_id, case_id=case_id, kind=DispensingKind.loan,
            given_at=at if created else loan.lent_at,
            location_id=loan.station_location_id, item_id=loan.item_id, serial_no=serial_no,
            due_on=due_on, loan_id=loan.id,
            recorded_by=self.principal.user_id if created else loan.lent_by,
            device_id=device_id or self.principal.device_id, offline=offline,
            scope_path=loan.scope_path,
        )), created

    async def _station_location(self, case: F0Case) -> StockLocation:
        location = await LocationRepository(self.session).of_station(case.station_id)
        if location is None or location.deleted:
            raise Conflict("the case's station keeps no stock to give from", field="case_id")
        return location

    async def _item(self, item_id: uuid.UUID) -> CatalogItem:
        item = await CatalogRepository(self.session).item(item_id)
        if item is None:
            raise NotFound("the bag is not in the catalog", field="kind")
        return item

    async def _lot(
        self, item: CatalogItem, lot_id: uuid.UUID | None, at: datetime
    ) -> uuid.UUID | None:
        """The named lot, checked: of this item, and still good on the day of the giving."""
        if lot_id is None:
            return None
        lot = await CatalogRepository(self.session).lot(lot_id)
        if lot is None or lot.item_id != item.id:
            raise NotFound(f"no lot of {item.code} with this id", field="lot_id")
        require_unexpired(lot, at)
        return lot.id


def _differs(row: Dispensing, **pushed: object) -> bool:
    """A replay may leave out what the server filled in (the time, the picked lot)."""
    return any(value is not None and getattr(row, name) != value
               for name, value in pushed.items())
