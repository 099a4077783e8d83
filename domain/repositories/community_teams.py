"""SQL for community COVID teams and their members."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.community_team import CommunityTeam, CommunityTeamMember
from domain.repositories.scope import in_scope


@dataclass(frozen=True, slots=True)
class CommunityTeamView:
    team: CommunityTeam
    members: list[CommunityTeamMember]


class CommunityTeamRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: uuid.UUID, *, for_update: bool = False) -> CommunityTeam | None:
        stmt = select(CommunityTeam).where(CommunityTeam.id == team_id,
                                           CommunityTeam.deleted.is_(False))
        if for_update:
            stmt = stmt.with_for_update(key_share=True)
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def member(
        self, team_id: uuid.UUID, member_id: uuid.UUID
    ) -> CommunityTeamMember | None:
        stmt = select(CommunityTeamMember).where(
            CommunityTeamMember.id == member_id, CommunityTeamMember.team_id == team_id,
            CommunityTeamMember.deleted.is_(False))
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def add(self, *rows: CommunityTeam | CommunityTeamMember) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def page(
        self, *, units: Sequence[str], active: bool | None, limit: int, offset: int
    ) -> tuple[list[CommunityTeamView], int]:
        conds: list[ColumnElement[bool]] = [
            CommunityTeam.deleted.is_(False), *(in_scope(CommunityTeam.scope_path, p) for p in units)]
        if active is not None:
            conds.append(CommunityTeam.active.is_(active))
        stmt = (select(CommunityTeam).where(*conds)
                .order_by(CommunityTeam.scope_path, CommunityTeam.name, CommunityTeam.id)
                .limit(limit).offset(offset).execution_options(populate_existing=True))
        teams = list(await self.session.scalars(stmt))
        total = await self.session.scalar(
            select(func.count()).select_from(CommunityTeam).where(*conds))
        members = await self.members([t.id for t in teams])
        return [CommunityTeamView(t, members.get(t.id, [])) for t in teams], int(total or 0)

    async def members(
        self, team_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[CommunityTeamMember]]:
        if not team_ids:
            return {}
        stmt = (select(CommunityTeamMember)
                .where(CommunityTeamMember.team_id.in_(team_ids),
                       CommunityTeamMember.deleted.is_(False))
                .order_by(CommunityTeamMember.role, CommunityTeamMember.full_name,
                          CommunityTeamMember.id)
                .execution_options(populate_existing=True))
        out: dict[uuid.UUID, list[CommunityTeamMember]] = defaultdict(list)
        for m in await self.session.scalars(stmt):
            out[m.team_id].append(m)
        return out

    async def active_count(self, commune_path: str) -> int:
        """Active teams of a commune (what an inspection's checklist looks at)."""
        return int(await self.session.scalar(
            select(func.count()).select_from(CommunityTeam).where(
                CommunityTeam.scope_path == commune_path, CommunityTeam.active.is_(True),
                CommunityTeam.deleted.is_(False))) or 0)
