"""Supplies over sync: the stock ledger is append-only, requisitions move as a state machine."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.services.catalog import ensure_standard_catalog, item_id
from domain.services.locations import LocationService
from domain.services.users import UserService
from tests.integration.supplies.key_stock import assert_key_stock_kept
from tests.sync.conftest import NEIGHBOUR, Unit, World, make_unit


@pytest.fixture(autouse=True)
async def key_stock_kept(world: World) -> AsyncIterator[None]:
    """After each push here, the map's key stock kept by triggers equals the ledger's."""
    yield
    async with world.engine.connect() as conn:
        await assert_key_stock_kept(conn)


PPE = item_id("ppe_set")


async def station_location(world: World, unit: Unit) -> uuid.UUID:
    async with world.maker() as session:
        await ensure_standard_catalog(session)
        officer = await UserService(session).principal(unit.officer.id)
        assert officer is not None
        location = await LocationService(session, officer).create_for_station(unit.station_id)
        await session.commit()
        return location.id


AT = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


def movement(location: uuid.UUID, kind: str, quantity: int, at: str = AT) -> dict[str, object]:
    return {"location_id": str(location), "item_id": str(PPE), "kind": kind,
            "quantity": quantity, "occurred_at": at}


async def test_stock_movements_are_recorded_once_and_stock_is_derived(
    unit: Unit, world: World
) -> None:
    d = unit.device
    location = await station_location(world, unit)
    receipt_id = uuid.uuid4()
    receipt = d.mutation("stock_movement", receipt_id, movement(location, "receipt", 50))
    issue = d.mutation("stock_movement", uuid.uuid4(), movement(location, "issue", 60))
    results = await d.push_ok(receipt, issue)
    assert [r["status"] for r in results] == ["applied", "applied"]
    # The issue took stock below zero: it happened, so it is kept and a discrepancy opens.
    assert await world.scalar("SELECT qty FROM stock_balance WHERE location_id = :l",
                              l=location) == -10
    assert await world.scalar("SELECT count(*) FROM stock_discrepancy") == 1
    resent = d.mutation("stock_movement", receipt_id, movement(location, "receipt", 50))
    changed = d.mutation("stock_movement", receipt_id, movement(location, "receipt", 70))
    results = await d.push_ok(resent, changed)
    assert [(r["status"], r.get("code")) for r in results] == [
        ("duplicate", None), ("rejected", "immutable")]
    assert await world.scalar("SELECT qty FROM stock_balance WHERE location_id = :l",
                              l=location) == -10
    await d.sync_down()
    assert {m["delta"] for m in d.of("stock_movement").values()} == {50, -60}
    assert PPE in d.of("catalog_item")
    assert location in d.of("stock_location")


async def test_stock_of_another_unit_is_forbidden(unit: Unit, world: World) -> None:
    other = await make_unit(world, unit.device.http, NEIGHBOUR)
    theirs = await station_location(world, other)
    [result] = await unit.device.push_ok(
        unit.device.mutation("stock_movement", uuid.uuid4(), movement(theirs, "receipt", 5)))
    assert (result["status"], result["code"]) == ("rejected", "forbidden")


async def test_a_requisition_is_submitted_offline_then_moved_as_the_rules_allow(
    unit: Unit, world: World
) -> None:
    d = unit.device
    location = await station_location(world, unit)
    req_id = uuid.uuid4()
    submit = d.mutation("requisition", req_id, {
        "location_id": str(location), "justification": "120 F0 at home, PPE running out",
        "f0_under_care": 120, "days_of_cover": 7,
        "lines": [{"item_id": str(PPE), "quantity": 100}]})
    [submitted] = await d.push_ok(submit)
    assert submitted["status"] == "applied"
    [early] = await d.push_ok(d.mutation("requisition", req_id, {"status": "received"}))
    assert (early["status"], early["code"]) == ("rejected", "transition_not_allowed")
    assert early["current"]["status"] == "submitted"
    [cancel] = await d.push_ok(d.mutation("requisition", req_id, {
        "status": "cancelled", "transition": {"note": "the district sent some already"}}))
    assert cancel["status"] == "applied"
    await d.sync_down()
    assert d.of("requisition")[req_id]["status"] == "cancelled"
    assert [line["requested_qty"] for line in d.of("requisition_line").values()] == [100]
    events = sorted(d.of("requisition_event").values(), key=lambda e: e["at"])
    assert [e["to_status"] for e in events] == ["submitted", "cancelled"]
    assert events[1]["note"] == "the district sent some already"
