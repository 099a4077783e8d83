"""The map page and its assets are served by the app itself: no CDN, no internet needed."""

from __future__ import annotations

from httpx import AsyncClient

from domain.settings import Settings


async def test_map_page_uses_the_vendored_leaflet(client: AsyncClient) -> None:
    page = await client.get("/map")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="/static/vendor/leaflet/leaflet.js"' in page.text
    assert "http" not in page.text.split("<body>")[0].replace('name="viewport"', "")
    for asset in ("vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css", "map/map.js",
                  "map/i18n.js", "vendor/leaflet/images/layers.png",
                  "vendor/basemap/vietnam-50m.geojson", "vendor/basemap/NOTICE"):
        resp = await client.get(f"/static/{asset}")
        assert resp.status_code == 200, asset
    assert "Leaflet 1.9" in (await client.get("/static/vendor/leaflet/leaflet.js")).text[:200]


async def test_tile_server_setting_reaches_the_page(settings: Settings) -> None:
    import dataclasses

    from httpx import ASGITransport

    from api.app import create_app

    online = create_app(dataclasses.replace(settings, tile_url="https://tiles.example/{z}/{x}/{y}.png"))
    async with AsyncClient(transport=ASGITransport(app=online), base_url="http://t") as c:
        page = (await c.get("/map")).text
    assert '<meta name="tile-url" content="https://tiles.example/{z}/{x}/{y}.png">' in page


async def test_page_and_assets_stay_out_of_the_api_schema(client: AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "/map" not in paths and not any(p.startswith("/static") for p in paths)
    assert {"/api/map/stations", "/api/stations/nearest", "/api/dashboard"} <= set(paths)


async def test_the_offline_base_layer_holds_the_coast_and_borders_around_viet_nam(
    client: AsyncClient,
) -> None:
    """Vendored by `make web` from Natural Earth, small, with its source and licence said."""
    resp = await client.get("/static/vendor/basemap/vietnam-50m.geojson")
    assert len(resp.content) < 200_000
    kinds = {f["properties"]["kind"]: f for f in resp.json()["features"]}
    assert {"land", "coastline", "border", "neighbours"} <= set(kinds)
    coast = [p for line in kinds["coastline"]["geometry"]["coordinates"] for p in line]
    # the coast passes Cần Giờ, south-east of Ho Chi Minh City
    assert any(106.6 < lon < 107.2 and 10.2 < lat < 10.7 for lon, lat in coast)
    notice = (await client.get("/static/vendor/basemap/NOTICE")).text
    assert "Natural Earth" in notice and "BSD-3-Clause" in notice
