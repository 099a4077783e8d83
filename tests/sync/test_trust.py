"""Idempotency keys per device, reused ids, orphans of refused mutations, and history: every
value a device pushed can be found afterwards (in the audit trail or the conflict log)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tests.sync.conftest import NEIGHBOUR, Unit, World, make_unit, new_case


def reading(case_id: uuid.UUID, value: float = 97.0) -> dict[str, Any]:
    return {"case_id": str(case_id), "kind": "spo2", "value": value,
            "measured_at": datetime.now(UTC).isoformat()}


async def second_device(unit: Unit, world: World) -> Any:
    from tests.sync.conftest import RawDevice
    device_id, token = await world.device(unit.station_id, unit.officer)
    return RawDevice(unit.device.http, device_id, token, unit.staff.id)


async def test_a_mutation_id_is_a_key_of_its_own_device(unit: Unit, world: World) -> None:
    """Device B using an id device A used is not a retry of A's mutation: it applies."""
    a, b = unit.device, await second_device(unit, world)
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id)))
    shared_id = str(uuid.uuid4())
    mine = {**a.mutation("f0_case", case_id, {"notes": "from A"}), "id": shared_id}
    theirs = {**b.mutation("f0_case", case_id, {"phone": "0903111222"}), "id": shared_id}
    assert (await a.push_ok(mine))[0]["status"] == "applied"
    assert (await b.push_ok(theirs))[0]["status"] == "applied"
    assert await world.scalar("SELECT phone FROM f0_case WHERE id = :id", id=case_id) == \
        "0903111222"
    assert await world.scalar("SELECT count(*) FROM sync_mutation WHERE id = :id",
                              id=shared_id) == 2


async def test_an_id_reused_with_other_content_is_immutable_and_logged(
    unit: Unit, world: World
) -> None:
    d = unit.device
    case_id = uuid.uuid4()
    await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
    first = d.mutation("f0_case", case_id, {"phone": "0903000001"})
    assert (await d.push_ok(first))[0]["status"] == "applied"
    retry = {**first, "hlc": d.clock.now()}  # the same mutation, re-stamped: still a retry
    assert (await d.push_ok(retry))[0]["status"] == "duplicate"
    reused = {**first, "fields": {"phone": "0903000002"}}
    result = (await d.push_ok(reused))[0]
    assert (result["status"], result["code"]) == ("rejected", "immutable")
    assert result["field"] == "mutations[0].id"
    assert await world.scalar("SELECT phone FROM f0_case WHERE id = :id", id=case_id) == \
        "0903000001"
    logged = await world.scalar(
        "SELECT lost_value::text FROM sync_conflict WHERE mutation_id = :id AND code = "
        "'immutable'", id=first["id"])
    assert logged is not None and "0903000002" in logged
    # The same id twice in one batch with other content: the second is refused, not dropped.
    twin = d.mutation("f0_case", case_id, {"notes": "one"})
    results = await d.push_ok(twin, {**twin, "fields": {"notes": "two"}})
    assert [(r["status"], r.get("code")) for r in results] == [("applied", None),
                                                             ("rejected", "immutable")]


async def test_readings_of_a_patient_whose_creation_was_refused_name_the_parent(
    unit: Unit, world: World
) -> None:
    d = unit.device
    case_id = uuid.uuid4()
    create = d.mutation("f0_case", case_id, new_case(unit.station_id, year_of_birth=1800))
    later = d.mutation("observation", uuid.uuid4(), reading(case_id))
    results = await d.push_ok(create, later, d.mutation("f0_case", case_id, {"notes": "x"}))
    assert results[0]["status"] == "rejected"
    for r in results[1:]:
        assert (r["status"], r["code"]) == ("rejected", "parent_rejected"), r
        assert create["id"] in r["message"]
    # In a later push too: the refusal is remembered in the device's log.
    again = (await d.push_ok(d.mutation("observation", uuid.uuid4(), reading(case_id))))[0]
    assert (again["status"], again["code"]) == ("rejected", "parent_rejected")
    # A reading of a case nobody tried to create is still simply not found.
    unknown = (await d.push_ok(d.mutation("observation", uuid.uuid4(), reading(uuid.uuid4()))))
    assert unknown[0]["code"] == "not_found"


