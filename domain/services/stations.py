"""Mobile health stations: who creates them, who edits them, and how their status moves.

Rules decided here (the issue leaves them open):
- A commune officer creates the stations of their own commune and edits every field but the
  code and the commune; an administrator does the same anywhere in their scope.
- Station staff edit their own station's working details (name, address, position, capacity,
  staff counts, opening hours, phone), not its status.
- Status follows domain.rules.station_status. Commune officers and administrators move it;
  city coordinators may too, anywhere in their city (suspending or closing a station is the
  city's escalation).
  A station that still has open cases cannot close.
- District roles, doctors and care-team members read only. A station's position lies in its
  commune's bounding box.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal, within
from domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from domain.geo import point_wkt
from domain.models.admin_unit import AdminLevel
from domain.models.enums import Role, StationStatus
from domain.models.station import Station
from domain.repositories.admin_units import AdminUnitRecord, AdminUnitRepository
from domain.repositories.stations import StationFilter, StationRepository, StationView
from domain.rules.station_status import STATION_STATUS

S = StationStatus
DETAIL_FIELDS = frozenset({
    "name", "address", "position", "capacity", "doctors", "nurses", "volunteers",
    "opening_hours", "phone",
})
FILTER_LEVELS = {"province": 1, "district": 2, "commune": 3}


def _manages(principal: Principal, scope_path: str) -> bool:
    if principal.role is Role.administrator:
        return within(scope_path, principal.unit_path)
    return principal.role is Role.commune_officer and scope_path == principal.unit_path


def _may_set_status(principal: Principal, scope_path: str) -> bool:
    if principal.role is Role.city_coordinator:
        return within(scope_path, principal.unit_path)
    return _manages(principal, scope_path)


def _check_position(commune: AdminUnitRecord, lon: float, lat: float) -> None:
    min_lon, min_lat, max_lon, max_lat = commune.bbox
    if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
        raise ValidationFailed(
            f"the position lies outside {commune.name}'s bounding box", field="position"
        )



class StationService:
    """The stations the principal reads and the changes they may make, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = StationRepository(session)

    async def unit_paths(self, **codes: str | None) -> list[str]:
        """The caller's unit path plus the path of each province/district/commune filter given."""
        paths = [self.principal.unit_path]
        repo = AdminUnitRepository(self.session)
        for name, code in codes.items():
            if code is None:
                continue
            path = await repo.path_of(code)
            if path is None or path.count(".") != FILTER_LEVELS[name]:
                raise ValidationFailed(f"{code!r} is not a {name} code", field=name)
            paths.append(path)
        return paths

    async def get(self, station_id: uuid.UUID) -> StationView:
        view = await self.repo.get(station_id)
        if view is None or not self.principal.can_read(view.station.scope_path):
            raise NotFound("station not found", field="station_id")
        return view

    async def search(
        self, *, province: str | None = None, district: str | None = None,
        commune: str | None = None, status: StationStatus | None = None,
        bbox: tuple[float, float, float, float] | None = None, limit: int = 100, offset: int = 0,
    ) -> tuple[list[StationView], int]:
        units = await self.unit_paths(province=province, district=district, commune=commune)
        return await self.repo.page(
            StationFilter(units=units, status=status, bbox=bbox), limit=limit, offset=offset
        )

    async def create(
        self, *, code: str, name: str, commune_code: str, position: tuple[float, float],
        status: StationStatus = S.preparing, **details: Any,
    ) -> StationView:
        principal = self.principal
        commune = await AdminUnitRepository(self.session).get(commune_code)
        if commune is None or commune.level is not AdminLevel.commune:
            raise ValidationFailed(f"no commune with code {commune_code!r}", field="commune_code")
        if not _manages(principal, commune.path):
            raise Forbidden(f"a {principal.role.value} of {principal.unit_code} may not open a "
                            f"station in {commune.name}", field="commune_code")
        if status not in (S.preparing, S.active):
            raise ValidationFailed("a new station is preparing or active", field="status")
        _check_position(commune, *position)
        if await self.repo.code_taken(code):
            raise Conflict(f"station code {code!r} is taken", field="code")
        station = await self.repo.add(Station(
            code=code, name=name, commune_code=commune_code, scope_path=commune.path,
            position=point_wkt(*position), status=status, **details,
        ))
        return await self.get(station.id)

    async def update(self, station_id: uuid.UUID, changes: dict[str, Any]) -> StationView:
        """Apply the given fields (absent fields stay as they are); ``position`` is (lon, lat)."""
        station = await self.edit(station_id, changes)
        await self.session.flush()
        return await self.get(station.id)

    async def edit(self, station_id: uuid.UUID, changes: dict[str, Any]) -> Station:
        """``update`` short of the flush and the re-read: a sync merge writes its field stamps
        in the same UPDATE and reads nothing back."""
        principal = self.principal
        station = await self.repo.get_for_update(station_id)
        if station is None or not principal.can_read(station.scope_path):
            raise NotFound("station not found", field="station_id")
        details = set(changes) & DETAIL_FIELDS
        own_station = principal.role is Role.station_staff and principal.station_id == station.id
        if details and not (_manages(principal, station.scope_path) or own_station):
            raise Forbidden(f"a {principal.role.value} may not edit this station",
                            field=sorted(details)[0])
        if "status" in changes:
            await self._check_status(station, changes["status"])
        if "position" in changes:
            commune = await AdminUnitRepository(self.session).get(station.commune_code)
            assert commune is not None  # the foreign key guarantees it
            _check_position(commune, *changes["position"])
            changes = {**changes, "position": point_wkt(*changes["position"])}
        for field, value in changes.items():
            setattr(station, field, value)
        return station

    async def _check_status(self, station: Station, target: StationStatus) -> None:
        principal = self.principal
        if target is station.status:
            return
        if not _may_set_status(principal, station.scope_path):
            raise Forbidden(f"a {principal.role.value} may not change a station's status",
                            field="status")
        STATION_STATUS.check(station.status, target, principal.role)
        if target is S.closed:
            open_cases = await self.repo.open_cases(station.id)
            if open_cases:
                raise Conflict(f"the station still cares for {open_cases} open cases; "
                               "reassign them before closing it", field="status")
