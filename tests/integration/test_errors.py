"""Every error is RFC 9457 problem+json, including the framework's own 404/405."""

from __future__ import annotations

from httpx import AsyncClient


async def test_unknown_route_is_problem_json(client: AsyncClient) -> None:
    r = await client.get("/api/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 404


async def test_wrong_method_is_problem_json(client: AsyncClient) -> None:
    r = await client.delete("/api/admin-units")
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_malformed_json_body_is_400_not_500(client: AsyncClient) -> None:
    r = await client.post("/api/auth/login", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_wrong_type_in_body_names_the_field(client: AsyncClient) -> None:
    r = await client.post("/api/auth/login", json={"username": 12, "password": "x"})
    assert r.status_code == 400
    body = r.json()
    assert body["field"] == "username", body


async def test_values_the_database_refuses_are_400_not_500(client: AsyncClient) -> None:
    for params in ({"q": "\x00"}, {"offset": "99999999999999999999"}):
        r = await client.get("/api/admin-units", params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
