"""SQL of situation reports: the rows, and the live figures of a commune's day."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.admin_unit import AdminLevel, AdminUnit
from domain.models.report import ReportStatus, SituationReport
from domain.repositories.map import ACTIVE_CASE_STATUSES
from domain.repositories.scope import escape_like, in_scope

# One scan per table under the commune's path; the window is the local day (half-open).
_DAY_FIGURES = """
SELECT
  (SELECT count(*) FROM f0_case f WHERE f.scope_path = :scope AND NOT f.deleted
     AND f.status = ANY(CAST(:active AS case_status[]))),
  (SELECT count(*) FROM f0_case f WHERE f.scope_path = :scope AND NOT f.deleted
     AND f.created_at >= :start AND f.created_at < :end),
  (SELECT count(*) FROM case_status_event e WHERE e.scope_path = :scope
     AND e.to_status = 'recovered' AND e.changed_at >= :start AND e.changed_at < :end),
  (SELECT count(*) FROM case_status_event e WHERE e.scope_path = :scope
     AND e.to_status = 'hospitalized' AND e.changed_at >= :start AND e.changed_at < :end),
  (SELECT count(*) FROM case_status_event e WHERE e.scope_path = :scope
     AND e.to_status = 'deceased' AND e.changed_at >= :start AND e.changed_at < :end),
  (SELECT count(*) FROM alert a WHERE a.scope_path = :scope AND NOT a.deleted
     AND a.status IN ('open', 'acknowledged'))
"""

_STATIONS = """
SELECT s.status::text, count(*) FROM station s
WHERE s.scope_path = :scope AND NOT s.deleted GROUP BY 1
"""


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, report_id: uuid.UUID, *, lock: bool = False) -> SituationReport | None:
        stmt = select(SituationReport).where(SituationReport.id == report_id,
                                             SituationReport.deleted.is_(False))
        if lock:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def add(self, report: SituationReport) -> SituationReport:
        self.session.add(report)
        await self.session.flush()
        return report

    async def page(
        self, *, scope_path: str, report_date: date | None, status: ReportStatus | None,
        limit: int, offset: int,
    ) -> tuple[list[SituationReport], int]:
        conds: list[Any] = [SituationReport.deleted.is_(False),
                            in_scope(SituationReport.scope_path, scope_path)]
        if report_date is not None:
            conds.append(SituationReport.report_date == report_date)
        if status is not None:
            conds.append(SituationReport.status == status)
        rows = await self.session.scalars(
            select(SituationReport).where(*conds)
            .order_by(SituationReport.report_date.desc(), SituationReport.scope_path)
            .limit(limit).offset(offset)
        )
        total = await self.session.scalar(
            select(func.count()).select_from(SituationReport).where(*conds))
        return list(rows), int(total or 0)

    async def of_children(
        self, parent_code: str, report_date: date
    ) -> list[tuple[str, str, str, SituationReport | None]]:
        """Each unit directly below ``parent_code`` (code, name, path) with its report of the
        day, if it has one."""
        rows = await self.session.execute(
            select(AdminUnit.code, AdminUnit.name, AdminUnit.scope_path, SituationReport)
            .outerjoin(SituationReport, (SituationReport.unit_code == AdminUnit.code)
                       & (SituationReport.report_date == report_date)
                       & SituationReport.deleted.is_(False))
            .where(AdminUnit.parent_code == parent_code, AdminUnit.deleted.is_(False))
            .order_by(AdminUnit.code)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows.all()]

    async def day_counts(self, scope_path: str, start: datetime, end: datetime) -> Sequence[int]:
        """F0 under care, new, recovered, transferred, died, unresolved alerts of a commune."""
        row = (await self.session.execute(text(_DAY_FIGURES), {
            "scope": scope_path, "active": ACTIVE_CASE_STATUSES, "start": start, "end": end,
        })).one()
        return tuple(int(v) for v in row)

    async def stations_by_status(self, scope_path: str) -> dict[str, int]:
        rows = await self.session.execute(text(_STATIONS), {"scope": scope_path})
        return {r[0]: int(r[1]) for r in rows.all()}

    async def communes_under(self, scope_path: str) -> int:
        """How many communes lie under a unit (the units whose reports a level aggregates)."""
        return int(await self.session.scalar(
            select(func.count()).select_from(AdminUnit).where(
                AdminUnit.level == AdminLevel.commune, AdminUnit.deleted.is_(False),
                AdminUnit.scope_path.like(f"{escape_like(scope_path)}.%", escape="\\"))
        ) or 0)
