"""Tokens whose claims do not hold are refused; logins are throttled in the database, audited,
and checked off the event loop. Real PostgreSQL, real argon2, HTTP through ASGI."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from httpx import ASGITransport, AsyncClient
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.auth import AUDIENCE, ISSUER
from domain.db import create_session_maker
from domain.errors import Throttled
from domain.models.audit import AuditEntry
from domain.models.enums import Role
from domain.passwords import PasswordVerifier, hash_password, verify_password
from domain.services.login import LIMITS, backoff_s
from domain.services.users import UserService
from domain.settings import Settings

PASSWORD = "correct horse battery"


# -- tokens --------------------------------------------------------------------------------
def _token(settings: Settings, user_id: uuid.UUID, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id), "role": "administrator", "iat": now, "nbf": now,
        "exp": now + 600, "typ": "access", "iss": ISSUER, "aud": AUDIENCE,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


async def test_a_well_formed_access_token_opens_me(
    client: AsyncClient, make_user: Any, settings: Settings
) -> None:
    user, _ = await make_user("administrator", "79")
    r = await client.get("/api/me", headers={"Authorization": f"Bearer {_token(settings, user.id)}"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"typ": "refresh"},
        {"typ": None},
        {"iss": "someone-else"},
        {"iss": None},
        {"aud": "another-api"},
        {"aud": None},
        {"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200},  # issued in the future
        {"iat": None},
        {"nbf": int(time.time()) + 3600},
        {"exp": int(time.time()) - 120},
        {"exp": int(time.time()) + 10 * 365 * 86400},  # a lifetime we never issue
        {"sub": "not-a-uuid"},
        {"sub": 12345},
        {"iat": "yesterday"},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
async def test_tokens_with_a_claim_we_do_not_issue_are_401(
    client: AsyncClient, make_user: Any, settings: Settings, overrides: dict[str, Any]
) -> None:
    user, _ = await make_user("administrator", "79")
    token = _token(settings, user.id, **overrides)
    r = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, (overrides, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_a_non_canonical_subject_is_401(
    client: AsyncClient, make_user: Any, settings: Settings
) -> None:
    user, _ = await make_user("administrator", "79")
    token = _token(settings, user.id, sub=user.id.hex.upper())
    assert (await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_a_token_signed_with_another_key_is_401(client: AsyncClient, make_user: Any) -> None:
    user, _ = await make_user("administrator", "79")
    forged = Settings(database_url="", jwt_secret="not-the-server-key-" + "k" * 32)
    token = _token(forged, user.id)
    assert (await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_a_token_of_an_unknown_user_is_401_and_the_connection_stays_usable(
    client: AsyncClient, settings: Settings, db_session: AsyncSession
) -> None:
    """The refusal comes after a query: the request's transaction must end with it."""
    token = _token(settings, uuid.uuid4())
    for path in ("/api/me", "/api/map/events"):
        r = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, r.text
    assert (await db_session.execute(select(1))).scalar() == 1


# -- login throttling ----------------------------------------------------------------------
@pytest.fixture
async def from_elsewhere(app: Litestar) -> AsyncIterator[AsyncClient]:
    """A second client, at another address than ``client``'s 127.0.0.1."""
    transport = ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def _login(c: AsyncClient, username: str, password: str) -> Any:
    return await c.post("/api/auth/login", json={"username": username, "password": password})


async def test_repeated_failures_lock_the_account_with_429_and_retry_after(
    client: AsyncClient, make_user: Any, db_session: AsyncSession
) -> None:
    user, _ = await make_user("station_staff", "26734", username="nurse.throttle")
    free = LIMITS[0].free
    for _ in range(free + 1):  # the free ones, then the one that starts the lock
        assert (await _login(client, "nurse.throttle", "wrong")).status_code == 401
    r = await _login(client, "nurse.throttle", PASSWORD)  # even the right password waits
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "username" and r.json()["code"] == "throttled"
    assert 1 <= int(r.headers["retry-after"]) <= LIMITS[0].cap_s
    entry = await db_session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "login", AuditEntry.row_id == user.id)
    )
    assert entry is not None and entry.action == "lockout"
    assert entry.scope_path == "VN.79.760.26734"
    assert entry.after and entry.after["username"] == "nurse.throttle"
    assert "password" not in str(entry.after)


