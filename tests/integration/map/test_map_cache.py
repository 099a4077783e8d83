"""The map's stations kept between requests (api/map_cache.py): after any write, by the API or
by any other writer, the next answer is exactly what a fresh read gives, including a write
the caller made a moment before; a listener that went deaf keeps nothing.

The fresh read is the same endpoint with every status asked for: a filtered request never
uses the kept features, and all statuses select the same stations."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient
from litestar import Litestar
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from api import map_cache
from api.auth import issue_token
from api.live import LiveHub, live_hub, stop_live
from domain.db import create_session_maker
from domain.models.enums import (
    AlertSeverity,
    AlertStatus,
    CaseStatus,
    RiskGroup,
    Role,
    StationStatus,
)
from domain.models.station import Station
from domain.models.supply import (
    CatalogItem,
    ItemCategory,
    LocationKind,
    StockBalance,
    StockLocation,
)
from domain.services.users import UserService
from domain.settings import Settings
from tests.integration.map.conftest import alert_row, case_row, station_row

ALL_STATUSES = "&".join(f"status={s.value}" for s in StationStatus)


@pytest.fixture
async def hub(committed_app: Litestar) -> AsyncIterator[LiveHub]:
    """The app's own hub, as the lifespan starts it (ASGITransport runs no lifespan)."""
    live = await live_hub(committed_app)
    yield live
    await stop_live(committed_app)


@pytest.fixture
async def headers(engine: AsyncEngine, settings: Settings, password_hash: str) -> dict[str, str]:
    async with create_session_maker(engine)() as s:
        user = await UserService(s).create(
            username=f"cache-{uuid.uuid4().hex[:8]}", password="x", full_name="Coordinator",
            role=Role.city_coordinator, unit_code="79", password_hash=password_hash)
        await s.commit()
    token, _ = issue_token(settings, user.id, "city_coordinator")
    return {"Authorization": f"Bearer {token}"}


async def seeded(engine: AsyncEngine) -> list[Station]:
    async with create_session_maker(engine)() as s:
        stations = [station_row(f"KC-{n}", commune, StationStatus.active, 10)
                    for n, commune in enumerate(("26734", "26737", "26764", "00001"))]
        s.add_all(stations)
        await s.commit()
    return stations


async def kept_and_fresh(client: AsyncClient, headers: dict[str, str],
                         query: str = "") -> tuple[bytes, bytes]:
    kept = await client.get(f"/api/map/stations?{query}", headers=headers)
    fresh = await client.get(f"/api/map/stations?{query}&{ALL_STATUSES}", headers=headers)
    assert kept.status_code == fresh.status_code == 200, (kept.text, fresh.text)
    assert kept.headers["content-type"] == "application/geo+json"
    return kept.content, fresh.content


async def stock(engine: AsyncEngine, station: Station, category: ItemCategory, key: str, *,
                qty: int) -> tuple[CatalogItem, StockBalance]:
    """A key item in the catalog (minimum 2 at a station) and the station's balance of it."""
    async with create_session_maker(engine)() as s:
        location = StockLocation(
            id=uuid.uuid4(), code=f"LOC-{station.code}", name="Kho trạm",
            kind=LocationKind.station, unit_code=station.commune_code, station_id=station.id,
            scope_path=station.scope_path)
        item = CatalogItem(
            id=uuid.uuid4(), code=f"{key}-KC", name=key, scope_path="VN", category=category,
            unit_of_issue="cái", map_key=key, min_station_stock=2, durable=True)
        s.add_all([location, item])
        await s.flush()
        balance = StockBalance(location_id=location.id, item_id=item.id,
                               scope_path=station.scope_path, qty=qty)
        s.add(balance)
        await s.commit()
    return item, balance


async def set_capacity(engine: AsyncEngine, station: Station, capacity: int) -> None:
    """A write by another writer (a script, another server process)."""
    async with create_session_maker(engine)() as s:
        await s.execute(update(Station).where(Station.id == station.id).values(capacity=capacity))
        await s.commit()


