"""What the coordinator map shows: scoped stations, their stock and why one needs attention."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from domain.admin_dataset import english_name
from domain.authz import Principal, within
from domain.errors import NotFound, ValidationFailed
from domain.models.admin_unit import AdminLevel
from domain.repositories.admin_units import AdminUnitRecord, AdminUnitRepository
from domain.repositories.map import (
    MapRepository,
    MapStation,
    PendingRequisition,
    StaffMember,
    StationFilter,
    StationLoad,
    UnitName,
)
from domain.repositories.stock import KeyStock

UNKNOWN = "unknown"
LEVEL_BELOW = {0: AdminLevel.province, 1: AdminLevel.district, 2: AdminLevel.commune}
MAX_OUTLINES = 1000


class Places(msgspec.Struct, frozen=True):
    commune_name: str = ""
    commune_name_en: str = ""
    district_name: str = ""
    district_name_en: str = ""


class StationView(msgspec.Struct, frozen=True):
    station: StationLoad
    # each key supply's state in KEY_ITEMS order: ok / low / out / unknown (a tuple, shared
    # by the stations in the same state: the API builds one StationStock per distinct tuple)
    stock: tuple[str, ...]
    attention: list[str]
    # Where it is, in both languages: ten districts have a "Phường 11", so a ward's name alone
    # does not say which station this is.
    places: Places
    row: MapStation

    @property
    def load(self) -> float:
        return self.station.active_cases / self.station.capacity

    @property
    def supplies(self) -> dict[str, KeyStock]:
        """The key supplies the station has a record of (the panel; the list does not ask)."""
        return self.row.supplies()


@dataclass(frozen=True, slots=True)
class StationDetail:
    view: StationView
    staff: list[StaffMember]
    cases_by_status: dict[str, int]
    pending_requisitions: list[PendingRequisition]


def attention_reasons(station: StationLoad, stock: tuple[str, ...]) -> list[str]:
    """Why a coordinator should look: unanswered alerts, a key item out, more cases than beds.
    ``stock``: the key supplies' states (KEY_ITEMS order)."""
    reasons = []
    if station.open_alerts:
        reasons.append("open_alerts")
    if "out" in stock:
        reasons.append("stock_out")
    if station.active_cases > station.capacity:
        reasons.append("overload")
    return reasons


class MapService:
    """The map as the principal sees it, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = MapRepository(session)

    async def scope_for(
        self, *, province: str | None = None, district: str | None = None
    ) -> str | None:
        """The caller's unit narrowed by the filters; None when a filter lies outside it."""
        scope = self.principal.unit_path
        units = AdminUnitRepository(self.session)
        for name, code, level in (
            ("province", province, AdminLevel.province),
            ("district", district, AdminLevel.district),
        ):
            if code is None:
                continue
            unit = await units.get(code)
            if unit is None or unit.level is not level:
                raise ValidationFailed(f"{code!r} is not a {name} code", field=name)
            if within(unit.path, scope):
                scope = unit.path
            elif not within(scope, unit.path):
                return None
        return scope

    async def stations(
        self, scope_path: str | None, *, statuses: Sequence[str] = (),
        bbox: tuple[float, float, float, float] | None = None,
        ids: Sequence[uuid.UUID] | None = None,
    ) -> list[StationView]:
        """Stations under ``scope_path`` (from scope_for: None reads nothing)."""
        return await station_views(self.session, scope_path, statuses=statuses, bbox=bbox, ids=ids)

    async def nearest(self, *, lon: float, lat: float, k: int) -> list[StationView]:
        scope_path = self.principal.unit_path
        rows = await self.repo.nearest(scope_path=scope_path, lon=lon, lat=lat, k=k)
        return _views(rows)

    async def detail(self, station_id: uuid.UUID) -> StationDetail:
        views = await self.stations(self.principal.unit_path, ids=[station_id])
        if not views:
            raise NotFound("station not found", field="station_id")
        return StationDetail(
            view=views[0],
            staff=await self.repo.staff(station_id),
            cases_by_status=await self.repo.cases_by_status(station_id),
            pending_requisitions=await self.repo.pending_requisitions(station_id),
        )

    async def outlines(self, level: AdminLevel | None) -> list[AdminUnitRecord]:
        """Units under the caller at one level (default: the level below theirs), as boxes."""
        depth = self.principal.unit_level
        level = level or LEVEL_BELOW.get(depth, AdminLevel.commune)
        rows, _ = await AdminUnitRepository(self.session).search(
            level=level, within=self.principal.unit_path, with_outline=True, limit=MAX_OUTLINES
        )
        return rows


async def station_views(
    session: AsyncSession, scope_path: str | None, *, statuses: Sequence[str] = (),
    bbox: tuple[float, float, float, float] | None = None,
    ids: Sequence[uuid.UUID] | None = None,
) -> list[StationView]:
    """Stations under ``scope_path`` with their stock and attention reasons. No principal: the
    live feed reads each changed station once for all its subscribers (api/live.py), and each
    subscriber keeps only what lies under its own unit."""
    if scope_path is None:
        return []
    rows = await MapRepository(session).stations(
        StationFilter(scope_path=scope_path, statuses=statuses, bbox=bbox, ids=ids)
    )
    return _views(rows)


def _views(rows: list[MapStation]) -> list[StationView]:
    """Views of the statement's rows, in one pass: each unit's English name, each ward's
    places and each distinct tuple of stock states are worked out once per request."""
    english: dict[UnitName, str] = {}

    def names(unit: UnitName | None) -> tuple[str, str]:
        if unit is None:
            return "", ""
        en = english.get(unit)
        if en is None:
            en = english[unit] = english_name(unit.unit_type, unit.short_name, unit.name_en)
        return unit.name, en

    places: dict[str, Places] = {}
    stocks: dict[tuple[str | None, ...], tuple[str, ...]] = {}
    views = []
    for row in rows:
        station = row.station
        known = row.states
        stock = stocks.get(known)
        if stock is None:
            stock = stocks[known] = tuple(UNKNOWN if s is None else s for s in known)
        place = places.get(station.path)
        if place is None:
            place = _NOWHERE
            if station.path.count(".") >= 3:
                (commune, commune_en), (district, district_en) = (
                    names(row.commune), names(row.district))
                place = Places(commune_name=commune, commune_name_en=commune_en,
                               district_name=district, district_name_en=district_en)
            places[station.path] = place
        views.append(StationView(station, stock, attention_reasons(station, stock), place, row))
    return views


_NOWHERE = Places()
