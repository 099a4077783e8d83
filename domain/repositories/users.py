"""SQL for users, their team memberships, and the per-transaction audit context."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import driver
from domain.models.enums import Role
from domain.models.user import User

_MEMBERS = """
SELECT u.id, u.username, u.role::text, u.unit_code, u.unit_path, u.station_id,
       coalesce(array_agg(m.team_id) FILTER (WHERE m.team_id IS NOT NULL), '{}')
FROM app_user u LEFT JOIN care_team_member m ON m.user_id = u.id
WHERE u.id = ANY($1::uuid[]) AND u.active AND ($2::text[] IS NULL OR u.unit_path = ANY($2))
GROUP BY u.id
"""


@dataclass(frozen=True, slots=True)
class MemberRow:
    """An active member of a unit, with the care teams they belong to."""

    id: uuid.UUID
    username: str
    role: Role
    unit_code: str
    unit_path: str
    station_id: uuid.UUID | None
    team_ids: frozenset[uuid.UUID]


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_username(self, username: str) -> User | None:
        return await self.session.scalar(select(User).where(User.username == username))

    async def by_id(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def active_members(
        self, user_ids: Collection[uuid.UUID], units: Collection[str] | None = None
    ) -> list[MemberRow]:
        """Active users among ``user_ids`` (whose unit is one of ``units``, when given), with
        their care teams, in one statement: every sync push asks it of its authors, and every
        API request of its caller (two ORM statements cost about 1.5 ms more)."""
        if not user_ids or (units is not None and not units):
            return []
        rows = await (await driver(self.session)).fetch(
            _MEMBERS, list(user_ids), None if units is None else list(units))
        return [MemberRow(r[0], r[1], Role(r[2]), r[3], r[4], r[5], frozenset(r[6]))
                for r in rows]

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user


async def set_audit_context(
    session: AsyncSession, *, actor_id: uuid.UUID | None, via: str,
    device_id: uuid.UUID | None = None,
) -> None:
    """Tell the audit trigger who writes in this transaction (transaction-local settings)."""
    await (await driver(session)).execute(
        "SELECT set_config('fieldops.actor_id', $1, true), set_config('fieldops.via', $2, true), "
        "set_config('fieldops.device_id', $3, true)",
        str(actor_id or ""), via, str(device_id or ""))
