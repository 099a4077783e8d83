"""SQL of the coordinator map: stations with their load and unresolved alerts, nearest stations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.enums import Role
from domain.models.supply import LocationKind, Requisition, StockLocation
from domain.models.user import User
from domain.rules.case_status import OPEN_STATUSES
from domain.rules.requisition_status import OPEN_STATUSES as OPEN_REQUISITION_STATUSES

# Active load: cases still cared for at home (not recovered, deceased or hospitalized).
ACTIVE_CASE_STATUSES = sorted(s.value for s in OPEN_STATUSES)


@dataclass(frozen=True, slots=True)
class StationLoad:
    """A station as the map draws it: where, what state, how loaded, how many unresolved alerts
    (by severity, and how many of them someone has acknowledged)."""

    id: uuid.UUID
    code: str
    name: str
    status: str
    commune_code: str
    path: str
    lon: float
    lat: float
    capacity: int
    doctors: int
    nurses: int
    volunteers: int
    active_cases: int
    open_alerts: int  # unresolved: open or acknowledged (an acknowledged emergency still is one)
    emergency_alerts: int
    attention_alerts: int
    acknowledged_alerts: int
    distance_m: float | None = None


@dataclass(frozen=True, slots=True)
class StationFilter:
    """Which stations: under ``scope_path``, optionally by status, box or ids."""

    scope_path: str
    statuses: Sequence[str] = ()
    bbox: tuple[float, float, float, float] | None = None
    ids: Sequence[uuid.UUID] | None = None


@dataclass(frozen=True, slots=True)
class StaffMember:
    full_name: str
    role: Role


@dataclass(frozen=True, slots=True)
class PendingRequisition:
    id: uuid.UUID
    code: str
    status: str
    submitted_at: datetime


# Unresolved alerts (open or acknowledged: acknowledging is "someone is on it", not "it is
# over"), split by severity, and how many of them have been acknowledged.
_ALERT_COUNTS = """count(*) AS open_alerts,
           count(*) FILTER (WHERE al.severity = 'emergency') AS emergency_alerts,
           count(*) FILTER (WHERE al.severity = 'attention') AS attention_alerts,
           count(*) FILTER (WHERE al.status = 'acknowledged') AS acknowledged_alerts"""

_COLUMNS = """s.id, s.code, s.name, s.status::text, s.commune_code, s.scope_path,
       ST_X(s.position), ST_Y(s.position), s.capacity, s.doctors, s.nurses, s.volunteers"""

# The whole scope in one statement: each count is one scan under the scope's path prefix
# (cases and alerts carry their station's scope path), grouped by station and hash-joined;
# per-station index lookups take twice as long for the 436 stations of the city.
_SCOPE_SQL = f"""
SELECT {_COLUMNS}, coalesce(c.active, 0), coalesce(a.open_alerts, 0),
       coalesce(a.emergency_alerts, 0), coalesce(a.attention_alerts, 0),
       coalesce(a.acknowledged_alerts, 0)
FROM station s
LEFT JOIN (
    SELECT f.station_id, count(*) AS active FROM f0_case f
    WHERE NOT f.deleted AND (f.scope_path = :scope OR f.scope_path LIKE :scope_like)
      AND f.status = ANY(CAST(:active AS case_status[]))
    GROUP BY 1
) c ON c.station_id = s.id
LEFT JOIN (
    SELECT al.station_id, {_ALERT_COUNTS}
    FROM alert al
    WHERE NOT al.deleted AND (al.scope_path = :scope OR al.scope_path LIKE :scope_like)
      AND al.status <> 'resolved'
    GROUP BY 1
) a ON a.station_id = s.id
WHERE {{where}}
ORDER BY s.code
"""

# A few stations (a live update, a nearest search): index lookups per station.
_FEW_SQL = f"""
SELECT {_COLUMNS}, c.active, a.open_alerts, a.emergency_alerts, a.attention_alerts,
       a.acknowledged_alerts{{distance}}
FROM ({{source}}) s
CROSS JOIN LATERAL (
    SELECT count(*) AS active FROM f0_case f
    WHERE f.station_id = s.id AND NOT f.deleted
      AND f.status = ANY(CAST(:active AS case_status[]))
) c
CROSS JOIN LATERAL (
    SELECT {_ALERT_COUNTS}
    FROM alert al
    WHERE al.station_id = s.id AND al.status <> 'resolved' AND NOT al.deleted
) a
ORDER BY {{order}}
"""

_SCOPED = "NOT s.deleted AND (s.scope_path = :scope OR s.scope_path LIKE :scope_like)"

# Nearest neighbours by the GiST index (<->), then exact metres on the sphere for the few kept.
_NEAREST_SOURCE = f"""
    SELECT s.* FROM station s WHERE {_SCOPED}
    ORDER BY s.position <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT :k
