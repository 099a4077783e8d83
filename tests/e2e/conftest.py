"""A real HTTP server on a database of its own, seeded by the operations demo with Ho Chi Minh
City's 436 stations, for the browser test. Chromium is Debian's (/usr/bin/chromium); it is
never downloaded."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright
from sqlalchemy import func, select

from api.app import create_app
from domain.db import create_engine, create_session_maker
from domain.demo.operations import load_operations_demo
from domain.demo.supplies import load_supplies_demo
from domain.models.enums import Role
from domain.models.station import Station
from domain.settings import Settings
from tests.servers import fresh_database, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
E2E_DB = "fieldops_e2e"
STATIONS = 436
CASES = 500


DESKTOP = {"width": 1400, "height": 900}  # a coordinator's screen


@asynccontextmanager
async def chromium_page(chromium: Path, **context: Any) -> AsyncIterator[tuple[Page, list[str]]]:
    """A page of a fresh headless Chromium (``context``: viewport, touch...), and the errors
    its scripts raise, for the test to assert none."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(**context)).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page, errors
        finally:
            await browser.close()


@dataclass(frozen=True)
class SeededStation:
    id: uuid.UUID
    code: str
    district: str
    status: str
    lon: float
    lat: float


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    login: tuple[str, str]
    stations: list[SeededStation]


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing: run `apt-get install -y chromium` (or `make test`)")
    return CHROMIUM


async def _seed(url: str, seed: int) -> tuple[tuple[str, str], list[SeededStation]]:
    """The operations and supplies demos: 436 stations, 500 F0 cases, stock everywhere; returns
    the coordinator's login."""
    engine = create_engine(url)
    try:
        async with create_session_maker(engine)() as s:
            logins = await load_operations_demo(s, stations=STATIONS, cases=CASES, seed=seed)
            # Stock at every station: the station app gives bags from it and shows its cover.
            await load_supplies_demo(s, seed=seed)
            await s.commit()
            rows = (await s.execute(
                select(Station.id, Station.code, Station.scope_path, Station.status,
                       func.ST_X(Station.position), func.ST_Y(Station.position))
                .order_by(Station.code)
            )).all()
    finally:
        await engine.dispose()
    coordinator = next((u, p) for u, p, role in logins if role == Role.city_coordinator.value)
    stations = [
        SeededStation(id=r[0], code=r[1], district=r[2].split(".")[2], status=r[3].value,
                      lon=r[4], lat=r[5])
        for r in rows
    ]
    return coordinator, stations


@pytest.fixture(scope="session")
def e2e_database(database_url: str) -> Iterator[tuple[str, tuple[str, str], list[SeededStation]]]:
    """A database of its own: the server commits for real, the shared test database stays clean."""
    with fresh_database(database_url, E2E_DB) as url:
        login, stations = asyncio.run(_seed(url, seed=2021))
        yield url, login, stations


@pytest.fixture(scope="session")
def live_server(
    e2e_database: tuple[str, tuple[str, str], list[SeededStation]], settings: Settings
) -> Iterator[LiveServer]:
    url, login, stations = e2e_database
    with serving(create_app(dataclasses.replace(settings, database_url=url))) as base_url:
        yield LiveServer(base_url=base_url, login=login, stations=stations)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
