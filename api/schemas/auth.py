"""Login and identity on the wire."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from domain.models.enums import Role


class LoginRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class TokenResponse(msgspec.Struct, kw_only=True, frozen=True):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Me(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    unit_code: str
    unit_path: str
    station_id: uuid.UUID | None
    team_ids: list[uuid.UUID]
