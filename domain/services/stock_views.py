"""Read views of stock, always limited to the caller's unit: on hand, days of cover,
low stock, expiring lots, a district's rollup of its stations, movements, discrepancies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import NotFound
from domain.models.admin_unit import AdminLevel
from domain.models.supply import (
    DiscrepancyStatus,
    LocationKind,
    MovementKind,
    StockDiscrepancy,
    StockMovement,
)
from domain.repositories.admin_units import AdminUnitRepository
from domain.repositories.locations import LocationRepository
from domain.repositories.stock import CoverageRow, StockLine, StockRepository
from domain.services.locations import LocationService

STATE_RANK = {"ok": 0, "low": 1, "out": 2}


@dataclass(slots=True)
class LocationRollup:
    location_id: uuid.UUID
    code: str
    name: str
    kind: LocationKind
    station_id: uuid.UUID | None
    state: str = "ok"  # the worst state of its items
    items: list[CoverageRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DistrictRollup:
    code: str
    name: str
    path: str
    warehouse: LocationRollup | None
    stations: list[LocationRollup]
    totals: dict[str, int]  # item code -> on hand across the district's stations
    counts: dict[str, int]  # state -> number of stations


class StockViews:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = StockRepository(session)

    async def _check_location(self, location_id: uuid.UUID | None) -> None:
        if location_id is not None:
            await LocationService(self.session, self.principal).get(location_id)

    async def on_hand(
        self, *, location_id: uuid.UUID | None = None, kind: LocationKind | None = None,
    ) -> list[StockLine]:
        """Every line, for one location's lots and the CSV export."""
        await self._check_location(location_id)
        return await self.repo.on_hand(scope_path=self.principal.unit_path,
                                       location_id=location_id, kind=kind)

    async def on_hand_page(
        self, *, location_id: uuid.UUID | None, item_id: uuid.UUID | None,
        kind: LocationKind | None, limit: int, offset: int,
    ) -> tuple[list[StockLine], int]:
        await self._check_location(location_id)
        return await self.repo.on_hand_page(
            scope_path=self.principal.unit_path, location_id=location_id, item_id=item_id,
            kind=kind, limit=limit, offset=offset,
        )

    async def coverage(self, *, location_id: uuid.UUID) -> list[CoverageRow]:
        """Every item at one location."""
        await self._check_location(location_id)
        return await self.repo.coverage(scope_path=self.principal.unit_path,
                                        location_id=location_id)

    async def coverage_page(
        self, *, location_id: uuid.UUID | None, kind: LocationKind | None,
        item_id: uuid.UUID | None, low_only: bool, limit: int, offset: int,
    ) -> tuple[list[CoverageRow], int]:
        await self._check_location(location_id)
        return await self.repo.coverage_page(
            scope_path=self.principal.unit_path, location_id=location_id, kind=kind,
            item_id=item_id, states=("low", "out") if low_only else None, limit=limit,
            offset=offset,
        )

    async def expiring(self, within_days: int) -> list[StockLine]:
        """Lots in stock that expire within ``within_days`` (already expired ones first)."""
        before = datetime.now(UTC).date() + timedelta(days=within_days + 1)
        return await self.repo.on_hand(scope_path=self.principal.unit_path,
                                       expiring_before=before)

    async def district_rollup(self, district_code: str) -> DistrictRollup:
        unit = await AdminUnitRepository(self.session).get(district_code)
        if unit is None or unit.level is not AdminLevel.district or not self.principal.can_read(
            unit.path
        ):
            raise NotFound(f"no district {district_code!r}", field="code")
        locations, _ = await LocationRepository(self.session).search(
            scope_path=unit.path, kind=None, station_id=None, limit=10_000, offset=0
        )
        by_location = {
            loc.id: LocationRollup(loc.id, loc.code, loc.name, loc.kind, loc.station_id)
            for loc in locations if loc.kind is not LocationKind.household
        }
        for r in await self.repo.coverage(scope_path=unit.path):
            roll = by_location[r.location_id]
            roll.items.append(r)
            if STATE_RANK[r.state] > STATE_RANK[roll.state]:
                roll.state = r.state
        stations = [x for x in by_location.values() if x.kind is LocationKind.station]
        warehouse = next((x for x in by_location.values()
                          if x.kind is LocationKind.district_warehouse), None)
        totals: dict[str, int] = {}
        counts = dict.fromkeys(STATE_RANK, 0)
        for st in stations:
            counts[st.state] += 1
            for r in st.items:
                totals[r.item_code] = totals.get(r.item_code, 0) + r.on_hand
        return DistrictRollup(code=unit.code, name=unit.name, path=unit.path,
                              warehouse=warehouse, stations=stations,
                              totals=dict(sorted(totals.items())), counts=counts)

    async def movements(
        self, *, location_id: uuid.UUID | None, item_id: uuid.UUID | None,
        kind: MovementKind | None, since: datetime | None, limit: int, offset: int,
    ) -> tuple[Sequence[StockMovement], int]:
        await self._check_location(location_id)
        return await self.repo.movements(
            scope_path=self.principal.unit_path, location_id=location_id, item_id=item_id,
            kind=kind, since=since, limit=limit, offset=offset,
        )

    async def discrepancies(
        self, *, status: DiscrepancyStatus | None, limit: int, offset: int
    ) -> Sequence[StockDiscrepancy]:
        return await self.repo.discrepancies(scope_path=self.principal.unit_path, status=status,
                                             limit=limit, offset=offset)

