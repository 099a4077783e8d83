"""Authentication: argon2 logins, JWT bearer tokens, and the per-request Principal.

An access token is an HS256 JWT whose every claim the server relies on is checked: ``typ`` is
``access``, ``iss`` and ``aud`` are ours, ``iat`` is not in the future, ``exp`` has not passed
and lies no further after ``iat`` than the configured lifetime, ``nbf`` (when present) has
come, and ``sub`` is a user id in canonical UUID form. Any other token is a 401.
"""

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
from domain.passwords import PasswordVerifier
from domain.repositories.users import set_audit_context
from domain.repositories.write_locks import lock_units
from domain.services.users import UserService
from domain.settings import Settings

ALGORITHM = "HS256"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Route option: False on a non-GET handler that writes no operational row (a stream ticket),
# so it neither waits for the unit's writers nor makes them wait.
UNIT_LOCKS = "unit_locks"
ISSUER = "fieldops"
AUDIENCE = "fieldops-api"
TOKEN_TYPE = "access"
LEEWAY_S = 30  # clock drift between worker hosts


def issue_token(settings: Settings, user_id: uuid.UUID, role: str) -> tuple[str, int]:
    now = int(time.time())
    ttl = settings.access_token_ttl_s
    claims = {
        "sub": str(user_id), "role": role, "iat": now, "nbf": now, "exp": now + ttl,
        "typ": TOKEN_TYPE, "iss": ISSUER, "aud": AUDIENCE,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM), ttl


def user_id_of(token: str, settings: Settings) -> uuid.UUID:
    """The user an access token names, after checking every claim; 401 otherwise."""
    try:
        claims = jwt.decode(
            token, settings.jwt_secret, algorithms=[ALGORITHM], audience=AUDIENCE,
            issuer=ISSUER, leeway=LEEWAY_S,
            options={"require": ["exp", "iat", "sub", "typ", "iss", "aud"]},
        )
        sub, typ, iat, exp = claims["sub"], claims["typ"], claims["iat"], claims["exp"]
        user_id = uuid.UUID(sub) if isinstance(sub, str) else None
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise NotAuthorizedException("invalid or expired token") from exc
    if (
        typ != TOKEN_TYPE
        or user_id is None
        or str(user_id) != sub
        or not isinstance(iat, int)
        or not isinstance(exp, int)
        or exp - iat > settings.access_token_ttl_s + LEEWAY_S
    ):
        raise NotAuthorizedException("invalid or expired token")
    return user_id


def bearer_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
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
    principal = await principal_from_token(bearer_token(request), state.settings, db_session)
    if request.method not in SAFE_METHODS and request.route_handler.opt.get(UNIT_LOCKS, True):
        await lock_units(db_session, [principal.unit_path])
    return principal


async def principal_from_token(
    token: str, settings: Settings, db_session: AsyncSession
) -> Principal:
    """The active user a bearer token names; 401 when it is invalid, expired or disabled."""
    return await principal_of_user(user_id_of(token, settings), db_session)


async def principal_of_user(user_id: uuid.UUID, db_session: AsyncSession) -> Principal:
    """The active user's principal, set as the audit actor; 401 when unknown or disabled."""
    principal = await UserService(db_session).principal(user_id)
    if principal is None:
        await refuse(db_session)
        raise NotAuthorizedException("the account is unknown or disabled")
    await set_audit_context(db_session, actor_id=principal.user_id, via="login")
    return principal


async def refuse(db_session: AsyncSession) -> None:
    """End the request's transaction before a dependency refuses the request. Litestar does not
    clean up the session dependency when a later dependency raises: the suspended generator is
    only finalised when collected, in a task of its own, racing whatever uses its connection
    next. Closed here, it has nothing left to do then."""
    await db_session.close()


def password_verifier(state: State) -> PasswordVerifier:
    """The process's pool of argon2 threads, created with the first login."""
    verifier: PasswordVerifier | None = state.get("password_verifier")
    if verifier is None:
        verifier = state["password_verifier"] = PasswordVerifier()
    return verifier


def client_address(request: Request[Any, Any, Any]) -> str:
    """The peer's address (behind a proxy, run uvicorn with --proxy-headers to get the real one)."""
    return request.client.host if request.client else "unknown"
