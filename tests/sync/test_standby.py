"""Pulls served by a hot standby (DATABASE_REPLICA_URL, domain/replica.py; sync/PROTOCOL.md,
"Pulls from a standby"): no skipped change, nothing older than the pull, and the primary when
the standby cannot answer.

The standby is a real streaming replica of the suite's cluster (``standby_url``); writers write
on the primary and the pullers' pages are read on the standby.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from domain.replica import Replica
from domain.settings import Settings
from tests.sync.conftest import RawDevice, Unit, World, make_unit, new_case


@pytest.fixture
async def standby_app(
    settings: Settings, engine: AsyncEngine, standby_url: str, committed_app: Litestar
) -> AsyncIterator[Litestar]:
    """The app with the standby configured (committed_app empties the tables afterwards)."""
    app = create_app(dataclasses.replace(settings, database_replica_url=standby_url,
                                         replica_wait_ms=5000), engine=engine)
    yield app
    await app.state.server_clock.aclose()  # ASGITransport runs no lifespan
    await app.state.replica.aclose()


@pytest.fixture
async def standby_http(standby_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=standby_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def replica_of(app: Litestar) -> Replica:
    replica: Replica = app.state.replica
    return replica


async def test_the_standby_is_a_replica_in_recovery(standby_app: Litestar) -> None:
    async with replica_of(standby_app).engine.connect() as conn:
        assert (await conn.execute(text("SELECT pg_is_in_recovery()"))).scalar_one() is True


async def test_a_pull_on_the_standby_never_skips_a_transaction_that_commits_late(
    world: World, http: httpx.AsyncClient, standby_http: httpx.AsyncClient,
    standby_app: Litestar,
) -> None:
    """Slow transactions on the primary take their txid and version first and commit late,
    in any order, while fast pushes commit and pullers page through the standby; one puller
    reads only the standby, another alternates between the standby and the primary with the
    same cursor. Every row reaches both, and nearly every page was the standby's."""
    unit = await make_unit(world, standby_http)
    d = unit.device
    case_id = uuid.uuid4()
    await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
    on_standby = d
    device_id, token = await world.device(unit.station_id, unit.officer)
    alternating = [RawDevice(standby_http, device_id, token, unit.staff.id),
                   RawDevice(http, device_id, token, unit.staff.id)]
    delivered: dict[str, set[str]] = {"standby": set(), "alternating": set()}
    cursors: dict[str, str | None] = {"standby": None, "alternating": None}
    turn = 0

    async def page(who: str, limit: int) -> bool:
        nonlocal turn
        device = on_standby if who == "standby" else alternating[turn % 2]
        turn += who == "alternating"
        got = await device.pull(cursors[who], limit=limit)
        assert not got["reset"]
        delivered[who] |= {c["row_id"] for c in got["changes"]}
        cursors[who] = got["cursor"]
        return bool(got["has_more"])

    rng = random.Random(17)
    slow_versions: list[int] = []
    fast_versions: list[int] = []
    for round_ in range(5):
        slow = [await world.engine.connect() for _ in range(rng.randint(1, 3))]
        for conn in slow:
            await conn.begin()
            slow_versions.append((await conn.execute(text(
                "INSERT INTO observation (id, case_id, scope_path, kind, loinc, value, measured_at)"
                " VALUES (:i, :c, :p, 'pulse', '8867-4', 70, now()) RETURNING sync_version"),
                {"i": uuid.uuid4(), "c": case_id, "p": "VN.79.760.26734"})).scalar_one())
        await d.push_ok(*(d.mutation("observation", uuid.uuid4(), {
            "case_id": str(case_id), "kind": "pulse", "value": 71.0 + round_,
            "measured_at": datetime.now(UTC).isoformat()}) for _ in range(rng.randint(2, 5))))
        fast_versions.append(await world.scalar("SELECT max(sync_version) FROM observation"))
        for who in delivered:  # pullers read while the slow ones are still open
            await page(who, rng.randint(1, 3))
        rng.shuffle(slow)
        for conn in slow:  # the slow ones commit, in any order, pullers still reading
            await conn.commit()
            await conn.close()
            await asyncio.gather(*(page(who, 2) for who in delivered))
    assert min(fast_versions) > min(slow_versions)  # the hazard really was there
    for who in delivered:
        while await page(who, 3):
            pass
    expected = {str(i) for i in await ids_of(world, "observation")}
    assert len(expected) > len(slow_versions)
    for who, got in delivered.items():
        assert expected <= got, who
    replica = replica_of(standby_app)
    assert replica.served > 0.9 * (replica.served + replica.fell_back)


async def test_a_pull_after_a_push_sees_the_push_on_the_standby(
    world: World, standby_http: httpx.AsyncClient, standby_app: Litestar
) -> None:
    """Push, then pull at once, many times: the standby answers only once it has replayed the
    push, so the device's own accepted changes (and an online edit just made) are always in
    the pull that follows."""
    unit: Unit = await make_unit(world, standby_http)
    d = unit.device
    case_id = uuid.uuid4()
    await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
    await d.sync_down()
    for n in range(12):
        reading = uuid.uuid4()
        await d.push_ok(d.mutation("observation", reading, {
            "case_id": str(case_id), "kind": "pulse", "value": 80.0 + n,
            "measured_at": datetime.now(UTC).isoformat()}))
        phone = f"09012345{n:02d}"
        await world.execute("UPDATE f0_case SET phone = :p WHERE id = :i", p=phone, i=case_id)
        got = await d.pull(d.cursor)
        d.cursor = got["cursor"]
        rows = {c["row_id"]: c["fields"] for c in got["changes"]}
        assert str(reading) in rows
        assert rows[str(case_id)]["phone"] == phone
    replica = replica_of(standby_app)
    assert replica.served >= 12 and replica.fell_back == 0


async def test_an_unreachable_standby_leaves_pulls_to_the_primary(
    settings: Settings, engine: AsyncEngine, committed_app: Litestar, world: World,
    tmp_path: object,
) -> None:
    nowhere = f"postgresql+asyncpg://postgres@/fieldops?host={tmp_path}"
    app = create_app(dataclasses.replace(settings, database_replica_url=nowhere), engine=engine)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            unit = await make_unit(world, c)
            d = unit.device
            case_id = uuid.uuid4()
            await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
            await d.sync_down()
            assert uuid.UUID(str(case_id)) in d.of("f0_case")
        assert replica_of(app).served == 0 and replica_of(app).fell_back > 0
    finally:
        await app.state.server_clock.aclose()
        await app.state.replica.aclose()


async def ids_of(world: World, table: str) -> set[uuid.UUID]:
    async with world.engine.connect() as conn:
        return {r[0] for r in await conn.execute(text(f"SELECT id FROM {table}"))}
