"""SQL of the unit dashboards: cases, alerts and stations under a unit, grouped by child unit.

Every query keys its rows by the child unit's code, cut from ``scope_path`` (the path part one
level below the unit), so one scan under the unit's prefix serves the unit and its children.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.supply import CatalogItem
from domain.repositories.map import ACTIVE_CASE_STATUSES


@dataclass(frozen=True, slots=True)
class CaseCount:
    child: str
    status: str
    risk_group: str
    count: int


@dataclass(frozen=True, slots=True)
class AlertFigures:
    """Unresolved alerts (open or acknowledged), by severity and how many are acknowledged,
    and the median seconds from opening to acknowledgement; child None = all."""

    child: str | None
    unresolved: int
    emergency: int
    attention: int
    acknowledged: int
    median_ack_s: float | None


@dataclass(frozen=True, slots=True)
class KeyOnHand:
    """Quantity of one key supply held under a child unit (child None = the whole unit)."""

    child: str | None
    key: str
    quantity: int


@dataclass(frozen=True, slots=True)
class StationFigures:
    id: uuid.UUID
    child: str
    status: str
    active_cases: int
    capacity: int


_UNDER = "NOT {t}.deleted AND ({t}.scope_path = :scope OR {t}.scope_path LIKE :scope_like)"

_CASES = f"""
SELECT split_part(f.scope_path, '.', :part), f.status::text, f.risk_group::text, count(*)
FROM f0_case f WHERE {_UNDER.format(t="f")}
GROUP BY 1, 2, 3
"""

# The median does not add up across children, hence grouping sets: each child and the total.
_ALERTS = f"""
SELECT split_part(a.scope_path, '.', :part), GROUPING(split_part(a.scope_path, '.', :part)),
       count(*) FILTER (WHERE a.status <> 'resolved'),
       count(*) FILTER (WHERE a.status <> 'resolved' AND a.severity = 'emergency'),
       count(*) FILTER (WHERE a.status <> 'resolved' AND a.severity = 'attention'),
       count(*) FILTER (WHERE a.status = 'acknowledged'),
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM a.acknowledged_at - a.opened_at)::float8
       ) FILTER (WHERE a.acknowledged_at IS NOT NULL)
FROM alert a WHERE {_UNDER.format(t="a")}
GROUP BY GROUPING SETS ((split_part(a.scope_path, '.', :part)), ())
"""

# Every store under the unit (stations and warehouses; households hold lent equipment, not
# stock), per child and in total: a warehouse on the unit's own path counts in the total only.
_ON_HAND = f"""
SELECT split_part(l.scope_path, '.', :part), GROUPING(split_part(l.scope_path, '.', :part)),
       i.map_key, sum(b.qty)
FROM stock_balance b
JOIN stock_location l ON l.id = b.location_id
JOIN catalog_item i ON i.id = b.item_id
WHERE {_UNDER.format(t="l")} AND l.kind <> 'household'
  AND i.map_key IS NOT NULL AND NOT i.deleted
GROUP BY GROUPING SETS ((split_part(l.scope_path, '.', :part), i.map_key), (i.map_key))
"""

_STATIONS = f"""
SELECT s.id, split_part(s.scope_path, '.', :part), s.status::text, c.active, s.capacity
FROM station s
CROSS JOIN LATERAL (
    SELECT count(*) AS active FROM f0_case f
    WHERE f.station_id = s.id AND NOT f.deleted AND f.status = ANY(CAST(:active AS case_status[]))
) c
WHERE {_UNDER.format(t="s")}
"""


class DashboardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _rows(self, sql: str, scope_path: str, **extra: Any) -> Sequence[Any]:
        escaped = scope_path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params = {
            "scope": scope_path,
            "scope_like": escaped + ".%",
            # split_part counts from 1: the part after the unit's own is its child's code
            "part": scope_path.count(".") + 2,
            **extra,
        }
        return (await self.session.execute(text(sql), params)).all()

    async def cases(self, scope_path: str) -> list[CaseCount]:
        rows = await self._rows(_CASES, scope_path)
        return [CaseCount(child=r[0], status=r[1], risk_group=r[2], count=r[3]) for r in rows]

    async def alerts(self, scope_path: str) -> list[AlertFigures]:
        rows = await self._rows(_ALERTS, scope_path)
        return [
            AlertFigures(
                child=None if r[1] else r[0], unresolved=r[2], emergency=r[3], attention=r[4],
                acknowledged=r[5], median_ack_s=r[6],
            )
            for r in rows
        ]

    async def on_hand(self, scope_path: str) -> list[KeyOnHand]:
        rows = await self._rows(_ON_HAND, scope_path)
        return [
            KeyOnHand(child=None if r[1] else r[0], key=r[2], quantity=int(r[3])) for r in rows
        ]

    async def map_keys(self) -> dict[uuid.UUID, str]:
        """Catalog items that count towards a key supply (its ``map_key``: "oxygen", ...)."""
        rows = await self.session.execute(
            select(CatalogItem.id, CatalogItem.map_key).where(
                CatalogItem.map_key.is_not(None), CatalogItem.deleted.is_(False)
            )
        )
        return {r[0]: str(r[1]) for r in rows.all()}

    async def stations(self, scope_path: str) -> list[StationFigures]:
        rows = await self._rows(_STATIONS, scope_path, active=ACTIVE_CASE_STATUSES)
        return [
            StationFigures(id=r[0], child=r[1], status=r[2], active_cases=r[3], capacity=r[4])
            for r in rows
        ]
