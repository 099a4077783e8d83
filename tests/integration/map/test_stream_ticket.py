"""The map stream opens with a short-lived single-use ticket, never with the API token in its
URL. Streams are read from a real uvicorn server (tests/integration/conftest.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.security import StreamTicket
from domain.services.stream_tickets import (
    TICKET_TTL_S,
    _digest,
    issue_stream_ticket,
    redeem_stream_ticket,
)
from tests.integration.conftest import LiveApi


async def _first_event(http: httpx.AsyncClient, url: str) -> tuple[int, str]:
    async with http.stream("GET", url, timeout=10) as r:
        if r.status_code != 200:
            await r.aread()
            return r.status_code, r.text
        async for line in r.aiter_lines():
            if line.startswith("event:"):
                return r.status_code, line.split(":", 1)[1].strip()
    return r.status_code, ""


@pytest.mark.slow
async def test_a_ticket_opens_one_stream_once(live_api: LiveApi) -> None:
    async with httpx.AsyncClient(base_url=live_api.base_url) as http:
        assert (await http.post("/api/map/stream-ticket")).status_code == 401
        r = await http.post("/api/map/stream-ticket", headers=live_api.admin_headers)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["expires_in"] == TICKET_TTL_S
        ticket = body["ticket"]
        assert ticket not in live_api.admin_headers["Authorization"]
        assert await _first_event(http, f"/api/map/events?ticket={ticket}") == (200, "ready")
        # spent: a leaked URL opens nothing more
        status, text = await _first_event(http, f"/api/map/events?ticket={ticket}")
        assert status == 401, text


@pytest.mark.slow
async def test_the_api_token_in_the_query_string_no_longer_opens_a_stream(
    live_api: LiveApi,
) -> None:
    token = live_api.admin_headers["Authorization"].split()[1]
    async with httpx.AsyncClient(base_url=live_api.base_url) as http:
        status, _ = await _first_event(http, f"/api/map/events?access_token={token}")
        assert status in (400, 401)  # 400: not a parameter of the stream (api/request.py)
        status, _ = await _first_event(http, f"/api/map/events?ticket={token[:100]}")
        assert status in (400, 401)


async def test_tickets_expire_and_are_stored_only_as_digests(
    db_session: AsyncSession, make_user: Any
) -> None:
    user, _ = await make_user("city_coordinator", "79")
    ticket = await issue_stream_ticket(db_session, user.id)
    row = await db_session.get(StreamTicket, _digest(ticket))
    assert row is not None and row.user_id == user.id
    assert await db_session.get(StreamTicket, ticket) is None
    await db_session.execute(
        update(StreamTicket).where(StreamTicket.digest == _digest(ticket))
        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    assert await redeem_stream_ticket(db_session, ticket) is None
    fresh = await issue_stream_ticket(db_session, user.id)
    assert await redeem_stream_ticket(db_session, fresh) == user.id
    assert await redeem_stream_ticket(db_session, fresh) is None


async def test_an_unknown_ticket_is_401(client: AsyncClient) -> None:
    r = await client.get("/api/map/events", params={"ticket": "x" * 43})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
