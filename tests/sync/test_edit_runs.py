"""Runs of plain edits in one batch (written together, sync/apply_records.py) keep every rule of
edits made one at a time: order, per-field last writer wins, the author in the audit trail,
and a refusal that takes down only its own mutation."""

from __future__ import annotations

import uuid
from typing import Any

from tests.sync.conftest import RawDevice, Unit, World, hlc, new_case


async def cases(d: RawDevice, unit: Unit, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    results = await d.push_ok(*(d.mutation("f0_case", i, new_case(unit.station_id), hlc=hlc(0))
                                for i in ids))
    assert {r["status"] for r in results} == {"applied"}
    return ids


async def stored(world: World, case_id: uuid.UUID, column: str) -> Any:
    return await world.scalar(f"SELECT {column} FROM f0_case WHERE id = :id", id=case_id)


async def test_a_run_of_edits_by_two_authors_names_each_in_the_audit_trail(
    unit: Unit, world: World
) -> None:
    d = unit.device
    ids = await cases(d, unit, 6)
    authors = [unit.staff.id, unit.staff.id, unit.doctor.id, unit.doctor.id, unit.staff.id,
               unit.doctor.id]
    batch = [d.mutation("f0_case", case_id, {"phone": f"090000000{n}", "address": f"{n} Lê Lợi"},
                        hlc=hlc(10 + n), author=author)
             for n, (case_id, author) in enumerate(zip(ids, authors, strict=True))]
    results = await d.push_ok(*batch)
    assert [r["status"] for r in results] == ["applied"] * 6
    for n, (case_id, author) in enumerate(zip(ids, authors, strict=True)):
        assert await stored(world, case_id, "phone") == f"090000000{n}"
        assert await world.scalar(
            "SELECT actor_id FROM audit_log WHERE entity = 'f0_case' AND row_id = :id "
            "AND action = 'update'", id=case_id) == author
        stamp = await stored(world, case_id, "field_hlc -> 'address'")
        assert stamp == {"hlc": hlc(10 + n), "device": str(d.id), "author": str(author)}


async def test_one_case_edited_three_times_in_a_batch_keeps_the_newest_and_logs_the_rest(
    unit: Unit, world: World
) -> None:
    d = unit.device
    [case_id] = await cases(d, unit, 1)
    batch = [d.mutation("f0_case", case_id, {"phone": phone}, hlc=hlc(at))
             for phone, at in (("090300001", 30), ("090300002", 10), ("090300003", 20))]
    results = await d.push_ok(*batch)
    assert [r["status"] for r in results] == ["applied", "merged", "merged"]
    assert results[1]["current"]["phone"] == "090300001"
    assert await stored(world, case_id, "phone") == "090300001"
    assert await world.scalar(
        "SELECT array_agg(lost_value #>> '{}' ORDER BY lost_hlc) FROM sync_conflict "
        "WHERE row_id = :id", id=case_id) == ["090300002", "090300003"]


async def test_a_refused_edit_in_a_run_is_rejected_alone(unit: Unit, world: World) -> None:
    d = unit.device
    ids = await cases(d, unit, 4)
    batch = [d.mutation("f0_case", case_id, {"notes": f"visit {n}"}, hlc=hlc(10 + n))
             for n, case_id in enumerate(ids)]
    batch[1]["fields"]["year_of_birth"] = 2099  # born after the positive test
    results = await d.push_ok(*batch)
    assert [r["status"] for r in results] == ["applied", "rejected", "applied", "applied"]
    assert results[1]["code"] == "invalid"
    assert results[1]["current"]["year_of_birth"] == 1980
    assert await stored(world, ids[1], "notes") is None  # nothing of it was written
    assert [await stored(world, i, "notes") for i in (ids[0], ids[2], ids[3])] == [
        "visit 0", "visit 2", "visit 3"]


async def test_an_edit_the_database_refuses_takes_down_only_itself(
    unit: Unit, world: World
) -> None:
    """A rule only the database knows (here a constraint added for the test) fails the
    batch's flush; the batch is rolled back and applied one at a time."""
    d = unit.device
    ids = await cases(d, unit, 5)
    await world.execute("ALTER TABLE f0_case ADD CONSTRAINT test_no_placeholder_phone "
                        "CHECK (phone <> '0000000000') NOT VALID")
    try:
        batch = [d.mutation("f0_case", case_id, {"phone": f"090{n}111222", "notes": f"n{n}"},
                            hlc=hlc(10 + n)) for n, case_id in enumerate(ids)]
        batch[2]["fields"]["phone"] = "0000000000"
        results = await d.push_ok(*batch)
    finally:
        await world.execute("ALTER TABLE f0_case DROP CONSTRAINT test_no_placeholder_phone")
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "applied",
                                               "applied"]
    assert "test_no_placeholder_phone" in results[2]["message"]
    assert await stored(world, ids[2], "notes") is None
    assert await stored(world, ids[4], "phone") == "0904111222"
    assert await world.scalar(
        "SELECT count(*) FROM audit_log WHERE entity = 'f0_case' AND action = 'update'") == 4
    assert await world.scalar(
        "SELECT status FROM sync_mutation WHERE id = :id", id=uuid.UUID(batch[2]["id"])
    ) == "rejected"


