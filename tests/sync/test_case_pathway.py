"""Offline, the same rules: duplicates pushed from two tablets are kept and flagged, status
moves carry their effective time, and the follow-up worklist comes down to the tablet."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.sync.conftest import RawDevice, Unit, World, new_case

PERSON = {"full_name": "Trần Thị Bích", "year_of_birth": 1958, "sex": "female",
          "phone": "0903123456", "national_id": "079158000999"}


async def second_device(world: World, http: httpx.AsyncClient, unit: Unit) -> RawDevice:
    device_id, token = await world.device(unit.station_id, unit.officer)
    return RawDevice(http, device_id, token, unit.staff.id)


async def test_a_duplicate_pushed_from_two_tablets_is_kept_and_flagged(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    other = await second_device(world, http, unit)
    first, second = uuid.uuid4(), uuid.uuid4()
    (a,) = await unit.device.push_ok(unit.device.mutation(
        "f0_case", first, new_case(unit.station_id, **PERSON)))
    # the other tablet enrolled the same person offline, with the name typed decomposed
    (b,) = await other.push_ok(other.mutation("f0_case", second, new_case(
        unit.station_id, **{**PERSON, "full_name": unicodedata.normalize("NFD", "Trần  Thị Bích"),
                            "national_id": None})))
    assert a["status"] == b["status"] == "applied", (a, b)
    await other.sync_down()
    cases = other.of("f0_case")
    assert cases[first]["possible_duplicate_of"] is None
    assert cases[second]["possible_duplicate_of"] == str(first)
    assert cases[second]["full_name"] == "Trần Thị Bích"  # stored in NFC
    # the ward finds it in its review list, the commune officer too, and settles it
    for member in (unit.staff, unit.officer):
        review = await http.get("/api/cases", params={"possible_duplicate": "true"},
                                headers=member.headers)
        assert [c["id"] for c in review.json()["items"]] == [str(second)]
    audit = await http.get("/api/audit", params={"entity": "f0_case", "id": str(second)},
                           headers=unit.officer.headers)
    assert audit.status_code == 200, audit.text
    assert any((e.get("after") or {}).get("possible_duplicate_of") == str(first)
               for e in audit.json()["items"]), audit.json()
    log = await http.get("/api/sync/conflicts", params={"row_id": str(second)},
                         headers=unit.officer.headers)
    assert log.status_code == 200, log.text
    (entry,) = log.json()["items"]
    assert (entry["policy"], entry["code"]) == ("duplicate", "possible_duplicate")
    assert entry["kept_value"] == str(first)
    settled = await http.post(f"/api/cases/{second}/duplicate-review",
                              json={"same_person": True}, headers=unit.officer.headers)
    assert settled.status_code == 200 and settled.json()["id"] == str(first)
    await other.sync_down()
    assert second not in other.of("f0_case") and first in other.of("f0_case")


async def test_another_person_clears_the_flag(unit: Unit, http: httpx.AsyncClient) -> None:
    d = unit.device
    first, second = uuid.uuid4(), uuid.uuid4()
    await d.push_ok(d.mutation("f0_case", first, new_case(unit.station_id, **PERSON)),
                    d.mutation("f0_case", second, new_case(unit.station_id, **PERSON)))
    case = (await http.get(f"/api/cases/{second}", headers=unit.staff.headers)).json()
    assert case["possible_duplicate_of"] == str(first)
    r = await http.post(f"/api/cases/{second}/duplicate-review", json={"same_person": False},
                        headers=unit.staff.headers)
    assert r.status_code == 200 and r.json()["possible_duplicate_of"] is None
    again = await http.post(f"/api/cases/{second}/duplicate-review",
                            json={"same_person": False}, headers=unit.staff.headers)
    assert again.status_code == 409


async def test_a_pushed_move_carries_its_effective_time(unit: Unit, http: httpx.AsyncClient) -> None:
    d = unit.device
    row = uuid.uuid4()
    registered = datetime.now(UTC) - timedelta(hours=6)
    await d.push_ok(d.mutation("f0_case", row, new_case(
        unit.station_id, test_date=registered.date().isoformat(),
        registered_at=registered.isoformat())))
    at = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    (moved,) = await d.push_ok(d.mutation("f0_case", row, {
        "status": "transfer_requested", "status_effective_at": at.isoformat()}))
    assert moved["status"] == "applied", moved
    await d.sync_down()
    events = [e for e in d.of("case_status_event").values() if e["case_id"] == str(row)]
    moved_event = next(e for e in events if e["to_status"] == "transfer_requested")
    assert datetime.fromisoformat(moved_event["effective_at"]) == at
    enrolled = next(e for e in events if e["to_status"] == "home_monitoring")
    assert abs(datetime.fromisoformat(enrolled["effective_at"]) - registered) < timedelta(
        milliseconds=1)
    assert datetime.fromisoformat(d.of("f0_case")[row]["status_changed_at"]) == at
    # before the registration: refused, naming the field; ahead of the clock: clock_skew
    (early,) = await d.push_ok(d.mutation("f0_case", row, {
        "status": "hospitalized",
        "status_effective_at": (registered - timedelta(hours=1)).isoformat()}))
    assert early["status"] == "rejected" and early["code"] == "invalid", early
    assert early["field"].endswith("status_effective_at")
    (ahead,) = await d.push_ok(d.mutation("f0_case", row, {
        "status": "hospitalized",
        "status_effective_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}))
    assert ahead["status"] == "rejected" and ahead["code"] == "clock_skew", ahead
    # the station records a death at home offline
    (death,) = await d.push_ok(d.mutation("f0_case", row, {
        "status": "deceased", "status_effective_at": datetime.now(UTC).isoformat()}))
    assert death["status"] == "applied", death


async def test_the_follow_up_comes_down_and_tells_when_a_patient_is_due(unit: Unit) -> None:
    d = unit.device
    row = uuid.uuid4()
    registered = datetime.now(UTC) - timedelta(hours=15)
    await d.push_ok(d.mutation("f0_case", row, new_case(
        unit.station_id, test_date=registered.date().isoformat(),
        registered_at=registered.isoformat())))
    await d.sync_down()
    f = d.of("case_followup")[row]
    assert f["case_id"] == str(row) and f["under_care"] is True
    assert f["last_reading_at"] is None
    due = datetime.fromisoformat(f["next_due_at"])
    assert abs(due - (registered + timedelta(hours=12))) < timedelta(milliseconds=1)
    assert due <= datetime.now(UTC), "overdue: no reading in the 12 hours since registration"
    measured = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    await d.push_ok(d.mutation("observation", uuid.uuid4(), {
        "case_id": str(row), "kind": "spo2", "value": 98, "measured_at": measured.isoformat()}))
    await d.sync_down()
    f = d.of("case_followup")[row]
    assert datetime.fromisoformat(f["last_reading_at"]) == measured
    assert datetime.fromisoformat(f["next_due_at"]) == measured + timedelta(hours=12)
    assert f["readings_on_day"] == 1
    schema = (await d.http.get("/sync/v1/schema")).json()
    spec = next(e for e in schema["entities"] if e["name"] == "case_followup")
    assert spec["rules"]["reading_interval_s"] == 12 * 3600
    assert spec["push"] is False
    (refused,) = await d.push_ok(d.mutation("case_followup", row, {"next_due_at": None}))
    assert refused["status"] == "rejected"
