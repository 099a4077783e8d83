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
    m = d.mutation("f0_case", uuid.uuid4(), {"phone": "0901"})  # an unknown case: a create
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
    good = unit.device.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id))
    resp = await unit.device.push(good, *mutations)
    assert resp.status_code == status, resp.text
    assert resp.json()["field"] == field
    assert await world.scalar("SELECT count(*) FROM f0_case") == 0
    assert await world.scalar("SELECT count(*) FROM sync_mutation") == 0


async def test_bad_payloads_are_refused_whole_naming_the_fault(unit: Unit, world: World) -> None:
    d = unit.device
    row = uuid.uuid4()
    await assert_refused(unit, world, {**d.mutation("f0_case", row, {"phone": "1"}), "hlc": "soon"},
                         status=400, field="mutations[1].hlc")
    await assert_refused(unit, world, d.mutation("vaccination", row, {"dose": 1}),
                         status=400, field="mutations[1].entity")
    await assert_refused(unit, world, d.mutation("f0_case", row, {"shoe_size": 42}),
                         status=400, field="mutations[1].fields.shoe_size")
    await assert_refused(unit, world, d.mutation("f0_case", row, {"year_of_birth": "1980"}),
                         status=400, field="mutations[1].fields.year_of_birth")
    await assert_refused(unit, world, d.mutation("f0_case", row, {"risk_group": "low"}),
                         status=400, field="mutations[1].fields.risk_group")
    await assert_refused(unit, world, d.mutation("admin_unit", row, {"name": "x"}),
                         status=400, field="mutations[1].entity")
    await assert_refused(unit, world, d.mutation("observation", row, op="delete"),
                         status=400, field="mutations[1].op")
    await assert_refused(unit, world, d.mutation("observation", row, {"kind": "spo2"}),
                         status=400, field="mutations[1].fields.case_id")


async def test_too_many_mutations_or_bytes_get_413(unit: Unit, world: World) -> None:
    d = unit.device
    many = [d.mutation("f0_case", uuid.uuid4(), {"phone": "1"}) for _ in range(1000)]
    await assert_refused(unit, world, *many, status=413, field="mutations")
    huge = d.mutation("f0_case", uuid.uuid4(), {"notes": "x" * (5 * 1024 * 1024)})
    resp = await d.push(huge)
    assert resp.status_code == 413
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


async def test_a_nul_character_is_refused_whole_naming_the_field(
    unit: Unit, world: World
) -> None:
    """PostgreSQL cannot store U+0000: a 400 naming the field, not a 500 the device retries."""
    d = unit.device
    case_id = uuid.uuid4()
    symptoms = {"case_id": str(case_id), "kind": "symptoms", "symptoms": ["cough\u0000"],
                "measured_at": datetime.now(UTC).isoformat()}
    await assert_refused(unit, world, d.mutation("observation", uuid.uuid4(), symptoms),
                         status=400, field="mutations[1].fields.symptoms[0]")
    await assert_refused(unit, world, d.mutation("f0_case", case_id, {"notes": "a\u0000b"}),
                         status=400, field="mutations[1].fields.notes")


async def test_a_value_the_database_refuses_fails_the_batch_with_400(
    unit: Unit, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safety net behind the codec: a data error while applying is the batch's fault."""
    monkeypatch.setattr(codec, "_nul_at", lambda value, path: None)
    d = unit.device
    case_id = uuid.uuid4()
    await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
    symptoms = {"case_id": str(case_id), "kind": "symptoms", "symptoms": ["cough\u0000"],
                "measured_at": datetime.now(UTC).isoformat()}
    resp = await d.push(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id)),
                        d.mutation("observation", uuid.uuid4(), symptoms))
    assert resp.status_code == 400, resp.text
    assert (resp.json()["code"], resp.json()["field"]) == ("invalid_request", "mutations")
    assert await world.scalar("SELECT count(*) FROM f0_case") == 1
    assert await world.scalar("SELECT count(*) FROM observation") == 0


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
        await d.push(d.mutation("f0_case", uuid.uuid4(), {"shoe_size": 42})),  # 400
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
