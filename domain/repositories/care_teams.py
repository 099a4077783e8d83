"""SQL for care teams and their members."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.case import F0Case
from domain.models.enums import Role
from domain.models.station import CareTeam, CareTeamMember
from domain.models.user import User
from domain.repositories.scope import in_scope
from domain.rules.case_status import OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class Member:
    user_id: uuid.UUID
    username: str
    full_name: str
    role: Role


@dataclass(frozen=True, slots=True)
class TeamView:
    team: CareTeam
    members: list[Member]
    open_cases: int


def _open_cases() -> Any:
    return (
        select(func.count())
        .where(F0Case.team_id == CareTeam.id, F0Case.status.in_(OPEN_STATUSES),
               F0Case.deleted.is_(False))
        .correlate(CareTeam)
        .scalar_subquery()
    )


class CareTeamRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: uuid.UUID, *, for_update: bool = False) -> CareTeam | None:
        stmt = select(CareTeam).where(CareTeam.id == team_id, CareTeam.deleted.is_(False))
        if for_update:
            stmt = stmt.with_for_update(key_share=True)
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def view(self, team_id: uuid.UUID) -> TeamView | None:
        views, _ = await self._views([CareTeam.id == team_id], limit=1, offset=0)
        return views[0] if views else None

    async def page(
        self, *, units: Sequence[str], station_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[list[TeamView], int]:
        conds = [in_scope(CareTeam.scope_path, p) for p in units]
        if station_id is not None:
            conds.append(CareTeam.station_id == station_id)
        return await self._views(conds, limit=limit, offset=offset)

    async def _views(
        self, conds: list[ColumnElement[bool]], *, limit: int, offset: int
    ) -> tuple[list[TeamView], int]:
        conds = [CareTeam.deleted.is_(False), *conds]
        stmt = (
            select(CareTeam, _open_cases())
            .where(*conds)
            .order_by(CareTeam.scope_path, CareTeam.station_id, CareTeam.name, CareTeam.id)
            .limit(limit)
            .offset(offset)
            .execution_options(populate_existing=True)
        )
        rows = (await self.session.execute(stmt)).all()
        total = await self.session.scalar(select(func.count()).select_from(CareTeam).where(*conds))
        members = await self.members([r[0].id for r in rows])
        views = [TeamView(r[0], members.get(r[0].id, []), r[1]) for r in rows]
        return views, int(total or 0)

    async def members(self, team_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Member]]:
        if not team_ids:
            return {}
        stmt = (
            select(CareTeamMember.team_id, User.id, User.username, User.full_name, User.role)
            .join(User, User.id == CareTeamMember.user_id)
            .where(CareTeamMember.team_id.in_(team_ids))
            .order_by(User.full_name, User.id)
        )
        out: dict[uuid.UUID, list[Member]] = defaultdict(list)
        for team_id, user_id, username, full_name, role in (await self.session.execute(stmt)).all():
            out[team_id].append(Member(user_id, username, full_name, role))
        return out

    async def add(self, team: CareTeam) -> CareTeam:
        self.session.add(team)
        await self.session.flush()
        return team

    async def add_member(self, team_id: uuid.UUID, user_id: uuid.UUID) -> None:
        stmt = pg_insert(CareTeamMember).values(team_id=team_id, user_id=user_id)
        await self.session.execute(stmt.on_conflict_do_nothing())

    async def remove_member(self, team_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(CareTeamMember).where(
                CareTeamMember.team_id == team_id, CareTeamMember.user_id == user_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def insert_many(
        self, teams: list[dict[str, Any]], members: list[dict[str, Any]]
    ) -> None:
        """Bulk insert through Core, no ORM bookkeeping (the demo loader)."""
        if teams:
            await self.session.execute(insert(cast(Table, CareTeam.__table__)), teams)
        if members:
            await self.session.execute(insert(cast(Table, CareTeamMember.__table__)), members)
