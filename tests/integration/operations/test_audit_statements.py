"""The audit trail and the map's notifications of an UPDATE run once per statement (migration
0022). Whatever the statement's size, the trail must hold what the row trigger wrote before:
one entry per changed row, only the changed columns, a soft delete as ``delete``, nothing for a
row left as it was. And the map must hear every station the statement touched, before and
after."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.ddl import AUDIT_COLUMNS, audit_update_function, audit_update_function_name
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


# -- 0026: each table's audit of updates compares its columns, not the rows as JSON ----------

_BODY = "SELECT p.prosrc FROM pg_proc p WHERE p.proname = $1"
_TRIGGER_FUNCTIONS = """
SELECT c.relname, p.proname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgname = c.relname || '_audit_update'
 ORDER BY c.relname
"""


def _dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg", "postgresql")


def _body(sql: str) -> str:
    return sql.split("$$", 2)[1]


async def _function_sql(conn: Any, table: str) -> str:
    columns = [tuple(r) for r in await conn.fetch(
        AUDIT_COLUMNS.replace("CAST(:table AS regclass)", "$1::regclass"), table)]
    return audit_update_function(table, columns)


async def test_every_audited_table_audits_its_updates_by_its_own_current_columns(
    database_url: str,
) -> None:
    """A column added to an audited table without regenerating its function would go
    unaudited: every table's function must be what its columns generate now."""
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        rows = await conn.fetch(_TRIGGER_FUNCTIONS)
        assert {"f0_case", "station", "observation", "app_user"} <= {r[0] for r in rows}
        for table, function in rows:
            assert function == audit_update_function_name(table), table
            assert await conn.fetchval(_BODY, function) == _body(
                await _function_sql(conn, table)), f"{table}: regenerate its audit function"
    finally:
        await conn.close()


_ACTOR, _DEVICE = uuid.uuid4(), uuid.uuid4()
_ENTRIES = ("SELECT coalesce(jsonb_agg(jsonb_build_array(entity, row_id, action, actor_id, via, "
            "device_id, scope_path, before, after) ORDER BY id), '[]') FROM audit_log "
            "WHERE id > $1")


