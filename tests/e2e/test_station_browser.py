"""The station tablet app in headless Chromium, offline and back: enrol, bootstrap, lose the
network, reload and keep working, register a patient, record an SpO2 of 92, give bag A and edit
a patient whom someone edits online meanwhile; when the link returns the app syncs by itself:
the alert reaches the coordinators' map stream and the API, the stock moved, and the lost edit
is explained in the app and kept in the conflict log. Then the page is closed in the middle of
a push and opened again: nothing is lost and nothing doubled."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Route, async_playwright

from domain.demo.operations import DEMO_PASSWORD
from tests.e2e.conftest import CHROMIUM_ARGS, LiveServer

pytestmark = pytest.mark.browser

TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SYNCED = "body[data-online='on'][data-pending='0']"


async def login(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    resp = await api.post("/api/auth/login",
                          json={"username": username, "password": DEMO_PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def enrolment_code(api: httpx.AsyncClient) -> str:
    """What the commune officer does: POST /api/devices for the ward's station."""
    me = (await api.get("/api/me", headers=await login(api, "demo.station"))).json()
    resp = await api.post("/api/devices", json={"name": "Tablet e2e", "station_id": me["station_id"]},
                          headers=await login(api, "demo.commune"))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    return f"FO1.{body['device_id']}.{me['station_id']}.{body['token']}"


async def bag_a_on_hand(api: httpx.AsyncClient, headers: dict[str, str]) -> int:
    """Bags A at the ward's stations, from the API's stock on hand."""
    rows = (await api.get("/api/stock", params={"limit": 200}, headers=headers)).json()["items"]
    return sum(r["quantity"] for r in rows
               if r["item_code"] == "bag_a" and r["location_code"].startswith("ST-"))


async def open_app(context: BrowserContext, base_url: str, errors: list[str]) -> Page:
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{base_url}/station")
    return page


async def choose_author(page: Page) -> None:
    await page.click("#authors li[data-role='station_staff']")
    await page.fill("#pin-form input[name=pin]", "2468")
    await page.click("#pin-form button[type=submit]")
    await page.wait_for_selector("body[data-state='ready']")


async def map_events(api: httpx.AsyncClient, headers: dict[str, str],
                     seen: list[dict[str, Any]], ready: asyncio.Event) -> None:
    """The coordinators' live map stream, as /map reads it: every `stations` event kept."""
    async with api.stream("GET", "/api/map/events", headers=headers, timeout=None) as resp:
        event = None
        async for line in resp.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
                if event == "ready":
                    ready.set()
            elif line.startswith("data:") and event == "stations":
                seen.extend(json.loads(line.split(":", 1)[1]))


