"""Authentication: argon2 logins, JWT bearer tokens, and the per-request Principal."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.repositories.users import set_audit_context
from domain.repositories.write_locks import lock_units
from domain.services.users import UserService
from domain.settings import Settings

ALGORITHM = "HS256"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def issue_token(settings: Settings, user_id: uuid.UUID, role: str) -> tuple[str, int]:
    now = int(time.time())
    ttl = settings.access_token_ttl_s
    claims = {"sub": str(user_id), "role": role, "iat": now, "exp": now + ttl, "typ": "access"}
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM), ttl


def _bearer(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("a bearer token is required")
    return token.strip()


async def provide_principal(
    request: Request[Any, Any, Any], state: State, db_session: NamedDependency[AsyncSession]
) -> Principal:
    """Resolve the caller and record it as the audit actor of this request's transaction.

    A request that may write first takes the unit locks of the caller's unit, the start of
    the one global lock order (domain/repositories/write_locks.py), so online writes and the
    pushes of the ward's tablets queue instead of deadlocking.
    """
    principal = await principal_from_token(_bearer(request), state.settings, db_session)
    if request.method not in SAFE_METHODS:
        await lock_units(db_session, [principal.unit_path])
    return principal


async def principal_from_token(
    token: str, settings: Settings, db_session: AsyncSession
) -> Principal:
    """The active user a bearer token names; 401 when it is invalid, expired or disabled."""
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=[ALGORITHM],
                            options={"require": ["exp", "sub"]})
        user_id = uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise NotAuthorizedException("invalid or expired token") from exc
    principal = await UserService(db_session).principal(user_id)
    if principal is None:
        raise NotAuthorizedException("the account is unknown or disabled")
    await set_audit_context(db_session, actor_id=principal.user_id, via="login")
    return principal
