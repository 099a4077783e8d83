"""SQL of readiness plans and epidemic levels, and the map's view of levels and gaps."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.readiness import ReadinessNeed, ReadinessResources, UnitLevel
from domain.repositories.scope import escape_like


@dataclass(frozen=True, slots=True)
class UnitReadinessRow:
    """A unit on the readiness map: its level (None if never set) and, for a commune with a
    plan for that level, what it has ready and what that level needs."""

    code: str
    name: str
    level_of_unit: str
    parent_code: str | None
    lon: float
    lat: float
    level: int | None
    ready: dict[str, int] | None
    needed: dict[str, int] | None


_COUNTS = ("staff", "stations", "home_beds", "oxygen", "teams")
_MAP = f"""
SELECT u.code, u.name, u.level::text, u.parent_code, ST_X(u.centroid), ST_Y(u.centroid),
       l.level, {", ".join(f"r.{c}" for c in _COUNTS)}, r.id IS NOT NULL,
       {", ".join(f"n.{c}" for c in _COUNTS)}, n.id IS NOT NULL
FROM admin_unit u
LEFT JOIN unit_epidemic_level l ON l.unit_code = u.code AND NOT l.deleted
LEFT JOIN readiness_resources r ON r.commune_code = u.code AND NOT r.deleted
LEFT JOIN readiness_need n ON n.commune_code = u.code AND n.level = l.level AND NOT n.deleted
WHERE NOT u.deleted AND u.scope_path LIKE :under
  AND array_length(string_to_array(u.scope_path, '.'), 1) <= :max_depth
ORDER BY u.scope_path
"""


class ReadinessRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def needs(self, commune_code: str) -> list[ReadinessNeed]:
        rows = await self.session.scalars(
            select(ReadinessNeed).where(ReadinessNeed.commune_code == commune_code,
                                        ReadinessNeed.deleted.is_(False))
            .order_by(ReadinessNeed.level).execution_options(populate_existing=True))
        return list(rows)

    async def need(self, row_id: uuid.UUID, *, lock: bool = False) -> ReadinessNeed | None:
        stmt = select(ReadinessNeed).where(ReadinessNeed.id == row_id)
        if lock:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def resources(
        self, row_id: uuid.UUID, *, lock: bool = False
    ) -> ReadinessResources | None:
        stmt = select(ReadinessResources).where(ReadinessResources.id == row_id)
        if lock:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def level(self, unit_code: str, *, lock: bool = False) -> UnitLevel | None:
        stmt = select(UnitLevel).where(UnitLevel.unit_code == unit_code)
        if lock:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def map_rows(self, scope_path: str, *, depth: int) -> Sequence[UnitReadinessRow]:
        """Units below ``scope_path`` down to ``depth`` levels under it."""
        rows = await self.session.execute(text(_MAP), {
            "under": f"{escape_like(scope_path)}.%",
            "max_depth": scope_path.count(".") + 2 + depth,
        })
        out: list[UnitReadinessRow] = []
        n = len(_COUNTS)
        for r in rows.all():
            ready = dict(zip(_COUNTS, r[7:7 + n], strict=True)) if r[7 + n] else None
            base = 8 + n
            needed = dict(zip(_COUNTS, r[base:base + n], strict=True)) if r[base + n] else None
            out.append(UnitReadinessRow(
                code=r[0], name=r[1], level_of_unit=r[2], parent_code=r[3], lon=r[4], lat=r[5],
                level=r[6], ready=ready, needed=needed,
            ))
        return out
