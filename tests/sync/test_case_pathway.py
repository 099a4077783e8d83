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


def overdue_on_device(d: RawDevice, now: datetime) -> dict[uuid.UUID, datetime]:
    """The worklist as sync/PROTOCOL.md tells a client to compute it: case -> next due."""
    last: dict[str, datetime] = {}
    for o in d.of("observation").values():
        if o["kind"] != "symptoms":
            at = datetime.fromisoformat(o["measured_at"])
            last[o["case_id"]] = max(at, last.get(o["case_id"], at))
    due = {}
    for row, f in d.of("case_followup").items():
        if f["under_care"]:
            since = datetime.fromisoformat(f["care_since"])
            due[row] = max(last.get(str(row), since), since) + timedelta(hours=12)
    return {row: at for row, at in due.items() if now >= at}


async def test_the_follow_up_comes_down_and_the_device_computes_the_worklist(
    unit: Unit, http: httpx.AsyncClient
) -> None:
    d = unit.device
    row = uuid.uuid4()
    registered = datetime.now(UTC) - timedelta(hours=15)
    await d.push_ok(d.mutation("f0_case", row, new_case(
        unit.station_id, test_date=registered.date().isoformat(),
        registered_at=registered.isoformat())))
    await d.sync_down()
    f = d.of("case_followup")[row]
    assert f["case_id"] == str(row) and f["under_care"] is True
    assert abs(datetime.fromisoformat(f["care_since"]) - registered) < timedelta(milliseconds=1)
    now = datetime.now(UTC)
    on_device = overdue_on_device(d, now)
    online = await http.get("/api/follow-up", params={"as_of": now.isoformat()},
                            headers=unit.staff.headers)
    assert online.status_code == 200, online.text
    listed = {c["case_id"]: c for c in online.json()["overdue"]["items"]}
    assert row in on_device and str(row) in listed
    assert datetime.fromisoformat(listed[str(row)]["next_due_at"]) == on_device[row]
    # a reading an hour ago takes the patient off both lists until 11 hours from now
    measured = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    await d.push_ok(d.mutation("observation", uuid.uuid4(), {
        "case_id": str(row), "kind": "spo2", "value": 98, "measured_at": measured.isoformat()}))
    await d.sync_down()
    later = measured + timedelta(hours=12)
    assert row not in overdue_on_device(d, later - timedelta(seconds=1))
    assert overdue_on_device(d, later)[row] == later
    online = await http.get("/api/follow-up", params={"as_of": later.isoformat()},
                            headers=unit.staff.headers)
    assert str(row) in {c["case_id"] for c in online.json()["overdue"]["items"]}
    # admitted: off the list on the device too
    for status in ("transfer_requested", "hospitalized"):
        (moved,) = await d.push_ok(d.mutation("f0_case", row, {"status": status}))
        assert moved["status"] == "applied", moved
    await d.sync_down()
    assert d.of("case_followup")[row]["under_care"] is False
    assert row not in overdue_on_device(d, later)
    schema = (await d.http.get("/sync/v1/schema")).json()
    spec = next(e for e in schema["entities"] if e["name"] == "case_followup")
    assert spec["rules"]["reading_interval_s"] == 12 * 3600
    assert spec["push"] is False
    (refused,) = await d.push_ok(d.mutation("case_followup", row, {"under_care": True}))
    assert refused["status"] == "rejected"