async def assert_fresh(client: AsyncClient, headers: dict[str, str], code: str,
                       capacity: int) -> None:
    kept, fresh = await kept_and_fresh(client, headers)
    assert kept == fresh and by_code(kept)[code]["capacity"] == capacity


def by_code(body: bytes) -> dict[str, dict[str, Any]]:
    return {f["properties"]["code"]: f["properties"] for f in json.loads(body)["features"]}


async def test_after_every_kind_of_write_the_kept_map_is_a_fresh_read(
    hub: LiveHub, committed_client: AsyncClient, engine: AsyncEngine,
    headers: dict[str, str],
) -> None:
    td, dk, tx, hanoi = await seeded(engine)
    maker = create_session_maker(engine)
    kept, fresh = await kept_and_fresh(committed_client, headers)
    assert kept == fresh and set(by_code(kept)) == {"KC-0", "KC-1", "KC-2"}
    await kept_and_fresh(committed_client, headers, "district=760")  # a second kept scope

    async def check(expect: Any) -> None:
        for query in ("district=760", ""):
            kept, fresh = await kept_and_fresh(committed_client, headers, query)
            assert kept == fresh, query
        expect(by_code(kept))  # the city's

    # through the API, read back at once by the same caller
    resp = await committed_client.patch(f"/api/stations/{td.id}", json={"status": "suspended"},
                                        headers=headers)
    assert resp.status_code == 200, resp.text
    await check(lambda m: m["KC-0"]["status"] == "suspended" or pytest.fail(str(m["KC-0"])))

    # cases and alerts written by another writer (a sync push writes the same rows)
    async with maker() as s:
        cases = [case_row(dk, n, CaseStatus.home_monitoring, RiskGroup.low) for n in range(12)]
        s.add_all(cases)
        await s.flush()
        s.add(alert_row(cases[0], AlertSeverity.emergency, AlertStatus.open))
        await s.commit()
    await check(lambda m: (m["KC-1"]["active_cases"], m["KC-1"]["emergency_alerts"],
                           m["KC-1"]["attention"]) == (12, 1, ["open_alerts", "overload"])
                or pytest.fail(str(m["KC-1"])))

    # a key supply running out
    _, balance = await stock(engine, tx, ItemCategory.oxygen_cylinder, "oxygen", qty=5)
    await check(lambda m: m["KC-2"]["stock"]["oxygen"] == "ok" or pytest.fail(str(m["KC-2"])))
    async with maker() as s:
        await s.execute(update(StockBalance).where(StockBalance.id == balance.id).values(qty=0))
        await s.commit()
    await check(lambda m: m["KC-2"]["stock"]["oxygen"] == "out" or pytest.fail(str(m["KC-2"])))

    # a new station, a station moved out of a district, a station deleted
    async with maker() as s:
        s.add(station_row("KC-9", "26737", StationStatus.preparing, 5))
        await s.execute(update(Station).where(Station.id == dk.id).values(
            scope_path=tx.scope_path, commune_code="26764"))
        await s.execute(update(Station).where(Station.id == td.id).values(deleted=True))
        await s.commit()
    await check(lambda m: set(m) == {"KC-1", "KC-2", "KC-9"} or pytest.fail(str(set(m))))
    district = by_code((await kept_and_fresh(committed_client, headers, "district=760"))[0])
    assert set(district) == {"KC-9"}
    assert "KC-3" not in by_code(kept) and hanoi.code == "KC-3"  # Hà Nội is out of scope


async def test_a_change_is_in_the_very_next_answer(
    hub: LiveHub, committed_client: AsyncClient, engine: AsyncEngine, headers: dict[str, str],
) -> None:
    """No wait between a write's commit and the read: the barrier on the listener, not luck
    with the notification's timing, puts it there."""
    station = (await seeded(engine))[1]
    await kept_and_fresh(committed_client, headers)
    for capacity in range(11, 41):
        await set_capacity(engine, station, capacity)
        resp = await committed_client.get("/api/map/stations", headers=headers)
        assert by_code(resp.content)["KC-1"]["capacity"] == capacity


