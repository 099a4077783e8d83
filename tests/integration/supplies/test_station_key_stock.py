"""The map's key stock kept per station by triggers on the ledger (migration 0019): exact to
the instant over the 7-day window, rebuilt when the catalog or a location moves movements to
another key or station, right under bulk inserts and edits of the ledger. (Every supplies
test also checks the kept figures against the ledger after it ran: conftest.key_stock_kept.)"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.supply import StockMovement
from domain.repositories.stock import KEY_ITEMS
from domain.repositories.supply_seed import SupplySeedRepository
from domain.services.catalog import item_id
from tests.integration.supplies.conftest import Depot, Move, at, register_lot, station_row
from tests.integration.supplies.key_stock import assert_key_stock_kept, kept_on_hand

People = dict[str, dict[str, str]]
WEEK_MIN = 7 * 24 * 60


async def _panel_supplies(client: AsyncClient, people: People, station: uuid.UUID
                          ) -> dict[str, tuple[str, int, float | None]]:
    r = await client.get(f"/api/map/stations/{station}", headers=people["city"])
    assert r.status_code == 200, r.text
    return {s["key"]: (s["state"], s["on_hand"], s["days_of_cover"])
            for s in r.json()["supplies"]}


async def test_the_slots_are_the_map_keys_in_order(db_session: AsyncSession) -> None:
    assert await db_session.scalar(text("SELECT map_key_slots()")) == list(KEY_ITEMS)


async def test_the_week_counts_its_first_day_from_the_instant_it_starts(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    """Issues just inside the 7 days count, just outside do not, whatever day they fell on."""
    staff, loc, bag_a = people["td_staff"], depot.td_loc.id, depot.item("bag_a")
    lot = await register_lot(db_session, "bag_a", "A-WEEK")
    for minutes, kind, qty in ((WEEK_MIN + 3 * 24 * 60, "receipt", 100),
                               (WEEK_MIN + 10, "issue", 20),   # before the week began
                               (WEEK_MIN - 10, "issue", 14),   # the week's first minutes
                               (2 * 24 * 60, "issue", 7)):
        r = await move(staff, location_id=loc, item_id=bag_a, kind=kind, quantity=qty,
                       lot_id=lot, occurred_at=at(minutes))
        assert r.status_code == 201, r.text
    # 59 on hand; 21 issued in the week: 3 a day (no open cases), 19.7 days of cover
    assert (await _panel_supplies(client, people, depot.td.id))["bag_a"] == ("ok", 59, 19.7)
    listed = await client.get("/api/map/stations", headers=people["city"])
    (mine,) = [f for f in listed.json()["features"] if f["id"] == str(depot.td.id)]
    assert mine["properties"]["stock"]["bag_a"] == "ok"


async def test_a_catalog_edit_of_a_key_or_a_deletion_moves_the_kept_figures(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    staff, loc = people["td_staff"], depot.td_loc.id
    for code, qty in (("ppe_set", 40), ("o2_cylinder_8l", 5), ("o2_cylinder_40l", 2)):
        r = await move(staff, location_id=loc, item_id=depot.item(code), kind="receipt",
                       quantity=qty)
        assert r.status_code == 201, r.text
    assert (await kept_on_hand(db_session, depot.td.id))["oxygen"] == 7
    await db_session.execute(text(
        "UPDATE catalog_item SET deleted = true WHERE code = 'o2_cylinder_40l'"))
    assert (await kept_on_hand(db_session, depot.td.id))["oxygen"] == 5
    await db_session.execute(text(
        "UPDATE catalog_item SET map_key = 'bag_c' WHERE code = 'ppe_set'"))
    assert (await kept_on_hand(db_session, depot.td.id)).get("bag_c") == 40
    await assert_key_stock_kept(db_session)
    await db_session.commit()
    assert (await _panel_supplies(client, people, depot.td.id))["bag_c"][1] == 40


async def test_a_location_given_to_another_station_takes_its_stock_along(
    depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    r = await move(people["td_staff"], location_id=depot.td_loc.id, item_id=depot.item("o2_cylinder_8l"),
                   kind="receipt", quantity=9)
    assert r.status_code == 201, r.text
    successor = station_row("Q1-TD2", "26734")  # a new station takes over the shelf
    db_session.add(successor)
    await db_session.flush()
    await db_session.execute(text("UPDATE stock_location SET station_id = :to WHERE id = :loc"),
                             {"to": successor.id, "loc": depot.td_loc.id})
    assert (await kept_on_hand(db_session, successor.id)).get("oxygen") == 9
    assert "oxygen" not in await kept_on_hand(db_session, depot.td.id)
    await assert_key_stock_kept(db_session)


async def test_a_bulk_load_and_edits_of_the_ledger_keep_the_figures(
    depot: Depot, db_session: AsyncSession
) -> None:
    """As the demo loader writes: multi-row inserts for many stations and keys, the balances
    derived after; then a movement corrected and one removed, whoever does it."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for n, (loc, code) in enumerate(
        (loc, code) for loc in (depot.td_loc, depot.dk_loc, depot.q3_loc)
        for code in ("bag_a", "rapid_test", "o2_cylinder_8l", "o2_cylinder_40l", "ppe_set")
    ):
        for kind, qty, delta, days in (("receipt", 50, 50, 9), ("issue", 3 + n, -3 - n, 6),
                                       ("issue", 2, -2, 1), ("loss", 1, -1, 0)):
            rows.append({"id": uuid.uuid4(), "location_id": loc.id, "item_id": item_id(code),
                         "kind": kind, "quantity": qty, "delta": delta,
                         "occurred_at": now - timedelta(days=days, minutes=n),
                         "scope_path": loc.scope_path})
    seed = SupplySeedRepository(db_session)
    await seed.insert(StockMovement, rows)
    await seed.rebuild_balances()
    await assert_key_stock_kept(db_session)
    # Đa Kao's two cylinder sizes (rows 7 and 8): received 50 each, issued 3 + n and 2, lost 1
    assert (await kept_on_hand(db_session, depot.dk.id))["oxygen"] == (50 - 10 - 2 - 1) + (
        50 - 11 - 2 - 1)
    first, second = rows[1]["id"], rows[5]["id"]  # two issues
    await db_session.execute(text(
        "UPDATE stock_movement SET quantity = quantity + 4, delta = delta - 4, "
        "occurred_at = occurred_at - interval '1 day' WHERE id = :id"), {"id": first})
    await db_session.execute(text("DELETE FROM stock_movement WHERE id = :id"), {"id": second})
    await seed.rebuild_balances()
    await assert_key_stock_kept(db_session)