async def test_a_deleted_case_in_a_run_is_rejected_and_the_run_goes_on(
    unit: Unit, world: World
) -> None:
    d = unit.device
    ids = await cases(d, unit, 3)
    doctor = RawDevice(d.http, d.id, d.token, unit.doctor.id)
    assert (await doctor.push_ok(doctor.mutation("f0_case", ids[1], op="delete",
                                                 hlc=hlc(5))))[0]["status"] == "applied"
    results = await d.push_ok(*(d.mutation("f0_case", i, {"notes": "seen"}, hlc=hlc(10))
                                for i in ids))
    assert [(r["status"], r.get("code")) for r in results] == [
        ("applied", None), ("rejected", "deleted"), ("applied", None)]
    assert await stored(world, ids[2], "notes") == "seen"


async def test_edits_made_in_memory_are_written_in_one_statement_each_field_set(
    unit: Unit, world: World
) -> None:
    """``write_edited`` (the run's write) stores every column an edit changed, including a
    derived one and a position, leaves the rows clean for the ORM, and audits each row once
    with only what changed."""
    from domain.geo import point_wkt
    from sync import queries
    from sync.entities import REGISTRY

    spec = REGISTRY["f0_case"]
    ids = await cases(unit.device, unit, 3)
    async with world.maker() as session:
        rows = await queries.load_rows(session, spec, ids)
        a, b, c = (rows[i] for i in ids)
        a.phone = "0912000111"
        b.phone, b.notes = "0912000222", "gọi lại"
        b.home_position = point_wkt(106.7, 10.78)
        assert await queries.write_edited(session, spec, [a, b, c])
        assert not any(session.is_modified(r) for r in (a, b, c))  # nothing left to flush
        await session.commit()
    assert await stored(world, ids[0], "phone") == "0912000111"
    assert await stored(world, ids[1], "notes") == "gọi lại"
    assert await stored(world, ids[1], "ST_AsText(home_position)") == "POINT(106.7 10.78)"
    audited = {r[0]: r[1] for r in await world.scalar(
        "SELECT array_agg(json_build_array(row_id, after)) FROM audit_log "
        "WHERE entity = 'f0_case' AND action = 'update' AND row_id = ANY(:ids)", ids=ids)}
    audited = {uuid.UUID(k): v for k, v in audited.items()}
    assert set(audited) == {ids[0], ids[1]}
    assert audited[ids[0]] == {"phone": "0912000111"}
    assert set(audited[ids[1]]) == {"phone", "notes", "home_position"}
