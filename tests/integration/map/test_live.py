"""Live map updates: a committed change, by the API or any other writer, reaches an open map
without a reload, coalesced per station and limited to the subscriber's scope. How fast (the
2-second target) is measured in bench/live_latency.py, not asserted here."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import issue_token
from api.live import LiveHub, listener_dsn
from domain.db import create_session_maker
from domain.models.enums import CaseStatus, RiskGroup, Role, StationStatus
from domain.models.supply import (
    CatalogItem,
    ItemCategory,
    LocationKind,
    StockBalance,
    StockLocation,
)
from domain.services.users import UserService
from domain.settings import Settings
from tests.integration.map.conftest import case_row, station_row


@pytest.fixture
async def hub(engine: AsyncEngine) -> AsyncIterator[LiveHub]:
    live = LiveHub(listener_dsn(engine), create_session_maker(engine))
    await live.start()
    yield live
    await live.stop()


async def next_event(stream: AsyncIterator[Any], within_s: float = 10.0) -> tuple[str, Any]:
    while True:
        msg = await asyncio.wait_for(anext(stream), within_s)
        if msg.event:  # skip keep-alive comments
            return msg.event, json.loads(msg.data)


async def test_api_change_reaches_subscribers_in_scope(
    hub: LiveHub, committed_client: AsyncClient, engine: AsyncEngine, settings: Settings,
    password_hash: str,
) -> None:
    city_map = hub.stream("VN.79")
    hanoi_map = hub.stream("VN.01")
    assert (await next_event(city_map))[0] == "ready"
    assert (await next_event(hanoi_map))[0] == "ready"
    async with create_session_maker(engine)() as s:
        station = station_row("LIVE-1", "26734", StationStatus.active, 10)
        hanoi = station_row("LIVE-HN", "00001", StationStatus.active, 10)
        s.add_all([station, hanoi])
        coordinator = await UserService(s).create(
            username="live-coordinator", password="x", full_name="Coordinator",
            role=Role.city_coordinator, unit_code="79", password_hash=password_hash,
        )
        await s.commit()
    # each map hears of the new station in its own city only
    assert [f["properties"]["code"] for f in (await next_event(city_map))[1]] == ["LIVE-1"]
    assert [f["properties"]["code"] for f in (await next_event(hanoi_map))[1]] == ["LIVE-HN"]
    token, _ = issue_token(settings, coordinator.id, "city_coordinator")

    resp = await committed_client.patch(
        f"/api/stations/{station.id}", json={"status": "suspended"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 200, resp.text
    event, features = await next_event(city_map)
    assert event == "stations"
    assert [(f["properties"]["code"], f["properties"]["status"]) for f in features] == [
        ("LIVE-1", "suspended")
    ]
    with pytest.raises(TimeoutError):  # Ha Noi's map is not told about Ho Chi Minh City
        await next_event(hanoi_map, within_s=0.6)
    await city_map.aclose()  # type: ignore[attr-defined]
    await hanoi_map.aclose()  # type: ignore[attr-defined]
    assert hub.subscriptions == set()


async def test_a_burst_of_case_writes_becomes_one_update_per_station(
    hub: LiveHub, committed_app: Any, engine: AsyncEngine
) -> None:
    async with create_session_maker(engine)() as s:
        station = station_row("LIVE-2", "26737", StationStatus.active, 5)
        s.add(station)
        await s.commit()
    stream = hub.stream("VN")
    assert (await next_event(stream))[0] == "ready"
    async with create_session_maker(engine)() as s:  # e.g. a sync push of many cases
        s.add_all([case_row(station, n, CaseStatus.home_monitoring, RiskGroup.low) for n in range(8)])
        await s.commit()
    event, features = await next_event(stream)
    assert event == "stations" and len(features) == 1
    p = features[0]["properties"]
    assert (p["active_cases"], p["load"], p["attention"]) == (8, 1.6, ["overload"])
    await stream.aclose()  # type: ignore[attr-defined]


async def test_stock_running_out_reaches_the_map(
    hub: LiveHub, committed_app: Any, engine: AsyncEngine
) -> None:
    stream = hub.stream("VN.79")
    assert (await next_event(stream))[0] == "ready"
    maker = create_session_maker(engine)
    async with maker() as s:
        oxygen = CatalogItem(
            id=uuid.uuid4(), code="O2-10L", name="Bình oxy 10 lít", scope_path="VN",
            category=ItemCategory.oxygen_cylinder, unit_of_issue="bình", map_key="oxygen",
            min_station_stock=2, durable=True,
        )
        s.add(oxygen)
        await s.commit()
    assert (await next_event(stream))[0] == "resync"  # a new key item: every map reloads
    async with maker() as s:
        station = station_row("LIVE-3", "26764", StationStatus.active, 20)
        s.add(station)
        await s.flush()
        location = StockLocation(
            id=uuid.uuid4(), code="LOC-LIVE-3", name="Kho trạm", kind=LocationKind.station,
            unit_code="26764", station_id=station.id, scope_path=station.scope_path,
        )
        s.add(location)
        await s.flush()
        balance = StockBalance(location_id=location.id, item_id=oxygen.id,
                               scope_path=station.scope_path, qty=5)
        s.add(balance)
        await s.commit()
    _, features = await next_event(stream)
    assert features[0]["properties"]["stock"]["oxygen"] == "ok"
    async with maker() as s:
        await s.execute(update(StockBalance).where(StockBalance.id == balance.id).values(qty=0))
        await s.commit()
    _, features = await next_event(stream)
    p = features[0]["properties"]
    assert (p["code"], p["stock"]["oxygen"], p["attention"]) == ("LIVE-3", "out", ["stock_out"])
    await stream.aclose()  # type: ignore[attr-defined]


async def test_an_acknowledged_emergency_stays_on_the_live_map_until_resolved(
    hub: LiveHub, committed_app: Any, engine: AsyncEngine
) -> None:
    from domain.models.enums import AlertSeverity, AlertStatus
    from domain.models.observation import Alert
    from tests.integration.map.conftest import alert_row

    stream = hub.stream("VN.79")
    assert (await next_event(stream))[0] == "ready"
    maker = create_session_maker(engine)
    async with maker() as s:
        station = station_row("LIVE-4", "26734", StationStatus.active, 20)
        s.add(station)
        await s.flush()
        case = case_row(station, 1, CaseStatus.needs_attention, RiskGroup.high)
        s.add(case)
        await s.flush()
        alert = alert_row(case, AlertSeverity.emergency, AlertStatus.open)
        s.add(alert)
        await s.commit()

    async def figures() -> tuple[int, int, int, int]:
        while True:
            _, features = await next_event(stream)
            mine = [f["properties"] for f in features if f["properties"]["code"] == "LIVE-4"]
            if mine:
                p = mine[-1]
                return (p["open_alerts"], p["emergency_alerts"], p["attention_alerts"],
                        p["acknowledged_alerts"])

    assert await figures() == (1, 1, 0, 0)
    async with maker() as s:
        await s.execute(update(Alert).where(Alert.id == alert.id)
                        .values(status=AlertStatus.acknowledged))
        await s.commit()
    assert await figures() == (1, 1, 0, 1)  # acknowledged, still an emergency
    async with maker() as s:
        await s.execute(update(Alert).where(Alert.id == alert.id)
                        .values(status=AlertStatus.resolved))
        await s.commit()
    assert await figures() == (0, 0, 0, 0)
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_catalog_change_tells_every_open_map_to_reload(
    hub: LiveHub, committed_app: Any, engine: AsyncEngine
) -> None:
    """A key item's minimum decides every station's stock state without changing any
    station's row (migration 0023): every open map, whatever its scope, is told to reload."""
    city_map, hanoi_map = hub.stream("VN.79"), hub.stream("VN.01")
    assert (await next_event(city_map))[0] == (await next_event(hanoi_map))[0] == "ready"
    async with create_session_maker(engine)() as s:
        item = CatalogItem(
            id=uuid.uuid4(), code=f"LIVE-CAT-{uuid.uuid4().hex[:6]}", name="SpO2", scope_path="VN",
            category=ItemCategory.spo2_meter, unit_of_issue="cái", map_key="spo2_meter",
            min_station_stock=2, durable=True)
        s.add(item)
        await s.commit()
    assert (await next_event(city_map))[0] == (await next_event(hanoi_map))[0] == "resync"
    async with create_session_maker(engine)() as s:
        await s.execute(update(CatalogItem).where(CatalogItem.id == item.id)
                        .values(min_station_stock=10))
        await s.commit()
    assert (await next_event(city_map))[0] == (await next_event(hanoi_map))[0] == "resync"
    async with create_session_maker(engine)() as s:  # a statement that changes no row
        await s.execute(update(CatalogItem).where(CatalogItem.id == uuid.uuid4())
                        .values(min_station_stock=10))
        await s.commit()
    with pytest.raises(TimeoutError):  # ... tells no map to reload
        await next_event(city_map, within_s=0.6)
    await city_map.aclose()  # type: ignore[attr-defined]
    await hanoi_map.aclose()  # type: ignore[attr-defined]
