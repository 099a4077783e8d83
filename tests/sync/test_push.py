"""Push: idempotency, order, clock skew, and whole-batch refusals (guarantees 1, 2, 5, 9, 10)."""

from __future__ import annotations

import asyncio
import gzip
import re
import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from sync import codec
from sync.hlc import HLC, HLC_PATTERN, system_ms
from sync.wire import MSGPACK
from tests.sync.conftest import Unit, World, new_case


def reading(case_id: uuid.UUID, value: float = 97.0) -> dict[str, object]:
    return {"case_id": str(case_id), "kind": "spo2", "value": value,
            "measured_at": datetime.now(UTC).isoformat()}


async def test_a_retried_batch_applies_only_what_was_not_applied(unit: Unit, world: World) -> None:
    d = unit.device
    case_id = uuid.uuid4()
    first = [d.mutation("f0_case", case_id, new_case(unit.station_id)),
             d.mutation("observation", uuid.uuid4(), reading(case_id))]
    assert [r["status"] for r in await d.push_ok(*first)] == ["applied", "applied"]
    extra = d.mutation("observation", uuid.uuid4(), reading(case_id, 98))
    results = await d.push_ok(*first, extra)
    assert [r["status"] for r in results] == ["duplicate", "duplicate", "applied"]
    assert [r["id"] for r in results] == [m["id"] for m in (*first, extra)]
    assert await world.scalar("SELECT count(*) FROM observation") == 2
    assert await world.scalar("SELECT count(*) FROM sync_mutation") == 3


async def test_the_same_batch_delivered_twice_at_once_is_applied_once(
    unit: Unit, world: World
) -> None:
    d = unit.device
    case_id = uuid.uuid4()
    await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
    batch = [d.mutation("observation", uuid.uuid4(), reading(case_id)) for _ in range(20)]
    batch.append(d.mutation("f0_case", case_id, {"notes": "called at 9"}))
    one, two = await asyncio.gather(d.push(*batch), d.push(*batch))
    statuses = sorted({r["status"] for r in one.json()["results"]} |
                      {r["status"] for r in two.json()["results"]})
    assert statuses == ["applied", "duplicate"]
    assert await world.scalar("SELECT count(*) FROM observation") == 20
    assert await world.scalar(
        "SELECT count(*) FROM audit_log WHERE entity = 'f0_case' AND action = 'update'") == 1


async def test_a_rejected_mutation_retried_is_rejected_again(unit: Unit) -> None:
    d = unit.device
    m = d.mutation("f0_case", uuid.uuid4(), {"phone": "0903000001"})  # an unknown case: a create
    first = (await d.push_ok(m))[0]
    again = (await d.push_ok(m))[0]
    assert first["status"] == again["status"] == "rejected"
    assert first["code"] == again["code"] == "invalid"  # it lacks the fields of a new case
    assert "full_name" in again["message"]


async def test_mutations_apply_in_the_order_sent(unit: Unit) -> None:
    d = unit.device
    d.author = unit.doctor.id
    case_id = uuid.uuid4()
    results = await d.push_ok(
        d.mutation("f0_case", case_id, new_case(unit.station_id)),
        d.mutation("f0_case", case_id, {"status": "needs_attention"}),
        d.mutation("f0_case", case_id, {"status": "transfer_requested"}),
        d.mutation("f0_case", case_id, {"notes": "first"}),
        d.mutation("f0_case", case_id, {"notes": "second"}),
    )
    assert [r["status"] for r in results] == ["applied"] * 5
    await d.sync_down()
    case = d.of("f0_case")[case_id]
    assert (case["status"], case["notes"]) == ("transfer_requested", "second")
    events = sorted(d.of("case_status_event").values(), key=lambda e: e["changed_at"])
    assert [e["to_status"] for e in events] == [
        "home_monitoring", "needs_attention", "transfer_requested"]