async def test_two_edits_of_one_field_in_one_push_are_both_in_the_audit_trail(
    unit: Unit, world: World
) -> None:
    d = unit.device
    case_id = uuid.uuid4()
    await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
    results = await d.push_ok(d.mutation("f0_case", case_id, {"phone": "0903000101"}),
                              d.mutation("f0_case", case_id, {"phone": "0903000102"}))
    assert [r["status"] for r in results] == ["applied", "applied"]
    values = await world.scalar(
        "SELECT string_agg(after->>'phone', ',' ORDER BY id) FROM audit_log "
        "WHERE entity = 'f0_case' AND row_id = :id AND action = 'update'", id=case_id)
    assert values == "0903000101,0903000102"


async def test_an_edit_wiped_by_an_older_delete_is_in_the_conflict_log(
    unit: Unit, world: World
) -> None:
    """A delete wins whatever the arrival order: an edit applied before it arrived, although
    newer, is wiped, and must stay findable."""
    a, b = unit.device, await second_device(unit, world)
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id)))
    delete = a.mutation("f0_case", case_id, op="delete")  # stamped first, pushed last
    b.clock.observe(delete["hlc"])
    edit = b.mutation("f0_case", case_id, {"phone": "0903777888"})
    assert (await b.push_ok(edit))[0]["status"] == "applied"
    assert (await a.push_ok(delete))[0]["status"] == "applied"
    row = await world.scalar(
        "SELECT lost_value::text || '|' || policy || '|' || lost_device::text FROM sync_conflict "
        "WHERE row_id = :id AND field = 'phone'", id=case_id)
    assert row == f'"0903777888"|delete|{b.id}'


async def test_a_refused_mutation_keeps_its_values_in_the_conflict_log(
    unit: Unit, world: World
) -> None:
    d = unit.device
    bad = d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id, year_of_birth=1800,
                                                       full_name="Phạm Văn Ba"))
    assert (await d.push_ok(bad))[0]["status"] == "rejected"
    logged = await world.scalar(
        "SELECT lost_value->>'full_name' FROM sync_conflict WHERE mutation_id = :id "
        "AND policy = 'rejected'", id=bad["id"])
    assert logged == "Phạm Văn Ba"


async def test_mutations_recorded_before_a_move_are_judged_where_they_were_made(
    unit: Unit, world: World
) -> None:
    """A tablet moved to another ward keeps its pending outbox: what it recorded in its old
    ward, before the move, still applies there; what it records afterwards belongs to the
    new ward."""
    d = unit.device
    case_id = uuid.uuid4()
    await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
    pending = [d.mutation("f0_case", case_id, {"notes": "seen before the move"}),
               d.mutation("observation", uuid.uuid4(), reading(case_id))]
    neighbour = await make_unit(world, d.http, NEIGHBOUR)
    admin = await world.user("administrator", "79")
    resp = await d.http.patch(f"/api/devices/{d.id}",
                              json={"station_id": str(neighbour.station_id)},
                              headers=admin.headers)
    assert resp.status_code == 200, resp.text
    d.clock.observe(d.clock.now())  # time passes: the next mutations are after the move
    after = d.mutation("f0_case", case_id, {"notes": "after the move"})
    results = await d.push_ok(*pending, after)
    assert [r["status"] for r in results[:2]] == ["applied", "applied"]
    assert results[2]["status"] == "rejected"  # the old ward's case is no longer the tablet's
    assert await world.scalar("SELECT notes FROM f0_case WHERE id = :id", id=case_id) == \
        "seen before the move"
