"""The chain tests share the operations world (two districts of Ho Chi Minh City and a ward
of Hanoi, a person for every role), built once for the package; requests run in the test's
rolled-back transaction, so the world stays as built."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.db import create_session_maker
from domain.settings import Settings
from tests.conftest import truncate_operational_tables
from tests.integration.operations.conftest import World, _build


@pytest.fixture(scope="package")
async def world(
    engine: AsyncEngine, settings: Settings, password_hash: str
) -> AsyncIterator[World]:
    w = World()
    async with create_session_maker(engine)() as session:
        await _build(session, w, settings, password_hash)
        await session.commit()
    yield w
    await truncate_operational_tables(engine)
