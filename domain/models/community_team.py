"""Community COVID teams (tổ COVID cộng đồng): neighbourhood volunteers of a commune who
watch its households. Distinct from the F0 care teams of a station (domain/models/station.py):
their members are residents, not users of the system, and they are reached by a phone
number or a chat group rather than a login.
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import ARRAY, Boolean, CheckConstraint, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import pg_enum


class ContactChannel(enum.StrEnum):
    phone = "phone"
    zalo = "zalo"
    facebook = "facebook"
    other = "other"


class CommunityTeamRole(enum.StrEnum):
    leader = "leader"  # tổ trưởng
    deputy = "deputy"  # tổ phó
    member = "member"


class CommunityTeam(SyncColumns, Base):
    """A neighbourhood team of one commune; scoped to the commune."""

    __tablename__ = "community_team"
    __extra_table_args__ = (CheckConstraint("households >= 0", name="households"),)

    commune_code: Mapped[str] = mapped_column(
        ForeignKey("admin_unit.code"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    # The neighbourhoods (khu phố, tổ dân phố) or streets the team watches, and how many
    # households that is.
    areas: Mapped[list[str]] = mapped_column(
        ARRAY(String(120)), nullable=False, server_default=text("'{}'")
    )
    households: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    channel: Mapped[ContactChannel] = mapped_column(
        pg_enum(ContactChannel, "contact_channel"), nullable=False
    )
    contact: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))


class CommunityTeamMember(SyncColumns, Base):
    """A resident serving on a community team."""

    __tablename__ = "community_team_member"

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("community_team.id"), nullable=False, index=True
    )
    full_name: Mapped[str] = mapped_column(String(120), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[CommunityTeamRole] = mapped_column(
        pg_enum(CommunityTeamRole, "community_team_role"), nullable=False,
        server_default="member",
    )
