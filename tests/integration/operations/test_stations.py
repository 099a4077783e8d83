"""Mobile health stations: opening, editing, status, and the filtered map list."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from tests.integration.operations.conftest import World

NEW = {"code": "TYT-LD-TEST-9", "name": "Trạm Y tế lưu động thử", "commune_code": "26734",
       "position": {"type": "Point", "coordinates": [106.6901, 10.7925]},
       "address": "1 Trần Quang Khải", "capacity": 80, "doctors": 2, "nurses": 3,
       "volunteers": 6, "opening_hours": "07:00–21:00", "phone": "028 38200000"}


async def _open(client: AsyncClient, world: World, actor: str = "officer_A", **extra: Any):
    return await client.post("/api/stations", json={**NEW, **extra},
                             headers=world.actors[actor].headers)


async def test_a_commune_officer_opens_a_station_in_their_ward(
    client: AsyncClient, world: World
) -> None:
    r = await _open(client, world)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["position"] == NEW["position"] and s["path"] == "VN.79.760.26734"
    assert s["status"] == "preparing" and s["open_cases"] == 0 and s["capacity"] == 80
    seen = await client.get(f"/api/stations/{s['id']}",
                            headers=world.actors["coordinator_79"].headers)
    assert seen.json()["name"] == NEW["name"]


async def test_opening_rules(client: AsyncClient, world: World) -> None:
    elsewhere = await _open(client, world, commune_code="26737",
                            position={"type": "Point", "coordinates": [106.699, 10.788]})
    assert elsewhere.status_code == 403
    outside = await _open(client, world,
                          position={"type": "Point", "coordinates": [106.70, 10.80]})
    assert outside.status_code == 422 and outside.json()["field"] == "position"
    assert (await _open(client, world, actor="staff_A")).status_code == 403
    assert (await _open(client, world, actor="admin_79")).status_code == 201
    taken = await _open(client, world, actor="officer_A")
    assert taken.status_code == 409 and taken.json()["field"] == "code"
    closed = await _open(client, world, code="TYT-NEW-2", status="closed")
    assert closed.status_code == 422 and closed.json()["field"] == "status"
    for bad in ({"position": {"type": "Point", "coordinates": [106.7, 91]}},
                {"capacity": 0}, {"doctors": -1}, {"phone": "call me"}, {"wifi": True}):
        r = await _open(client, world, code="TYT-NEW-3", **bad)
        assert r.status_code == 400, bad
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_patch_changes_only_what_it_carries(client: AsyncClient, world: World) -> None:
    s = (await _open(client, world)).json()
    h = world.actors["officer_A"].headers
    r = await client.patch(f"/api/stations/{s['id']}", json={"phone": None, "nurses": 5},
                           headers=h)
    assert r.status_code == 200
    after = r.json()
    assert after["phone"] is None and after["nurses"] == 5
    assert after["opening_hours"] == NEW["opening_hours"] and after["doctors"] == 2
    assert after["updated_at"] >= s["updated_at"]
    moved = await client.patch(f"/api/stations/{s['id']}",
                               json={"position": {"type": "Point", "coordinates": [107, 10.7]}},
                               headers=h)
    assert moved.status_code == 422 and moved.json()["field"] == "position"


async def test_status_flow(client: AsyncClient, world: World) -> None:
    s = (await _open(client, world)).json()
    h, url = world.actors["officer_A"].headers, f"/api/stations/{s['id']}"
    for status in ("active", "suspended", "active", "closed"):
        r = await client.patch(url, json={"status": status}, headers=h)
        assert r.status_code == 200 and r.json()["status"] == status
    reopened = await client.patch(url, json={"status": "active"}, headers=h)
    assert reopened.status_code == 409 and reopened.headers["x-current"] == "closed"
    busy = await client.patch(f"/api/stations/{world.stations['A']}", json={"status": "closed"},
                              headers=h)
    assert busy.status_code == 409 and "open cases" in busy.json()["detail"]


async def test_list_filters_and_pages(client: AsyncClient, world: World) -> None:
    h = world.actors["coordinator_79"].headers
    ids = {str(v): k for k, v in world.stations.items()}

    async def keys(**params: Any) -> set[str]:
        r = await client.get("/api/stations", params={"limit": 1000, **params}, headers=h)
        assert r.status_code == 200, r.text
        return {ids[s["id"]] for s in r.json()["items"] if s["id"] in ids}

    assert await keys(province="79") == {"A", "A_2nd", "A2", "B"}
    assert await keys(district="770") == {"B"}
    assert await keys(commune="26734") == {"A", "A_2nd"}
    assert await keys(status="closed") == set()
    assert await keys(bbox="106.684,10.787,106.696,10.797") == {"A", "A_2nd"}
    assert await keys(bbox="105,20,106,21") == set()
    first = (await client.get("/api/stations", params={"limit": 2}, headers=h)).json()
    rest = (await client.get("/api/stations", params={"limit": 2, "offset": 2}, headers=h)).json()
    assert first["total"] == rest["total"] >= 4 and len(first["items"]) == 2
    assert not {s["id"] for s in first["items"]} & {s["id"] for s in rest["items"]}
    assert first["items"][0]["open_cases"] >= 0


async def test_malformed_filters_are_400_naming_them(client: AsyncClient, world: World) -> None:
    h = world.actors["coordinator_79"].headers
    for params, field in (({"bbox": "1,2,3"}, "bbox"), ({"bbox": "107,10,106,11"}, "bbox"),
                          ({"bbox": "106,-95,107,11"}, "bbox"), ({"status": "open"}, "status"),
                          ({"district": "7a0"}, "district"), ({"limit": "0"}, "limit")):
        r = await client.get("/api/stations", params=params, headers=h)
        assert r.status_code == 400, params
        assert r.json()["field"] == field, r.json()
    unknown = await client.get("/api/stations", params={"district": "999"}, headers=h)
    assert unknown.status_code == 422 and unknown.json()["field"] == "district"


async def test_a_missing_station_and_no_token(client: AsyncClient, world: World) -> None:
    h = world.actors["observer"].headers
    r = await client.get("/api/stations/00000000-0000-4000-8000-000000000000", headers=h)
    assert r.status_code == 404
    assert (await client.get("/api/stations")).status_code == 401
