"""Care teams (tổ chăm sóc): community teams of a station that visit F0 patients at home.

Rules decided here: a team belongs to one station and that station's commune. The station's
own staff, the commune officer of its commune and administrators in scope create teams, rename
them and manage their members; everyone in scope reads them. A member is an active user of the
team's commune (care-team member, station staff or doctor) not bound to another station.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal, within
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.models.enums import Role
from domain.models.station import CareTeam, Station
from domain.repositories.care_teams import CareTeamRepository, TeamView
from domain.repositories.stations import StationRepository
from domain.repositories.users import UserRepository
from domain.services.stations import StationService

MEMBER_ROLES = frozenset({Role.care_team_member, Role.station_staff, Role.doctor})


def may_manage_teams(principal: Principal, station: Station) -> bool:
    """Station staff of this station, the commune officer of its commune, or an administrator."""
    if principal.role is Role.administrator:
        return within(station.scope_path, principal.unit_path)
    if principal.role is Role.commune_officer:
        return station.scope_path == principal.unit_path
    return principal.role is Role.station_staff and principal.station_id == station.id


class CareTeamService:
    """The care teams the principal reads and manages, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def get(self, team_id: uuid.UUID) -> TeamView:
        view = await CareTeamRepository(self.session).view(team_id)
        if view is None or not self.principal.can_read(view.team.scope_path):
            raise NotFound("care team not found", field="team_id")
        return view

    async def search(
        self, *, station_id: uuid.UUID | None = None, district: str | None = None,
        commune: str | None = None, limit: int = 100, offset: int = 0,
    ) -> tuple[list[TeamView], int]:
        units = await StationService(self.session, self.principal).unit_paths(
            district=district, commune=commune
        )
        return await CareTeamRepository(self.session).page(
            units=units, station_id=station_id, limit=limit, offset=offset
        )

    async def _managed_station(self, station_id: uuid.UUID) -> Station:
        view = await StationRepository(self.session).get(station_id)
        if view is None or not self.principal.can_read(view.station.scope_path):
            raise NotFound("station not found", field="station_id")
        if not may_manage_teams(self.principal, view.station):
            raise Forbidden(f"a {self.principal.role.value} may not manage this station's teams",
                            field="station_id")
        return view.station

    async def create(
        self, *, station_id: uuid.UUID, name: str, member_ids: list[uuid.UUID] | None = None,
    ) -> TeamView:
        station = await self._managed_station(station_id)
        team = await CareTeamRepository(self.session).add(CareTeam(
            station_id=station.id, commune_code=station.commune_code, scope_path=station.scope_path,
            name=name,
        ))
        for user_id in member_ids or []:
            await self._add_member(team, user_id)
        return await self.get(team.id)

    async def _team_for_change(self, team_id: uuid.UUID) -> CareTeam:
        team = await CareTeamRepository(self.session).get(team_id, for_update=True)
        if team is None or not self.principal.can_read(team.scope_path):
            raise NotFound("care team not found", field="team_id")
        await self._managed_station(team.station_id)
        return team

    async def rename(self, team_id: uuid.UUID, name: str) -> TeamView:
        team = await self._team_for_change(team_id)
        team.name = name
        await self.session.flush()
        return await self.get(team_id)

    async def add_member(self, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamView:
        team = await self._team_for_change(team_id)
        await self._add_member(team, user_id)
        return await self.get(team_id)

    async def _add_member(self, team: CareTeam, user_id: uuid.UUID) -> None:
        user = await UserRepository(self.session).by_id(user_id)
        if user is None or not user.active or not self.principal.can_read(user.unit_path):
            raise NotFound("user not found", field="user_id")
        if user.unit_path != team.scope_path or user.role not in MEMBER_ROLES:
            raise ValidationFailed(
                "a member is a care-team member, station staff or doctor of the team's commune",
                field="user_id",
            )
        if user.station_id is not None and user.station_id != team.station_id:
            raise ValidationFailed("the user works at another station", field="user_id")
        await CareTeamRepository(self.session).add_member(team.id, user.id)

    async def remove_member(self, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamView:
        team = await self._team_for_change(team_id)
        if not await CareTeamRepository(self.session).remove_member(team.id, user_id):
            raise NotFound("the user is not a member of this team", field="user_id")
        return await self.get(team_id)
