"""Accounts: creation with a unit and role that fit together, and login checks."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import NotFound, ValidationFailed
from domain.models.enums import Role
from domain.models.station import Station
from domain.models.user import User
from domain.passwords import hash_password
from domain.repositories.admin_units import AdminUnitRepository
from domain.repositories.users import MemberRow, UserRepository

# The deepest unit level (path depth: 0 national … 3 commune) each role may belong to.
ROLE_LEVELS: dict[Role, set[int]] = {
    Role.station_staff: {3},
    Role.care_team_member: {3},
    Role.doctor: {2, 3},
    Role.commune_officer: {3},
    Role.district_logistics: {2},
    Role.city_coordinator: {1},
    Role.national_observer: {0},
    Role.administrator: {0, 1, 2, 3},
}


class UserService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = UserRepository(session)

    async def create(
        self, *, username: str, password: str, full_name: str, role: Role, unit_code: str,
        station_id: uuid.UUID | None = None, phone: str | None = None,
        password_hash: str | None = None,
    ) -> User:
        path = await AdminUnitRepository(self.session).path_of(unit_code)
        if path is None:
            raise NotFound(f"no administrative unit {unit_code!r}", field="unit_code")
        if path.count(".") not in ROLE_LEVELS[role]:
            raise ValidationFailed(
                f"a {role.value} cannot belong to unit {unit_code}", field="unit_code"
            )
        if station_id is not None:
            station = await self.session.get(Station, station_id)
            if station is None or station.scope_path != path:
                raise ValidationFailed("the station is not in the user's unit", field="station_id")
        if await self.repo.by_username(username):
            raise ValidationFailed(f"username {username!r} is taken", field="username")
        if len(password) < 8 and password_hash is None:
            raise ValidationFailed("a password needs at least 8 characters", field="password")
        return await self.repo.add(User(
            username=username, full_name=full_name, role=role, unit_code=unit_code,
            unit_path=path, station_id=station_id, phone=phone,
            password_hash=password_hash or hash_password(password),
        ))

    async def members_acting(
        self, user_ids: Collection[uuid.UUID], units: Collection[str], device_id: uuid.UUID
    ) -> dict[uuid.UUID, Principal]:
        """The active members of ``units`` among ``user_ids``, as Principals acting through
        the device, in one query whatever their number (what a sync push needs)."""
        return {u.id: _acting(u, device_id)
                for u in await self.repo.active_members(user_ids, units)}

    async def principal(
        self, user_id: uuid.UUID, device_id: uuid.UUID | None = None
    ) -> Principal | None:
        """The active user as a Principal, acting through ``device_id`` when given (None when
        unknown or disabled)."""
        rows = await self.repo.active_members([user_id])
        return _acting(rows[0], device_id) if rows else None


def _acting(u: MemberRow, device_id: uuid.UUID | None) -> Principal:
    return Principal(
        user_id=u.id, username=u.username, role=u.role, unit_code=u.unit_code,
        unit_path=u.unit_path, station_id=u.station_id, device_id=device_id,
        team_ids=u.team_ids)
