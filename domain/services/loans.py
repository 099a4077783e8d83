"""Loans of serial-numbered equipment (SpO2 meters, oxygen cylinders) to F0 households.

A loan moves the device from the station's ledger to the household's (a transfer out and a
transfer in), so station stock shows only what is on the shelf; the return moves it back,
or books a loss when the household lost it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.models.case import F0Case
from domain.models.supply import (
    CatalogItem,
    EquipmentLoan,
    EquipmentStatus,
    EquipmentUnit,
    LoanStatus,
    LocationKind,
    MovementKind,
    StockLocation,
)
from domain.repositories.catalog import CatalogRepository
from domain.repositories.loans import EquipmentRepository
from domain.repositories.locations import LocationRepository
from domain.rules.case_status import OPEN_STATUSES
from domain.rules.recorded_time import FUTURE_TOLERANCE
from domain.services.locations import LocationService, require_keeper
from domain.services.stock import Entry, StockLedger

ReturnCondition = Literal["good", "damaged", "lost"]


class LoanService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = EquipmentRepository(session)
        self.locations = LocationService(session, principal)
        self.ledger = StockLedger(session)

    async def get(self, loan_id: uuid.UUID, *, lock: bool = False) -> EquipmentLoan:
        loan = await self.repo.loan(loan_id, lock=lock)
        if loan is None or not self.principal.can_read(loan.scope_path):
            raise NotFound("loan not found", field="loan_id")
        return loan

    async def serial_of(self, loan: EquipmentLoan) -> str:
        unit = await self.session.get(EquipmentUnit, loan.unit_id)
        return unit.serial_no if unit else ""

    async def search(
        self, *, status: LoanStatus | None, overdue: bool, case_id: uuid.UUID | None,
        limit: int, offset: int,
    ) -> tuple[Sequence[tuple[EquipmentLoan, str]], int]:
        return await self.repo.loans(
            scope_path=self.principal.unit_path, status=status, case_id=case_id,
            overdue_on=datetime.now(UTC).date() if overdue else None, limit=limit, offset=offset,
        )

    async def units(
        self, *, location_id: uuid.UUID | None, item_id: uuid.UUID | None,
        status: EquipmentStatus | None, limit: int, offset: int,
    ) -> tuple[Sequence[EquipmentUnit], int]:
        return await self.repo.units(scope_path=self.principal.unit_path,
                                     location_id=location_id, item_id=item_id, status=status,
                                     limit=limit, offset=offset)

    async def lend(
        self, *, serial_no: str, case_id: uuid.UUID, due_on: date, note: str | None = None,
        loan_id: uuid.UUID | None = None, lent_at: datetime | None = None,
    ) -> tuple[EquipmentLoan, bool]:
        """Lend a device on the station's shelf to an F0 of that station; the same loan id
        again, for the same case, device and due date, returns the loan (created=False).
        ``lent_at``: when it happened (a dispensing pushed later), by default now."""
        if loan_id is not None and (old := await self.repo.loan(loan_id)) is not None:
            if (old.case_id != case_id or old.due_on != due_on
                    or not self.principal.can_read(old.scope_path)
                    or await self.serial_of(old) != serial_no):
                raise Conflict(f"loan {loan_id} already exists", field="id")
            return old, False
        unit = await self.repo.unit_by_serial(serial_no)
        if unit is None or not self.principal.can_read(unit.scope_path):
            raise NotFound(f"no device with serial {serial_no}", field="serial_no")
        station = await self.locations.get(unit.location_id)
        require_keeper(self.principal, station)
        if station.kind is not LocationKind.station or unit.status is not EquipmentStatus.in_stock:
            raise Conflict(f"device {serial_no} is {unit.status.value}, not on a station's shelf",
                           field="serial_no")
        case = await self.session.get(F0Case, case_id)
        if case is None or not self.principal.can_read(case.scope_path):
            raise NotFound("F0 case not found", field="case_id")
        if case.station_id != station.station_id or case.status not in OPEN_STATUSES:
            raise ValidationFailed("devices are lent to open F0 cases of the station",
                                   field="case_id")
        now = lent_at or datetime.now(UTC)
        if now > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise ValidationFailed("the device cannot be lent in the future", field="given_at")
        if due_on < now.date():
            raise ValidationFailed("the due date has passed", field="due_on")
        household = await self.locations.household(case)
        loan = await self.repo.add_loan(EquipmentLoan(
            id=loan_id or uuid.uuid4(), unit_id=unit.id, item_id=unit.item_id, case_id=case.id,
            station_location_id=station.id, household_location_id=household.id, lent_at=now,
            due_on=due_on, lent_by=self.principal.user_id, note=note,
            scope_path=station.scope_path,
        ))
        await self._move(unit, loan, station, household, now, "lent to F0 household")
        await self.repo.move_units([unit.id], location_id=household.id,
                                   scope_path=household.scope_path, status=EquipmentStatus.on_loan)
        return loan, True

    async def give_back(
        self, loan_id: uuid.UUID, *, condition: ReturnCondition, note: str | None = None
    ) -> EquipmentLoan:
        """Close a loan: the device is back on the shelf (good), back but out of use
        (damaged: booked as a loss at the station), or lost at the household."""
        loan = await self.get(loan_id, lock=True)
        locations = LocationRepository(self.session)
        station = await locations.get(loan.station_location_id)
        household = await locations.get(loan.household_location_id)
        if station is None or household is None:
            raise NotFound("loan locations not found", field="loan_id")
        require_keeper(self.principal, station)
        if loan.status is not LoanStatus.open:
            raise Conflict(f"the loan is already {loan.status.value}", field="status")
        unit = await self.session.get(EquipmentUnit, loan.unit_id, with_for_update=True)
        if unit is None:
            raise NotFound("lent device not found", field="loan_id")
        now = datetime.now(UTC)
        item = await self._item(unit)
        if condition == "lost":
            await self._append(item, household, loan, MovementKind.loss, now,
                               "lost by the F0 household", unit.serial_no)
            status, loan.status = EquipmentStatus.lost, LoanStatus.lost
            target = household
        else:
            await self._move(unit, loan, household, station, now, "returned by F0 household")
            status, target, loan.status = EquipmentStatus.in_stock, station, LoanStatus.returned
            if condition == "damaged":
                await self._append(item, station, loan, MovementKind.loss, now,
                                   "damaged on return", unit.serial_no)
                status = EquipmentStatus.damaged
        await self.repo.move_units([unit.id], location_id=target.id,
                                   scope_path=target.scope_path, status=status)
        loan.returned_at, loan.returned_by = now, self.principal.user_id
        loan.return_condition, loan.note = condition, note or loan.note
        await self.session.flush()
        return loan

    async def _item(self, unit: EquipmentUnit) -> CatalogItem:
        item = await CatalogRepository(self.session).item(unit.item_id)
        if item is None:
            raise NotFound("catalog item not found", field="item_id")
        return item

    async def _move(
        self, unit: EquipmentUnit, loan: EquipmentLoan, src: StockLocation, dst: StockLocation,
        at: datetime, reason: str,
    ) -> None:
        item = await self._item(unit)
        await self._append(item, src, loan, MovementKind.transfer_out, at, reason, unit.serial_no)
        await self._append(item, dst, loan, MovementKind.transfer_in, at, reason, unit.serial_no)

    async def _append(
        self, item: CatalogItem, loc: StockLocation, loan: EquipmentLoan, kind: MovementKind,
        at: datetime, reason: str, serial_no: str,
    ) -> None:
        await self.ledger.append(
            Entry(id=uuid.uuid4(), location_id=loc.id, item_id=item.id, lot_id=None, kind=kind,
                  quantity=1, occurred_at=at, reason=reason, serial_no=serial_no),
            location=loc, item=item, offline=False, actor_id=self.principal.user_id,
            loan_id=loan.id,
        )
