"""Care teams: a station's home-visit teams and their members."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter, RequestBody

from api.paging import Paging
from api.schemas.care_teams import CareTeam, CareTeamCreate, CareTeamPage, CareTeamUpdate
from api.schemas.common import CommuneCode, DistrictCode
from api.services import service_dependency
from domain.services.care_teams import CareTeamService


class CareTeamController(Controller):
    path = "/api/care-teams"
    tags = ["Care teams"]
    security = [{"BearerToken": []}]
    dependencies = {"teams": service_dependency(CareTeamService)}

    @get("/", operation_id="list_care_teams", summary="Care teams in the caller's scope")
    async def list_care_teams(
        self,
        teams: NamedDependency[CareTeamService],
        paging: NamedDependency[Paging],
        station_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        district: DistrictCode = None,
        commune: CommuneCode = None,
    ) -> CareTeamPage:
        views, total = await teams.search(
            station_id=station_id, district=district, commune=commune,
            limit=paging.limit, offset=paging.offset,
        )
        return paging.page([CareTeam.of(v) for v in views], total)

    @get("/{team_id:uuid}", operation_id="get_care_team", summary="One care team with members")
    async def get_care_team(
        self,
        teams: NamedDependency[CareTeamService],
        team_id: Annotated[uuid.UUID, PathParameter()],
    ) -> CareTeam:
        return CareTeam.of(await teams.get(team_id))

    @post("/", operation_id="create_care_team", summary="Form a care team at a station")
    async def create_care_team(
        self,
        teams: NamedDependency[CareTeamService],
        data: RequestBody[CareTeamCreate],
    ) -> CareTeam:
        view = await teams.create(
            station_id=data.station_id, name=data.name,
            member_ids=data.member_ids,
        )
        return CareTeam.of(view)

    @patch("/{team_id:uuid}", operation_id="update_care_team", summary="Rename a care team")
    async def update_care_team(
        self,
        teams: NamedDependency[CareTeamService],
        team_id: Annotated[uuid.UUID, PathParameter()],
        data: RequestBody[CareTeamUpdate],
    ) -> CareTeam:
        return CareTeam.of(await teams.rename(team_id, data.name))

    @put(
        "/{team_id:uuid}/members/{user_id:uuid}",
        operation_id="add_care_team_member",
        summary="Add a member (idempotent)",
    )
    async def add_care_team_member(
        self,
        teams: NamedDependency[CareTeamService],
        team_id: Annotated[uuid.UUID, PathParameter()],
        user_id: Annotated[uuid.UUID, PathParameter()],
    ) -> CareTeam:
        return CareTeam.of(await teams.add_member(team_id, user_id))

    @delete(
        "/{team_id:uuid}/members/{user_id:uuid}",
        operation_id="remove_care_team_member",
        summary="Remove a member",
        status_code=200,
    )
    async def remove_care_team_member(
        self,
        teams: NamedDependency[CareTeamService],
        team_id: Annotated[uuid.UUID, PathParameter()],
        user_id: Annotated[uuid.UUID, PathParameter()],
    ) -> CareTeam:
        return CareTeam.of(await teams.remove_member(team_id, user_id))
