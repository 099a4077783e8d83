"""Merge policies and the conflict log (guarantee 4)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from domain.models.enums import Role
from sync.entities import REGISTRY
from sync.registry import Policy
from tests.sync.conftest import NEIGHBOUR, RawDevice, Unit, World, hlc, make_unit, new_case


async def second_device(unit: Unit, world: World) -> RawDevice:
    device_id, token = await world.device(unit.station_id, unit.officer)
    return RawDevice(unit.device.http, device_id, token, unit.doctor.id)


async def test_descriptive_fields_merge_per_field_last_writer_wins(
    unit: Unit, world: World
) -> None:
    a, b = unit.device, await second_device(unit, world)
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id), hlc=hlc(0)))
    # Both edited offline: B later (by HLC) on the phone, A later on the address.
    await b.push_ok(b.mutation("f0_case", case_id, {"phone": "090300002", "address": "B street"},
                               hlc=hlc(10)))
    results = await a.push_ok(a.mutation("f0_case", case_id, {"phone": "090300001",
                                                              "address": "A street"},
                                         hlc=hlc(5)))
    assert results[0]["status"] == "merged"  # both fields lost to B's newer writes
    assert results[0]["current"]["phone"] == "090300002"
    results = await a.push_ok(a.mutation("f0_case", case_id, {"address": "A street"},
                                         hlc=hlc(30)))
    assert results[0]["status"] == "applied"
    await a.sync_down()
    case = a.of("f0_case")[case_id]
    assert (case["phone"], case["address"]) == ("090300002", "A street")


async def test_equal_hlcs_are_broken_by_device_id(unit: Unit, world: World) -> None:
    a, b = unit.device, await second_device(unit, world)
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id), hlc=hlc(0)))
    same = hlc(10)
    await a.push_ok(a.mutation("f0_case", case_id, {"notes": "from a"}, hlc=same))
    await b.push_ok(b.mutation("f0_case", case_id, {"notes": "from b"}, hlc=same))
    winner = "from a" if str(a.id) > str(b.id) else "from b"
    await a.sync_down()
    assert a.of("f0_case")[case_id]["notes"] == winner


async def test_a_losing_write_is_kept_in_the_conflict_log(unit: Unit, world: World) -> None:
    a, b = unit.device, await second_device(unit, world)
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id), hlc=hlc(0)))
    await b.push_ok(b.mutation("f0_case", case_id, {"phone": "090300002"}, hlc=hlc(20)))
    lost = a.mutation("f0_case", case_id, {"phone": "090300001"}, hlc=hlc(10))
    await a.push_ok(lost)
    resp = await a.http.get("/api/sync/conflicts", headers=unit.officer.headers,
                            params={"entity": "f0_case", "row_id": str(case_id)})
    assert resp.status_code == 200, resp.text
    [c] = resp.json()["items"]
    assert (c["entity"], c["row_id"], c["field"], c["policy"]) == (
        "f0_case", str(case_id), "phone", "lww")
    assert (c["kept_value"], c["lost_value"]) == ("090300002", "090300001")
    assert (c["kept_hlc"], c["lost_hlc"]) == (hlc(20), lost["hlc"])
    assert (c["kept_device"], c["lost_device"]) == (str(b.id), str(a.id))
    assert (c["kept_author"], c["lost_author"]) == (str(unit.doctor.id), str(unit.staff.id))
    assert c["mutation_id"] == lost["id"]


async def test_the_conflict_log_is_for_the_units_coordinators_only(
    unit: Unit, world: World
) -> None:
    a = unit.device
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id), hlc=hlc(0)))
    await a.push_ok(a.mutation("f0_case", case_id, {"notes": "new", "vaccine_doses": 2},
                               hlc=hlc(20)),
                    a.mutation("f0_case", case_id, {"notes": "old", "vaccine_doses": 1},
                               hlc=hlc(10)))
    mine = await a.http.get("/api/sync/conflicts", headers=unit.officer.headers)
    assert mine.json()["total"] == 2
    staff = await a.http.get("/api/sync/conflicts", headers=unit.staff.headers)
    assert staff.status_code == 403
    other = await world.user(Role.commune_officer, NEIGHBOUR)
    theirs = await a.http.get("/api/sync/conflicts", headers=other.headers)
    assert theirs.json()["total"] == 0
    district = await world.user(Role.district_logistics, "760")
    above = await a.http.get("/api/sync/conflicts", headers=district.headers)
    assert above.json()["total"] == 2
    # The ward's officer sees the patient's details; the district, whose views are
    # de-identified, does not, but still sees what is not personal.
    seen = {c["field"]: (c["kept_value"], c["lost_value"]) for c in mine.json()["items"]}
    assert seen == {"notes": ("new", "old"), "vaccine_doses": (2, 1)}
    seen = {c["field"]: (c["kept_value"], c["lost_value"]) for c in above.json()["items"]}
    assert seen == {"notes": ("[redacted]", "[redacted]"), "vaccine_doses": (2, 1)}
    city = await world.user(Role.city_coordinator, "79")
    items = (await a.http.get("/api/sync/conflicts", headers=city.headers)).json()["items"]
    assert {c["field"]: c["lost_value"] for c in items}["notes"] == "[redacted]"
    stored = await world.scalar("SELECT lost_value #>> '{}' FROM sync_conflict "
                                "WHERE field = 'notes'")
    assert stored == "old"  # reading redacts the answer, never the log


async def test_a_transition_not_allowed_now_is_rejected_with_the_current_state(
    unit: Unit, world: World
) -> None:
    a = unit.device
    a.author = unit.doctor.id
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id)))
    await a.push_ok(a.mutation("f0_case", case_id, {"status": "recovered"}))
    b = await second_device(unit, world)
    b.author = unit.staff.id  # offline, staff asked for a transfer of the (recovered) case
    [result] = await b.push_ok(b.mutation("f0_case", case_id, {"status": "transfer_requested"}))
    assert result["status"] == "rejected"
    assert result["code"] == "transition_not_allowed"
    assert result["current"]["status"] == "recovered"
    logged = await world.scalar(
        "SELECT lost_value #>> '{}' FROM sync_conflict WHERE field = 'status'")
    assert logged == "transfer_requested"


async def test_a_refused_transition_keeps_the_descriptive_edits_beside_it(
    unit: Unit, world: World
) -> None:
    """Offline, staff updated the phone and notes and asked for a transfer of a case a doctor
    had meanwhile marked recovered: the transfer is refused, the new details are not lost."""
    a = unit.device
    a.author = unit.doctor.id
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id)))
    await a.push_ok(a.mutation("f0_case", case_id, {"status": "recovered"}))
    b = await second_device(unit, world)
    b.author = unit.staff.id
    [result] = await b.push_ok(b.mutation("f0_case", case_id, {
        "phone": "0909000111", "notes": "moved to her daughter's", "status": "transfer_requested"}))
    assert (result["status"], result["code"]) == ("merged", "transition_not_allowed")
    current = result["current"]
    assert (current["phone"], current["notes"], current["status"]) == (
        "0909000111", "moved to her daughter's", "recovered")
    await b.sync_down()
    assert b.of("f0_case")[case_id]["phone"] == "0909000111"
    logged = await world.scalar(
        "SELECT string_agg(field || '=' || (lost_value #>> '{}'), ',') FROM sync_conflict")
    assert logged == "status=transfer_requested"
    outcome = await world.scalar("SELECT status || ' ' || code FROM sync_mutation "
                                 "WHERE device_id = :d", d=b.id)
    assert outcome == "merged transition_not_allowed"


async def test_a_role_may_only_make_its_own_transitions(unit: Unit) -> None:
    a = unit.device  # station staff
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id)))
    [result] = await a.push_ok(a.mutation("f0_case", case_id, {"status": "recovered"}))
    assert (result["status"], result["code"]) == ("rejected", "transition_not_allowed")


async def test_a_state_already_reached_is_merged_not_rejected(unit: Unit, world: World) -> None:
    a, b = unit.device, await second_device(unit, world)
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id)))
    await a.push_ok(a.mutation("f0_case", case_id, {"status": "needs_attention"}))
    [result] = await b.push_ok(b.mutation("f0_case", case_id, {"status": "needs_attention"}))
    assert result["status"] == "merged"
    assert result["current"]["status"] == "needs_attention"


async def test_the_risk_group_is_derived_never_pushed(unit: Unit) -> None:
    a = unit.device
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id, vaccine_doses=2)))
    await a.sync_down()
    assert a.of("f0_case")[case_id]["risk_group"] == "low"
    await a.push_ok(a.mutation("f0_case", case_id, {"year_of_birth": 1940, "vaccine_doses": 0}))
    await a.sync_down()
    assert a.of("f0_case")[case_id]["risk_group"] == "very_high"


async def test_events_never_conflict_but_cannot_change(unit: Unit, world: World) -> None:
    a, b = unit.device, await second_device(unit, world)
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id)))
    obs_id = uuid.uuid4()
    at = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()
    fields = {"case_id": str(case_id), "kind": "pulse", "value": 80.0, "measured_at": at}
    readings = [a.mutation("observation", uuid.uuid4(),
                           {**fields, "value": 70.0 + i}) for i in range(3)]
    other = [b.mutation("observation", uuid.uuid4(), {**fields, "value": 60.0})]
    assert {r["status"] for r in await a.push_ok(*readings)} == {"applied"}
    assert {r["status"] for r in await b.push_ok(*other)} == {"applied"}
    assert [r["status"] for r in await a.push_ok(a.mutation("observation", obs_id, fields))] == [
        "applied"]
    # The same event sent again under a new mutation id (a reinstalled app): a duplicate.
    again = await b.push_ok(b.mutation("observation", obs_id, fields))
    assert again[0]["status"] == "duplicate"
    changed = await b.push_ok(b.mutation("observation", obs_id, {**fields, "value": 81.0}))
    assert (changed[0]["status"], changed[0]["code"]) == ("rejected", "immutable")
    assert await world.scalar("SELECT count(*) FROM observation") == 5
    assert await world.scalar("SELECT value FROM observation WHERE id = :i", i=obs_id) == 80.0


async def test_a_reading_past_a_threshold_opens_an_alert_that_devices_handle(
    unit: Unit, world: World
) -> None:
    a, b = unit.device, await second_device(unit, world)
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id)))
    now = datetime.now(UTC).isoformat()
    await a.push_ok(a.mutation("observation", uuid.uuid4(), {
        "case_id": str(case_id), "kind": "spo2", "value": 92.0, "measured_at": now}))
    await a.sync_down()
    [(alert_id, alert)] = a.of("alert").items()
    assert (alert["severity"], alert["status"]) == ("emergency", "open")
    assert a.of("f0_case")[case_id]["status"] == "needs_attention"
    # Two devices handle the alert offline: one resolves, the other acknowledges later.
    await b.push_ok(b.mutation("alert", alert_id, {"status": "resolved",
                                                   "resolution_note": "SpO2 back to 97"}))
    [late] = await a.push_ok(a.mutation("alert", alert_id, {"status": "acknowledged"}))
    assert late["status"] == "merged"
    assert late["current"]["status"] == "resolved"
    assert await world.scalar("SELECT count(*) FROM sync_conflict") == 0


async def test_an_online_edit_beats_an_older_offline_edit(unit: Unit, world: World) -> None:
    a = unit.device
    case_id = uuid.uuid4()
    await a.push_ok(a.mutation("f0_case", case_id, new_case(unit.station_id), hlc=hlc(0)))
    offline = a.mutation("f0_case", case_id, {"phone": "090300001"}, hlc=hlc(10))
    await world.execute("UPDATE f0_case SET phone = '0999' WHERE id = :i", i=case_id)
    [result] = await a.push_ok(offline)
    assert result["status"] == "merged"
    assert result["current"]["phone"] == "0999"


async def test_stamping_triggers_cover_exactly_the_merged_fields(world: World) -> None:
    async with world.engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE '%_field_hlc'"))
        triggers = {name: definition for name, definition in rows}
    for spec in REGISTRY:
        stamped = [f.name for f in spec.with_policy(Policy.lww, Policy.state_machine)]
        if not spec.with_policy(Policy.lww) and spec.table not in triggers:
            continue  # state machines alone need no stamps to merge, only for the log
        args = triggers[spec.table].split("sync_stamp_field_hlc(", 1)[1].rstrip(")")
        assert sorted(a.strip(" '") for a in args.split(",")) == sorted(stamped), spec.name


async def test_a_neighbouring_unit_row_is_forbidden(unit: Unit, world: World) -> None:
    other = await make_unit(world, unit.device.http, NEIGHBOUR)
    theirs = uuid.uuid4()
    await other.device.push_ok(other.device.mutation("f0_case", theirs,
                                                     new_case(other.station_id)))
    a = unit.device
    results = await a.push_ok(
        a.mutation("f0_case", theirs, {"phone": "090300000"}),
        a.mutation("station", other.station_id, {"phone": "090300000"}),
        a.mutation("f0_case", uuid.uuid4(), new_case(other.station_id)),
        a.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id), author=other.staff.id),
    )
    assert [r["code"] for r in results] == ["forbidden"] * 4
