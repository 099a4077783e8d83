"""SQL of proposals to the level above."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.proposal import Proposal, ProposalStatus
from domain.repositories.scope import in_scope


class ProposalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, proposal_id: uuid.UUID, *, lock: bool = False) -> Proposal | None:
        stmt = select(Proposal).where(Proposal.id == proposal_id, Proposal.deleted.is_(False))
        if lock:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def add(self, proposal: Proposal) -> Proposal:
        self.session.add(proposal)
        await self.session.flush()
        return proposal

    async def page(
        self, *, scope_path: str, status: ProposalStatus | None, to_unit_code: str | None,
        limit: int, offset: int,
    ) -> tuple[list[Proposal], int]:
        conds: list[Any] = [Proposal.deleted.is_(False), in_scope(Proposal.scope_path, scope_path)]
        if status is not None:
            conds.append(Proposal.status == status)
        if to_unit_code is not None:
            conds.append(Proposal.to_unit_code == to_unit_code)
        rows = await self.session.scalars(
            select(Proposal).where(*conds)
            .order_by(Proposal.created_at.desc(), Proposal.id).limit(limit).offset(offset))
        total = await self.session.scalar(select(func.count()).select_from(Proposal).where(*conds))
        return list(rows), int(total or 0)

    async def of_reports(self, report_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Proposal]]:
        """The proposals that cite each of these reports, oldest first."""
        out: dict[uuid.UUID, list[Proposal]] = {rid: [] for rid in report_ids}
        if not report_ids:
            return out
        rows = await self.session.scalars(
            select(Proposal).where(Proposal.report_id.in_(report_ids),
                                   Proposal.deleted.is_(False))
            .order_by(Proposal.created_at, Proposal.id))
        for p in rows:
            if p.report_id is not None:
                out[p.report_id].append(p)
        return out
