"""The map's figures against fresh aggregates, whoever writes: its load comes from
station_caseload (kept by triggers on f0_case), not from counting cases, so under a tablet's
push, the API, a bulk loader's multi-row insert and a soft delete the map's and the panel's
active cases equal a fresh count; its key supplies equal the stock ledger's sums."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import httpx
from sqlalchemy import text

from domain.repositories.stock import KEY_ITEMS, LOW_DAYS_OF_COVER
from domain.services.catalog import ensure_standard_catalog, item_id
from domain.services.locations import LocationService
from domain.services.users import UserService
from tests.integration.supplies.key_stock import assert_key_stock_kept
from tests.sync.conftest import HOME, Unit, World, new_case

FRESH = """SELECT count(*) FROM f0_case WHERE station_id = :sid AND NOT deleted
           AND status IN ('home_monitoring', 'needs_attention', 'transfer_requested')"""


async def _agree(world: World, http: httpx.AsyncClient, unit: Unit,
                 stations: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Each station's active cases on the map, after checking them against a fresh count,
    on the ward's map and on each station's panel alike."""
    r = await http.get("/api/map/stations", headers=unit.officer.headers)
    assert r.status_code == 200, r.text
    shown = {uuid.UUID(f["id"]): f["properties"]["active_cases"] for f in r.json()["features"]}
    for sid in stations:
        fresh = int(await world.scalar(FRESH, sid=sid))
        assert shown[sid] == fresh, (sid, shown[sid], fresh)
        panel = await http.get(f"/api/map/stations/{sid}", headers=unit.officer.headers)
        assert panel.status_code == 200, panel.text
        assert panel.json()["feature"]["properties"]["active_cases"] == fresh
    return {sid: shown[sid] for sid in stations}


