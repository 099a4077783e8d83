"""One write contract: the same value sent online and pushed by a tablet gets the same verdict,
naming the same field, and the schema endpoint publishes the constraint behind it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.sync.conftest import Unit, new_case

# (entity, field, value, valid)
CASES: list[tuple[str, str, Any, bool]] = [
    ("f0_case", "phone", "0903123456", True),
    ("f0_case", "phone", "0901", False),  # sync stored it while the API refused it
    ("f0_case", "national_id", "079156001234", True),
    ("f0_case", "national_id", "12345", False),
    ("f0_case", "full_name", "", False),
    ("f0_case", "year_of_birth", 1800, False),
    ("f0_case", "vaccine_doses", 11, False),
    ("f0_case", "notes", "x" * 2001, False),
    ("f0_case", "notes", "gọi lại chiều nay", True),
    ("f0_case", "comorbidities", ["diabetes"], True),
    ("f0_case", "comorbidities", ["Diabetes!"], False),
    ("f0_case", "comorbidities", [f"c{i:02d}" for i in range(21)], False),
    ("f0_case", "address", "", False),
    ("station", "phone", "12", False),
    ("station", "phone", "028 3829 1234", True),
    ("station", "capacity", 0, False),
    ("station", "capacity", 80, True),
    ("station", "doctors", 501, False),  # sync allowed up to 10,000
    ("station", "opening_hours", "", False),
    ("station", "name", "Trạm y tế lưu động số 3", True),
]


@pytest.mark.parametrize(("entity", "name", "value", "valid"), CASES,
                         ids=[f"{e}.{n}={'ok' if v else 'bad'}" for e, n, _, v in CASES])
async def test_online_and_offline_writes_get_the_same_verdict(
    unit: Unit, entity: str, name: str, value: Any, valid: bool
) -> None:
    d = unit.device
    if entity == "f0_case":
        row = uuid.uuid4()
        await d.push_ok(d.mutation("f0_case", row, new_case(unit.station_id)))
        path = f"/api/cases/{row}"
    else:
        row = unit.station_id
        path = f"/api/stations/{row}"
    # The tablet first, having heard the server's clock as a client does on every exchange:
    # an earlier test may leave that clock ahead of the wall clock, and the row's stamps
    # (or an online edit's) would then beat an HLC read off the wall clock alone.
    d.clock.observe((await d.pull())["server_hlc"])
    (offline,) = await d.push_ok(d.mutation(entity, row, {name: value}))
    online = await d.http.patch(path, json={name: value}, headers=unit.staff.headers)
    if valid:
        assert online.status_code == 200, online.text
        assert offline["status"] == "applied", offline
    else:
        assert online.status_code == 400, online.text
        assert offline["status"] == "rejected", offline
        assert offline["code"] == "invalid_request"
        at = online.json()["field"]  # e.g. "phone", or "comorbidities[0]" for an element
        assert at.split("[", 1)[0] == name
        assert offline["field"] == f"mutations[0].fields.{at}"


async def test_the_schema_publishes_every_constraint_a_push_must_meet(unit: Unit) -> None:
    schema = (await unit.device.http.get("/sync/v1/schema")).json()
    entities = {e["name"]: e for e in schema["entities"]}
    fields = {f["name"]: f for f in entities["f0_case"]["fields"]}
    assert fields["phone"]["constraints"]["pattern"].startswith("^")
    assert fields["national_id"]["constraints"]["pattern"] == r"^([0-9]{9}|[0-9]{12})$"
    assert fields["comorbidities"]["constraints"]["max_length"] == 20
    assert "pattern" in fields["comorbidities"]["constraints"]["items"]
    assert fields["year_of_birth"]["minimum"] == 1900
    station = {f["name"]: f for f in entities["station"]["fields"]}
    assert station["doctors"]["maximum"] == 500
    ranges = entities["observation"]["rules"]["value_ranges"]
    assert (ranges["spo2"]["minimum"], ranges["spo2"]["maximum"]) == (50, 100)


@pytest.mark.parametrize(("name", "value"), [("quantity", 2_000_000), ("reason", ""),
                                             ("serial_no", "x" * 65)])
async def test_a_stock_movement_is_refused_alike_online_and_offline(
    unit: Unit, world: Any, name: str, value: Any
) -> None:
    from tests.sync.test_supplies import movement, station_location

    d = unit.device
    location = await station_location(world, unit)
    fields = {**movement(location, "receipt", 10), name: value}
    online = await d.http.post("/api/stock-movements", headers=unit.staff.headers,
                               json={"id": str(uuid.uuid4()), **fields})
    (offline,) = await d.push_ok(d.mutation("stock_movement", uuid.uuid4(), fields))
    assert online.status_code == 400, online.text
    assert online.json()["field"] == name
    assert (offline["status"], offline["code"]) == ("rejected", "invalid_request")
    assert offline["field"] == f"mutations[0].fields.{name}"


# -- readings: one set of rules (domain.rules.readings) behind both edges ----------------------

SPO2 = {"kind": "spo2", "value": 97.0}
# (name, the reading, what happens first on the same edge, verdict, field at fault)
READINGS: list[tuple[str, dict[str, Any], str | None, str, str | None]] = [
    ("valid", SPO2, None, "ok", None),
    ("valid blood pressure", {"kind": "blood_pressure", "value": 120, "value2": 80}, None,
     "ok", None),
    ("out of range", {"kind": "spo2", "value": 9.5}, None, "invalid", "value"),
    ("diastolic too high", {"kind": "blood_pressure", "value": 290, "value2": 250}, None,
     "invalid", "value2"),  # the push stored it while the API refused it
    ("wrong LOINC", {**SPO2, "loinc": "8867-4"}, None, "invalid", "loinc"),
    ("symptoms with a value", {"kind": "symptoms", "symptoms": ["cough"], "value": 37.5},
     None, "invalid", "value"),
    ("replay, same content", SPO2, "record", "ok", None),
    ("replay, other content", SPO2, "record other", "immutable", "id"),  # the API took it
    ("after the case closed", SPO2, "close", "conflict", "case_id"),
    ("of a deleted case", SPO2, "delete", "deleted", "case_id"),  # the API said not_found
]


def _online_verdict(resp: Any) -> tuple[str, str | None]:
    if resp.status_code == 201:
        return "ok", None
    body = resp.json()
    verdict = "invalid" if resp.status_code in (400, 422) else body["code"]
    return verdict, body.get("field")


def _offline_verdict(result: dict[str, Any]) -> tuple[str, str | None]:
    if result["status"] in ("applied", "duplicate"):
        return "ok", None
    code = result["code"]
    verdict = "invalid" if code in ("invalid", "invalid_request") else code
    field = result.get("field")
    if field == "mutations[0].row_id":
        return verdict, "id"
    return verdict, field.removeprefix("mutations[0].fields.") if field else None


@pytest.mark.parametrize(("name", "reading", "before", "verdict", "at_fault"), READINGS,
                         ids=[r[0] for r in READINGS])
async def test_a_reading_gets_the_same_verdict_online_and_pushed(
    unit: Unit, name: str, reading: dict[str, Any], before: str | None, verdict: str,
    at_fault: str | None,
) -> None:
    d = unit.device
    verdicts = []
    for edge in ("online", "offline"):
        case_id, reading_id = uuid.uuid4(), uuid.uuid4()
        await d.push_ok(d.mutation("f0_case", case_id, new_case(unit.station_id)))
        if before == "close":
            closed = await d.http.post(f"/api/cases/{case_id}/status",
                                       json={"status": "recovered"}, headers=unit.doctor.headers)
            assert closed.status_code == 200, closed.text
        if before == "delete":
            (gone,) = await d.push_ok(d.mutation("f0_case", case_id, op="delete"))
            assert gone["status"] == "applied", gone
        at = datetime.now(UTC).isoformat()
        fields = {**reading, "measured_at": at}

        async def send(values: dict[str, Any], edge: str = edge, case_id: uuid.UUID = case_id,
                       reading_id: uuid.UUID = reading_id) -> tuple[str, str | None]:
            if edge == "online":
                resp = await d.http.post(f"/api/cases/{case_id}/observations",
                                         json={**values, "id": str(reading_id)},
                                         headers=unit.staff.headers)
                return _online_verdict(resp)
            (result,) = await d.push_ok(d.mutation(
                "observation", reading_id, {**values, "case_id": str(case_id),
                                            "measured_by": str(unit.staff.id)}))
            return _offline_verdict(result)

        if before in ("record", "record other"):
            assert await send(fields) == ("ok", None)
            if before == "record other":
                fields = {**fields, "value": 96.0}
        verdicts.append((edge, *await send(fields)))
    assert verdicts == [("online", verdict, at_fault), ("offline", verdict, at_fault)]
