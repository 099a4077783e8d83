"""Dispensing offline: one pushed mutation gives the bag and takes it from the station's
stock; short stock is kept with a discrepancy, an expired lot is refused and logged."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.models.enums import Role
from domain.repositories.catalog import CatalogRepository
from domain.services.catalog import item_id, lot_id
from tests.integration.supplies.key_stock import assert_key_stock_kept
from tests.sync.conftest import Unit, World, new_case
from tests.sync.test_supplies import station_location


@pytest.fixture(autouse=True)
async def key_stock_kept(world: World) -> AsyncIterator[None]:
    """After each push here, the map's key stock kept by triggers equals the ledger's."""
    yield
    async with world.engine.connect() as conn:
        await assert_key_stock_kept(conn)


BAG_A = item_id("bag_a")
AT = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


async def lot(world: World, lot_no: str, days: int) -> uuid.UUID:
    async with world.maker() as session:
        row = await CatalogRepository(session).add_lot(
            lot_id=lot_id(BAG_A, lot_no), item_id=BAG_A, lot_no=lot_no,
            expires_on=datetime.now(UTC).date() + timedelta(days=days))
        await session.commit()
        return row.id


async def a_case(unit: Unit) -> uuid.UUID:
    case_id = uuid.uuid4()
    [r] = await unit.device.push_ok(
        unit.device.mutation("f0_case", case_id, new_case(unit.station_id)))
    assert r["status"] == "applied", r
    return case_id


async def balance(world: World, location: uuid.UUID, lot_: uuid.UUID) -> int:
    return int(await world.scalar(
        "SELECT coalesce(sum(qty), 0) FROM stock_balance WHERE location_id = :l AND lot_id = :t",
        l=location, t=lot_))


async def test_one_mutation_gives_the_bag_and_issues_the_stock(unit: Unit, world: World) -> None:
    d = unit.device
    location = await station_location(world, unit)
    soon, later = await lot(world, "A-SOON", 10), await lot(world, "A-LATER", 90)
    case_id = await a_case(unit)
    receipts = [d.mutation("stock_movement", uuid.uuid4(), {
        "location_id": str(location), "item_id": str(BAG_A), "lot_id": str(t), "kind": "receipt",
        "quantity": 3, "occurred_at": AT}) for t in (later, soon)]
    given_id = uuid.uuid4()
    give = d.mutation("dispensing", given_id, {"case_id": str(case_id), "kind": "bag_a",
                                                "given_at": AT})
    results = await d.push_ok(*receipts, give)
    assert [r["status"] for r in results] == ["applied"] * 3, results
    assert (await balance(world, location, soon), await balance(world, location, later)) == (2, 3)
    assert await world.scalar("SELECT bag_a_given_at IS NOT NULL FROM f0_case WHERE id = :c",
                              c=case_id)
    [again] = await d.push_ok({**give, "id": str(uuid.uuid4())})
    assert again["status"] == "duplicate"
    await d.sync_down()
    pulled = d.of("dispensing")[given_id]
    assert (pulled["lot_id"], pulled["location_id"]) == (str(soon), str(location))
    assert await balance(world, location, soon) == 2


async def test_below_zero_offline_is_kept_and_opens_a_discrepancy(
    unit: Unit, world: World
) -> None:
    d = unit.device
    location = await station_location(world, unit)
    valid = await lot(world, "A-VALID", 30)
    case_id, other = await a_case(unit), await a_case(unit)
    receipt = d.mutation("stock_movement", uuid.uuid4(), {
        "location_id": str(location), "item_id": str(BAG_A), "lot_id": str(valid),
        "kind": "receipt", "quantity": 1, "occurred_at": AT})
    first = d.mutation("dispensing", uuid.uuid4(), {"case_id": str(case_id), "kind": "bag_a",
                                                     "given_at": AT})
    # the case record's bag field is the same action
    second = d.mutation("f0_case", other, {"bag_a_given_at": AT})
    results = await d.push_ok(receipt, first, second)
    assert [r["status"] for r in results] == ["applied"] * 3, results
    assert await balance(world, location, valid) == -1
    assert await world.scalar(
        "SELECT count(*) FROM stock_discrepancy WHERE location_id = :l AND status = 'open'",
        l=location) == 1
    assert await world.scalar("SELECT count(*) FROM dispensing WHERE offline") == 2


async def test_a_bag_given_offline_at_a_station_that_never_had_one_is_kept(
    unit: Unit, world: World
) -> None:
    d = unit.device
    location = await station_location(world, unit)
    await lot(world, "A-GONE", -5)
    first_valid = await lot(world, "A-NEXT", 20)
    await lot(world, "A-LAST", 200)
    case_id = await a_case(unit)
    [r] = await d.push_ok(d.mutation("dispensing", uuid.uuid4(), {
        "case_id": str(case_id), "kind": "bag_a", "given_at": AT}))
    assert r["status"] == "applied", r
    assert await balance(world, location, first_valid) == -1
    assert await world.scalar(
        "SELECT balance_after FROM stock_discrepancy WHERE location_id = :l", l=location) == -1


async def test_an_expired_lot_is_refused_per_mutation_and_kept_in_the_conflict_log(
    unit: Unit, world: World
) -> None:
    d = unit.device
    location = await station_location(world, unit)
    expired = await lot(world, "A-2107", -1)
    case_id = await a_case(unit)
    receipt = d.mutation("stock_movement", uuid.uuid4(), {
        "location_id": str(location), "item_id": str(BAG_A), "lot_id": str(expired),
        "kind": "receipt", "quantity": 5, "occurred_at": AT})
    give = d.mutation("dispensing", uuid.uuid4(), {
        "case_id": str(case_id), "kind": "bag_a", "given_at": AT, "lot_id": str(expired)})
    issue = d.mutation("stock_movement", uuid.uuid4(), {
        "location_id": str(location), "item_id": str(BAG_A), "lot_id": str(expired),
        "kind": "issue", "quantity": 1, "occurred_at": AT})
    results = await d.push_ok(receipt, give, issue)
    assert [(r["status"], r.get("code")) for r in results] == [
        ("applied", None), ("rejected", "lot_expired"), ("rejected", "lot_expired")]
    assert "A-2107" in results[1]["message"]
    assert await balance(world, location, expired) == 5
    assert await world.scalar("SELECT bag_a_given_at FROM f0_case WHERE id = :c",
                              c=case_id) is None
    for m in (give, issue):
        logged = await world.scalar(
            "SELECT lost_value FROM sync_conflict WHERE mutation_id = :id AND code = "
            "'lot_expired'", id=m["id"])
        assert logged["lot_id"] == str(expired)


async def test_lending_a_meter_offline_is_one_dispensing(unit: Unit, world: World) -> None:
    d = unit.device
    location = await station_location(world, unit)
    case_id = await a_case(unit)
    meter = item_id("spo2_meter")
    receipt = d.mutation("stock_movement", uuid.uuid4(), {
        "location_id": str(location), "item_id": str(meter), "kind": "receipt", "quantity": 1,
        "occurred_at": AT, "serial_no": "OXI-OFF-1"})
    due = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    lend_id = uuid.uuid4()
    lend = d.mutation("dispensing", lend_id, {
        "case_id": str(case_id), "kind": "loan", "given_at": AT, "serial_no": "OXI-OFF-1",
        "due_on": due})
    results = await d.push_ok(receipt, lend)
    assert [r["status"] for r in results] == ["applied", "applied"], results
    assert await world.scalar("SELECT status::text FROM equipment_loan WHERE id = :i",
                              i=lend_id) == "open"
    assert await world.scalar(
        "SELECT coalesce(sum(qty), 0) FROM stock_balance WHERE location_id = :l AND item_id = :i",
        l=location, i=meter) == 0
    assert await world.scalar("SELECT status::text FROM equipment_unit WHERE serial_no = "
                              "'OXI-OFF-1'") == "on_loan"


async def test_a_receipt_pushed_offline_books_the_loss_at_the_sender(
    unit: Unit, world: World
) -> None:
    """The proof of delivery a tablet pushes obeys the online rules: a short delivery is a
    loss in transit written off at the warehouse, which opens a discrepancy there."""
    d = unit.device
    location = await station_location(world, unit)
    logistics = await world.user(Role.district_logistics, "760")
    http = d.http
    wh = await http.post("/api/locations", headers=logistics.headers,
                         json={"kind": "district_warehouse", "unit_code": "760"})
    assert wh.status_code == 201, wh.text
    warehouse = wh.json()["id"]
    ppe = str(item_id("ppe_set"))
    stocked = await http.post("/api/stock-movements", headers=logistics.headers, json={
        "id": str(uuid.uuid4()), "location_id": warehouse, "item_id": ppe, "kind": "receipt",
        "quantity": 60, "occurred_at": AT})
    assert stocked.status_code == 201, stocked.text
    req_id = uuid.uuid4()
    [submitted] = await d.push_ok(d.mutation("requisition", req_id, {
        "location_id": str(location), "justification": "PPE for 60 F0 at home",
        "f0_under_care": 60, "days_of_cover": 7, "lines": [{"item_id": ppe, "quantity": 60}]}))
    assert submitted["status"] == "applied", submitted
    for action in ("approve", "ship"):
        r = await http.post(f"/api/requisitions/{req_id}/{action}", json={},
                            headers=logistics.headers)
        assert r.status_code == 200, r.text
    [line] = r.json()["shipment"]["lines"]
    unbalanced = {"status": "received", "transition": {"lines": [
        {"line_id": line["id"], "accepted_quantity": 50}]}}
    balanced = {"status": "received", "transition": {"lines": [
        {"line_id": line["id"], "accepted_quantity": 50, "lost_quantity": 10,
         "loss_reason": "10 sets never arrived"}]}}
    refused, applied = await d.push_ok(d.mutation("requisition", req_id, unbalanced),
                                       d.mutation("requisition", req_id, balanced))
    assert (refused["status"], refused["code"]) == ("rejected", "invalid"), refused
    assert applied["status"] == "applied", applied
    assert await world.scalar("SELECT qty FROM stock_balance WHERE location_id = :l",
                              l=location) == 50
    assert await world.scalar("SELECT qty FROM stock_balance WHERE location_id = :l",
                              l=uuid.UUID(warehouse)) == 0
    assert await world.scalar(
        "SELECT quantity FROM stock_discrepancy WHERE location_id = :l AND cause = "
        "'loss_in_transit'", l=uuid.UUID(warehouse)) == 10
