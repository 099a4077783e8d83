"""The supplies demo over a small set of stations: the ledger and the balances agree for every
location, item and lot, every requisition state is there, 110,000 bags are in circulation."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.demo.supplies import BAGS_IN_CIRCULATION, load_supplies_demo
from domain.models.supply import RequisitionStatus
from tests.integration.supplies.conftest import case_row, station_row

MISMATCHES = """
SELECT coalesce(b.location_id, m.location_id), coalesce(b.item_id, m.item_id), b.qty, m.total
FROM stock_balance b
FULL JOIN (SELECT location_id, item_id, lot_id, sum(delta) AS total FROM stock_movement
           GROUP BY location_id, item_id, lot_id) m
  ON m.location_id = b.location_id AND m.item_id = b.item_id
 AND m.lot_id IS NOT DISTINCT FROM b.lot_id
WHERE b.qty IS DISTINCT FROM m.total
"""

# durable devices: the ledger's count at a location equals the serials the registry puts there
SERIALS_VS_LEDGER = """
SELECT b.location_id, b.item_id, b.qty, count(u.id) FILTER (
         WHERE u.status IN ('in_stock', 'on_loan')) AS units
FROM stock_balance b JOIN catalog_item i ON i.id = b.item_id AND i.durable
LEFT JOIN equipment_unit u ON u.location_id = b.location_id AND u.item_id = b.item_id
GROUP BY b.location_id, b.item_id, b.qty
HAVING b.qty <> count(u.id) FILTER (WHERE u.status IN ('in_stock', 'on_loan'))
"""


async def test_demo_ledger_and_balances_agree_everywhere(
    db_session: AsyncSession, make_user: Any, client: AsyncClient
) -> None:
    stations = [station_row(f"D-{commune}-{n}", commune)
                for commune in ("26734", "26737", "27127") for n in (1, 2, 3)]
    db_session.add_all(stations)
    await db_session.flush()
    db_session.add_all([case_row(s, n) for s in stations for n in range(6)])
    await db_session.commit()
    for s in stations:
        await make_user("station_staff", s.commune_code, station_id=s.id)
    _, district = await make_user("district_logistics", "760")
    await make_user("city_coordinator", "79")

    seen: list[int] = []
    await load_supplies_demo(db_session, seed=7, progress=seen.append)
    await db_session.commit()
    assert sum(seen) == len(stations)

    assert (await db_session.execute(text(MISMATCHES))).all() == []
    assert (await db_session.execute(text(SERIALS_VS_LEDGER))).all() == []
    states = set((await db_session.execute(text("SELECT DISTINCT status FROM requisition")))
                 .scalars())
    assert states == {s.value for s in RequisitionStatus}
    bags = await db_session.scalar(text(
        "SELECT sum(b.qty) FROM stock_balance b JOIN catalog_item i ON i.id = b.item_id "
        "WHERE i.category = 'medicine_bag'"))
    assert bags == BAGS_IN_CIRCULATION
    kinds = set((await db_session.execute(
        text("SELECT DISTINCT kind::text FROM stock_location"))).scalars())
    assert kinds == {"city_warehouse", "district_warehouse", "station", "household"}
    open_ = await db_session.scalar(text(
        "SELECT count(*) FROM stock_discrepancy WHERE status = 'open'"))
    assert open_ == 1

    rollup = await client.get("/api/stock/districts/760", headers=district)
    assert rollup.status_code == 200
    assert len(rollup.json()["stations"]) == 6
    overdue = await client.get("/api/loans", params={"overdue": "true"}, headers=district)
    assert overdue.status_code == 200
