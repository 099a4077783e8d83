"""SQL for dispensings (bags given, devices lent, with their stock movements)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.dispensing import Dispensing
from domain.repositories.scope import in_scope


class DispensingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, dispensing_id: uuid.UUID) -> Dispensing | None:
        return await self.session.get(Dispensing, dispensing_id, populate_existing=True)

    async def add(self, row: Dispensing) -> Dispensing:
        self.session.add(row)
        await self.session.flush()
        return row

    async def page(
        self, *, scope_path: str, case_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[Sequence[Dispensing], int]:
        """Dispensings in scope, newest first."""
        conds = [in_scope(Dispensing.scope_path, scope_path), Dispensing.deleted.is_(False)]
        if case_id is not None:
            conds.append(Dispensing.case_id == case_id)
        total = await self.session.scalar(select(func.count()).where(*conds))
        rows = await self.session.scalars(
            select(Dispensing).where(*conds)
            .order_by(Dispensing.given_at.desc(), Dispensing.id).limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)