async def test_a_deaf_listener_keeps_nothing(
    hub: LiveHub, committed_client: AsyncClient, engine: AsyncEngine, headers: dict[str, str],
) -> None:
    station = (await seeded(engine))[0]
    maker = create_session_maker(engine)
    await kept_and_fresh(committed_client, headers)
    async with maker() as s:  # the listener's connection dies; then a write it cannot hear
        await s.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = 'fieldops-live'"))
        await s.execute(update(Station).where(Station.id == station.id).values(capacity=77))
        await s.commit()
    for _ in range(3):  # deaf, reconnecting, back: always the write
        await assert_fresh(committed_client, headers, "KC-0", 77)
        await asyncio.sleep(0.6)
    await set_capacity(engine, station, 78)
    await assert_fresh(committed_client, headers, "KC-0", 78)


async def spo2_kept_ok(engine: AsyncEngine, client: AsyncClient,
                       headers: dict[str, str]) -> CatalogItem:
    """Station KC-2 holds 3 SpO2 meters against a minimum of 2; the city's map is kept."""
    station = (await seeded(engine))[2]
    item, _ = await stock(engine, station, ItemCategory.spo2_meter, "spo2_meter", qty=3)
    kept, _ = await kept_and_fresh(client, headers)
    assert by_code(kept)["KC-2"]["stock"]["spo2_meter"] == "ok"
    return item


async def raise_minimum(engine: AsyncEngine, item: CatalogItem, *, announced: bool) -> None:
    """A key item's minimum goes from 2 to 10: every station's state may change, no station's
    row does. Unannounced, it is written with triggers off (as the week's window moving with
    the clock is: nothing notifies it)."""
    async with create_session_maker(engine)() as s:
        if not announced:
            await s.execute(text("SET LOCAL session_replication_role = replica"))
        await s.execute(update(CatalogItem).where(CatalogItem.id == item.id)
                        .values(min_station_stock=10))
        await s.commit()


async def test_a_catalog_change_is_in_the_very_next_answer(
    hub: LiveHub, committed_client: AsyncClient, engine: AsyncEngine, headers: dict[str, str],
) -> None:
    """The catalog notifies every station at once (migration 0023): no age limit waited for."""
    item = await spo2_kept_ok(engine, committed_client, headers)
    await raise_minimum(engine, item, announced=True)
    kept, fresh = await kept_and_fresh(committed_client, headers)
    assert kept == fresh and by_code(kept)["KC-2"]["stock"]["spo2_meter"] == "low"


