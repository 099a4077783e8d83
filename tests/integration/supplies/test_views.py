"""What logistics sees: days of cover, low and expiring stock, a district's rollup, CSV, and
the per-station key-item states the map shows."""

from __future__ import annotations

import uuid

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.enums import CaseStatus
from domain.models.supply import StationCaseload
from domain.repositories.stock import station_stock_states
from tests.integration.supplies.conftest import Depot, Move, at, case_row, register_lot, station_row

People = dict[str, dict[str, str]]


async def test_days_of_cover_follow_recent_use_and_caseload(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    db_session.add_all([case_row(depot.td, n) for n in range(4)])
    await db_session.commit()
    staff, ppe, loc = people["td_staff"], depot.item("ppe_set"), depot.td_loc.id
    await move(staff, location_id=loc, item_id=ppe, kind="receipt", quantity=100,
               occurred_at=at(3 * 24 * 60))
    await move(staff, location_id=loc, item_id=ppe, kind="issue", quantity=70,
               occurred_at=at(24 * 60))
    r = await client.get("/api/stock/coverage", params={"location_id": str(loc),
                                                        "item_id": ppe}, headers=staff)
    [row] = r.json()["items"]
    # 70 used in the last 7 days = 10 a day, more than 4 open F0 x 0.5 sets a day
    assert (row["on_hand"], row["open_cases"], row["daily_need"]) == (30, 4, 10.0)
    assert row["days_of_cover"] == 3.0 and row["state"] == "ok"
    await move(staff, location_id=loc, item_id=ppe, kind="issue", quantity=1)
    low = await client.get("/api/stock/coverage", params={"low": "true"}, headers=staff)
    states = {x["item_code"]: x["state"] for x in low.json()["items"]}
    assert states["ppe_set"] == "low" and states["bag_a"] == "out"
    assert "o2_concentrator" not in states  # not stocked at stations, nothing needed


async def test_expiring_lots_and_stock_csv(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    soon = await register_lot(db_session, "rapid_test", "RT-SOON", days=10)
    later = await register_lot(db_session, "rapid_test", "RT-LATER", days=200)
    for lot, qty in ((soon, 40), (later, 60)):
        await move(people["td_staff"], location_id=depot.td_loc.id,
                   item_id=depot.item("rapid_test"), kind="receipt", quantity=qty, lot_id=lot)
    r = await client.get("/api/stock/expiring", params={"within_days": 30},
                         headers=people["q1_logistics"])
    assert [(x["lot_no"], x["quantity"], x["days_to_expiry"]) for x in r.json()] == [
        ("RT-SOON", 40, 10)]
    csv = await client.get("/api/stock/export", headers=people["td_staff"])
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("location_code,location_name,location_kind,item_code")
    assert sorted(line.split(",")[5] for line in lines[1:]) == ["RT-LATER", "RT-SOON"]


async def test_district_rollup_shows_its_stations_and_warehouse(
    client: AsyncClient, depot: Depot, people: People, move: Move
) -> None:
    await move(people["dk_staff"], location_id=depot.dk_loc.id, item_id=depot.item("ppe_set"),
               kind="receipt", quantity=50)
    r = await client.get("/api/stock/districts/760", headers=people["q1_logistics"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert sorted(s["code"] for s in body["stations"]) == ["ST-Q1-DK", "ST-Q1-TD"]
    assert body["warehouse"]["code"] == "WH-760"
    assert body["totals"]["ppe_set"] == 50
    assert sum(body["station_states"].values()) == 2
    other = await client.get("/api/stock/districts/760", headers=people["q3_logistics"])
    assert other.status_code == 404


async def test_station_stock_states_for_the_map(
    depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    staff, loc = people["td_staff"], depot.td_loc.id
    lot = await register_lot(db_session, "bag_a", "A-1")
    await move(staff, location_id=loc, item_id=depot.item("bag_a"), kind="receipt", quantity=5,
               lot_id=lot)
    for n in range(10):
        await move(staff, location_id=loc, item_id=depot.item("spo2_meter"), kind="receipt",
                   quantity=1, serial_no=f"M-{n}")
    await move(staff, location_id=loc, item_id=depot.item("o2_cylinder_40l"), kind="receipt",
               quantity=6)
    bare = station_row("Q1-NEW", "26734")
    db_session.add(bare)
    await db_session.commit()

    states = await station_stock_states(db_session, scope_path="VN.79.760")
    td = {key: s.state for key, s in states[depot.td.id].items()}
    assert {k: td[k] for k in ("bag_a", "spo2_meter", "oxygen")} == {
        "bag_a": "low", "spo2_meter": "ok", "oxygen": "ok"}
    assert (td["bag_b"], td["rapid_test"]) == ("out", "out")  # a minimum, nothing on hand
    assert td["o2_concentrator"] == "ok"  # no minimum and no daily use: none needed
    assert (states[depot.td.id]["bag_a"].on_hand, states[depot.td.id]["oxygen"].on_hand) == (5, 6)
    bare_states = {key: s.state for key, s in states[bare.id].items()}
    assert bare_states == {**dict.fromkeys(bare_states, "out"), "o2_concentrator": "ok"}
    assert depot.q3.id not in states
    only = await station_stock_states(db_session, scope_path="VN.79", station_ids=[depot.q3.id])
    assert list(only) == [depot.q3.id]


async def test_station_caseload_follows_case_changes(
    depot: Depot, db_session: AsyncSession
) -> None:
    """Days of cover read open cases from station_caseload, kept by triggers on f0_case."""
    cases = [case_row(depot.td, n) for n in range(3)]
    cases.append(case_row(depot.td, 9, CaseStatus.recovered))
    db_session.add_all(cases)
    await db_session.commit()

    async def load() -> dict[uuid.UUID, int]:
        rows = await db_session.execute(select(StationCaseload.station_id,
                                               StationCaseload.open_cases))
        return {sid: n for sid, n in rows if n}

    assert await load() == {depot.td.id: 3}
    cases[0].status = CaseStatus.recovered
    cases[1].station_id = depot.dk.id
    cases[3].status = CaseStatus.needs_attention
    await db_session.commit()
    assert await load() == {depot.td.id: 2, depot.dk.id: 1}
    cases[2].deleted = True
    await db_session.commit()
    assert await load() == {depot.td.id: 1, depot.dk.id: 1}


async def _all_pages(client: AsyncClient, url: str, headers: dict[str, str], size: int,
                     params: dict[str, str] | None = None) -> tuple[list[list[dict]], set[int]]:
    """Walk a listing page by page, one past the end; returns the pages and the totals seen."""
    pages, totals, offset = [], set(), 0
    while True:
        r = await client.get(url, params={**(params or {}), "limit": size, "offset": offset},
                             headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["limit"], body["offset"]) == (size, offset)
        totals.add(body["total"])
        if not body["items"]:
            return pages, totals
        pages.append(body["items"])
        offset += size


async def test_stock_and_coverage_pages_cover_the_list_once(
    client: AsyncClient, depot: Depot, people: People, move: Move, db_session: AsyncSession
) -> None:
    """Pages come from the database, in an order without ties: consecutive pages neither
    overlap nor skip a line, even for two lots of one item expiring the same day."""
    lots = [await register_lot(db_session, "rapid_test", f"RT-{n}", days=30) for n in range(3)]
    for lot in lots:
        await move(people["td_staff"], location_id=depot.td_loc.id,
                   item_id=depot.item("rapid_test"), kind="receipt", quantity=5, lot_id=lot)
    for staff, loc in (("td_staff", depot.td_loc), ("dk_staff", depot.dk_loc),
                       ("q3_staff", depot.q3_loc)):
        for code in ("ppe_set", "o2_cylinder_40l"):
            r = await move(people[staff], location_id=loc.id, item_id=depot.item(code),
                           kind="receipt", quantity=7)
            assert r.status_code == 201, r.text
    city = people["city"]

    def key(line: dict) -> tuple[str, str, str | None]:
        return line["location_code"], line["item_code"], line.get("lot_no")

    for url in ("/api/stock", "/api/stock/coverage"):
        full = (await client.get(url, params={"limit": 5000}, headers=city)).json()
        assert full["total"] == len(full["items"]) > 7
        pages, totals = await _all_pages(client, url, city, size=3)
        assert totals == {full["total"]}
        assert all(len(p) == 3 for p in pages[:-1])
        flat = [key(x) for p in pages for x in p]
        assert flat == [key(x) for x in full["items"]]
        assert len(set(flat)) == len(flat)
    q3_pages, q3_totals = await _all_pages(client, "/api/stock", people["q3_staff"], size=1)
    assert q3_totals == {2} and len(q3_pages) == 2  # the caller's scope, counted in SQL too
    low, low_totals = await _all_pages(client, "/api/stock/coverage", city, size=2,
                                       params={"low": "true"})
    assert low_totals == {sum(len(p) for p in low)}
    assert all(x["state"] in ("low", "out") for p in low for x in p)


async def test_an_offset_too_large_is_a_400_naming_it(
    client: AsyncClient, people: People
) -> None:
    r = await client.get("/api/stock", params={"offset": "99999999999999999999"},
                         headers=people["city"])
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "offset"