async def _entries_under(conn: Any, table: str, function: str, statements: list[str]) -> Any:
    """The audit entries ``statements`` write with ``function`` auditing ``table``'s updates,
    all of it rolled back."""
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute(f"DROP TRIGGER IF EXISTS {table}_audit_update ON {table}")
        await conn.execute(f"CREATE TRIGGER {table}_audit_update AFTER UPDATE ON {table} "
                           "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
        await conn.execute("SELECT set_config('fieldops.actor_id', $1, true), "
                           "set_config('fieldops.via', 'device', true), "
                           "set_config('fieldops.device_id', $2, true)",
                           str(_ACTOR), str(_DEVICE))
        since = await conn.fetchval("SELECT coalesce(max(id), 0) FROM audit_log")
        for sql in statements:
            await conn.execute(sql)
        return json.loads(await conn.fetchval(_ENTRIES, since))
    finally:
        await tx.rollback()


async def test_the_column_audit_writes_exactly_what_the_json_audit_wrote(
    database_url: str, world: World
) -> None:
    """The same statements over cases, audited by 0022's JSON comparison and by the table's
    own function: the same entries, value for value (geometry as GeoJSON, arrays, nulls, a
    soft delete, a row rewritten as it was, several rows in one statement)."""
    ids = ", ".join(f"'{world.cases[k]}'" for k in ("A", "A_2nd", "B"))
    a, b = world.cases["A"], world.cases["B"]
    statements = [
        f"UPDATE f0_case SET phone = '0911222333', notes = NULL WHERE id IN ({ids})",
        f"UPDATE f0_case SET home_position = ST_SetSRID(ST_MakePoint(106.70, 10.77), 4326), "
        f"comorbidities = ARRAY['diabetes', 'asthma'] WHERE id = '{a}'",
        f"UPDATE f0_case SET home_position = ST_SetSRID(ST_MakePoint(106.70, 10.77), 4326) "
        f"WHERE id = '{a}'",  # the same point again: nothing to audit
        f"UPDATE f0_case SET home_position = NULL, year_of_birth = year_of_birth + 1 "
        f"WHERE id = '{a}'",
        f"UPDATE f0_case SET full_name = full_name WHERE id IN ({ids})",
        f"UPDATE f0_case SET deleted = true, status = 'recovered' WHERE id = '{b}'",
    ]
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        json_audit = await _entries_under(conn, "f0_case", "audit_rows_updated", statements)
        own = await _entries_under(conn, "f0_case", "audit_f0_case_updated", statements)
    finally:
        await conn.close()
    assert len(json_audit) >= 5 and [e[2] for e in json_audit].count("delete") == 1
    assert own == json_audit
    geo = next(e for e in own if "home_position" in (e[8] or {}))
    assert geo[8]["home_position"]["type"] == "Point"


async def test_a_table_of_every_kind_of_column_is_audited_the_same_by_either(
    database_url: str,
) -> None:
    """A scratch table with a column of each kind the audit meets, and a row whose id
    changes (its entry is the whole new row): both functions agree."""
    table = f"at_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        await conn.execute(
            f"CREATE TABLE {table} (id uuid PRIMARY KEY, unit_path varchar(64), deleted boolean "
            "NOT NULL DEFAULT false, pos geometry(Point, 4326), tags varchar(40)[], qty integer, "
            "x float8, at timestamptz, doc jsonb, note text, sync_version bigint, "
            "updated_at timestamptz, field_hlc jsonb)")
        await conn.execute(await _function_sql(conn, table))
        one, two, three = (uuid.uuid4() for _ in range(3))
        await conn.execute(
            f"INSERT INTO {table} (id, unit_path, pos, tags, qty, x, at, doc, note) VALUES "
            f"('{one}', '79.760', ST_SetSRID(ST_MakePoint(1, 2), 4326), ARRAY['a'], 1, 0.5, "
            f"now(), '{{\"k\": [1, 2]}}', 'x'), ('{two}', '79.760', NULL, NULL, NULL, NULL, "
            f"NULL, NULL, NULL), ('{three}', '79.761', NULL, '{{}}', 3, -0.0, NULL, 'null', '')")
        statements = [
            f"UPDATE {table} SET qty = qty + 1, x = x * 2, tags = tags || ARRAY['b'], "
            "doc = CASE WHEN qty = 1 THEN jsonb_build_object('k', qty) ELSE doc END, "
            "note = note || '!'",
            f"UPDATE {table} SET pos = ST_SetSRID(ST_MakePoint(3, 4), 4326), "
            f"at = at + interval '1 hour', updated_at = now(), sync_version = 9",
            f"UPDATE {table} SET field_hlc = '{{}}', updated_at = now()",  # skipped columns
            f"UPDATE {table} SET x = 0.0 WHERE id = '{three}'",  # -0 to 0: the same number
            f"UPDATE {table} SET id = '{uuid.uuid4()}', note = 'moved' WHERE id = '{two}'",
            f"UPDATE {table} SET deleted = true WHERE id = '{one}'",
        ]
        json_audit = await _entries_under(conn, table, "audit_rows_updated", statements)
        own = await _entries_under(conn, table, audit_update_function_name(table), statements)
        assert own == json_audit
        assert [e[2] for e in own].count("delete") == 1
        assert any(e[7] is None and e[8]["note"] == "moved" for e in own)  # the id change
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.execute(f"DROP FUNCTION IF EXISTS {audit_update_function_name(table)}()")
        await conn.close()


async def test_columns_named_like_the_functions_own_names_are_audited(database_url: str) -> None:
    """Columns called ``n``, ``o``, ``k``, ``changed``... cannot shadow the generated
    function's own names (0022's function failed on a column ``n``)."""
    table = f"an_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        await conn.execute(f"CREATE TABLE {table} (id uuid PRIMARY KEY, n int, o int, d int, "
                           "k text, a text, b text, v int, changed boolean)")
        await conn.execute(await _function_sql(conn, table))
        row = uuid.uuid4()
        await conn.execute(f"INSERT INTO {table} VALUES ('{row}', 1, 2, 3, 'k', 'a', 'b', 4, "
                           "false)")
        [entry] = await _entries_under(conn, table, audit_update_function_name(table), [
            f"UPDATE {table} SET n = 10, changed = true, k = k"])
        assert entry[1:3] == [str(row), "update"]
        assert (entry[7], entry[8]) == ({"n": 1, "changed": False}, {"n": 10, "changed": True})
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.execute(f"DROP FUNCTION IF EXISTS {audit_update_function_name(table)}()")
        await conn.close()