async def test_the_lock_expires_and_a_success_resets_the_account(
    client: AsyncClient, make_user: Any
) -> None:
    await make_user("station_staff", "26734", username="nurse.reset")
    free = LIMITS[0].free
    for _ in range(free + 1):
        await _login(client, "nurse.reset", "wrong")
    assert (await _login(client, "nurse.reset", PASSWORD)).status_code == 429
    await asyncio.sleep(1.2)  # the first lock lasts one second
    assert (await _login(client, "nurse.reset", PASSWORD)).status_code == 200
    # the success forgot the account's failures: as many again do not lock it
    for _ in range(free):
        assert (await _login(client, "nurse.reset", "wrong")).status_code == 401
    assert (await _login(client, "nurse.reset", PASSWORD)).status_code == 200


async def test_an_attacker_locks_out_their_own_client_not_the_user_elsewhere(
    client: AsyncClient, from_elsewhere: AsyncClient, make_user: Any
) -> None:
    await make_user("station_staff", "26734", username="nurse.elsewhere")
    for _ in range(LIMITS[0].free + 2):
        await _login(client, "nurse.elsewhere", "wrong")
    assert (await _login(client, "nurse.elsewhere", PASSWORD)).status_code == 429
    assert (await _login(from_elsewhere, "nurse.elsewhere", PASSWORD)).status_code == 200


async def test_one_client_guessing_across_accounts_is_throttled(
    client: AsyncClient, from_elsewhere: AsyncClient
) -> None:
    client_limit = LIMITS[2]
    for i in range(client_limit.free + 1):
        r = await _login(from_elsewhere, f"nobody-{i}", "guess")
        assert r.status_code == 401, (i, r.text)
    r = await _login(from_elsewhere, "yet-another", "guess")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert (await _login(client, "yet-another", "guess")).status_code == 401  # others unaffected


def test_backoff_doubles_and_is_capped_at_minutes() -> None:
    for limit in LIMITS:
        delays = [backoff_s(n, limit) for n in range(1, limit.free + 6)]
        assert delays[: limit.free] == [0] * limit.free
        assert delays[limit.free:] == [1, 2, 4, 8, 16]
        assert backoff_s(10_000, limit) == limit.cap_s <= 15 * 60
    assert max(limit.cap_s for limit in LIMITS[:2]) <= 5 * 60  # an account: minutes at most


# -- argon2 off the event loop -------------------------------------------------------------
async def test_logins_do_not_stall_the_event_loop(
    committed_client: AsyncClient, engine: AsyncEngine, password_hash: str
) -> None:
    """While logins hash, the loop keeps ticking: no pause as long as one argon2 check.
    Committed, so the concurrent logins each have a connection of their own."""
    async with create_session_maker(engine)() as s:
        await UserService(s).create(
            username="nurse.flood", password=PASSWORD, full_name="Flood", role=Role.station_staff,
            unit_code="26734", password_hash=password_hash,
        )
        await s.commit()
    client = committed_client
    stored = hash_password(PASSWORD)
    started = time.perf_counter()
    verify_password(stored, PASSWORD)
    one_hash = time.perf_counter() - started
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    results = await asyncio.gather(*[_login(client, "nurse.flood", PASSWORD) for _ in range(3)])
    done.set()
    await tick
    assert [r.status_code for r in results] == [200, 200, 200]
    assert max(gaps) < one_hash * 0.7, (max(gaps), one_hash)


async def test_concurrent_logins_of_one_account_never_5xx(
    committed_client: AsyncClient, engine: AsyncEngine, password_hash: str
) -> None:
    """Failures and successes of one account and client at once: same throttle rows, taken
    in one order, so no deadlock and no 5xx; every answer is 200, 401 or 429."""
    async with create_session_maker(engine)() as s:
        await UserService(s).create(
            username="nurse.race", password=PASSWORD, full_name="Race", role=Role.station_staff,
            unit_code="26734", password_hash=password_hash,
        )
        await s.commit()
    attempts = [PASSWORD if i % 3 == 0 else "wrong" for i in range(12)]
    results = await asyncio.gather(*[_login(committed_client, "nurse.race", p) for p in attempts])
    assert {r.status_code for r in results} <= {200, 401, 429}, [r.text for r in results]


async def test_the_hashing_queue_is_bounded() -> None:
    verifier = PasswordVerifier(workers=1, max_pending=1)
    stored = hash_password(PASSWORD)
    try:
        results = await asyncio.gather(
            verifier.verify(stored, PASSWORD), verifier.verify(stored, PASSWORD),
            return_exceptions=True,
        )
    finally:
        verifier.close()
    assert results[0] is True
    assert isinstance(results[1], Throttled) and results[1].retry_after_s >= 1
