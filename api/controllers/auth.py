"""Login and the caller's own identity."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import RequestBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import client_address, issue_token, password_verifier
from api.openapi_problems import problem_response
from api.schemas.auth import LoginRequest, Me, TokenResponse
from domain.authz import Principal
from domain.errors import NotFound
from domain.repositories.users import UserRepository
from domain.services.login import LoginService


class AuthController(Controller):
    path = "/api"
    tags = ["Auth"]

    @post("/auth/login", operation_id="login", status_code=200,
          summary="Exchange a username and password for a bearer token",
          description=(
              "Throttled: repeated failures lock the account (from this client, then from any "
              "client) and the client with exponential backoff; a locked login answers 429 with "
              "`Retry-After` without checking the password. A success resets the account."
          ),
          responses={
              401: problem_response(401, "Wrong username or password"),
              429: problem_response(429, "Too many failed logins or logins in progress"),
              503: problem_response(503),
          })
    async def login(
        self, data: RequestBody[LoginRequest], state: State, request: Request[Any, Any, Any]
    ) -> TokenResponse:
        service = LoginService(state.session_maker, password_verifier(state))
        user = await service.login(data.username, data.password, client_address(request))
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
