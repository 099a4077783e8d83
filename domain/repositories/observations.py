"""SQL for observations (vital signs and symptoms)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.enums import ObservationKind
from domain.models.observation import Observation


class ObservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, observation_id: uuid.UUID) -> Observation | None:
        return await self.session.get(Observation, observation_id)

    async def add(self, observation: Observation) -> Observation:
        self.session.add(observation)
        await self.session.flush()
        return observation

    async def page(
        self, case_id: uuid.UUID, *, kind: ObservationKind | None, since: datetime | None,
        until: datetime | None, limit: int, offset: int,
    ) -> tuple[list[Observation], int]:
        """Newest first."""
        conds = [Observation.case_id == case_id, Observation.deleted.is_(False)]
        if kind is not None:
            conds.append(Observation.kind == kind)
        if since is not None:
            conds.append(Observation.measured_at >= since)
        if until is not None:
            conds.append(Observation.measured_at < until)
        stmt = (
            select(Observation)
            .where(*conds)
            .order_by(Observation.measured_at.desc(), Observation.id)
            .limit(limit)
            .offset(offset)
        )
        rows = list(await self.session.scalars(stmt))
        total = await self.session.scalar(
            select(func.count()).select_from(Observation).where(*conds)
        )
        return rows, int(total or 0)

    async def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """Bulk insert through Core, no ORM bookkeeping (the demo loader)."""
        if rows:
            await self.session.execute(insert(cast(Table, Observation.__table__)), rows)
