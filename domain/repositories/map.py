"""SQL of the coordinator map: stations with their load and unresolved alerts, nearest stations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import Driver, driver
from domain.models.enums import Role
from domain.models.supply import LocationKind, Requisition, StockLocation
from domain.models.user import User
from domain.repositories.scope import scope_sql
from domain.repositories.stock import (
    CONSUMPTION_WINDOW_DAYS,
    KEY_ITEMS,
    LOW_DAYS_OF_COVER,
    KeyStock,
)
from domain.repositories.stock_sql import key_columns_ctes
from domain.rules.case_status import OPEN_STATUSES
from domain.rules.requisition_status import OPEN_STATUSES as OPEN_REQUISITION_STATUSES

# Active load: cases still cared for at home (not recovered, deceased or hospitalized), the
# statuses station_caseload counts (migration 0003).
ACTIVE_CASE_STATUSES = sorted(s.value for s in OPEN_STATUSES)


class StationLoad(msgspec.Struct, frozen=True):
    """A station as the map draws it: where, what state, how loaded, how many unresolved alerts
    (by severity, and how many of them someone has acknowledged). Structs, not frozen
    dataclasses, for what the map builds per station: they are built ten times faster."""

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


class UnitName(msgspec.Struct, frozen=True):
    """An administrative unit's names, as english_name (domain/admin_dataset.py) reads them."""

    name: str
    unit_type: str
    short_name: str
    name_en: str | None


class MapStation(msgspec.Struct, frozen=True):
    """A station as one row of the map's statement: its load, its key supplies' figures and
    its ward's and district's names. The figures stay the statement's flat tuple (state,
    quantity, days of cover per key in KEY_ITEMS order; a null state: the catalog has no
    such key): the list reads only the states, and building eight KeyStock per station for
    it was a fifth of the page's Python (bench/results/map_notes.md, third pass)."""

    station: StationLoad
    figures: tuple[Any, ...]
    commune: UnitName | None
    district: UnitName | None

    @property
    def states(self) -> tuple[str | None, ...]:
        """Each key's state in KEY_ITEMS order, None where the catalog has no such key."""
        return self.figures[0::3]

    def supplies(self) -> dict[str, KeyStock]:
        """The key supplies the catalog has, with quantity and days of cover (the panel)."""
        f = self.figures
        return {key: KeyStock(state=f[3 * n], on_hand=f[3 * n + 1], days_of_cover=f[3 * n + 2])
                for n, key in enumerate(KEY_ITEMS) if f[3 * n] is not None}


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

# The key supplies of each station as columns (the planning constants written in).
_KEY_COLUMNS_CTES = key_columns_ctes(KEY_ITEMS, window=CONSUMPTION_WINDOW_DAYS,
                                     low_days=LOW_DAYS_OF_COVER)

# Everything the map draws of the stations ``{source}`` selects, in one statement and one row
# per station: load (open cases from station_caseload, kept by triggers on f0_case), unresolved
# alerts, the key supplies' state, quantity and days of cover as three columns per key in
# KEY_ITEMS order (stock_sql.key_columns_ctes; a null state: the catalog has no such key).
# One row per station instead of one per station and key: those statements and the Python
# that read them were most of the map's time (bench/results/map_notes.md). The ward's and
# district's names come from a second statement, once per distinct unit (_NAMES_SQL).
_STATIONS_SQL = """
WITH st AS MATERIALIZED (
    SELECT s.id, s.code, s.name, s.status, s.commune_code, s.scope_path, s.position,
           s.capacity, s.doctors, s.nurses, s.volunteers
    FROM ({source}) s
),""" + _KEY_COLUMNS_CTES + """, alerts AS (
    SELECT al.station_id, """ + _ALERT_COUNTS + """
    FROM alert al
    WHERE NOT al.deleted AND al.status <> 'resolved' AND {alert_filter}
    GROUP BY 1
)
SELECT st.id, st.code, st.name, st.status::text, st.commune_code, st.scope_path,
       ST_X(st.position), ST_Y(st.position), st.capacity, st.doctors, st.nurses,
       st.volunteers, coalesce(cl.open_cases, 0), coalesce(a.open_alerts, 0),
       coalesce(a.emergency_alerts, 0), coalesce(a.attention_alerts, 0),
       coalesce(a.acknowledged_alerts, 0), {distance},
       k.*
FROM st
LEFT JOIN station_caseload cl ON cl.station_id = st.id
LEFT JOIN alerts a ON a.station_id = st.id
LEFT JOIN key_columns k ON k.station_id = st.id
ORDER BY {order}
"""