async def test_station_app_offline_then_back(
    chromium: Path, live_server: LiveServer, artifacts: Path
) -> None:
    base = live_server.base_url
    async with httpx.AsyncClient(base_url=base, timeout=30) as api, async_playwright() as pw:
        code = await enrolment_code(api)
        staff = await login(api, "demo.station")
        city = await login(api, "demo.city")
        browser = await pw.chromium.launch(executable_path=str(chromium), headless=True,
                                           args=CHROMIUM_ARGS)
        errors: list[str] = []
        try:
            context = await browser.new_context(viewport=TABLET)
            page = await open_app(context, base, errors)
            # Enrol with the officer's code; the bootstrap runs; the author is picked offline-ready.
            await page.fill("#enrol-form input[name=code]", code)
            await page.click("#enrol-form button[type=submit]")
            await page.wait_for_selector("body[data-state='author']", timeout=60_000)
            await choose_author(page)
            await page.wait_for_selector("#patients li.card")
            assert await page.evaluate(
                "navigator.serviceWorker.ready.then(() => caches.has('station-v1'))")
            await page.screenshot(path=str(artifacts / "station-tablet.png"))

            existing = await page.get_attribute("#patients li.card.status-home_monitoring >> nth=0",
                                                "data-id")
            assert existing
            before_bags = await bag_a_on_hand(api, staff)

            # The link drops; a reload still opens the app, from the service worker's cache.
            await context.set_offline(True)
            await page.reload()
            await page.wait_for_selector("body[data-state='ready'][data-online='off']")

            # Offline: register a patient, record SpO2 92, give bag A, edit a known patient.
            await page.click("#register")
            await page.fill("#register-form input[name=full_name]", "Nguyễn Thị Ngoại Tuyến")
            await page.fill("#register-form input[name=year_of_birth]", "1961")
            await page.fill("#register-form input[name=phone]", "0903555111")
            await page.click("#register-form button[type=submit]")
            await page.wait_for_selector("#patient")
            new_id = await page.get_attribute("#patient", "data-id")
            assert new_id
            await page.fill("#vitals-form input[name=spo2]", "92")
            await page.click("#vitals-form button[type=submit]")
            await page.wait_for_selector("#patient .readings li[data-kind='spo2']")
            await page.click("#patient button.bag[data-bag='A']")
            await page.wait_for_selector("#patient .bag.given[data-bag='A']")
            # Diacritics do not matter to the search.
            await page.fill("#search", "nguyen thi ngoai")
            await page.wait_for_selector(f"#patients li.card[data-id='{new_id}']")
            await page.fill("#search", "")
            await page.click(f"#patients li.card[data-id='{existing}']")
            typed, kept = f"0903{secrets.randbelow(10**6):06d}", f"0904{secrets.randbelow(10**6):06d}"
            await page.fill("#details-form input[name=phone]", typed)
            await page.click("#details-form button[type=submit]")
            await page.wait_for_selector("body[data-pending='4']")  # case, reading, bag A, edit
            assert (await api.get(f"/api/cases/{new_id}", headers=staff)).status_code == 404

            # Meanwhile someone edits the same patient online, later than the tablet did.
            online = await api.patch(f"/api/cases/{existing}", json={"phone": kept},
                                     headers=staff)
            assert online.status_code == 200, online.text

            seen: list[dict[str, Any]] = []
            ready = asyncio.Event()
            stream = asyncio.create_task(map_events(api, city, seen, ready))
            await asyncio.wait_for(ready.wait(), 10)

            # The link returns: the app syncs by itself.
            await context.set_offline(False)
            await page.wait_for_selector(SYNCED, timeout=30_000)

            case = await api.get(f"/api/cases/{new_id}", headers=staff)
            assert case.status_code == 200, case.text
            assert case.json()["medicine_bags"]["a_given_at"] is not None
            alerts = (await api.get("/api/alerts", params={"case_id": new_id},
                                    headers=staff)).json()["items"]
            assert len(alerts) == 1 and alerts[0]["status"] == "open"
            station_id = case.json()["station_id"]
            for _ in range(100):
                if any(f["id"] == str(station_id) for f in seen):
                    break
                await asyncio.sleep(0.1)
            assert any(f["id"] == str(station_id) for f in seen), "no map event for the station"
            stream.cancel()
            assert await bag_a_on_hand(api, staff) == before_bags - 1

            # The lost edit: the server kept the online phone, the app says so, the log has it.
            await page.click("#notices-toggle")
            notice = page.locator(f".notice[data-status='merged'][data-row='{existing}']")
            await notice.wait_for()
            assert typed in (await notice.locator(".typed").text_content() or "")
            assert kept in (await notice.locator(".kept").text_content() or "")
            conflicts = (await api.get("/api/sync/conflicts", params={"row_id": existing},
                                       headers=await login(api, "demo.commune"))).json()["items"]
            assert any(c["field"] == "phone" for c in conflicts), conflicts
            await page.wait_for_selector(f"#patients li.card[data-id='{new_id}']")
            await page.evaluate("window.scrollTo(0, 0)")
            await page.screenshot(path=str(artifacts / "station-synced.png"))

            # The page closes in the middle of a push (the server commits, the answer is lost).
            await page.click(f"#patients li.card[data-id='{new_id}']")
            await page.fill("#vitals-form input[name=pulse]", "88")
            await page.fill("#vitals-form input[name=temperature]", "37.4")
            pushed = asyncio.Event()

            async def cut(route: Route) -> None:
                await route.fetch()  # reaches the server, which commits
                pushed.set()

            await context.route("**/sync/v1/push", cut)
            await page.click("#vitals-form button[type=submit]")
            await asyncio.wait_for(pushed.wait(), 20)
            await page.close()
            await context.unroute("**/sync/v1/push")
            page = await open_app(context, base, errors)
            await page.wait_for_selector(SYNCED, timeout=30_000)
            await choose_author(page)  # a new tab: the author is asked again (PIN now known)
            readings = (await api.get(f"/api/cases/{new_id}/observations",
                                      params={"limit": 100}, headers=staff)).json()["items"]
            kinds = sorted(o["kind"] for o in readings)
            assert kinds == ["pulse", "spo2", "temperature"], kinds  # nothing lost, nothing doubled

            # English, and a phone.
            await page.click("#lang")
            await page.wait_for_selector("#tab-worklist:has-text('Worklist')")
            await page.click("#tab-worklist")
            await page.wait_for_selector(f"#alerts li[data-case='{new_id}']")
            # Vital signs are due every 12 hours: the app's list is the server's (GET
            # /api/follow-up), and the patient just measured is not on it.
            due = (await api.get("/api/follow-up", headers=staff)).json()["overdue"]["items"]
            shown = await page.eval_on_selector_all("#overdue li", "els => els.map(e => e.dataset.id)")
            assert sorted(shown) == sorted(d["case_id"] for d in due) and due
            assert new_id not in shown
            await page.screenshot(path=str(artifacts / "station-english.png"))
            await page.set_viewport_size(PHONE)
            await page.click("#tab-patients")
            await page.click(f"#patients li.card[data-id='{new_id}']")
            await page.wait_for_selector("#patient")
            await page.screenshot(path=str(artifacts / "station-phone.png"), full_page=True)
            assert errors == []
        finally:
            await browser.close()


async def test_officer_shows_a_qr_code_that_enrols_another_tablet(
    chromium: Path, live_server: LiveServer, artifacts: Path
) -> None:
    """The commune officer signs in on any browser and gets a code and a QR code of the link
    that enrols a new tablet; the token is shown once and never sent anywhere else."""
    base = live_server.base_url
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), headless=True,
                                           args=CHROMIUM_ARGS)
        errors: list[str] = []
        try:
            officer = await open_app(await browser.new_context(viewport=TABLET), base, errors)
            await officer.fill("#officer-form input[name=username]", "demo.commune")
            await officer.fill("#officer-form input[name=password]", DEMO_PASSWORD)
            await officer.click("#officer-form button[name=other]")
            await officer.wait_for_selector("#enrol-qr")
            assert await officer.evaluate(
                "document.getElementById('enrol-qr').naturalWidth > 100")
            code = await officer.text_content("#enrol-code")
            assert code and code.startswith("FO1.")
            await officer.screenshot(path=str(artifacts / "station-enrol-qr.png"))

            tablet = await open_app(await browser.new_context(viewport=PHONE), base, errors)
            await tablet.goto(f"{base}/station#enrol={code}")
            await tablet.wait_for_selector("body[data-state='author']", timeout=60_000)
            await choose_author(tablet)
            await tablet.wait_for_selector("#patients li.card")
            assert errors == []
        finally:
            await browser.close()
