"""One transaction per request: committed when the handler succeeds, rolled back otherwise."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.session_maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
