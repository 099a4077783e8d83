"""SQL for mobile health stations: scoped, filtered pages with position and current load."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.case import F0Case
from domain.models.enums import StationStatus
from domain.models.station import Station
from domain.models.stock import StationCaseload
from domain.repositories.scope import in_scope
from domain.rules.case_status import OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class StationView:
    station: Station
    lon: float
    lat: float
    open_cases: int


@dataclass(frozen=True, slots=True)
class StationFilter:
    """``units`` are admin paths the station must lie in (the caller's own unit comes first)."""

    units: Sequence[str]
    status: StationStatus | None = None
    bbox: tuple[float, float, float, float] | None = None


def _open_cases() -> Any:
    """The station's open cases as ``station_caseload`` keeps them (triggers on f0_case,
    migration 0003): one row read, where counting a station's cases read thousands."""
    return func.coalesce(
        select(StationCaseload.open_cases)
        .where(StationCaseload.station_id == Station.id)
        .correlate(Station)
        .scalar_subquery(),
        0,
    )


def _view_select() -> Select[Any]:
    return select(
        Station, func.ST_X(Station.position), func.ST_Y(Station.position), _open_cases()
    ).execution_options(populate_existing=True)


def _conditions(f: StationFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Station.deleted.is_(False)]
    conds += [in_scope(Station.scope_path, p) for p in f.units]
    if f.status is not None:
        conds.append(Station.status == f.status)
    if f.bbox is not None:
        conds.append(func.ST_Intersects(Station.position, func.ST_MakeEnvelope(*f.bbox, 4326)))
    return conds


class StationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, station_id: uuid.UUID) -> StationView | None:
        stmt = _view_select().where(Station.id == station_id, Station.deleted.is_(False))
        row = (await self.session.execute(stmt)).first()
        return StationView(row[0], row[1], row[2], row[3]) if row else None

    async def row(self, station_id: uuid.UUID) -> Station | None:
        """The station's own row, without the view's columns; from the session when it holds
        it (a batch of new cases reads its station once)."""
        station = await self.session.get(Station, station_id)
        return None if station is None or station.deleted else station

    async def get_for_update(self, station_id: uuid.UUID) -> Station | None:
        stmt = (
            select(Station)
            .where(Station.id == station_id, Station.deleted.is_(False))
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        return await self.session.scalar(stmt)

    async def page(
        self, f: StationFilter, *, limit: int, offset: int
    ) -> tuple[list[StationView], int]:
        conds = _conditions(f)
        stmt = _view_select().where(*conds).order_by(Station.scope_path, Station.code)
        rows = (await self.session.execute(stmt.limit(limit).offset(offset))).all()
        total = await self.session.scalar(select(func.count()).select_from(Station).where(*conds))
        return [StationView(r[0], r[1], r[2], r[3]) for r in rows], int(total or 0)

    async def code_taken(self, code: str) -> bool:
        return bool(await self.session.scalar(select(func.count()).where(Station.code == code)))

    async def open_cases(self, station_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(
            F0Case.station_id == station_id, F0Case.status.in_(OPEN_STATUSES),
            F0Case.deleted.is_(False),
        )
        return int(await self.session.scalar(stmt) or 0)

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Station)) or 0)

    async def add(self, station: Station) -> Station:
        self.session.add(station)
        await self.session.flush()
        return station

    async def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """Bulk insert through Core, no ORM bookkeeping (the demo); positions as EWKT strings."""
        if rows:
            await self.session.execute(insert(cast(Table, Station.__table__)), rows)
