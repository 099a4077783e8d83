"""SQL for the vital-sign follow-up: each case's last reading, read from the readings
themselves, and the worklist of cases under home care past their due time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, and_, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.case import CaseFollowUp, F0Case
from domain.models.enums import ObservationKind
from domain.models.observation import Observation
from domain.repositories.scope import in_scope
from domain.rules.followup import LOCAL_TIME, READING_INTERVAL


@dataclass(frozen=True, slots=True)
class FollowUpRow:
    case: F0Case
    followup: CaseFollowUp
    last_reading_at: datetime | None
    readings_today: int
    next_due_at: datetime | None  # None when not under care


def _vital(case_id: Any) -> list[ColumnElement[bool]]:
    return [Observation.case_id == case_id, Observation.deleted.is_(False),
            Observation.kind != ObservationKind.symptoms]


class FollowUpRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _select(self, day: tuple[datetime, datetime]) -> tuple[Any, Any, Any]:
        last = (select(func.max(Observation.measured_at)).where(*_vital(F0Case.id))
                .scalar_subquery())
        today = (select(func.count()).select_from(Observation)
                 .where(*_vital(F0Case.id), Observation.measured_at >= day[0],
                        Observation.measured_at < day[1]).scalar_subquery())
        # typed, so a bound instant compares as timestamptz (not a naive timestamp)
        due = type_coerce(func.greatest(last, CaseFollowUp.care_since) + READING_INTERVAL,
                          DateTime(timezone=True))
        return last, today, due

    async def page(
        self, *, units: Sequence[str], day: tuple[datetime, datetime],
        overdue_at: datetime | None = None, station_id: uuid.UUID | None = None,
        team_id: uuid.UUID | None = None, case_id: uuid.UUID | None = None,
        limit: int = 100, offset: int = 0,
    ) -> tuple[list[FollowUpRow], int]:
        """Follow-ups in scope, soonest due first; with ``overdue_at``, only the cases under
        care whose due time has come by then. ``day`` bounds the readings counted as today."""
        last, today, due = self._select(day)
        conds: list[ColumnElement[bool]] = [F0Case.deleted.is_(False),
                                            CaseFollowUp.deleted.is_(False)]
        conds += [in_scope(CaseFollowUp.scope_path, p) for p in units]
        if overdue_at is not None:
            conds.append(and_(CaseFollowUp.under_care.is_(True), due <= overdue_at))
        if station_id is not None:
            conds.append(F0Case.station_id == station_id)
        if team_id is not None:
            conds.append(F0Case.team_id == team_id)
        if case_id is not None:
            conds.append(F0Case.id == case_id)
        joined = (select(F0Case, CaseFollowUp, last, today, due)
                  .join(CaseFollowUp, CaseFollowUp.id == F0Case.id))
        stmt = (joined.where(*conds).order_by(due, F0Case.case_code).limit(limit)
                .offset(offset).execution_options(populate_existing=True))
        rows = [FollowUpRow(r[0], r[1], r[2], int(r[3] or 0), r[4] if r[1].under_care else None)
                for r in (await self.session.execute(stmt)).all()]
        total = await self.session.scalar(
            select(func.count()).select_from(F0Case)
            .join(CaseFollowUp, CaseFollowUp.id == F0Case.id).where(*conds))
        return rows, int(total or 0)


def local_day(at: datetime) -> tuple[datetime, datetime]:
    """The Vietnam day holding ``at``, as [start, end) instants."""
    start = at.astimezone(LOCAL_TIME).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)
