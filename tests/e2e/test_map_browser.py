"""A coordinator opens /map in headless Chromium: 436 stations, a district filter, and a
status change through the API that reaches the open map without a reload. How fast it arrives
(the 2-second target) is measured in bench/live_latency.py, not asserted here."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from tests.e2e.conftest import CHROMIUM_ARGS, STATIONS, LiveServer, SeededStation

pytestmark = pytest.mark.browser

MARKERS = "path.station-marker"
SETTLED = "body:not([data-moving])"


def loneliest_active(stations: list[SeededStation]) -> SeededStation:
    """The active station farthest from any neighbour in its district, so that a click on its
    marker lands on it and not on an overlapping one (markers overlap at district zoom)."""

    def gap(s: SeededStation) -> float:
        scale = math.cos(math.radians(s.lat))
        return min(
            (math.hypot((s.lon - o.lon) * scale, s.lat - o.lat)
             for o in stations if o.district == s.district and o.id != s.id),
            default=math.inf,
        )

    return max((s for s in stations if s.status == "active"), key=lambda s: (gap(s), s.code))


async def test_coordinator_map_shows_filters_and_follows_live_changes(
    chromium: Path, live_server: LiveServer, artifacts: Path
) -> None:
    target = loneliest_active(live_server.stations)
    district = target.district
    in_district = [s for s in live_server.stations if s.district == district]
    username, password = live_server.login

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{live_server.base_url}/map")

            await page.fill("#login input[name=username]", username)
            await page.fill("#login input[name=password]", password)
            await page.click("#login button[type=submit]")
            await page.wait_for_selector(f"body[data-stations='{STATIONS}'][data-live='on']")
            assert await page.locator(MARKERS).count() == STATIONS
            await page.screenshot(path=str(artifacts / "map-city.png"))

            await page.select_option("#district-filter", district)
            await page.wait_for_selector(f"body[data-shown='{len(in_district)}']")
            await page.wait_for_selector(SETTLED, state="attached")
            assert await page.locator(MARKERS).count() == len(in_district)

            marker = page.locator(f"{MARKERS}[data-code='{target.code}']")
            assert await marker.get_attribute("data-status") == "active"
            active_fill = await marker.get_attribute("fill")
            await marker.click()
            await page.wait_for_selector(f"#panel[data-id='{target.id}'] [data-field=load]")

            token = await page.evaluate("sessionStorage.getItem('fieldops.token')")
            async with httpx.AsyncClient(base_url=live_server.base_url) as api:
                resp = await api.patch(
                    f"/api/stations/{target.id}", json={"status": "suspended"},
                    headers={"Authorization": f"Bearer {token}"},
                )
            assert resp.status_code == 200, resp.text
            await page.wait_for_selector(
                f"{MARKERS}[data-code='{target.code}'][data-status='suspended']", timeout=10_000
            )
            assert await marker.get_attribute("fill") != active_fill
            assert await page.locator(MARKERS).count() == len(in_district)  # no reload

            await page.click("#lang")
            assert await page.text_content("#panel-close") == "Close"
            await page.screenshot(path=str(artifacts / "map.png"))
            assert errors == []
        finally:
            await browser.close()
