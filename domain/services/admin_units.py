"""Rules around the administrative hierarchy: search folding, ancestor chains, loading."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.admin_dataset import read_units
from domain.errors import NotFound
from domain.models.admin_unit import AdminLevel
from domain.repositories.admin_units import AdminUnitRecord, AdminUnitRepository, NameQuery
from domain.text import fold, spelling


@dataclass(frozen=True, slots=True)
class UnitWithAncestors:
    unit: AdminUnitRecord
    ancestors: list[AdminUnitRecord]


class AdminUnitService:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = AdminUnitRepository(session)

    async def search(
        self,
        *,
        level: AdminLevel | None,
        parent: str | None,
        q: str | None,
        limit: int,
        offset: int,
        with_outline: bool = False,
    ) -> tuple[list[AdminUnitRecord], int]:
        folded = fold(q) if q else ""
        query = NameQuery(folded=folded, spelled=spelling(q)) if q and folded else None
        return await self.repo.search(
            level=level,
            parent=parent,
            q=query,
            limit=limit,
            offset=offset,
            with_outline=with_outline,
        )

    async def get(self, code: str, *, with_outline: bool = False) -> UnitWithAncestors:
        unit = await self.repo.get(code, with_outline=with_outline)
        if unit is None:
            raise NotFound(f"no administrative unit with code {code!r}", field="code")
        ancestor_codes = unit.path.split(".")[:-1]
        return UnitWithAncestors(unit=unit, ancestors=await self.repo.get_many(ancestor_codes))

    async def load(self, progress: Callable[[int], None] | None = None, *, force: bool = False) -> int:
        """Load the early-2025 hierarchy (domain/admin_dataset.py); safe to run again (unchanged rows keep their version).

        A complete table is left alone unless ``force``: the dataset is frozen history, and a
        second start of the service should not spend seconds re-checking ten thousand rows.
        """
        records = list(read_units())
        if not force and await self.repo.count() == len(records):
            return len(records)
        await self.repo.upsert(records, progress=progress)
        await self.repo.analyze()
        return len(records)


async def load_admin_units(
    url: str, *, force: bool = False, progress: Callable[[int], None] | None = None
) -> int:
    """Load the administrative hierarchy into the database at ``url`` and commit; idempotent.

    The one entry point for every caller outside a request: the CLI, the demo loader, the
    simulator and the test fixtures.
    """
    from domain.db import create_engine, create_session_maker

    engine = create_engine(url)
    try:
        async with create_session_maker(engine)() as session:
            n = await AdminUnitService(session).load(progress=progress, force=force)
            await session.commit()
            return n
    finally:
        await engine.dispose()


def dataset_size() -> int:
    """How many units the dataset holds (the total of a progress bar)."""
    return sum(1 for _ in read_units())