async def test_a_clock_far_ahead_is_rejected_and_the_server_clock_answers(unit: Unit) -> None:
    d = unit.device
    case_id = uuid.uuid4()
    ahead = HLC(system_ms() + 6 * 60 * 1000).format()  # the bound is 5 minutes
    slightly = HLC(system_ms() + 60 * 1000).format()
    resp = await d.push(
        d.mutation("f0_case", case_id, new_case(unit.station_id), hlc=ahead),
        d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id), hlc=slightly),
    )
    body = resp.json()
    assert [r["status"] for r in body["results"]] == ["rejected", "applied"]
    assert body["results"][0]["code"] == "clock_skew"
    assert body["server_hlc"] > slightly  # the server observed the accepted HLC
    assert (await d.pull())["server_hlc"] > slightly


async def test_a_clock_skew_refusal_is_not_final(unit: Unit, world: World) -> None:
    """Refused for skew, the same mutation id re-sent with a corrected HLC is applied: the
    refusal was not logged, so the retry is judged afresh instead of refused again."""
    d = unit.device
    case_id = uuid.uuid4()
    m = d.mutation("f0_case", case_id, new_case(unit.station_id),
                   hlc=HLC(system_ms() + 10 * 60 * 1000).format())
    [first] = await d.push_ok(m)
    assert (first["status"], first["code"]) == ("rejected", "clock_skew")
    assert await world.scalar("SELECT count(*) FROM sync_mutation") == 0
    [again] = await d.push_ok({**m, "hlc": HLC(system_ms()).format()})
    assert again["status"] == "applied"
    assert await world.scalar("SELECT count(*) FROM f0_case WHERE id = :i", i=case_id) == 1
    assert [r["status"] for r in await d.push_ok({**m, "hlc": HLC(system_ms()).format()})] == [
        "duplicate"]


async def test_msgpack_and_gzip_both_ways(unit: Unit) -> None:
    d = unit.device
    case_id = uuid.uuid4()
    resp = await d.push(d.mutation("f0_case", case_id, new_case(unit.station_id, notes="x" * 2000)),
                        fmt=MSGPACK, compress=True)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == MSGPACK
    assert msgspec.msgpack.decode(resp.content)["results"][0]["status"] == "applied"
    pull = await d.http.post(
        "/sync/v1/pull",
        content=msgspec.msgpack.encode({"protocol": 1, "device_id": str(d.id), "cursor": None}),
        headers={"Authorization": f"Bearer {d.token}", "Content-Type": MSGPACK,
                 "Accept": MSGPACK, "Accept-Encoding": "gzip"},
    )
    assert pull.headers["content-encoding"] == "gzip"  # httpx has already inflated it
    page = msgspec.msgpack.decode(pull.content)
    assert any(c["row_id"] == str(case_id) for c in page["changes"])
    assert len(gzip.compress(pull.content)) < len(pull.content)


async def test_unknown_protocol_version_gets_426_with_supported_versions(unit: Unit) -> None:
    d = unit.device
    resp = await d.post("/sync/v1/push", {"protocol": 2, "device_id": str(d.id),
                                          "mutations": [], "something": "new"})
    assert resp.status_code == 426
    assert resp.json()["supported_versions"] == [1]
    pull = await d.post("/sync/v1/pull", {"protocol": 7, "device_id": str(d.id)})
    assert pull.status_code == 426


async def assert_refused(unit: Unit, world: World, *mutations: dict[str, object],
                         status: int, field: str) -> None:
    """The whole request is refused: nothing of it is applied or logged."""
    good = unit.device.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id))
    resp = await unit.device.push(good, *mutations)
    assert resp.status_code == status, resp.text
    assert resp.json()["field"] == field
    assert await world.scalar("SELECT count(*) FROM f0_case") == 0
    assert await world.scalar("SELECT count(*) FROM sync_mutation") == 0