# Nearest neighbours by the GiST index (<->), then exact metres on the sphere for the few kept.
_NEAREST_SOURCE = """
    SELECT s.* FROM station s WHERE NOT s.deleted AND {scope}
    ORDER BY s.position <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT $3
"""
_DISTANCE = (
    "ST_Distance(st.position::geography, "
    "ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography)"
)
# The few stations of a live update or a panel: their alerts by the station index.
_ALERTS_OF_FEW = "al.station_id IN (SELECT id FROM st)"


_KEYS_AT = 19  # the first key column: after the station's 18 and station_id

# The names of the wards and districts the stations lie in, once per unit: looked up per
# station in the map's statement, 872 index probes and 3,500 repeated strings cost a third
# of it (about 3.5 ms of 11; bench/results/map_notes.md, fourth pass).
_NAMES_SQL = (
    "SELECT code, name, unit_type, short_name, name_en FROM admin_unit WHERE code = ANY($1)"
)


def _sql(*, source: str, alert_filter: str, distance: str = "NULL::float", order: str) -> str:
    return _STATIONS_SQL.format(source=source, alert_filter=alert_filter, distance=distance,
                                order=order)


def _row(r: tuple[Any, ...], names: dict[str, UnitName]) -> MapStation:
    """One statement row: a plain tuple (a Row's item access costs more than the rest)."""
    station = StationLoad(*r[:18])  # the columns in the order of its fields
    parts = station.path.split(".")
    return MapStation(
        station,
        r[_KEYS_AT:],
        names.get(parts[3]) if len(parts) > 3 else None,
        names.get(parts[2]) if len(parts) > 2 else None,
    )


async def _stations(db: Driver, sql: str, *args: Any) -> list[MapStation]:
    """The stations ``sql`` reads, with the names of their wards and districts."""
    rows = [tuple(r) for r in await db.fetch(sql, *args)]
    codes = {code for r in rows for code in r[5].split(".")[2:4]}  # r[5]: the scope path
    names = {r[0]: UnitName(*r[1:]) for r in await db.fetch(_NAMES_SQL, list(codes))
             if None not in r[1:4]} if codes else {}
    return [_row(r, names) for r in rows]


class MapRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stations(self, where: StationFilter) -> list[MapStation]:
        """Stations with their load, alerts, key supplies and places, in code order. On the
        driver: through SQLAlchemy the statement's 436 rows of 53 columns cost about 2 ms
        more than the statement itself (bench/results/map_notes.md, fourth pass)."""
        conds = ["NOT s.deleted", scope_sql("s.scope_path", where.scope_path)]
        args: list[Any] = []

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        if where.statuses:
            conds.append(f"s.status::text = ANY({arg(list(where.statuses))}::text[])")
        if where.bbox is not None:
            w, s, e, n = (arg(float(c)) for c in where.bbox)
            conds.append(f"s.position && ST_MakeEnvelope({w}, {s}, {e}, {n}, 4326)")
        if where.ids is not None:
            conds.append(f"s.id = ANY({arg(list(where.ids))}::uuid[])")
        # a whole scope counts its alerts in one scan under the scope's path prefix (alerts
        # carry their station's path) and hash-joins them; a few stations look theirs up
        alert_filter = (scope_sql("al.scope_path", where.scope_path) if where.ids is None
                        else _ALERTS_OF_FEW)
        sql = _sql(source=f"SELECT * FROM station s WHERE {' AND '.join(conds)}",
                   alert_filter=alert_filter, order='st.code COLLATE "C"')
        return await _stations(await driver(self.session), sql, *args)

    async def nearest(self, *, scope_path: str, lon: float, lat: float, k: int) -> list[MapStation]:
        """The ``k`` stations nearest to a point, nearest first, with their distance in metres."""
        sql = _sql(source=_NEAREST_SOURCE.format(scope=scope_sql("s.scope_path", scope_path)),
                   alert_filter=_ALERTS_OF_FEW, distance=_DISTANCE, order='18, st.code COLLATE "C"')
        return await _stations(await driver(self.session), sql, float(lon), float(lat), k)

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