async def test_what_no_write_announces_is_read_again_within_max_age(
    hub: LiveHub, committed_client: AsyncClient, engine: AsyncEngine, headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A change nothing notifies: the kept scope is read whole again once MAX_AGE_S old."""
    item = await spo2_kept_ok(engine, committed_client, headers)
    await raise_minimum(engine, item, announced=False)
    again, _ = await kept_and_fresh(committed_client, headers)
    assert by_code(again)["KC-2"]["stock"]["spo2_meter"] == "ok"  # unheard: still kept
    monkeypatch.setattr(map_cache, "MAX_AGE_S", 0.0)
    kept, fresh = await kept_and_fresh(committed_client, headers)
    assert kept == fresh and by_code(kept)["KC-2"]["stock"]["spo2_meter"] == "low"


async def test_a_kept_scope_is_read_again_in_the_background_after_refresh_s(
    hub: LiveHub, committed_client: AsyncClient, engine: AsyncEngine, headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item = await spo2_kept_ok(engine, committed_client, headers)
    await raise_minimum(engine, item, announced=False)
    monkeypatch.setattr(map_cache, "REFRESH_S", 0.0)
    states = []
    for _ in range(50):  # the first answer starts the read; a later one has it
        resp = await committed_client.get("/api/map/stations", headers=headers)
        states.append(by_code(resp.content)["KC-2"]["stock"]["spo2_meter"])
        if states[-1] == "low":
            break
        await asyncio.sleep(0.1)
    assert states[0] == "ok" and states[-1] == "low", states


@pytest.mark.parametrize("refresh_s", [map_cache.REFRESH_S, 0.0])
async def test_concurrent_writers_and_readers_end_on_a_fresh_read(
    hub: LiveHub, committed_client: AsyncClient, engine: AsyncEngine, headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch, refresh_s: float,
) -> None:
    """Readers race writers on the same stations; every answer holds every station once, and
    a reader that started after a write was acknowledged sees it (or a later one). With
    ``refresh_s`` 0 every answer also starts a whole read in the background, which the
    writes race too."""
    monkeypatch.setattr(map_cache, "REFRESH_S", refresh_s)
    stations = (await seeded(engine))[:3]
    codes = {"KC-0", "KC-1", "KC-2"}
    done: dict[uuid.UUID, int] = {s.id: 10 for s in stations}

    async def writer(station: Station) -> None:
        for capacity in range(11, 31):
            await set_capacity(engine, station, capacity)
            done[station.id] = capacity

    async def reader() -> None:
        for _ in range(25):
            floor = {s.code: done[s.id] for s in stations}
            resp = await committed_client.get("/api/map/stations", headers=headers)
            assert resp.status_code == 200
            seen = by_code(resp.content)
            assert set(seen) == codes
            for code, capacity in floor.items():
                assert seen[code]["capacity"] >= capacity, (code, seen[code], capacity)

    await asyncio.gather(*(writer(s) for s in stations), *(reader() for _ in range(3)))
    kept, fresh = await kept_and_fresh(committed_client, headers)
    assert kept == fresh and {p["capacity"] for p in by_code(kept).values()} == {30}


async def test_notifications_held_up_in_transit_do_not_make_a_stale_answer(
    hub: LiveHub, committed_client: AsyncClient, engine: AsyncEngine, headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The listener's socket stops being read (a slow link, a busy loop): the notification of
    a committed write has not arrived when the next request comes. The answer is still the
    write's, since a barrier that gets no answer keeps nothing."""
    import api.live

    monkeypatch.setattr(api.live, "BARRIER_TIMEOUT_S", 0.3)
    station = (await seeded(engine))[0]
    await kept_and_fresh(committed_client, headers)
    listener = hub._conn
    assert listener is not None
    listener._transport.pause_reading()  # type: ignore[attr-defined]
    try:
        await set_capacity(engine, station, 55)
        resp = await committed_client.get("/api/map/stations", headers=headers)
        assert by_code(resp.content)["KC-0"]["capacity"] == 55
    finally:
        if not listener.is_closed():
            listener._transport.resume_reading()  # type: ignore[attr-defined]
    await assert_fresh(committed_client, headers, "KC-0", 55)


async def test_a_write_during_a_background_read_is_not_undone_by_it(
    hub: LiveHub, committed_client: AsyncClient, engine: AsyncEngine, headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The background read's snapshot is older than a write committed while it ran: the
    write's station is re-read after the background read lands, not left as it saw it."""
    station = (await seeded(engine))[0]
    await kept_and_fresh(committed_client, headers)
    read, held, release = map_cache.MapCache._read, asyncio.Event(), asyncio.Event()

    async def slow_whole_read(self: map_cache.MapCache, scope_path: str, ids: Any) -> Any:
        features = await read(self, scope_path, ids)
        if ids is None and not held.is_set():  # the background read: hold it, read done
            held.set()
            await release.wait()
        return features

    monkeypatch.setattr(map_cache.MapCache, "_read", slow_whole_read)
    monkeypatch.setattr(map_cache, "REFRESH_S", 0.0)
    await committed_client.get("/api/map/stations", headers=headers)  # starts it
    await asyncio.wait_for(held.wait(), 10)
    await set_capacity(engine, station, 99)
    resp = await committed_client.get("/api/map/stations", headers=headers)
    assert by_code(resp.content)["KC-0"]["capacity"] == 99
    release.set()
    for _ in range(100):  # until the background read has landed
        await asyncio.sleep(0.02)
        if not hub.cache._refreshes:
            break
    await assert_fresh(committed_client, headers, "KC-0", 99)
