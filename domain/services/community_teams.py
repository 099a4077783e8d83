"""Community COVID teams (tổ COVID cộng đồng) of a commune.

Rules decided here: a team belongs to one commune. The commune's officer (and an
administrator above it) forms, edits and dissolves its teams and their members; everyone in
scope reads them (the district its communes', nobody a sibling's). A team watches named
areas and a number of households and is reached through one channel; a phone channel's
contact is a phone number. Dissolving a team or removing a member leaves a tombstone, so the
commune's tablets drop it too. The national observer reads the teams without their
members' phone numbers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal, within
from domain.contract import Phone, describe
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.models.admin_unit import AdminLevel
from domain.models.community_team import (
    CommunityTeam,
    CommunityTeamMember,
    CommunityTeamRole,
    ContactChannel,
)
from domain.models.enums import Role
from domain.repositories.admin_units import AdminUnitRepository
from domain.repositories.community_teams import CommunityTeamRepository, CommunityTeamView
from domain.services.stations import StationService

TEAM_FIELDS = frozenset({"name", "areas", "households", "channel", "contact", "active"})
MEMBER_FIELDS = frozenset({"full_name", "phone", "role"})
PHONE = re.compile(describe(Phone)["pattern"])  # the one phone rule (domain/contract.py)


def shows_member_phones(principal: Principal) -> bool:
    """Residents' phone numbers go to those who work with the teams, not to the de-identified
    national observer (the team's own contact channel stays: it is how the team is reached)."""
    return principal.role is not Role.national_observer


def _check_contact(channel: ContactChannel, contact: str) -> None:
    if channel is ContactChannel.phone and not PHONE.match(contact.strip()):
        raise ValidationFailed("a phone channel's contact is a phone number", field="contact")


class CommunityTeamService:
    """The community teams the principal reads and manages, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = CommunityTeamRepository(session)

    def _require_manager(self, commune_path: str) -> None:
        p = self.principal
        p.require_read(commune_path, "commune")
        allowed = (p.role is Role.commune_officer and p.unit_path == commune_path) or (
            p.role is Role.administrator and within(commune_path, p.unit_path))
        if not allowed:
            raise Forbidden(f"a {p.role.value} of {p.unit_code} may not manage this commune's "
                            "community teams", field="commune_code")

    async def search(
        self, *, district: str | None = None, commune: str | None = None,
        active: bool | None = None, limit: int = 100, offset: int = 0,
    ) -> tuple[list[CommunityTeamView], int]:
        units = await StationService(self.session, self.principal).unit_paths(
            district=district, commune=commune)
        return await self.repo.page(units=units, active=active, limit=limit, offset=offset)

    async def get(self, team_id: uuid.UUID) -> CommunityTeamView:
        team = await self.repo.get(team_id)
        if team is None or not self.principal.can_read(team.scope_path):
            raise NotFound("community team not found", field="team_id")
        members = await self.repo.members([team.id])
        return CommunityTeamView(team, members.get(team.id, []))

    async def create(
        self, *, name: str, channel: ContactChannel, contact: str,
        commune_code: str | None = None, areas: Sequence[str] = (), households: int = 0,
        members: Sequence[Mapping[str, Any]] = (),
    ) -> CommunityTeamView:
        code = commune_code or self.principal.unit_code
        commune = await AdminUnitRepository(self.session).get(code)
        if commune is None or not self.principal.can_read(commune.path):
            raise NotFound(f"commune {code!r} not found", field="commune_code")
        if commune.level is not AdminLevel.commune:
            raise ValidationFailed("community teams belong to a commune", field="commune_code")
        self._require_manager(commune.path)
        _check_contact(channel, contact)
        team = CommunityTeam(id=uuid.uuid4(), commune_code=commune.code, scope_path=commune.path,
                             name=name.strip(), areas=[a.strip() for a in areas],
                             households=households, channel=channel, contact=contact.strip())
        await self.repo.add(team)
        for i, member in enumerate(members):
            await self._add_member(team, member, f"members[{i}]")
        return await self.get(team.id)

    async def _managed(self, team_id: uuid.UUID) -> CommunityTeam:
        team = await self.repo.get(team_id, for_update=True)
        if team is None or not self.principal.can_read(team.scope_path):
            raise NotFound("community team not found", field="team_id")
        self._require_manager(team.scope_path)
        return team

    async def update(self, team_id: uuid.UUID, changes: Mapping[str, Any]) -> CommunityTeamView:
        team = await self._managed(team_id)
        for name in changes:
            if name not in TEAM_FIELDS:
                raise ValidationFailed(f"{name} cannot be changed", field=name)
        channel = changes.get("channel", team.channel)
        contact = changes.get("contact", team.contact)
        _check_contact(ContactChannel(channel), contact)
        for name, value in changes.items():
            if name == "areas":
                value = [a.strip() for a in value]
            elif isinstance(value, str):
                value = value.strip()
            setattr(team, name, value)
        await self.session.flush()
        return await self.get(team_id)

    async def dissolve(self, team_id: uuid.UUID) -> None:
        """Tombstone the team and its members (tablets drop them)."""
        team = await self._managed(team_id)
        for member in (await self.repo.members([team.id])).get(team.id, []):
            member.deleted = True
        team.deleted = True
        await self.session.flush()

    async def add_member(
        self, team_id: uuid.UUID, member: Mapping[str, Any]
    ) -> CommunityTeamView:
        team = await self._managed(team_id)
        await self._add_member(team, member, None)
        return await self.get(team_id)

    async def _add_member(
        self, team: CommunityTeam, member: Mapping[str, Any], at: str | None
    ) -> None:
        unknown = set(member) - MEMBER_FIELDS
        if unknown:
            name = sorted(unknown)[0]
            raise ValidationFailed(f"a member has no {name}", field=f"{at}.{name}" if at else name)
        full_name = str(member.get("full_name") or "").strip()
        if not full_name:
            raise ValidationFailed("a member needs a name",
                                   field=f"{at}.full_name" if at else "full_name")
        await self.repo.add(CommunityTeamMember(
            id=uuid.uuid4(), team_id=team.id, scope_path=team.scope_path, full_name=full_name,
            phone=member.get("phone"),
            role=CommunityTeamRole(member.get("role") or CommunityTeamRole.member)))

    async def update_member(
        self, team_id: uuid.UUID, member_id: uuid.UUID, changes: Mapping[str, Any]
    ) -> CommunityTeamView:
        await self._managed(team_id)
        member = await self.repo.member(team_id, member_id)
        if member is None:
            raise NotFound("member not found", field="member_id")
        for name, value in changes.items():
            if name not in MEMBER_FIELDS:
                raise ValidationFailed(f"{name} cannot be changed", field=name)
            setattr(member, name, value.strip() if isinstance(value, str) else value)
        await self.session.flush()
        return await self.get(team_id)

    async def remove_member(self, team_id: uuid.UUID, member_id: uuid.UUID) -> CommunityTeamView:
        await self._managed(team_id)
        member = await self.repo.member(team_id, member_id)
        if member is None:
            raise NotFound("member not found", field="member_id")
        member.deleted = True
        await self.session.flush()
        return await self.get(team_id)
