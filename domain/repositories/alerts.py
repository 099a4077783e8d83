"""SQL for alerts: the one unresolved alert of a case, and scoped worklists."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, case, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.enums import AlertSeverity, AlertStatus
from domain.models.observation import Alert
from domain.repositories.scope import in_scope

UNRESOLVED = Alert.status != AlertStatus.resolved


@dataclass(frozen=True, slots=True)
class AlertFilter:
    units: Sequence[str]
    status: AlertStatus | None = None
    unresolved: bool = False
    severity: AlertSeverity | None = None
    station_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, alert_id: uuid.UUID, *, for_update: bool = False) -> Alert | None:
        stmt = select(Alert).where(Alert.id == alert_id, Alert.deleted.is_(False))
        if for_update:
            stmt = stmt.with_for_update(key_share=True)
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def unresolved_for_case(
        self, case_id: uuid.UUID, *, for_update: bool = True
    ) -> Alert | None:
        stmt = select(Alert).where(Alert.case_id == case_id, UNRESOLVED, Alert.deleted.is_(False))
        if for_update:
            stmt = stmt.with_for_update(key_share=True)
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def open_episode(self, values: dict[str, Any]) -> uuid.UUID | None:
        """Insert an open alert unless the case already has an unresolved one (then None).

        The partial unique index decides, so two transactions racing here cannot both win.
        """
        stmt = (
            pg_insert(Alert)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=[Alert.case_id],
                # the partial index's own predicate, literally, so PostgreSQL infers it
                index_where=text("status <> 'resolved'"),
            )
            .returning(Alert.id)
        )
        return await self.session.scalar(stmt)

    async def page(self, f: AlertFilter, *, limit: int, offset: int) -> tuple[list[Alert], int]:
        conds: list[ColumnElement[bool]] = [Alert.deleted.is_(False)]
        conds += [in_scope(Alert.scope_path, p) for p in f.units]
        for column, value in ((Alert.status, f.status), (Alert.severity, f.severity),
                              (Alert.station_id, f.station_id), (Alert.team_id, f.team_id),
                              (Alert.case_id, f.case_id)):
            if value is not None:
                conds.append(column == value)
        if f.unresolved:
            conds.append(UNRESOLVED)
        worklist_order = (
            case((Alert.status == AlertStatus.resolved, 1), else_=0),
            case((Alert.severity == AlertSeverity.emergency, 0), else_=1),
            Alert.opened_at.desc(),
            Alert.id,
        )
        stmt = select(Alert).where(*conds).order_by(*worklist_order).limit(limit).offset(offset)
        rows = list(await self.session.scalars(stmt.execution_options(populate_existing=True)))
        total = await self.session.scalar(select(func.count()).select_from(Alert).where(*conds))
        return rows, int(total or 0)

    async def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """Bulk insert through Core, no ORM bookkeeping (the demo loader)."""
        if rows:
            await self.session.execute(insert(cast(Table, Alert.__table__)), rows)
