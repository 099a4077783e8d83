"""SQL for users, their team memberships, and the per-transaction audit context."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.station import CareTeamMember
from domain.models.user import User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_username(self, username: str) -> User | None:
        return await self.session.scalar(select(User).where(User.username == username))

    async def by_id(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def team_ids(self, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
        rows = await self.session.scalars(
            select(CareTeamMember.team_id).where(CareTeamMember.user_id == user_id)
        )
        return frozenset(rows)

    async def active_members(
        self, user_ids: Collection[uuid.UUID], units: Collection[str]
    ) -> list[User]:
        """Active users among ``user_ids`` whose unit is one of ``units``, in one query."""
        if not user_ids or not units:
            return []
        return list(await self.session.scalars(
            select(User).where(User.id.in_(list(user_ids)), User.active.is_(True),
                               User.unit_path.in_(list(units)))))

    async def teams_of(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
        """The care teams of each user, in one query."""
        teams: dict[uuid.UUID, set[uuid.UUID]] = {u: set() for u in user_ids}
        if user_ids:
            rows = await self.session.execute(
                select(CareTeamMember.user_id, CareTeamMember.team_id)
                .where(CareTeamMember.user_id.in_(list(user_ids))))
            for user_id, team_id in rows:
                teams[user_id].add(team_id)
        return teams

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user


async def set_audit_context(
    session: AsyncSession, *, actor_id: uuid.UUID | None, via: str,
    device_id: uuid.UUID | None = None,
) -> None:
    """Tell the audit trigger who writes in this transaction (transaction-local settings)."""
    await session.execute(
        text(
            "SELECT set_config('fieldops.actor_id', :actor, true), "
            "set_config('fieldops.via', :via, true), "
            "set_config('fieldops.device_id', :device, true)"
        ),
        {"actor": str(actor_id or ""), "via": via, "device": str(device_id or "")},
    )
