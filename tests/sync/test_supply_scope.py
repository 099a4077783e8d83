"""What supply rows a device receives: nothing that names or points at another ward's patient
(the security issue: a ward's bootstrap carried the F0 households of its sibling wards)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from domain.services.catalog import item_id
from tests.sync.conftest import NEIGHBOUR, Unit, World, make_unit, new_case
from tests.sync.test_supplies import station_location

METER = item_id("spo2_meter")


async def lend_a_meter(unit: Unit, world: World, serial: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A meter received at the station and lent to a new F0 case: (case id, household id)."""
    d = unit.device
    location = await station_location(world, unit)
    case_id = uuid.uuid4()
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    results = await d.push_ok(
        d.mutation("stock_movement", uuid.uuid4(), {
            "location_id": str(location), "item_id": str(METER), "kind": "receipt",
            "quantity": 1, "occurred_at": at, "serial_no": serial}),
        d.mutation("f0_case", case_id, new_case(unit.station_id)))
    assert [r["status"] for r in results] == ["applied", "applied"], results
    due = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    resp = await d.http.post("/api/loans", headers=unit.staff.headers,
                             json={"serial_no": serial, "case_id": str(case_id), "due_on": due})
    assert resp.status_code == 201, resp.text
    return case_id, uuid.UUID(resp.json()["household_location_id"])


async def test_a_device_receives_only_its_own_wards_households(
    unit: Unit, world: World
) -> None:
    ward_b = await make_unit(world, unit.device.http, NEIGHBOUR)
    b_case, b_home = await lend_a_meter(ward_b, world, "OXI-B-1")
    a_case, a_home = await lend_a_meter(unit, world, "OXI-A-1")
    d = unit.device
    await d.sync_down()
    locations = d.of("stock_location")
    assert a_home in locations and locations[a_home]["case_id"] == str(a_case)
    assert b_home not in locations
    kinds = {f["kind"] for f in locations.values()}
    assert {"station", "household"} <= kinds
    # The sibling ward's station location still arrives (stations are the district's).
    assert any(f["kind"] == "station" and f["unit_code"] == NEIGHBOUR for f in locations.values())
    # Nothing received names or points at B's patient or household.
    received = repr(d.rows)
    assert str(b_case) not in received and str(b_home) not in received
    b_code = await world.scalar("SELECT case_code FROM f0_case WHERE id = :c", c=b_case)
    assert b_code not in received
    moves = d.of("stock_movement")
    assert any(m["location_id"] == str(a_home) for m in moves.values())
    assert not any(m["location_id"] == str(b_home) for m in moves.values())
    # Ward B's device gets its own household, and not A's.
    await ward_b.device.sync_down()
    assert b_home in ward_b.device.of("stock_location")
    assert a_home not in ward_b.device.of("stock_location")
