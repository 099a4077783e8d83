"""Care teams on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.paging import Page, page_schema
from domain.models.enums import Role
from domain.repositories.care_teams import TeamView

TeamName = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]


class CareTeamCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    station_id: uuid.UUID
    name: TeamName
    member_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=50)] = []


class CareTeamUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: TeamName


class TeamMember(msgspec.Struct, kw_only=True, frozen=True):
    user_id: uuid.UUID
    username: str
    full_name: str
    role: Role


class CareTeam(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    station_id: uuid.UUID
    commune_code: str
    path: str
    name: str
    members: list[TeamMember]
    open_cases: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: TeamView) -> CareTeam:
        t = view.team
        return cls(
            id=t.id, station_id=t.station_id, commune_code=t.commune_code, path=t.scope_path,
            name=t.name, open_cases=view.open_cases, created_at=t.created_at,
            updated_at=t.updated_at,
            members=[
                TeamMember(user_id=m.user_id, username=m.username, full_name=m.full_name,
                           role=m.role)
                for m in view.members
            ],
        )


CareTeamPage = Annotated[Page[CareTeam], page_schema("CareTeamPage")]