async def assert_rejected_alone(unit: Unit, world: World, bad: dict[str, object],
                                field: str) -> None:
    """One malformed mutation is refused alone, naming the field; the mutations before and
    after it apply, and what it carried is kept in the conflict log."""
    d = unit.device
    before = d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id))
    after = d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id, full_name="Lê Thị Hoa"))
    cases = await world.scalar("SELECT count(*) FROM f0_case")
    resp = await d.push(before, bad, after)
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["code"] == "invalid_request"
    assert results[1]["field"] == field
    assert await world.scalar("SELECT count(*) FROM f0_case") == cases + 2
    logged = await world.scalar(
        "SELECT lost_value FROM sync_conflict WHERE mutation_id = :id AND code = "
        "'invalid_request'", id=str(bad["id"]))
    # the values it carried (or, when it did not even decode, the whole mutation); a NUL,
    # which PostgreSQL cannot store, is kept as U+FFFD
    sent = msgspec.json.decode(msgspec.json.encode(bad).replace(b"\\u0000", b"\xef\xbf\xbd"))
    assert logged in (sent["fields"], sent) or logged.get("id") == bad["id"]
    again = (await d.push_ok(bad))[0]  # a retry gets the same answer, logged once
    assert (again["status"], again["code"]) == ("rejected", "invalid_request")
    assert await world.scalar("SELECT count(*) FROM sync_conflict WHERE mutation_id = :id",
                              id=str(bad["id"])) == 1


async def test_a_bad_mutation_is_rejected_alone_naming_the_fault(unit: Unit, world: World) -> None:
    d = unit.device
    row = uuid.uuid4()
    await assert_rejected_alone(unit, world,
                                {**d.mutation("f0_case", row, {"phone": "1"}), "hlc": "soon"},
                                "mutations[1].hlc")
    await assert_rejected_alone(unit, world, d.mutation("vaccination", row, {"dose": 1}),
                                "mutations[1].entity")
    await assert_rejected_alone(unit, world, d.mutation("f0_case", row, {"shoe_size": 42}),
                                "mutations[1].fields.shoe_size")
    await assert_rejected_alone(unit, world, d.mutation("f0_case", row, {"year_of_birth": "1980"}),
                                "mutations[1].fields.year_of_birth")
    await assert_rejected_alone(unit, world, d.mutation("f0_case", row, {"risk_group": "low"}),
                                "mutations[1].fields.risk_group")
    await assert_rejected_alone(unit, world, d.mutation("admin_unit", row, {"name": "x"}),
                                "mutations[1].entity")
    await assert_rejected_alone(unit, world, d.mutation("observation", row, op="delete"),
                                "mutations[1].op")
    await assert_rejected_alone(unit, world, d.mutation("observation", row, {"kind": "spo2"}),
                                "mutations[1].fields.case_id")


async def test_a_mutation_that_is_not_even_an_object_is_rejected_alone(
    unit: Unit, world: World
) -> None:
    d = unit.device
    good = d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id))
    body = {"protocol": 1, "device_id": str(d.id), "mutations": [42, good, {"id": "nope"}]}
    resp = await d.post("/sync/v1/push", body)
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied", "rejected"]
    assert results[0]["id"] is None and results[0]["field"] == "mutations[0]"
    assert results[2]["field"].startswith("mutations[2]")


async def test_too_many_mutations_or_bytes_get_413(unit: Unit, world: World) -> None:
    d = unit.device
    many = [d.mutation("f0_case", uuid.uuid4(), {"phone": "1"}) for _ in range(1000)]
    await assert_refused(unit, world, *many, status=413, field="mutations")
    huge = d.mutation("f0_case", uuid.uuid4(), {"notes": "x" * (5 * 1024 * 1024)})
    resp = await d.push(huge)
    assert resp.status_code == 413
    problem = resp.json()  # the protocol's problem body, not the framework's bare 413
    assert (problem["code"], problem["field"]) == ("too_large", "body")
    assert re.fullmatch(HLC_PATTERN, problem["server_hlc"])
    bomb = d.mutation("f0_case", uuid.uuid4(), {"notes": "0" * (6 * 1024 * 1024)})
    resp = await d.push(bomb, compress=True)  # small on the wire, too large inflated
    assert resp.status_code == 413
    assert resp.json()["field"] == "body"


async def test_another_devices_id_in_the_body_is_refused(unit: Unit, world: World) -> None:
    d = unit.device
    body = {"protocol": 1, "device_id": str(uuid.uuid4()),
            "mutations": [d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id))]}
    resp = await d.post("/sync/v1/push", body)
    assert resp.status_code == 400
    assert resp.json()["field"] == "device_id"


