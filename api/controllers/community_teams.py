"""Community COVID teams: a commune's neighbourhood teams and their members."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter, RequestBody

from api.paging import Paging
from api.schemas.common import CommuneCode, DistrictCode
from api.schemas.community_teams import (
    CommunityTeam,
    CommunityTeamCreate,
    CommunityTeamPage,
    CommunityTeamUpdate,
    MemberCreate,
    MemberUpdate,
)
from api.schemas.stations import changes_of
from api.services import service_dependency
from domain.services.community_teams import CommunityTeamService, shows_member_phones

TeamId = Annotated[uuid.UUID, PathParameter()]
MemberId = Annotated[uuid.UUID, PathParameter()]


class CommunityTeamController(Controller):
    path = "/api/community-teams"
    tags = ["Community teams"]
    security = [{"BearerToken": []}]
    dependencies = {"teams": service_dependency(CommunityTeamService)}

    @get("/", operation_id="list_community_teams",
         summary="Community COVID teams in the caller's scope")
    async def list_community_teams(
        self, teams: NamedDependency[CommunityTeamService], paging: NamedDependency[Paging],
        district: DistrictCode = None, commune: CommuneCode = None,
        active: Annotated[bool | None, QueryParameter()] = None,
    ) -> CommunityTeamPage:
        views, total = await teams.search(district=district, commune=commune, active=active,
                                          limit=paging.limit, offset=paging.offset)
        phones = shows_member_phones(teams.principal)
        return paging.page([CommunityTeam.of(v, phones=phones) for v in views], total)

    @get("/{team_id:uuid}", operation_id="get_community_team",
         summary="One community team with its members")
    async def get_community_team(
        self, teams: NamedDependency[CommunityTeamService], team_id: TeamId,
    ) -> CommunityTeam:
        return CommunityTeam.of(await teams.get(team_id),
                                phones=shows_member_phones(teams.principal))

    @post("/", operation_id="create_community_team",
          summary="Form a community COVID team in a commune")
    async def create_community_team(
        self, teams: NamedDependency[CommunityTeamService],
        data: RequestBody[CommunityTeamCreate],
    ) -> CommunityTeam:
        view = await teams.create(
            name=data.name, channel=data.channel, contact=data.contact,
            commune_code=data.commune_code, areas=data.areas, households=data.households,
            members=[msgspec.structs.asdict(m) for m in data.members])
        return CommunityTeam.of(view)

    @patch("/{team_id:uuid}", operation_id="update_community_team",
           summary="Change a team's areas, households, channel or activity")
    async def update_community_team(
        self, teams: NamedDependency[CommunityTeamService], team_id: TeamId,
        data: RequestBody[CommunityTeamUpdate],
    ) -> CommunityTeam:
        return CommunityTeam.of(await teams.update(team_id, changes_of(data)))

    @delete("/{team_id:uuid}", operation_id="dissolve_community_team",
            summary="Dissolve a team (its members go with it)")
    async def dissolve_community_team(
        self, teams: NamedDependency[CommunityTeamService], team_id: TeamId,
    ) -> None:
        await teams.dissolve(team_id)

    @post("/{team_id:uuid}/members", operation_id="add_community_team_member",
          summary="Add a member")
    async def add_community_team_member(
        self, teams: NamedDependency[CommunityTeamService], team_id: TeamId,
        data: RequestBody[MemberCreate],
    ) -> CommunityTeam:
        return CommunityTeam.of(await teams.add_member(team_id, msgspec.structs.asdict(data)))

    @patch("/{team_id:uuid}/members/{member_id:uuid}",
           operation_id="update_community_team_member", summary="Change a member")
    async def update_community_team_member(
        self, teams: NamedDependency[CommunityTeamService], team_id: TeamId,
        member_id: MemberId, data: RequestBody[MemberUpdate],
    ) -> CommunityTeam:
        return CommunityTeam.of(await teams.update_member(team_id, member_id,
                                                          changes_of(data)))

    @delete("/{team_id:uuid}/members/{member_id:uuid}",
            operation_id="remove_community_team_member", summary="Remove a member",
            status_code=200)
    async def remove_community_team_member(
        self, teams: NamedDependency[CommunityTeamService], team_id: TeamId,
        member_id: MemberId,
    ) -> CommunityTeam:
        return CommunityTeam.of(await teams.remove_member(team_id, member_id))
