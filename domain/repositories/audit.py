"""SQL for reading the audit trail (the trigger of domain/ddl.py writes it)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.audit import AuditEntry
from domain.repositories.scope import in_scope


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, *, unit_path: str, entity: str | None, row_id: uuid.UUID | None, limit: int,
        offset: int,
    ) -> tuple[list[AuditEntry], int]:
        """Entries whose row lies in the unit, oldest first (the order things happened)."""
        conds = [in_scope(AuditEntry.scope_path, unit_path)]
        if entity is not None:
            conds.append(AuditEntry.entity == entity)
        if row_id is not None:
            conds.append(AuditEntry.row_id == row_id)
        stmt = select(AuditEntry).where(*conds).order_by(AuditEntry.id).limit(limit).offset(offset)
        rows = list(await self.session.scalars(stmt))
        total = await self.session.scalar(
            select(func.count()).select_from(AuditEntry).where(*conds)
        )
        return rows, int(total or 0)
