"""Unit dashboards: a unit and each of its children, rolled up from cases, alerts, stations, stock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import NotFound
from domain.models.enums import CaseStatus, RiskGroup, StationStatus
from domain.models.supply import LocationKind
from domain.repositories.admin_units import AdminUnitRecord, AdminUnitRepository
from domain.repositories.dashboard import DashboardRepository
from domain.repositories.map import ACTIVE_CASE_STATUSES
from domain.repositories.stock import KEY_ITEMS, StockRepository, station_stock_states
from domain.services.map import UNKNOWN

STOCK_STATES = ("ok", "low", "out", UNKNOWN)
LOAD_BANDS = ("normal", "high", "over")


def load_band(active_cases: int, capacity: int) -> str:
    """Below 80 % of capacity is normal, up to 100 % high, beyond it over capacity."""
    ratio = active_cases / capacity
    return "normal" if ratio < 0.8 else "high" if ratio <= 1.0 else "over"


def _zeros(keys: tuple[str, ...] | list[str]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


@dataclass(slots=True)
class Rollup:
    code: str
    name: str
    level: str
    cases_by_status: dict[str, int] = field(default_factory=lambda: _zeros([s.value for s in CaseStatus]))
    active_by_risk: dict[str, int] = field(default_factory=lambda: _zeros([r.value for r in RiskGroup]))
    open_alerts: int = 0  # unresolved: open or acknowledged
    emergency_alerts: int = 0
    attention_alerts: int = 0
    acknowledged_alerts: int = 0
    median_ack_s: float | None = None
    stations_by_status: dict[str, int] = field(
        default_factory=lambda: _zeros([s.value for s in StationStatus])
    )
    stations_by_load: dict[str, int] = field(default_factory=lambda: _zeros(LOAD_BANDS))
    stock_states: dict[str, dict[str, int]] = field(
        default_factory=lambda: {item: _zeros(STOCK_STATES) for item in KEY_ITEMS}
    )
    # on hand at every store of the unit: its stations and its own warehouse (a district's
    # warehouse is in the district's figures, the city's in the city's), households excluded
    on_hand: dict[str, int] = field(default_factory=lambda: _zeros(KEY_ITEMS))
    days_of_cover: dict[str, float | None] = field(
        default_factory=lambda: dict.fromkeys(KEY_ITEMS)
    )


@dataclass(frozen=True, slots=True)
class Dashboard:
    unit: Rollup
    children: list[Rollup]
    generated_at: datetime


class DashboardService:
    """The dashboards of the units the principal reads, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = DashboardRepository(session)
        self.units = AdminUnitRepository(session)

    async def build(self, unit_code: str | None) -> Dashboard:
        """The caller's unit by default; a unit outside their scope is 'not found'."""
        principal = self.principal
        code = unit_code or principal.unit_code
        unit = await self.units.get(code)
        if unit is None or not principal.can_read(unit.path):
            raise NotFound(f"no administrative unit with code {code!r}", field="unit")
        children, _ = await self.units.search(parent=unit.code, limit=1000)
        total = _rollup(unit)
        by_child = {c.code: _rollup(c) for c in children}

        def targets(child: str) -> list[Rollup]:
            return [total, by_child[child]] if child in by_child else [total]

        for case in await self.repo.cases(unit.path):
            for r in targets(case.child):
                r.cases_by_status[case.status] += case.count
                if case.status in ACTIVE_CASE_STATUSES:
                    r.active_by_risk[case.risk_group] += case.count
        for alert in await self.repo.alerts(unit.path):
            rollup = total if alert.child is None else by_child.get(alert.child)
            if rollup is not None:
                rollup.open_alerts, rollup.median_ack_s = alert.unresolved, alert.median_ack_s
                rollup.emergency_alerts = alert.emergency
                rollup.attention_alerts = alert.attention
                rollup.acknowledged_alerts = alert.acknowledged
        stations = await self.repo.stations(unit.path)
        states = await station_stock_states(self.session, scope_path=unit.path) if stations else {}
        for st in stations:
            stock = states.get(st.id, {})
            for r in targets(st.child):
                r.stations_by_status[st.status] += 1
                r.stations_by_load[load_band(st.active_cases, st.capacity)] += 1
                for item in KEY_ITEMS:
                    state = stock[item].state if item in stock else UNKNOWN
                    r.stock_states[item][state if state in STOCK_STATES else UNKNOWN] += 1
        for held in await self.repo.on_hand(unit.path):
            rollup = total if held.child is None else by_child.get(held.child)
            if rollup is not None and held.key in rollup.on_hand:
                rollup.on_hand[held.key] = held.quantity
        await self._days_of_cover(unit.path, {st.id: targets(st.child) for st in stations},
                                  [total, *by_child.values()])
        return Dashboard(
            unit=total, children=[by_child[c.code] for c in children],
            generated_at=datetime.now(UTC),
        )

    async def _days_of_cover(
        self, scope_path: str, rollups_of: dict[uuid.UUID, list[Rollup]], rollups: list[Rollup]
    ) -> None:
        """What the unit holds (its stations and its warehouse, ``on_hand``) over its stations'
        daily need, per key supply (None: no need). The warehouse's own need is the same
        patients' need counted again, so only the stations' need is the divisor."""
        keys = await self.repo.map_keys()
        if not keys or not rollups_of:
            return
        coverage = await StockRepository(self.session).coverage(
            scope_path=scope_path, kind=LocationKind.station
        )
        need: dict[tuple[str, str], float] = {}  # (unit code, key) -> stations' daily need
        for row in coverage:
            key = keys.get(row.item_id)
            if key is None or row.station_id is None:
                continue
            for r in rollups_of.get(row.station_id, []):
                need[(r.code, key)] = need.get((r.code, key), 0.0) + row.daily_need
        for r in rollups:
            for key in KEY_ITEMS:
                daily = need.get((r.code, key), 0.0)
                r.days_of_cover[key] = round(r.on_hand[key] / daily, 1) if daily > 0 else None


def _rollup(unit: AdminUnitRecord) -> Rollup:
    return Rollup(code=unit.code, name=unit.name, level=unit.level.value)
