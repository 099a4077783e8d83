"""SQL for serial-numbered equipment and its loans to F0 households."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.supply import EquipmentLoan, EquipmentStatus, EquipmentUnit, LoanStatus
from domain.repositories.scope import in_scope


class EquipmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def unit_by_serial(self, serial_no: str) -> EquipmentUnit | None:
        """The unit, locked: a serial moves in one transaction at a time."""
        return await self.session.scalar(
            select(EquipmentUnit).where(EquipmentUnit.serial_no == serial_no)
            .with_for_update().execution_options(populate_existing=True)
        )

    async def add_unit(self, unit: EquipmentUnit) -> EquipmentUnit:
        self.session.add(unit)
        await self.session.flush()
        return unit

    async def pick_in_stock(
        self, location_id: uuid.UUID, item_id: uuid.UUID, n: int
    ) -> Sequence[EquipmentUnit]:
        """Up to ``n`` units on the shelf at a location, locked, lowest serial first."""
        stmt = (
            select(EquipmentUnit)
            .where(EquipmentUnit.location_id == location_id, EquipmentUnit.item_id == item_id,
                   EquipmentUnit.status == EquipmentStatus.in_stock)
            .order_by(EquipmentUnit.serial_no).limit(n)
            .with_for_update(skip_locked=True).execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).all()

    async def units_by_serials(self, serials: Sequence[str]) -> Sequence[EquipmentUnit]:
        stmt = (
            select(EquipmentUnit).where(EquipmentUnit.serial_no.in_(serials))
            .with_for_update().execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).all()

    async def move_units(
        self, unit_ids: Sequence[uuid.UUID], *, location_id: uuid.UUID, scope_path: str,
        status: EquipmentStatus,
    ) -> None:
        if unit_ids:
            await self.session.execute(
                update(EquipmentUnit).where(EquipmentUnit.id.in_(unit_ids))
                .values(location_id=location_id, scope_path=scope_path, status=status)
            )

    async def set_status(self, unit_ids: Sequence[uuid.UUID], status: EquipmentStatus) -> None:
        if unit_ids:
            await self.session.execute(
                update(EquipmentUnit).where(EquipmentUnit.id.in_(unit_ids)).values(status=status)
            )

    async def units(
        self, *, scope_path: str, location_id: uuid.UUID | None, item_id: uuid.UUID | None,
        status: EquipmentStatus | None, limit: int, offset: int,
    ) -> tuple[Sequence[EquipmentUnit], int]:
        conds = [in_scope(EquipmentUnit.scope_path, scope_path)]
        if location_id is not None:
            conds.append(EquipmentUnit.location_id == location_id)
        if item_id is not None:
            conds.append(EquipmentUnit.item_id == item_id)
        if status is not None:
            conds.append(EquipmentUnit.status == status)
        total = await self.session.scalar(select(func.count()).where(*conds))
        rows = await self.session.scalars(
            select(EquipmentUnit).where(*conds).order_by(EquipmentUnit.serial_no)
            .limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)

    # -- loans ------------------------------------------------------------------------------
    async def loan(self, loan_id: uuid.UUID, *, lock: bool = False) -> EquipmentLoan | None:
        return await self.session.get(
            EquipmentLoan, loan_id, with_for_update=lock or None, populate_existing=True
        )

    async def add_loan(self, loan: EquipmentLoan) -> EquipmentLoan:
        self.session.add(loan)
        await self.session.flush()
        return loan

    async def loans(
        self, *, scope_path: str, status: LoanStatus | None, overdue_on: date | None,
        case_id: uuid.UUID | None, limit: int, offset: int,
    ) -> tuple[Sequence[tuple[EquipmentLoan, str]], int]:
        """Loans in scope with the lent unit's serial; ``overdue_on`` keeps open loans due
        before that day, oldest due first."""
        conds = [in_scope(EquipmentLoan.scope_path, scope_path)]
        if status is not None:
            conds.append(EquipmentLoan.status == status)
        if overdue_on is not None:
            conds += [EquipmentLoan.status == LoanStatus.open, EquipmentLoan.due_on < overdue_on]
        if case_id is not None:
            conds.append(EquipmentLoan.case_id == case_id)
        total = await self.session.scalar(select(func.count()).where(*conds))
        rows = await self.session.execute(
            select(EquipmentLoan, EquipmentUnit.serial_no)
            .join(EquipmentUnit, EquipmentUnit.id == EquipmentLoan.unit_id)
            .where(*conds).order_by(EquipmentLoan.due_on, EquipmentLoan.lent_at)
            .limit(limit).offset(offset)
        )
        return [(r[0], r[1]) for r in rows], int(total or 0)
