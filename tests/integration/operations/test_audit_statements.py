"""The audit trail and the map's notifications of an UPDATE run once per statement (migration
0022). Whatever the statement's size, the trail must hold what the row trigger wrote before:
one entry per changed row, only the changed columns, a soft delete as ``delete``, nothing for a
row left as it was. And the map must hear every station the statement touched, before and
after."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.operations.conftest import World

_AUDIT = text(
    "SELECT row_id, action, actor_id, via, device_id, scope_path, before, after FROM audit_log "
    "WHERE entity = 'f0_case' AND row_id = ANY(:ids) AND id > :since ORDER BY id")


async def _entries(conn: Any, ids: list[uuid.UUID], since: int) -> dict[uuid.UUID, list[Any]]:
    out: dict[uuid.UUID, list[Any]] = {}
    for r in await conn.execute(_AUDIT, {"ids": ids, "since": since}):
        out.setdefault(r.row_id, []).append(r)
    return out


async def test_one_statement_over_many_rows_audits_each_changed_row(
    engine: AsyncEngine, world: World
) -> None:
    a, a2nd, b = world.cases["A"], world.cases["A_2nd"], world.cases["B"]
    actor = world.actors["staff_A"].user_id
    device = uuid.uuid4()
    async with engine.connect() as conn:
        trans = await conn.begin()
        try:
            since = (await conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log"))
                     ).scalar_one()
            old = {r.id: r for r in await conn.execute(
                text("SELECT id, phone, notes, deleted FROM f0_case WHERE id = ANY(:ids)"),
                {"ids": [a, a2nd, b]})}
            await conn.execute(text(
                "SELECT set_config('fieldops.actor_id', :a, true), "
                "set_config('fieldops.via', 'device', true), "
                "set_config('fieldops.device_id', :d, true)"), {"a": str(actor), "d": str(device)})
            # one statement: A's phone and notes change, A_2nd is written as it is, B is deleted
            await conn.execute(text(
                "UPDATE f0_case c SET phone = v.phone, notes = v.notes, deleted = v.deleted "
                "FROM (VALUES (CAST(:a AS uuid), '0911000111', 'gọi lại', false), "
                "(CAST(:a2 AS uuid), :a2_phone, :a2_notes, false), "
                "(CAST(:b AS uuid), :b_phone, :b_notes, true)) AS v(id, phone, notes, deleted) "
                "WHERE c.id = v.id"),
                {"a": str(a), "a2": str(a2nd), "a2_phone": old[a2nd].phone,
                 "a2_notes": old[a2nd].notes, "b": str(b), "b_phone": old[b].phone,
                 "b_notes": old[b].notes})
            got = await _entries(conn, [a, a2nd, b], since)
        finally:
            await trans.rollback()
    assert set(got) == {a, b}, "a row written unchanged leaves no entry"
    [ea], [eb] = got[a], got[b]
    assert ea.action == "update" and eb.action == "delete"
    assert ea.before == {"phone": old[a].phone, "notes": old[a].notes}
    assert ea.after == {"phone": "0911000111", "notes": "gọi lại"}
    assert eb.before == {"deleted": False} and eb.after == {"deleted": True}
    for e in (ea, eb):
        assert (e.actor_id, e.via, e.device_id) == (actor, "device", device)
        assert e.scope_path is not None


async def test_the_map_hears_every_station_a_statement_touched(
    engine: AsyncEngine, database_url: str, world: World
) -> None:
    """A case moved from station A to A2 in the same statement as an edit of B's case: A, A2
    and B are each named, once."""
    heard: list[str] = []
    listener = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await listener.add_listener("station_changed", lambda *args: heard.append(args[3]))
        a_case, b_case = world.cases["A_noteam"], world.cases["B"]
        async with engine.connect() as conn:
            trans = await conn.begin()
            await conn.execute(text(
                "UPDATE f0_case SET station_id = CASE WHEN id = :a THEN CAST(:to AS uuid) "
                "ELSE station_id END, notes = 'x' WHERE id IN (:a, :b)"),
                {"a": a_case, "b": b_case, "to": str(world.stations["A2"])})
            await trans.rollback()  # a rolled-back write tells nobody
            await asyncio.sleep(0.2)
            assert heard == []
            trans = await conn.begin()
            await conn.execute(text("UPDATE f0_case SET notes = notes || '.' WHERE id IN (:a, :b)"),
                               {"a": a_case, "b": b_case})
            await conn.execute(text(
                "UPDATE f0_case SET station_id = CAST(:to AS uuid) WHERE id = :a"),
                {"a": a_case, "to": str(world.stations["A2"])})
            await trans.commit()
            for _ in range(50):
                if len(heard) >= 3:
                    break
                await asyncio.sleep(0.05)
            # put the case back for the other tests of the package
            await conn.execute(text(
                "UPDATE f0_case SET station_id = CAST(:to AS uuid) WHERE id = :a"),
                {"a": a_case, "to": str(world.stations["A"])})
            await conn.commit()
    finally:
        await listener.close()
    named = {str(world.stations[k]) for k in ("A", "A2", "B")}
    assert set(heard[:3]) == named and len(heard[:3]) == 3


async def _heard_after(database_url: str, statements: list[str], count: int) -> list[str]:
    """The ``station_changed`` payloads heard once ``statements`` commit in one transaction."""
    dsn = database_url.replace("postgresql+asyncpg", "postgresql")
    heard: list[str] = []
    listener, writer = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        await listener.add_listener("station_changed", lambda *args: heard.append(args[3]))
        async with writer.transaction():
            for sql in statements:
                await writer.execute(sql)
        for _ in range(50):
            if len(heard) >= count:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)  # and nothing more
    finally:
        await listener.close()
        await writer.close()
    return heard


async def test_a_station_written_names_itself(database_url: str, world: World) -> None:
    """The station table's own rows name the station by ``id`` (0025's other branch). The
    update commits (a notification is sent only then): A and B are rewritten as they are,
    which moves them up the change feed and nothing else."""
    a, b = world.stations["A"], world.stations["B"]
    heard = await _heard_after(database_url, [
        f"UPDATE station SET updated_at = updated_at WHERE id IN ('{a}', '{b}')"], 2)
    assert sorted(heard) == sorted([str(a), str(b)])


async def test_a_station_column_no_branch_names_is_still_heard(
    database_url: str, world: World
) -> None:
    """A table whose station column the function has no branch for still notifies, by the
    row's JSON: on insert its station, on update the station before and after."""
    a, b = world.stations["A"], world.stations["B"]
    table = f"pt_{uuid.uuid4().hex[:8]}"
    create = [
        f"CREATE TABLE {table} (id uuid PRIMARY KEY, home_station uuid)",
        f"CREATE TRIGGER {table}_map_notify AFTER INSERT ON {table} "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION notify_stations_changed('home_station')",
        f"CREATE TRIGGER {table}_map_notify_update AFTER UPDATE ON {table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION notify_stations_changed('home_station')",
    ]
    row = uuid.uuid4()
    try:
        inserted = await _heard_after(database_url, [
            *create, f"INSERT INTO {table} VALUES ('{row}', '{a}'), ('{uuid.uuid4()}', NULL)"], 1)
        moved = await _heard_after(database_url, [
            f"UPDATE {table} SET home_station = '{b}' WHERE id = '{row}'"], 2)
    finally:
        conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.close()
    assert inserted == [str(a)]
    assert sorted(moved) == sorted([str(a), str(b)])
