"""One write contract: the same value sent online and pushed by a tablet gets the same verdict,
naming the same field, and the schema endpoint publishes the constraint behind it."""

from __future__ import annotations

import uuid
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
    online = await d.http.patch(path, json={name: value}, headers=unit.staff.headers)
    (offline,) = await d.push_ok(d.mutation(entity, row, {name: value}))
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
