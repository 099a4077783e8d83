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


async def test_rows_edited_several_times_in_one_run_keep_every_step_in_the_audit_trail(
    unit: Unit, world: World
) -> None:
    """Edits of three cases interleaved, each case edited up to three times: the run writes
    them in rounds (the n-th edit of each row together), and the trail still shows each edit
    replacing the value before it, in the device's order per case."""
    d = unit.device
    a, b, c = await cases(d, unit, 3)
    order = [(a, "phone", "0913000001"), (b, "notes", "b1"), (a, "phone", "0913000002"),
             (c, "address", "3 Lý Tự Trọng"), (b, "notes", "b2"), (a, "notes", "a-note"),
             (a, "phone", "0913000003")]
    batch = [d.mutation("f0_case", row, {name: value}, hlc=hlc(100 + n))
             for n, (row, name, value) in enumerate(order)]
    results = await d.push_ok(*batch)
    assert [r["status"] for r in results] == ["applied"] * len(order)
    assert await stored(world, a, "phone") == "0913000003"
    assert await stored(world, a, "notes") == "a-note"
    assert await stored(world, b, "notes") == "b2"
    assert await stored(world, c, "address") == "3 Lý Tự Trọng"
    trail = await world.scalar(
        "SELECT json_agg(json_build_array(before, after) ORDER BY id) FROM audit_log "
        "WHERE entity = 'f0_case' AND action = 'update' AND row_id = :id", id=a)
    phones = [(x["phone"], y["phone"]) for x, y in trail if "phone" in y]
    assert [p[1] for p in phones] == ["0913000001", "0913000002", "0913000003"]
    assert [p[0] for p in phones[1:]] == ["0913000001", "0913000002"]
    assert len(trail) == 4  # four edits of ``a``, each its own entry
    # one statement wrote a's phone, b's notes and c's address: each entry holds only its own
    for row, name in ((b, "notes"), (c, "address")):
        entries = await world.scalar(
            "SELECT json_agg(after ORDER BY id) FROM audit_log WHERE entity = 'f0_case' "
            "AND action = 'update' AND row_id = :id", id=row)
        assert all(set(after) == {name} for after in entries), entries
    stamp = await stored(world, a, "field_hlc -> 'phone'")
    assert stamp["hlc"] == hlc(106)


async def test_edits_that_lose_to_another_tablet_are_merged_and_logged_within_the_run(
    unit: Unit, world: World
) -> None:
    """Two tablets of one ward edit the same patients' notes. The second pushes older edits,
    interleaved with edits of rows nobody else touched and a second, newer edit of a row it
    lost: every lost edit is answered ``merged`` with the row as it stood at that point in
    the batch, and kept in the conflict log beside the write that beat it."""
    from tests.sync.conftest import RawDevice

    a = unit.device
    other_id, token = await world.device(unit.station_id, unit.officer)
    b = RawDevice(a.http, other_id, token, unit.staff.id)
    x, y, z = await cases(a, unit, 3)
    assert [r["status"] for r in await b.push_ok(
        b.mutation("f0_case", x, {"notes": "b-x"}, hlc=hlc(500)),
        b.mutation("f0_case", y, {"notes": "b-y"}, hlc=hlc(500)))] == ["applied", "applied"]
    results = await a.push_ok(
        a.mutation("f0_case", x, {"notes": "a-x-old"}, hlc=hlc(100)),   # loses to b
        a.mutation("f0_case", z, {"notes": "a-z"}, hlc=hlc(101)),       # nobody else
        a.mutation("f0_case", y, {"notes": "a-y-old"}, hlc=hlc(102)),   # loses to b
        a.mutation("f0_case", x, {"notes": "a-x-new"}, hlc=hlc(600)),   # beats b
        a.mutation("f0_case", x, {"notes": "a-x-older"}, hlc=hlc(550)))  # loses to a-x-new
    assert [r["status"] for r in results] == ["merged", "applied", "merged", "applied", "merged"]
    assert results[0]["current"]["notes"] == "b-x"
    assert results[2]["current"]["notes"] == "b-y"
    assert results[4]["current"]["notes"] == "a-x-new"
    assert await stored(world, x, "notes") == "a-x-new"
    assert await stored(world, y, "notes") == "b-y"
    assert await stored(world, z, "notes") == "a-z"
    logged = await world.scalar(
        "SELECT json_agg(json_build_array(row_id, kept_value, lost_value, kept_device) "
        "ORDER BY lost_hlc) FROM sync_conflict WHERE row_id IN (:x, :y) AND field = 'notes'",
        x=x, y=y)
    assert [(r[1], r[2]) for r in logged] == [("b-x", "a-x-old"), ("b-y", "a-y-old"),
                                              ("a-x-new", "a-x-older")]
    assert [r[3] for r in logged] == [str(other_id), str(other_id), str(a.id)]
