"""SQL for inspections and what they led to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.directive import DirectiveRecipient
from domain.models.inspection import (
    Inspection,
    InspectionAdjustment,
    InspectionCorrection,
    InspectionMerit,
)
from domain.models.supply import Requisition
from domain.repositories.scope import in_scope


class InspectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *rows: object) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def get(self, inspection_id: uuid.UUID) -> Inspection | None:
        stmt = select(Inspection).where(Inspection.id == inspection_id,
                                        Inspection.deleted.is_(False))
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def page(
        self, *, units: Sequence[str], inspector_unit_code: str | None, limit: int, offset: int
    ) -> tuple[list[Inspection], int]:
        conds: list[ColumnElement[bool]] = [
            Inspection.deleted.is_(False), *(in_scope(Inspection.scope_path, p) for p in units)]
        if inspector_unit_code is not None:
            conds.append(Inspection.inspector_unit_code == inspector_unit_code)
        stmt = (select(Inspection).where(*conds)
                .order_by(Inspection.inspected_at.desc(), Inspection.id)
                .limit(limit).offset(offset))
        rows = list(await self.session.scalars(stmt))
        total = await self.session.scalar(
            select(func.count()).select_from(Inspection).where(*conds))
        return rows, int(total or 0)

    async def corrections(self, inspection_id: uuid.UUID) -> list[DirectiveRecipient]:
        """The commune's copies of the directives carrying the inspection's corrections."""
        stmt = (select(DirectiveRecipient)
                .join(InspectionCorrection,
                      InspectionCorrection.recipient_id == DirectiveRecipient.id)
                .where(InspectionCorrection.inspection_id == inspection_id)
                .order_by(DirectiveRecipient.due_at, DirectiveRecipient.id)
                .execution_options(populate_existing=True))
        return list(await self.session.scalars(stmt))

    async def adjustments(
        self, inspection_id: uuid.UUID
    ) -> list[tuple[InspectionAdjustment, Requisition]]:
        stmt = (select(InspectionAdjustment, Requisition)
                .join(Requisition, Requisition.id == InspectionAdjustment.requisition_id)
                .where(InspectionAdjustment.inspection_id == inspection_id)
                .order_by(InspectionAdjustment.created_at, InspectionAdjustment.id)
                .execution_options(populate_existing=True))
        return [(a, r) for a, r in (await self.session.execute(stmt)).all()]

    async def merits(self, inspection_id: uuid.UUID) -> list[InspectionMerit]:
        stmt = (select(InspectionMerit).where(InspectionMerit.inspection_id == inspection_id,
                                              InspectionMerit.deleted.is_(False))
                .order_by(InspectionMerit.decided_at, InspectionMerit.id))
        return list(await self.session.scalars(stmt))
