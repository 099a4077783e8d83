"""Login and the caller's own identity."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import RequestBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import issue_token
from api.schemas.auth import LoginRequest, Me, TokenResponse
from domain.authz import Principal
from domain.errors import NotFound
from domain.repositories.users import UserRepository
from domain.services.users import UserService


class AuthController(Controller):
    path = "/api"
    tags = ["Auth"]

    @post("/auth/login", operation_id="login", status_code=200,
          summary="Exchange a username and password for a bearer token")
    async def login(
        self, data: RequestBody[LoginRequest], state: State, db_session: NamedDependency[AsyncSession]
    ) -> TokenResponse:
        user = await UserService(db_session).authenticate(data.username, data.password)
        if user is None:
            raise NotAuthorizedException("wrong username or password")
        token, ttl = issue_token(state.settings, user.id, user.role.value)
        return TokenResponse(access_token=token, expires_in=ttl)

    @get("/me", operation_id="get_me", summary="Who am I", security=[{"BearerToken": []}])
    async def get_me(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
    ) -> Me:
        user = await UserRepository(db_session).by_id(principal.user_id)
        if user is None:
            raise NotFound("user not found")
        return Me(
            id=user.id, username=user.username, full_name=user.full_name, role=user.role,
            unit_code=user.unit_code, unit_path=user.unit_path, station_id=user.station_id,
            team_ids=sorted(principal.team_ids),
        )
