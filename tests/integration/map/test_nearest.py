"""Nearest stations: index-ordered, in metres, scoped, and not mistaken for a station id."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from tests.integration.map.conftest import City


async def test_nearest_stations_in_order_with_distance(
    client: AsyncClient, make_user: Any, city: City
) -> None:
    _, headers = await make_user("city_coordinator", "79")
    # a little east of Đa Kao: Đa Kao first, then Tân Định, then Thạnh Xuân in Quận 12
    resp = await client.get(
        "/api/stations/nearest", params={"lon": 106.70, "lat": 10.788, "k": 2}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    features = resp.json()["features"]
    assert [f["properties"]["code"] for f in features] == ["Q1-DK", "Q1-TD"]
    first, second = (f["properties"]["distance_m"] for f in features)
    assert 100 < first < 250 < second < 2000


async def test_nearest_stays_in_scope(client: AsyncClient, make_user: Any, city: City) -> None:
    _, headers = await make_user("city_coordinator", "79")
    resp = await client.get(
        "/api/stations/nearest", params={"lon": 105.85, "lat": 21.05, "k": 1}, headers=headers
    )
    assert [f["properties"]["code"] for f in resp.json()["features"]] == ["Q12-TX"]


async def test_nearest_is_not_read_as_a_station_id(
    client: AsyncClient, make_user: Any, city: City
) -> None:
    """The stations controller's `/{station_id}` sits beside it: the static path wins."""
    _, headers = await make_user("city_coordinator", "79")
    one = await client.get(f"/api/stations/{city.quiet.id}", headers=headers)
    assert one.status_code == 200 and one.json()["code"] == "Q1-DK"
    near = await client.get("/api/stations/nearest", params={"lon": 106.7, "lat": 10.8}, headers=headers)
    assert near.status_code == 200 and near.json()["type"] == "FeatureCollection"
    bad = await client.get("/api/stations/nearest", params={"lon": 200, "lat": 10}, headers=headers)
    assert bad.status_code == 400 and bad.json()["field"] == "lon"