async def test_a_nul_character_is_rejected_naming_the_field(unit: Unit, world: World) -> None:
    """PostgreSQL cannot store U+0000: a refusal naming the field, not a 500 the device
    retries for ever."""
    d = unit.device
    case_id = uuid.uuid4()
    symptoms = {"case_id": str(case_id), "kind": "symptoms", "symptoms": ["cough\u0000"],
                "measured_at": datetime.now(UTC).isoformat()}
    await assert_rejected_alone(unit, world, d.mutation("observation", uuid.uuid4(), symptoms),
                                "mutations[1].fields.symptoms[0]")
    await assert_rejected_alone(unit, world, d.mutation("f0_case", case_id, {"notes": "a\u0000b"}),
                                "mutations[1].fields.notes")

async def test_a_value_the_database_refuses_rejects_that_mutation_alone(
    unit: Unit, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safety net behind the codec: a value PostgreSQL refuses while a run of readings is
    inserted in bulk rejects that reading only; the rest of the run and the batch apply."""
    monkeypatch.setattr(codec, "_nul_at", lambda value, path: None)
    d = unit.device
    case_id = uuid.uuid4()
    await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
    symptoms = {"case_id": str(case_id), "kind": "symptoms", "symptoms": ["cough\u0000"],
                "measured_at": datetime.now(UTC).isoformat()}
    results = await d.push_ok(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id)),
                              d.mutation("observation", uuid.uuid4(), reading(case_id)),
                              d.mutation("observation", uuid.uuid4(), symptoms),
                              d.mutation("observation", uuid.uuid4(), reading(case_id, 98)))
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "applied"]
    assert results[2]["code"] == "invalid"
    assert await world.scalar("SELECT count(*) FROM f0_case") == 2
    assert await world.scalar("SELECT count(*) FROM observation") == 2


async def test_a_cursor_past_any_position_is_a_bad_request(unit: Unit) -> None:
    d = unit.device
    page = await d.pull()
    fingerprint = page["cursor"].rsplit(".", 1)[1]
    resp = await d.post("/sync/v1/pull", {
        "protocol": 1, "device_id": str(d.id),
        "cursor": f"1.9999999999999999999.9999999999999999999.{fingerprint}"})
    assert resp.status_code == 400, resp.text
    assert resp.json()["field"] == "cursor"


async def test_every_refused_request_carries_the_server_clock(unit: Unit) -> None:
    d = unit.device
    answers = [
        await d.post("/sync/v1/push", {"protocol": 1, "device_id": str(d.id),
                                       "mutations": "all of them"}),  # 400
        await d.push(token="fod_unknown"),  # 401
        await d.push(*[d.mutation("f0_case", uuid.uuid4(), {"phone": "1"})
                       for _ in range(1001)]),  # 413
        await d.http.post("/sync/v1/push", content=b"<xml/>", headers={
            "Authorization": f"Bearer {d.token}", "Content-Type": "text/xml"}),  # 415
        await d.post("/sync/v1/pull", {"protocol": 2, "device_id": str(d.id)}),  # 426
    ]
    assert [r.status_code for r in answers] == [400, 401, 413, 415, 426]
    hlcs = [r.json()["server_hlc"] for r in answers]
    assert all(re.fullmatch(HLC_PATTERN, h) for h in hlcs)
    assert hlcs == sorted(hlcs)  # the server clock never goes back


async def test_invalid_utf8_inside_one_mutation_rejects_that_mutation_alone(
    unit: Unit, world: World
) -> None:
    d = unit.device
    good = msgspec.json.encode(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id)))
    bad = msgspec.json.encode(d.mutation("f0_case", uuid.uuid4(), {"notes": "NOTES"}))
    bad = bad.replace(b"NOTES", b"\xff\xfe")
    raw = (b'{"protocol":1,"device_id":"' + str(d.id).encode() + b'","mutations":['
           + good + b"," + bad + b"]}")
    resp = await d.http.post("/sync/v1/push", content=raw, headers={
        "Authorization": f"Bearer {d.token}", "Content-Type": "application/json"})
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert (results[1]["code"], results[1]["field"]) == ("invalid_request", "mutations[1]")
