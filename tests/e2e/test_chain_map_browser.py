"""The coordinator switches on the chain layers of /map in headless Chromium: each ward's
epidemic level coloured, its readiness gaps in a tooltip, and the coverage of the chain per
district, with the figures of the API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from domain.db import create_engine, create_session_maker
from domain.demo.chain import load_chain_demo
from tests.e2e.conftest import DESKTOP, LiveServer, SeededStation, chromium_page
from tests.e2e.test_map_browser import sign_in

pytestmark = pytest.mark.browser

LAYERS = ".leaflet-control-layers-overlays"
LEVELS_VI, COVERAGE_VI = "Cấp độ dịch và thiếu hụt", "Độ phủ hệ thống chỉ huy"
LEVEL_COLOURS = {1: "#2e7d32", 2: "#f9a825", 3: "#ef6c00", 4: "#c62828"}


async def test_coordinator_sees_levels_gaps_and_coverage(
    chromium: Path, live_server: LiveServer, artifacts: Path,
    e2e_database: tuple[str, tuple[str, str], list[SeededStation]],
) -> None:
    url = e2e_database[0]
    engine = create_engine(url)
    try:
        async with create_session_maker(engine)() as session:
            await load_chain_demo(session)
            await session.commit()
    finally:
        await engine.dispose()

    async with chromium_page(chromium, viewport=DESKTOP) as (page, errors):
        await sign_in(page, live_server)
        await page.wait_for_selector("body[data-chain-levels][data-chain-coverage]")
        token = await page.evaluate("sessionStorage.getItem('fieldops.token')")
        async with httpx.AsyncClient(base_url=live_server.base_url,
                                     headers={"Authorization": f"Bearer {token}"}) as api:
            units = (await api.get("/api/readiness/map")).json()
            coverage = (await api.get("/api/chain-coverage")).json()

        # Off by default: nothing of the layers is drawn until switched on.
        assert await page.locator("path.chain-level").count() == 0
        await page.hover(".leaflet-control-layers")  # the layers control opens
        await page.check(f"{LAYERS} label:has-text('{LEVELS_VI}') input")
        await page.wait_for_selector("path.chain-level")
        assert await page.locator("path.chain-level").count() == len(units)
        ward = next(u for u in units if u["level_of_unit"] == "commune"
                    and u["gaps"] and any(u["gaps"].values()))
        marker = page.locator(f"path.chain-level[data-code='{ward['code']}']")
        assert await marker.get_attribute("data-level") == str(ward["level"])
        assert await marker.get_attribute("fill") == LEVEL_COLOURS[ward["level"]]
        assert await marker.get_attribute("data-short") == "1"
        await marker.dispatch_event("mouseover")
        tooltip = page.locator(".leaflet-tooltip").last
        await tooltip.wait_for()
        text = await tooltip.text_content() or ""
        assert ward["name"] in text and "Còn thiếu" in text
        await page.screenshot(path=str(artifacts / "map-chain-levels.png"))

        await page.hover(".leaflet-control-layers")
        await page.uncheck(f"{LAYERS} label:has-text('{LEVELS_VI}') input")
        await page.check(f"{LAYERS} label:has-text('{COVERAGE_VI}') input")
        districts = [r for r in coverage["rows"] if r["level"] == "district"]
        await page.wait_for_selector("path.chain-coverage")
        assert await page.locator("path.chain-coverage").count() == len(districts)
        for row in districts[:3]:
            circle = page.locator(f"path.chain-coverage[data-code='{row['code']}']")
            assert await circle.get_attribute("data-connected") == str(row["connected"])
            assert await circle.get_attribute("data-communes") == str(row["communes"])
        labels = await page.locator(".chain-coverage-label").all_text_contents()
        assert f"{districts[0]['connected']}/{districts[0]['communes']}" in labels
        await page.screenshot(path=str(artifacts / "map-chain-coverage.png"))

        await page.click("#lang")  # English: the layers follow
        await page.wait_for_selector(f"{LAYERS}:has-text('Coverage of the chain')",
                                     state="attached")
        await page.wait_for_selector("path.chain-coverage")
        assert await page.locator("path.chain-coverage").count() == len(districts)
        assert errors == []
