"""Pull: scope, paging and resume, tombstones, resets, and no skipped commits (3, 6, 7, 8)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from datetime import UTC, datetime

import httpx
import msgspec
from sqlalchemy import text

from domain.db import create_session_maker, driver
from sync import feed
from sync.cursor import START, Position
from sync.entities import REGISTRY
from sync.feed import FeedScope
from sync.wire import MSGPACK, PROTOCOL_VERSION
from tests.sync.conftest import (
    ELSEWHERE,
    NEIGHBOUR,
    RawDevice,
    Unit,
    World,
    make_unit,
    new_case,
)


async def cases(d: RawDevice, station_id: uuid.UUID, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    await d.push_ok(*[d.mutation("f0_case", i, new_case(station_id)) for i in ids])
    return ids


async def test_a_device_receives_its_unit_and_the_reference_data_it_needs(
    unit: Unit, world: World
) -> None:
    neighbour = await make_unit(world, unit.device.http, NEIGHBOUR)
    far = await make_unit(world, unit.device.http, ELSEWHERE)
    mine = await cases(unit.device, unit.station_id, 2)
    await cases(neighbour.device, neighbour.station_id, 2)
    await cases(far.device, far.station_id, 2)
    d = unit.device
    await d.sync_down()
    assert set(d.of("f0_case")) == set(mine)
    assert set(d.of("station")) == {unit.station_id, neighbour.station_id}  # the district's
    units = {f["code"] for f in d.of("admin_unit").values()}
    district = await world.scalar("SELECT count(*) FROM admin_unit WHERE parent_code = '760'")
    assert {"VN", "79", "760", "26734", "26737"} <= units
    assert "26764" not in units and "761" not in units
    assert len(units) == 3 + district
    assert len(d.of("case_status_event")) == 2


async def test_bootstrap_page_by_page_equals_one_big_page(unit: Unit) -> None:
    d = unit.device
    ids = await cases(d, unit.station_id, 12)
    now = datetime.now(UTC).isoformat()
    await d.push_ok(*[d.mutation("observation", uuid.uuid4(), {
        "case_id": str(i), "kind": "temperature", "value": 37.0, "measured_at": now})
        for i in ids])
    whole = await d.pull(limit=5000)
    assert not whole["has_more"]
    seen: list[tuple[str, str]] = []
    cursor = None
    pages = 0
    while True:
        page = await d.pull(cursor, limit=7)
        seen += [(c["entity"], c["row_id"]) for c in page["changes"]]
        cursor, pages = page["cursor"], pages + 1
        if not page["has_more"]:
            break
    assert pages > 5
    assert seen == [(c["entity"], c["row_id"]) for c in whole["changes"]]
    assert len(set(seen)) == len(seen)


async def test_a_page_carries_every_id_as_the_database_holds_it_in_json_and_msgpack(
    unit: Unit, world: World
) -> None:
    """The feed reads uuids as text to save their decoding: on the wire they must still be
    the canonical uuid text, in MessagePack as in JSON, and a missing one still null."""
    d = unit.device
    ids = await cases(d, unit.station_id, 3)
    now = datetime.now(UTC).isoformat()
    await d.push_ok(*[d.mutation("observation", uuid.uuid4(), {
        "case_id": str(i), "kind": "temperature", "value": 37.0, "measured_at": now})
        for i in ids])
    body = {"protocol": PROTOCOL_VERSION, "device_id": str(d.id), "cursor": None,
            "limit": 5000}
    as_json = (await d.post("/sync/v1/pull", body)).json()["changes"]
    packed = await d.post("/sync/v1/pull", body, fmt=MSGPACK)
    assert packed.status_code == 200
    as_msgpack = msgspec.msgpack.decode(packed.content)["changes"]
    def text_of(value: uuid.UUID | None) -> str | None:
        return None if value is None else str(value)

    async with world.engine.connect() as conn:
        stored = {str(r[0]): tuple(map(text_of, r[1:])) for r in await conn.execute(text(
            "SELECT id, case_id, measured_by, device_id FROM observation"))}
        f0_cases = {str(r[0]): tuple(map(text_of, r[1:])) for r in await conn.execute(text(
            "SELECT id, station_id, possible_duplicate_of FROM f0_case"))}
    for changes in (as_json, as_msgpack):
        observations = {c["row_id"]: c["fields"] for c in changes if c["entity"] == "observation"}
        assert {k: (f["case_id"], f["measured_by"], f["device_id"])
                for k, f in observations.items()} == stored
        f0 = {c["row_id"]: c["fields"] for c in changes if c["entity"] == "f0_case"}
        assert {k: (f["station_id"], f["possible_duplicate_of"])
                for k, f in f0.items()} == f0_cases
        assert all(str(uuid.UUID(c["row_id"])) == c["row_id"] for c in changes)
    assert [(c["entity"], c["row_id"]) for c in as_msgpack] == [
        (c["entity"], c["row_id"]) for c in as_json]


async def test_an_interrupted_pull_resumes_from_its_cursor_without_gaps(
    unit: Unit, world: World
) -> None:
    d = unit.device
    await cases(d, unit.station_id, 10)
    first = await d.pull(limit=8)
    second = await d.pull(first["cursor"], limit=8)
    assert second["has_more"]
    # The device goes offline here; meanwhile more rows arrive.
    late = await cases(d, unit.station_id, 3)
    rest = await d.pull(second["cursor"], limit=500)
    got = {c["row_id"] for p in (first, second, rest) for c in p["changes"]
           if c["entity"] == "f0_case"}
    assert got == {str(i) for i in await ids_of(world, "f0_case")}
    assert {str(i) for i in late} <= got


async def ids_of(world: World, table: str) -> set[uuid.UUID]:
    async with world.engine.connect() as conn:
        return {r[0] for r in await conn.execute(text(f"SELECT id FROM {table}"))}


async def test_deletes_reach_every_device_in_scope_as_tombstones(unit: Unit, world: World) -> None:
    a = unit.device
    device_id, token = await world.device(unit.station_id, unit.officer)
    b = RawDevice(a.http, device_id, token, unit.staff.id)
    [case_id] = await cases(a, unit.station_id, 1)
    await b.sync_down()
    assert case_id in b.of("f0_case")
    assert (await a.push_ok(a.mutation("f0_case", case_id, op="delete")))[0]["status"] == "applied"
    page = await b.pull(b.cursor)
    [tombstone] = [c for c in page["changes"] if c["entity"] == "f0_case"]
    assert (tombstone["op"], tombstone["fields"]) == ("delete", {})
    fresh = await make_unit(world, a.http)  # a device bootstrapping later
    await fresh.device.sync_down()
    assert case_id not in fresh.device.of("f0_case")


async def test_deleting_a_case_resolves_its_open_alert(unit: Unit, world: World) -> None:
    """A case entered twice had an alert open: deleting it takes the alert off the worklist."""
    a = unit.device
    [case_id] = await cases(a, unit.station_id, 1)
    await a.push_ok(a.mutation("observation", uuid.uuid4(), {
        "case_id": str(case_id), "kind": "spo2", "value": 92.0,
        "measured_at": datetime.now(UTC).isoformat()}))
    await a.sync_down()
    [(alert_id, alert)] = a.of("alert").items()
    assert alert["status"] == "open"
    assert (await a.push_ok(a.mutation("f0_case", case_id, op="delete")))[0]["status"] == "applied"
    await a.sync_down()
    alert = a.of("alert")[alert_id]
    assert (alert["status"], alert["resolution_note"], alert["resolved_by"]) == (
        "resolved", "case deleted", str(unit.staff.id))
    worklist = await a.http.get("/api/alerts", params={"unresolved": "true"},
                                headers=unit.officer.headers)
    assert worklist.status_code == 200, worklist.text
    assert worklist.json()["total"] == 0


async def test_a_delete_racing_an_update_wins_in_either_order(unit: Unit, world: World) -> None:
    a = unit.device
    first, second = await cases(a, unit.station_id, 2)
    # The update arrives after the delete: refused, and kept in the conflict log.
    await a.push_ok(a.mutation("f0_case", first, op="delete"))
    [late] = await a.push_ok(a.mutation("f0_case", first, {"phone": "090300011"}))
    assert (late["status"], late["code"]) == ("rejected", "deleted")
    assert await world.scalar(
        "SELECT count(*) FROM sync_conflict WHERE row_id = :r AND policy = 'delete'",
        r=first) == 1
    # The update arrives first: applied, then the delete removes the row anyway.
    results = await a.push_ok(a.mutation("f0_case", second, {"phone": "090300011"}),
                              a.mutation("f0_case", second, op="delete"))
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert await world.scalar(
        "SELECT count(*) FROM f0_case WHERE deleted AND id IN (:a, :b)", a=first, b=second) == 2


async def test_a_moved_station_or_reassigned_device_resets_the_replica(
    unit: Unit, world: World
) -> None:
    d = unit.device
    await cases(d, unit.station_id, 2)
    await d.sync_down()
    neighbour = await make_unit(world, d.http, NEIGHBOUR)
    theirs = await cases(neighbour.device, neighbour.station_id, 1)
    admin = await world.user("administrator", "79")  # only they move a device between wards
    resp = await d.http.patch(f"/api/devices/{d.id}",
                              json={"station_id": str(neighbour.station_id)},
                              headers=admin.headers)
    assert resp.status_code == 200, resp.text
    page = await d.pull(d.cursor)
    assert page["reset"] and page["changes"] == []
    d.author = neighbour.staff.id
    await d.sync_down()
    assert set(d.of("f0_case")) == set(theirs)
    # Same when the station itself moves to another ward.
    path = await world.scalar("SELECT scope_path FROM admin_unit WHERE code = '26740'")
    await world.execute("UPDATE station SET commune_code = '26740', scope_path = :p WHERE id = :s",
                        p=path, s=neighbour.station_id)
    assert (await d.pull(d.cursor))["reset"]


async def test_a_pull_never_skips_a_transaction_that_commits_late(
    unit: Unit, world: World
) -> None:
    """Slow writers hold transactions open while fast ones commit and pullers read.

    The slow transactions take their sync_version before the fast ones, so a cursor on the
    version alone would step over them; ours must deliver every row once all commit.
    """
    d = unit.device
    [case_id] = await cases(d, unit.station_id, 1)
    rng = random.Random(6)
    await d.sync_down()
    delivered: set[str] = set()
    slow_versions: list[int] = []
    fast_versions: list[int] = []
    for round_ in range(4):
        slow = [await world.engine.connect() for _ in range(rng.randint(1, 3))]
        for conn in slow:
            await conn.begin()
            version = (await conn.execute(text(
                "INSERT INTO observation (id, case_id, scope_path, kind, loinc, value, measured_at)"
                " VALUES (:i, :c, :p, 'pulse', '8867-4', 70, now()) RETURNING sync_version"),
                {"i": uuid.uuid4(), "c": case_id, "p": "VN.79.760.26734"})).scalar_one()
            slow_versions.append(version)
        fast = [d.mutation("observation", uuid.uuid4(), {
            "case_id": str(case_id), "kind": "pulse", "value": 71.0 + round_,
            "measured_at": datetime.now(UTC).isoformat()}) for _ in range(rng.randint(1, 4))]
        await d.push_ok(*fast)
        fast_versions.append(await world.scalar("SELECT max(sync_version) FROM observation"))
        page = await d.pull(d.cursor, limit=rng.randint(1, 3))  # a puller reads meanwhile
        delivered |= {c["row_id"] for c in page["changes"]}
        d.cursor = page["cursor"]
        rng.shuffle(slow)
        for conn in slow:  # the slow ones commit, in any order, pullers still reading
            await conn.commit()
            await conn.close()
            page = await d.pull(d.cursor, limit=2)
            delivered |= {c["row_id"] for c in page["changes"]}
            d.cursor = page["cursor"]
    assert min(fast_versions) > min(slow_versions)  # the hazard really was there
    while True:
        page = await d.pull(d.cursor, limit=3)
        delivered |= {c["row_id"] for c in page["changes"]}
        d.cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert {str(i) for i in await ids_of(world, "observation")} <= delivered


async def test_concurrent_writers_and_pullers_converge(unit: Unit, world: World) -> None:
    """Many writers and two pullers at once; every puller ends with every committed row."""
    d = unit.device
    [case_id] = await cases(d, unit.station_id, 1)
    pullers = [d, RawDevice(d.http, *(await world.device(unit.station_id, unit.officer)),
                            unit.staff.id)]

    async def writer(n: int) -> None:
        for _ in range(n):
            await d.push_ok(d.mutation("observation", uuid.uuid4(), {
                "case_id": str(case_id), "kind": "pulse", "value": 75.0,
                "measured_at": datetime.now(UTC).isoformat()}))

    async def slow_writer() -> None:
        async with world.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO observation (id, case_id, scope_path, kind, loinc, value, measured_at)"
                " VALUES (:i, :c, 'VN.79.760.26734', 'pulse', '8867-4', 70, now())"),
                {"i": uuid.uuid4(), "c": case_id})
            await asyncio.sleep(0.05)

    async def puller(p: RawDevice) -> None:
        for _ in range(10):
            await p.sync_down(limit=2)
            await asyncio.sleep(0.01)

    await asyncio.gather(writer(8), writer(8), *(slow_writer() for _ in range(4)),
                         *(puller(p) for p in pullers))
    expected = await ids_of(world, "observation")
    for p in pullers:
        await p.sync_down()
        assert set(p.of("observation")) == expected


async def test_a_pull_cut_short_at_any_point_leaves_no_transaction_open(
    unit: Unit, world: World
) -> None:
    """A page's snapshot is begun and ended on the driver (sync/feed.py, ``snapshot``), where
    SQLAlchemy's reset on checkin cannot see it: a request cancelled while BEGIN, a query or
    COMMIT is in flight must still not leave a pooled connection inside a transaction (the
    next page on it would read a stale snapshot, and writers' table locks would wait)."""
    d = unit.device
    await cases(d, unit.station_id, 30)
    for delay_ms in [0, 0.2, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 25] * 2:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(d.pull(None, limit=10), delay_ms / 1000)
    await asyncio.sleep(0.2)
    assert await world.scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = 'fieldops' AND state LIKE 'idle in transaction%'") == 0
    assert await d.sync_down(limit=7) >= 30


async def test_a_page_reads_in_proportion_to_itself_not_to_what_follows(
    world: World, http: httpx.AsyncClient
) -> None:
    """A page of 100 readings at the start of an 8,000-reading scope touches about as many
    pages of the table and its index as the last page does. The range's upper bound alone
    did not stop the B-tree scan: the first page read on over every later key."""
    commune = await world.scalar(
        "SELECT code FROM admin_unit WHERE parent_code = '760' AND code NOT IN "
        "(SELECT commune_code FROM station) ORDER BY code LIMIT 1")
    mine = await make_unit(world, http, commune)
    (case_id,) = await cases(mine.device, mine.station_id, 1)
    path = await world.scalar("SELECT scope_path FROM station WHERE id = :s", s=mine.station_id)
    await world.execute(
        "INSERT INTO observation (id, case_id, scope_path, kind, loinc, value, unit, "
        "measured_at, measured_by) SELECT gen_random_uuid(), :case, :path, 'temperature', "
        "'8310-5', 37.0, 'Cel', now() - make_interval(secs => g), :staff "
        "FROM generate_series(1, 8000) AS g",
        case=case_id, path=path, staff=mine.staff.id)
    await world.execute("ANALYZE observation")
    spec = next(s for s in REGISTRY.entities if s.table == "observation")
    scope = FeedScope(unit=path, district=path.rsplit(".", 1)[0])
    async with create_session_maker(world.engine)() as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        keys = await (await driver(session)).fetch(
            "SELECT sync_txid, sync_version FROM observation WHERE scope_path = $1 "
            "ORDER BY sync_txid, sync_version", path)
        first, last = START, Position(keys[-101][0], keys[-101][1])
        touched = []
        for after in (first, last):
            page = await feed.bounds(session, REGISTRY, scope, after=after, limit=100)
            assert page.upto is not None
            n = dict(page.entities)[spec]
            assert (await feed.rows(session, spec, scope, after=after, upto=page.upto,
                                    xmin=page.xmin, count=n))[-1][:2] == (page.upto.txid, page.upto.version)
            sql, names = feed._rows_sql(spec)
            params = {**scope.params(), "after_txid": after.txid,
                      "after_version": after.version, "upto_txid": page.upto.txid,
                      "upto_version": page.upto.version, "xmin": page.xmin, "count": n}
            (plan,) = (await (await driver(session)).fetchrow(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql,
                *(params[k] for k in names)))
            top = plan[0]["Plan"]  # the session's connection decodes json
            touched.append(top["Shared Hit Blocks"] + top["Shared Read Blocks"])
        await session.rollback()
    assert touched[0] <= 2 * touched[1] + 5, touched
