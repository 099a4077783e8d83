"""SQL for loading supplies in bulk (the demo): what exists to stock, and fast inserts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.base import Base
from domain.models.admin_unit import AdminUnit
from domain.models.case import F0Case
from domain.models.enums import Role
from domain.models.station import Station
from domain.models.user import User
from domain.rules.case_status import OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class StationSeed:
    id: uuid.UUID
    code: str
    name: str
    commune_code: str
    path: str


@dataclass(frozen=True, slots=True)
class CaseSeed:
    id: uuid.UUID
    code: str
    station_id: uuid.UUID
    commune_code: str
    path: str


class SupplySeedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stations(self) -> list[StationSeed]:
        rows = await self.session.execute(
            select(Station.id, Station.code, Station.name, Station.commune_code,
                   Station.scope_path)
            .where(Station.deleted.is_(False)).order_by(Station.scope_path, Station.code)
        )
        return [StationSeed(*r) for r in rows]

    async def unit_names(self, codes: Sequence[str]) -> dict[str, str]:
        rows = await self.session.execute(
            select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(codes))
        )
        return {code: name for code, name in rows}

    async def people(self, role: Role) -> list[tuple[uuid.UUID, str, uuid.UUID | None]]:
        """Active users of a role: (id, unit code, station id), oldest account first."""
        rows = await self.session.execute(
            select(User.id, User.unit_code, User.station_id)
            .where(User.role == role, User.active.is_(True)).order_by(User.created_at, User.id)
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def open_cases(self, per_station: int) -> list[CaseSeed]:
        """Up to ``per_station`` open F0 cases of each station, oldest test first."""
        ranked = (
            select(F0Case.id, F0Case.case_code, F0Case.station_id, F0Case.commune_code,
                   F0Case.scope_path,
                   func.row_number().over(partition_by=F0Case.station_id,
                                          order_by=(F0Case.test_date, F0Case.id)).label("n"))
            .where(F0Case.status.in_(OPEN_STATUSES), F0Case.deleted.is_(False))
            .subquery()
        )
        rows = await self.session.execute(
            select(ranked.c.id, ranked.c.case_code, ranked.c.station_id, ranked.c.commune_code,
                   ranked.c.scope_path).where(ranked.c.n <= per_station)
        )
        return [CaseSeed(*r) for r in rows]

    async def open_case_counts(self) -> dict[uuid.UUID, int]:
        rows = await self.session.execute(
            select(F0Case.station_id, func.count())
            .where(F0Case.status.in_(OPEN_STATUSES), F0Case.deleted.is_(False))
            .group_by(F0Case.station_id)
        )
        return {sid: int(n) for sid, n in rows}

    async def insert(self, model: type[Base], rows: list[dict[str, Any]], chunk: int = 5000
                     ) -> None:
        """Core executemany in chunks: no ORM bookkeeping; triggers still stamp every row."""
        table = cast(Table, model.__table__)
        for start in range(0, len(rows), chunk):
            await self.session.execute(insert(table), rows[start:start + chunk])

    async def rebuild_balances(self) -> None:
        """Derive stock_balance from the whole ledger (after a bulk load), then refresh the
        planner's statistics of the tables just filled."""
        await self.session.execute(text("DELETE FROM stock_balance"))
        await self.session.execute(text(_REBUILD_SQL))
        await self.session.execute(text(
            "ANALYZE stock_movement, stock_balance, stock_location, equipment_unit"))


_REBUILD_SQL = """
WITH agg AS (
    SELECT location_id, item_id, lot_id, min(scope_path) AS scope_path, sum(delta) AS qty,
           max(occurred_at) AS last_occurred_at
    FROM stock_movement GROUP BY location_id, item_id, lot_id
), last_count AS (
    SELECT DISTINCT ON (location_id, item_id, lot_id) location_id, item_id, lot_id, id,
           occurred_at
    FROM stock_movement WHERE kind = 'physical_count' AND absorbed_by IS NULL
    ORDER BY location_id, item_id, lot_id, occurred_at DESC
)
INSERT INTO stock_balance (location_id, item_id, lot_id, scope_path, qty, last_count_at,
                           last_count_id, last_occurred_at)
SELECT agg.location_id, agg.item_id, agg.lot_id, agg.scope_path, agg.qty, lc.occurred_at,
       lc.id, agg.last_occurred_at
FROM agg LEFT JOIN last_count lc
  ON lc.location_id = agg.location_id AND lc.item_id = agg.item_id
 AND lc.lot_id IS NOT DISTINCT FROM agg.lot_id
"""
