"""Hostile bodies and parameters are the caller's 4xx naming the field, never a 500; a database
that lost a race answers 503 with Retry-After. Real PostgreSQL, real HTTP through ASGI."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from domain.models.station import Station
from domain.repositories.admin_units import AdminUnitRepository
from domain.services.devices import DeviceService
from domain.services.users import UserService

JSON = {"Content-Type": "application/json"}
DEEP_ARRAY = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
MALFORMED = {
    "invalid utf-8": b'{"username":"\xff","password":"x"}',
    "deep array": DEEP_ARRAY,
    "deep object": DEEP_OBJECT,
    "truncated": b'{"username":',
    "NaN": b'{"username": NaN, "password": "x"}',
}


def _assert_problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body.get("field"), body
    if field is not None:
        assert body["field"] == field, body
    return body


@pytest.mark.parametrize("kind", sorted(MALFORMED))
async def test_malformed_login_body_is_400_naming_the_body(client: AsyncClient, kind: str) -> None:
    r = await client.post("/api/auth/login", content=MALFORMED[kind], headers=JSON)
    _assert_problem(r, 400, "body")


async def test_malformed_body_on_an_authenticated_patch_is_400(
    client: AsyncClient, make_user: Any
) -> None:
    _, headers = await make_user("administrator", "79")
    for raw in (b'{"notes":"\xff\xfe"}', DEEP_ARRAY, DEEP_OBJECT):
        r = await client.patch(f"/api/cases/{uuid.uuid4()}", content=raw,
                               headers={**headers, **JSON})
        _assert_problem(r, 400, "body")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "a\x00b", "password": "x"}, "username"),
        ({"username": "a", "password": "x", "extra\x00": 1}, "body"),
        ({"username": "a", "password": 2**70}, "password"),
        ({"username": "a"}, "password"),
        ({"username": "a", "password": "x", "role": "admin"}, "role"),
        ({"username": ["a"], "password": "x"}, "username"),
    ],
)
async def test_bad_values_name_the_field(client: AsyncClient, body: Any, field: str) -> None:
    import json

    r = await client.post("/api/auth/login", content=json.dumps(body).encode(), headers=JSON)
    _assert_problem(r, 400, field)


async def test_nested_field_paths_are_named(client: AsyncClient, make_user: Any) -> None:
    _, headers = await make_user("administrator", "79")
    r = await client.post("/api/stations", json={"name": {"deep": [1, "x\x00"]}}, headers=headers)
    _assert_problem(r, 400, "name.deep[1]")


async def test_query_and_path_parameters_with_nul_are_400_naming_them(
    client: AsyncClient, make_user: Any
) -> None:
    _, headers = await make_user("administrator", "79")
    _assert_problem(await client.get("/api/stations", params={"q": "a\x00"}, headers=headers),
                    400, "q")
    _assert_problem(await client.get("/api/admin-units/79%00"), 400)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_json_body_without_a_json_content_type_is_415(
    client: AsyncClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = await client.post("/api/auth/login", content=b'{"username":"a","password":"b"}',
                          headers=headers)
    _assert_problem(r, 415, "Content-Type")


async def _device_token(db_session: AsyncSession, make_user: Any) -> str:
    unit = await AdminUnitRepository(db_session).get("26734")
    assert unit is not None
    station = Station(code=f"S-{uuid.uuid4().hex[:8]}", name="Trạm y tế lưu động",
                      commune_code="26734", scope_path=unit.path,
                      position=f"SRID=4326;POINT({unit.lon} {unit.lat})", status="active")
    db_session.add(station)
    await db_session.flush()
    officer, _ = await make_user("commune_officer", "26734")
    principal = await UserService(db_session).principal(officer.id)
    assert principal is not None
    _, token = await DeviceService(db_session, principal).enroll(
        name="tablet", station_id=station.id
    )
    await db_session.commit()
    return token


@pytest.mark.parametrize("path", ["/sync/v1/push", "/sync/v1/pull"])
async def test_sync_endpoints_refuse_malformed_bodies_with_400(
    client: AsyncClient, db_session: AsyncSession, make_user: Any, path: str
) -> None:
    token = await _device_token(db_session, make_user)
    headers = {"Authorization": f"Bearer {token}", **JSON}
    cases = ((DEEP_OBJECT, {"body"}), (DEEP_ARRAY, {"body"}),
             (b'{"protocol":"\xff"}', {"body", "protocol"}),
             (b'{"protocol":1,"x":"\xff"}', {"body", "x"}))  # the unknown field, named
    for raw, fields in cases:
        r = await client.post(path, content=raw, headers=headers)
        assert r.status_code == 400, (raw[:20], r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] in fields, (raw[:20], r.json())


async def test_a_lock_timeout_is_503_retry_not_500(
    client: AsyncClient, make_user: Any, engine: AsyncEngine, db_connection: AsyncConnection
) -> None:
    """Another transaction holds the table; ours gives up waiting (55P03): the client retries."""
    _, headers = await make_user("administrator", "79")
    async with engine.connect() as other:
        await other.begin()
        await other.execute(text("LOCK TABLE station IN ACCESS EXCLUSIVE MODE"))
        await db_connection.execute(text("SET LOCAL lock_timeout = '100ms'"))
        r = await client.get("/api/stations", headers=headers)
        await other.rollback()
    body = _assert_problem_no_field(r, 503)
    assert body["code"] == "retry"
    assert int(r.headers["retry-after"]) >= 1


def _assert_problem_no_field(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


async def test_a_body_past_the_size_limit_is_413_naming_the_body(
    client: AsyncClient, settings: Any
) -> None:
    raw = b'{"username":"' + b"x" * (settings.max_body_bytes + 1) + b'","password":"x"}'
    r = await client.post("/api/auth/login", content=raw, headers=JSON)
    _assert_problem(r, 413, "body")