"""
_DISTANCE = (
    ",\n       ST_Distance(s.position::geography, "
    "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)"
)


def _like_prefix(path: str) -> str:
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"


def _row(r: Sequence[Any]) -> StationLoad:
    return StationLoad(
        id=r[0], code=r[1], name=r[2], status=r[3], commune_code=r[4], path=r[5],
        lon=r[6], lat=r[7], capacity=r[8], doctors=r[9], nurses=r[10], volunteers=r[11],
        active_cases=r[12], open_alerts=r[13], emergency_alerts=r[14], attention_alerts=r[15],
        acknowledged_alerts=r[16], distance_m=r[17] if len(r) > 17 else None,
    )


class MapRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stations(self, where: StationFilter) -> list[StationLoad]:
        """Stations with their load and unresolved alerts, in code order, in one statement."""
        conds = [_SCOPED]
        params: dict[str, Any] = {
            "scope": where.scope_path,
            "scope_like": _like_prefix(where.scope_path),
            "active": ACTIVE_CASE_STATUSES,
        }
        if where.statuses:
            conds.append("s.status::text = ANY(:statuses)")
            params["statuses"] = list(where.statuses)
        if where.bbox is not None:
            conds.append("s.position && ST_MakeEnvelope(:w, :s, :e, :n, 4326)")
            params.update(zip(("w", "s", "e", "n"), where.bbox, strict=True))
        if where.ids is not None:
            conds.append("s.id = ANY(:ids)")
            params["ids"] = list(where.ids)
        where_sql = " AND ".join(conds)
        if where.ids is None:
            sql = _SCOPE_SQL.format(where=where_sql)
        else:
            sql = _FEW_SQL.format(
                distance="", source=f"SELECT * FROM station s WHERE {where_sql}", order="s.code"
            )
        rows = await self.session.execute(text(sql), params)
        return [_row(r) for r in rows.all()]

    async def nearest(self, *, scope_path: str, lon: float, lat: float, k: int) -> list[StationLoad]:
        """The ``k`` stations nearest to a point, nearest first, with their distance in metres."""
        sql = _FEW_SQL.format(distance=_DISTANCE, source=_NEAREST_SOURCE, order="18, s.code")
        params = {
            "scope": scope_path, "scope_like": _like_prefix(scope_path),
            "active": ACTIVE_CASE_STATUSES, "lon": lon, "lat": lat, "k": k,
        }
        rows = await self.session.execute(text(sql), params)
        return [_row(r) for r in rows.all()]

    async def staff(self, station_id: uuid.UUID) -> list[StaffMember]:
        rows = await self.session.execute(
            select(User.full_name, User.role)
            .where(User.station_id == station_id, User.active.is_(True))
            .order_by(User.role, User.full_name)
        )
        return [StaffMember(full_name=r[0], role=r[1]) for r in rows.all()]

    async def cases_by_status(self, station_id: uuid.UUID) -> dict[str, int]:
        rows = await self.session.execute(
            text(
                "SELECT status::text, count(*) FROM f0_case "
                "WHERE station_id = :id AND NOT deleted GROUP BY 1"
            ),
            {"id": station_id},
        )
        return {r[0]: r[1] for r in rows.all()}

    async def pending_requisitions(self, station_id: uuid.UUID) -> list[PendingRequisition]:
        """Requisitions of the station's stock location that someone still has to act on."""
        rows = await self.session.execute(
            select(Requisition.id, Requisition.code, Requisition.status, Requisition.submitted_at)
            .join(StockLocation, StockLocation.id == Requisition.location_id)
            .where(
                StockLocation.station_id == station_id,
                StockLocation.kind == LocationKind.station,
                Requisition.status.in_(OPEN_REQUISITION_STATUSES),
                Requisition.deleted.is_(False),
            )
            .order_by(Requisition.submitted_at)
        )
        return [
            PendingRequisition(id=r[0], code=r[1], status=r[2].value, submitted_at=r[3])
            for r in rows.all()
        ]
