"""Login, tokens, identity, and the user-creation rules."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.audit import AuditEntry


async def test_login_returns_a_bearer_token_that_opens_me(client: AsyncClient, make_user: Any) -> None:
    await make_user("station_staff", "26734", username="nurse.lan")
    r = await client.post("/api/auth/login", json={"username": "nurse.lan",
                                                   "password": "correct horse battery"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "nurse.lan"
    assert me.json()["unit_path"] == "VN.79.760.26734"


async def test_wrong_password_and_unknown_user_look_the_same(client: AsyncClient, make_user: Any) -> None:
    await make_user("station_staff", "26734", username="nurse.hoa")
    a = await client.post("/api/auth/login", json={"username": "nurse.hoa", "password": "nope"})
    b = await client.post("/api/auth/login", json={"username": "nobody", "password": "nope"})
    assert a.status_code == b.status_code == 401
    assert a.json()["detail"] == b.json()["detail"]
    assert a.headers["content-type"].startswith("application/problem+json")


async def test_me_without_or_with_a_forged_token_is_401(client: AsyncClient) -> None:
    assert (await client.get("/api/me")).status_code == 401
    r = await client.get("/api/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 401


async def test_login_body_with_unknown_field_is_400_naming_it(client: AsyncClient) -> None:
    r = await client.post("/api/auth/login", json={"username": "a", "password": "b", "x": 1})
    assert r.status_code == 400
    assert r.json()["field"] == "x" or "x" in r.json()["detail"]


async def test_password_is_stored_as_argon2_and_never_audited(
    make_user: Any, db_session: AsyncSession
) -> None:
    user, _ = await make_user("commune_officer", "26734")
    assert user.password_hash.startswith("$argon2id$")
    entry = await db_session.scalar(select(AuditEntry).where(AuditEntry.row_id == user.id))
    assert entry is not None and entry.action == "insert"
    assert "password_hash" not in (entry.after or {})
