"""Community COVID teams on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from api.paging import Page, page_schema
from domain.contract import Areas, Contact, Households, PersonName, Phone, TeamName
from domain.models.community_team import CommunityTeamMember as MemberRow
from domain.models.community_team import CommunityTeamRole, ContactChannel
from domain.repositories.community_teams import CommunityTeamView

CommuneCodeField = Annotated[str, Meta(pattern=r"^[0-9]{5}$")]


class MemberCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    full_name: PersonName
    phone: Phone | None = None
    role: CommunityTeamRole = CommunityTeamRole.member


class MemberUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    full_name: PersonName | UnsetType = UNSET
    phone: Phone | UnsetType | None = UNSET
    role: CommunityTeamRole | UnsetType = UNSET


class CommunityTeamCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``commune_code`` defaults to the caller's own commune."""

    name: TeamName
    channel: ContactChannel
    contact: Contact
    commune_code: CommuneCodeField | None = None
    areas: Areas = []
    households: Households = 0
    members: Annotated[list[MemberCreate], Meta(max_length=100)] = []


class CommunityTeamUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: TeamName | UnsetType = UNSET
    areas: Areas | UnsetType = UNSET
    households: Households | UnsetType = UNSET
    channel: ContactChannel | UnsetType = UNSET
    contact: Contact | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class CommunityTeamMember(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    full_name: str
    phone: str | None
    role: CommunityTeamRole

    @classmethod
    def of(cls, m: MemberRow, *, phones: bool = True) -> CommunityTeamMember:
        return cls(id=m.id, full_name=m.full_name, phone=m.phone if phones else None,
                   role=m.role)


class CommunityTeam(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    commune_code: str
    path: str
    name: str
    areas: list[str]
    households: int
    channel: ContactChannel
    contact: str
    active: bool
    members: list[CommunityTeamMember]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, v: CommunityTeamView, *, phones: bool = True) -> CommunityTeam:
        t = v.team
        return cls(id=t.id, commune_code=t.commune_code, path=t.scope_path, name=t.name,
                   areas=list(t.areas), households=t.households, channel=t.channel,
                   contact=t.contact, active=t.active,
                   members=[CommunityTeamMember.of(m, phones=phones) for m in v.members],
                   created_at=t.created_at, updated_at=t.updated_at)


CommunityTeamPage = Annotated[Page[CommunityTeam], page_schema("CommunityTeamPage")]
