"""SQL for observations (vital signs and symptoms)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import driver
from domain.models.enums import ObservationKind
from domain.models.observation import Observation
from domain.rules.readings import Reading


def reading_of(o: Observation) -> Reading:
    """The stored observation as the reading rules compare it."""
    return Reading(id=o.id, case_id=o.case_id, kind=o.kind, value=o.value, value2=o.value2,
                   symptoms=tuple(o.symptoms), measured_at=o.measured_at,
                   measured_by=o.measured_by, loinc=o.loinc)


_READINGS = """
SELECT id, case_id, kind::text, value, value2, symptoms, measured_at, measured_by, loinc
FROM observation WHERE id = ANY($1::uuid[])
"""


class ObservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, observation_id: uuid.UUID) -> Observation | None:
        return await self.session.get(Observation, observation_id)

    async def readings(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Reading]:
        """The readings already stored under these ids, in one query (on the driver: every
        push of readings asks it)."""
        if not ids:
            return {}
        rows = await (await driver(self.session)).fetch(_READINGS, list(ids))
        return {r[0]: Reading(id=r[0], case_id=r[1], kind=ObservationKind(r[2]), value=r[3],
                              value2=r[4], symptoms=tuple(r[5]), measured_at=r[6],
                              measured_by=r[7], loinc=r[8]) for r in rows}

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
