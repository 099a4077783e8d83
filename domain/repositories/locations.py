"""SQL for stock-holding locations: warehouses, stations, and F0 households holding lent devices."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.supply import LocationKind, StockLocation
from domain.repositories.scope import in_scope


class LocationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, location_id: uuid.UUID) -> StockLocation | None:
        loc = await self.session.get(StockLocation, location_id)
        return None if loc is None or loc.deleted else loc

    async def by_code(self, code: str) -> StockLocation | None:
        return await self.session.scalar(select(StockLocation).where(StockLocation.code == code))

    async def of_station(self, station_id: uuid.UUID) -> StockLocation | None:
        return await self.session.scalar(
            select(StockLocation).where(
                StockLocation.station_id == station_id, StockLocation.kind == LocationKind.station
            )
        )

    async def household_of_case(self, case_id: uuid.UUID) -> StockLocation | None:
        return await self.session.scalar(
            select(StockLocation).where(StockLocation.case_id == case_id)
        )

    async def warehouse_of_unit(self, unit_code: str) -> StockLocation | None:
        return await self.session.scalar(
            select(StockLocation).where(
                StockLocation.unit_code == unit_code,
                StockLocation.kind.in_([LocationKind.city_warehouse,
                                        LocationKind.district_warehouse]),
                StockLocation.deleted.is_(False),
            )
        )

    async def search(
        self, *, scope_path: str, kind: LocationKind | None, station_id: uuid.UUID | None,
        limit: int, offset: int,
    ) -> tuple[Sequence[StockLocation], int]:
        conds = [in_scope(StockLocation.scope_path, scope_path), StockLocation.deleted.is_(False)]
        if kind is not None:
            conds.append(StockLocation.kind == kind)
        if station_id is not None:
            conds.append(StockLocation.station_id == station_id)
        total = await self.session.scalar(select(func.count()).where(*conds))
        rows = await self.session.scalars(
            select(StockLocation).where(*conds).order_by(StockLocation.code)
            .limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)

    async def add(self, location: StockLocation) -> StockLocation:
        self.session.add(location)
        await self.session.flush()
        return location
