"""SQL for F0 cases, their status history and their team assignments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.case import CaseAssignment, CaseStatusEvent, F0Case
from domain.models.enums import CaseStatus, RiskGroup
from domain.repositories.scope import in_scope
from domain.rules.readings import CaseSnapshot


@dataclass(frozen=True, slots=True)
class CaseView:
    case: F0Case
    home_lon: float | None
    home_lat: float | None


@dataclass(frozen=True, slots=True)
class CaseFilter:
    units: Sequence[str]
    station_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    status: CaseStatus | None = None
    risk_group: RiskGroup | None = None


@dataclass(frozen=True, slots=True)
class SummaryRow:
    unit_code: str
    status: CaseStatus
    risk_group: RiskGroup
    count: int


def _view_select() -> Select[Any]:
    return select(
        F0Case, func.ST_X(F0Case.home_position), func.ST_Y(F0Case.home_position)
    ).execution_options(populate_existing=True)


def _conditions(f: CaseFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [F0Case.deleted.is_(False)]
    conds += [in_scope(F0Case.scope_path, p) for p in f.units]
    if f.station_id is not None:
        conds.append(F0Case.station_id == f.station_id)
    if f.team_id is not None:
        conds.append(F0Case.team_id == f.team_id)
    if f.status is not None:
        conds.append(F0Case.status == f.status)
    if f.risk_group is not None:
        conds.append(F0Case.risk_group == f.risk_group)
    return conds


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, case_id: uuid.UUID) -> CaseView | None:
        stmt = _view_select().where(F0Case.id == case_id, F0Case.deleted.is_(False))
        row = (await self.session.execute(stmt)).first()
        return CaseView(row[0], row[1], row[2]) if row else None

    async def snapshots(self, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, CaseSnapshot]:
        """What the reading rules need of each case, deleted ones included, in one query."""
        stmt = select(F0Case.id, F0Case.scope_path, F0Case.station_id, F0Case.team_id,
                      F0Case.status, F0Case.status_changed_at, F0Case.deleted
                      ).where(F0Case.id.in_(list(case_ids)))
        rows = (await self.session.execute(stmt)).all() if case_ids else []
        return {r.id: CaseSnapshot(id=r.id, scope_path=r.scope_path, station_id=r.station_id,
                                   team_id=r.team_id, status=r.status,
                                   status_changed_at=r.status_changed_at, deleted=r.deleted)
                for r in rows}

    async def get_for_update(self, case_id: uuid.UUID) -> F0Case | None:
        """Lock the case row: status changes and alert episodes of one case queue up here.

        FOR NO KEY UPDATE, so rows that merely reference the case (their foreign-key check
        takes KEY SHARE) are not blocked and cannot deadlock with the lock holder.
        """
        stmt = (
            select(F0Case)
            .where(F0Case.id == case_id, F0Case.deleted.is_(False))
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        return await self.session.scalar(stmt)

    async def page(self, f: CaseFilter, *, limit: int, offset: int) -> tuple[list[CaseView], int]:
        conds = _conditions(f)
        stmt = _view_select().where(*conds).order_by(F0Case.case_code).limit(limit).offset(offset)
        rows = (await self.session.execute(stmt)).all()
        total = await self.session.scalar(select(func.count()).select_from(F0Case).where(*conds))
        return [CaseView(r[0], r[1], r[2]) for r in rows], int(total or 0)

    async def summary(self, units: Sequence[str], segment: int) -> list[SummaryRow]:
        """Counts per unit (the ``segment``-th part of the path), status and risk group."""
        unit = func.split_part(F0Case.scope_path, ".", segment)
        stmt = (
            select(unit, F0Case.status, F0Case.risk_group, func.count())
            .where(*_conditions(CaseFilter(units=units)))
            .group_by(unit, F0Case.status, F0Case.risk_group)
            .order_by(unit)
        )
        return [SummaryRow(*r) for r in (await self.session.execute(stmt)).all()]

    async def code_taken(self, case_code: str) -> bool:
        stmt = select(func.count()).where(F0Case.case_code == case_code)
        return bool(await self.session.scalar(stmt))

    async def add(self, case: F0Case) -> F0Case:
        self.session.add(case)
        await self.session.flush()
        return case

    async def add_status_event(self, event: CaseStatusEvent) -> None:
        self.session.add(event)
        await self.session.flush()

    async def add_assignment(self, assignment: CaseAssignment) -> None:
        self.session.add(assignment)
        await self.session.flush()

    async def status_events(self, case_id: uuid.UUID) -> list[CaseStatusEvent]:
        stmt = (
            select(CaseStatusEvent)
            .where(CaseStatusEvent.case_id == case_id, CaseStatusEvent.deleted.is_(False))
            .order_by(CaseStatusEvent.changed_at, CaseStatusEvent.sync_version)
        )
        return list(await self.session.scalars(stmt))

    async def assignments(self, case_id: uuid.UUID) -> list[CaseAssignment]:
        stmt = (
            select(CaseAssignment)
            .where(CaseAssignment.case_id == case_id, CaseAssignment.deleted.is_(False))
            .order_by(CaseAssignment.assigned_at, CaseAssignment.sync_version)
        )
        return list(await self.session.scalars(stmt))

    async def insert_many(
        self, cases: list[dict[str, Any]], events: list[dict[str, Any]],
        assignments: list[dict[str, Any]],
    ) -> None:
        """Bulk insert through Core, no ORM bookkeeping (the demo); positions as EWKT strings."""
        for model, rows in ((F0Case, cases), (CaseStatusEvent, events),
                            (CaseAssignment, assignments)):
            if rows:
                await self.session.execute(insert(cast(Table, model.__table__)), rows)
