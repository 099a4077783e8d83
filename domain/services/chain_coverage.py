"""Coverage of the chain: the "5,500 of 9,043 points" picture, live.

Rules decided here: a commune is *connected* when one of its stations has an active (not
revoked) device whose last sync (``device.last_seen_at``, set by every push and pull) is
less than 24 hours old; it *reported today* when its situation report of today (Asia/
Ho_Chi_Minh) is submitted; it *acknowledged the latest directive* when the most recent
directive addressed to it has been acknowledged (or acted on). Rows are the provinces and
districts under the caller's unit (or the unit asked for, within it), with a total for that
unit; only counts leave, so every role in scope reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal, within
from domain.errors import NotFound
from domain.repositories.admin_units import AdminUnitRecord, AdminUnitRepository
from domain.repositories.chain_coverage import CoverageRow, coverage_rows
from domain.services.reports import local_today

CONNECTED_WITHIN = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class CoverageTotal:
    communes: int
    connected: int
    reported_today: int
    with_directive: int
    acknowledged_latest: int


@dataclass(frozen=True, slots=True)
class ChainCoverage:
    unit: AdminUnitRecord
    day: date
    generated_at: datetime
    connected_since: datetime
    total: CoverageTotal
    rows: list[CoverageRow]


class ChainCoverageService:
    """The coverage table of the units the principal reads, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def table(self, unit_code: str | None) -> ChainCoverage:
        code = unit_code or self.principal.unit_code
        unit = await AdminUnitRepository(self.session).get(code)
        if unit is None or not self.principal.can_read(unit.path):
            raise NotFound(f"no administrative unit with code {code!r}", field="unit")
        now = datetime.now(UTC)
        since = now - CONNECTED_WITHIN
        day = local_today(now)
        rows = await coverage_rows(self.session, scope_path=unit.path, since=since, day=day)
        # The province rows partition the communes in scope: their sum is the unit's total.
        provinces = [r for r in rows if r.level == "province"]
        total = CoverageTotal(*(sum(getattr(r, f) for r in provinces) for f in (
            "communes", "connected", "reported_today", "with_directive",
            "acknowledged_latest")))
        # A province row seen from one of its districts would count that district alone.
        rows = [r for r in rows if within(r.path, unit.path)]
        return ChainCoverage(unit, day, now, since, total, rows)