async def test_map_load_equals_a_fresh_count_whoever_writes_the_cases(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    other = await world.station(HOME)
    d = unit.device
    pushed = [uuid.uuid4() for _ in range(3)]
    results = await d.push_ok(*(d.mutation("f0_case", row, new_case(
        unit.station_id, full_name=f"Người bệnh {n}", phone=f"090300000{n}"))
        for n, row in enumerate(pushed)))
    assert all(x["status"] == "applied" for x in results), results
    assert (await _agree(world, http, unit, [unit.station_id, other]))[unit.station_id] == 3

    # offline status moves: one to attention (still open), one out of home care
    for status in ("transfer_requested", "hospitalized"):
        (moved,) = await d.push_ok(d.mutation("f0_case", pushed[0], {"status": status}))
        assert moved["status"] == "applied", moved
    (attention,) = await d.push_ok(d.mutation("f0_case", pushed[1],
                                              {"status": "needs_attention"}))
    assert attention["status"] == "applied", attention
    assert (await _agree(world, http, unit, [unit.station_id]))[unit.station_id] == 2

    # online: enrol one, and move one of the tablet's cases out of home care
    created = await http.post("/api/cases", json=new_case(
        unit.station_id, full_name="Lê Văn Cường", phone="0903999888"),
        headers=unit.staff.headers)
    assert created.status_code == 201, created.text
    assert (await _agree(world, http, unit, [unit.station_id]))[unit.station_id] == 3
    for status in ("transfer_requested", "hospitalized"):
        moved_online = await http.post(f"/api/cases/{pushed[2]}/status",
                                       json={"status": status}, headers=unit.staff.headers)
        assert moved_online.status_code == 200, moved_online.text
    assert await _agree(world, http, unit, [unit.station_id, other]) == {
        unit.station_id: 2, other: 0}

    # a bulk loader's multi-row insert (as the demo loader writes), then a soft delete
    await world.execute(
        """INSERT INTO f0_case (id, case_code, station_id, commune_code, scope_path, full_name,
               year_of_birth, sex, test_date, test_type, risk_group, status)
           SELECT gen_random_uuid(), 'BULK-' || n, s.id, s.commune_code, s.scope_path,
                  'Bulk ' || n, 1970, 'female', DATE '2021-08-01', 'rapid_antigen', 'low',
                  (CASE WHEN n % 3 = 0 THEN 'recovered' ELSE 'home_monitoring' END)::case_status
           FROM station s CROSS JOIN generate_series(1, 6) n WHERE s.id = :sid""",
        sid=other,
    )
    assert (await _agree(world, http, unit, [unit.station_id, other]))[other] == 4
    await world.execute("UPDATE f0_case SET deleted = true WHERE id = :id", id=pushed[1])
    assert await _agree(world, http, unit, [unit.station_id, other]) == {
        unit.station_id: 1, other: 4}


async def _station_location(world: World, unit: Unit) -> uuid.UUID:
    async with world.maker() as session:
        await ensure_standard_catalog(session)
        officer = await UserService(session).principal(unit.officer.id)
        assert officer is not None
        location = await LocationService(session, officer).create_for_station(unit.station_id)
        await session.commit()
        return location.id


# The key's figures from the ledger itself: every movement's delta, the last 7 days' issues,
# open cases counted, per the rule of domain/repositories/stock.py.
FRESH_KEY = """
SELECT coalesce(sum(m.delta), 0),
       coalesce(sum(m.quantity) FILTER (WHERE m.kind IN ('issue', 'transfer_out')
                                          AND m.occurred_at >= now() - interval '7 days'), 0),
       (SELECT sum(min_station_stock) FROM catalog_item WHERE map_key = :key AND NOT deleted),
       (SELECT sum(daily_use_per_case) FROM catalog_item WHERE map_key = :key AND NOT deleted)
FROM stock_movement m JOIN catalog_item i ON i.id = m.item_id AND i.map_key = :key
WHERE m.location_id = :loc
"""


async def _fresh_key(world: World, location: uuid.UUID, key: str,
                     open_cases: int) -> tuple[str, int, float | None]:
    async with world.engine.connect() as conn:
        qty, used, min_stock, per_case = (
            await conn.execute(text(FRESH_KEY), {"key": key, "loc": location})).one()
    need = max(float(used) / 7, open_cases * float(per_case))
    days = None if need <= 0 else float(
        Decimal(f"{qty / need:.15g}").quantize(Decimal("0.1"), ROUND_HALF_UP))
    if qty < 0 or (qty == 0 and (min_stock > 0 or need > 0)):
        state = "out"
    elif qty < min_stock or qty < LOW_DAYS_OF_COVER * need:
        state = "low"
    else:
        state = "ok"
    return state, int(qty), days


async def test_map_stock_equals_the_ledger_whoever_writes_it(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    """Online and offline movements of a key (oxygen: two cylinder sizes summed) and of a
    non-key item: the panel's quantity, days of cover and state are the ledger's."""
    location = await _station_location(world, unit)
    d = unit.device
    await d.push_ok(*(d.mutation("f0_case", uuid.uuid4(), new_case(
        unit.station_id, full_name=f"Người bệnh {n}", phone=f"090400000{n}")) for n in range(4)))
    at = (datetime.now(UTC) - timedelta(hours=2)).isoformat()

    def moved(item: str, kind: str, quantity: int, **extra: object) -> dict[str, object]:
        return {"location_id": str(location), "item_id": str(item_id(item)), "kind": kind,
                "quantity": quantity, "occurred_at": at, **extra}

    results = await d.push_ok(
        d.mutation("stock_movement", uuid.uuid4(), moved("o2_cylinder_8l", "receipt", 6)),
        d.mutation("stock_movement", uuid.uuid4(), moved("o2_cylinder_40l", "receipt", 2)),
        d.mutation("stock_movement", uuid.uuid4(), moved("o2_cylinder_8l", "loss", 1, reason="dropped, dented")),
        d.mutation("stock_movement", uuid.uuid4(), moved("bp_meter", "receipt", 3)),
        d.mutation("stock_movement", uuid.uuid4(), moved("ppe_set", "receipt", 40)),
    )
    assert [r for r in results if r["status"] != "applied"] == [], results
    for body in (moved("o2_cylinder_40l", "adjustment", -1, reason="cracked valve"),
                 moved("bp_meter", "physical_count", 1,  # counted an hour after the receipt
                       occurred_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat()),
                 moved("o2_cylinder_8l", "receipt", 2)):
        r = await http.post("/api/stock-movements", json={"id": str(uuid.uuid4()), **body},
                            headers=unit.staff.headers)
        assert r.status_code in (200, 201), r.text

    panel = await http.get(f"/api/map/stations/{unit.station_id}", headers=unit.officer.headers)
    assert panel.status_code == 200, panel.text
    body = panel.json()
    shown = {s["key"]: (s["state"], s["on_hand"], s["days_of_cover"]) for s in body["supplies"]}
    for key in KEY_ITEMS:
        assert shown[key] == await _fresh_key(world, location, key, open_cases=4), key
    assert shown["oxygen"][1] == 6 + 2 - 1 - 1 + 2 and shown["bp_meter"][1] == 1
    feature = body["feature"]["properties"]
    assert feature["stock"] == {key: shown[key][0] for key in KEY_ITEMS}
    listed = await http.get("/api/map/stations", headers=unit.officer.headers)
    (mine,) = [f for f in listed.json()["features"] if f["id"] == str(unit.station_id)]
    assert mine["properties"]["stock"] == feature["stock"]
    async with world.engine.connect() as conn:  # the kept key stock (migration 0019), too
        await assert_key_stock_kept(conn)
