"""SQL for the vital-sign follow-up worklist: cases under home care past their due time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.case import CaseFollowUp, F0Case
from domain.repositories.scope import in_scope


@dataclass(frozen=True, slots=True)
class OverdueRow:
    case: F0Case
    followup: CaseFollowUp


class FollowUpRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def overdue(
        self, *, units: Sequence[str], now: datetime, station_id: uuid.UUID | None,
        team_id: uuid.UUID | None, limit: int, offset: int,
    ) -> tuple[list[OverdueRow], int]:
        """Cases under care whose ``next_due_at`` has come by ``now``, longest overdue first."""
        conds: list[ColumnElement[bool]] = [
            CaseFollowUp.under_care.is_(True), CaseFollowUp.deleted.is_(False),
            CaseFollowUp.next_due_at <= now, F0Case.deleted.is_(False),
        ]
        conds += [in_scope(CaseFollowUp.scope_path, p) for p in units]
        if station_id is not None:
            conds.append(F0Case.station_id == station_id)
        if team_id is not None:
            conds.append(F0Case.team_id == team_id)
        joined = select(F0Case, CaseFollowUp).join(CaseFollowUp, CaseFollowUp.id == F0Case.id)
        stmt = (joined.where(*conds)
                .order_by(CaseFollowUp.next_due_at, F0Case.case_code)
                .limit(limit).offset(offset)
                .execution_options(populate_existing=True))
        rows = [OverdueRow(r[0], r[1]) for r in (await self.session.execute(stmt)).all()]
        total = await self.session.scalar(
            select(func.count()).select_from(F0Case)
            .join(CaseFollowUp, CaseFollowUp.id == F0Case.id).where(*conds))
        return rows, int(total or 0)

    async def of_case(self, case_id: uuid.UUID) -> CaseFollowUp | None:
        return await self.session.scalar(
            select(CaseFollowUp).where(CaseFollowUp.id == case_id)
            .execution_options(populate_existing=True))
