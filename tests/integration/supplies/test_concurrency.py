"""Fifty people issuing the same item at one station at once: every issue is booked once
and stock on hand is exactly receipts minus issues (the balance row serialises them)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from api.auth import issue_token
from domain.models.enums import Role
from domain.models.supply import StockBalance, StockMovement
from domain.services.catalog import ensure_standard_catalog, item_id
from domain.services.users import UserService
from domain.settings import Settings
from tests.integration.supplies.conftest import location_row, station_row


async def test_fifty_concurrent_issues_are_all_booked_once(
    committed_client: AsyncClient, engine: AsyncEngine, settings: Settings, password_hash: str
) -> None:
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await ensure_standard_catalog(session)
        station = station_row("Q1-TD-C", "26734")
        session.add(station)
        await session.flush()
        location = location_row(station)
        session.add(location)
        user = await UserService(session).create(
            username="nurse.concurrent", password="unused", full_name="Nurse", unit_code="26734",
            role=Role.station_staff, station_id=station.id, password_hash=password_hash,
        )
        await session.commit()
    headers = {"Authorization": f"Bearer {issue_token(settings, user.id, 'station_staff')[0]}"}
    ppe = str(item_id("ppe_set"))

    def body(kind: str, quantity: int) -> dict[str, object]:
        return {"id": str(uuid.uuid4()), "location_id": str(location.id), "item_id": ppe,
                "kind": kind, "quantity": quantity, "occurred_at": datetime.now(UTC).isoformat()}

    r = await committed_client.post("/api/stock-movements", json=body("receipt", 500),
                                    headers=headers)
    assert r.status_code == 201, r.text
    issues = [body("issue", 3) for _ in range(50)]
    results = await asyncio.gather(*(
        committed_client.post("/api/stock-movements", json=b, headers=headers) for b in issues
    ))
    assert [x.status_code for x in results] == [201] * 50

    async with engine.connect() as conn:
        booked = await conn.scalar(
            select(func.count()).select_from(StockMovement)
            .where(StockMovement.location_id == location.id, StockMovement.kind == "issue")
        )
        qty = await conn.scalar(select(StockBalance.qty)
                                .where(StockBalance.location_id == location.id))
    assert booked == 50
    assert qty == 500 - 50 * 3
    stock = await committed_client.get("/api/stock", params={"location_id": str(location.id)},
                                       headers=headers)
    assert stock.json()["items"][0]["quantity"] == 350
