"""The map's load comes from station_caseload (kept by triggers on f0_case), not from counting
cases: whoever writes a case (a tablet's push, the API, a bulk loader's multi-row insert, a
soft delete), the map's and the panel's active cases equal a fresh count of the cases."""

from __future__ import annotations

import uuid

import httpx

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
