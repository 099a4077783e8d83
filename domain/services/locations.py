"""Stock-holding locations and who keeps the stock of each.

A location's scope_path is the admin path of its unit: the city warehouse sits at the
province ("VN.79"), a district warehouse at its district, a station and the F0 households it
lends devices to at the station's commune. Only the keeper of a location writes its ledger.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.models.admin_unit import AdminLevel
from domain.models.case import F0Case
from domain.models.enums import Role
from domain.models.station import Station
from domain.models.supply import LocationKind, StockLocation
from domain.repositories.admin_units import AdminUnitRepository
from domain.repositories.locations import LocationRepository

K = LocationKind
# Who writes the ledger of each kind of location (always their own unit's, own station's).
KEEPERS: dict[LocationKind, frozenset[Role]] = {
    K.city_warehouse: frozenset({Role.city_coordinator}),
    K.district_warehouse: frozenset({Role.district_logistics}),
    K.station: frozenset({Role.station_staff, Role.commune_officer}),
    K.household: frozenset({Role.station_staff, Role.commune_officer}),
}
WAREHOUSE_LEVEL = {K.city_warehouse: AdminLevel.province, K.district_warehouse: AdminLevel.district}
# Who may set up locations: a commune officer its stations, logistics their district, the city all.
SETUP_ROLES = frozenset({Role.commune_officer, Role.district_logistics, Role.city_coordinator})


def is_keeper(principal: Principal, location: StockLocation) -> bool:
    if principal.role not in KEEPERS[location.kind] or location.scope_path != principal.unit_path:
        return False
    return principal.station_id is None or principal.station_id == location.station_id


def require_keeper(principal: Principal, location: StockLocation) -> None:
    """404 when the caller cannot see the location, 403 when they see it but do not keep it."""
    principal.require_read(location.scope_path, "location")
    if not is_keeper(principal, location):
        raise Forbidden(
            f"a {principal.role.value} of {principal.unit_code} does not keep the stock of "
            f"{location.code}", field="location_id",
        )


class LocationService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = LocationRepository(session)

    async def get(self, location_id: uuid.UUID) -> StockLocation:
        loc = await self.repo.get(location_id)
        if loc is None or not self.principal.can_read(loc.scope_path):
            raise NotFound("location not found", field="location_id")
        return loc

    async def search(
        self, *, kind: LocationKind | None, station_id: uuid.UUID | None,
        limit: int, offset: int,
    ) -> tuple[Sequence[StockLocation], int]:
        return await self.repo.search(scope_path=self.principal.unit_path, kind=kind,
                                    station_id=station_id, limit=limit, offset=offset)

    async def create(
        self, *, kind: LocationKind, unit_code: str | None,
        station_id: uuid.UUID | None, name: str | None,
    ) -> StockLocation:
        """A warehouse names its unit, a station location its station; households come from
        their first loan."""
        if kind is K.station:
            if station_id is None:
                raise ValidationFailed("a station location names its station", field="station_id")
            return await self.create_for_station(station_id, name)
        if kind not in WAREHOUSE_LEVEL:
            raise ValidationFailed(f"{kind.value} locations are not set up by hand", field="kind")
        if unit_code is None:
            raise ValidationFailed("a warehouse names its unit", field="unit_code")
        return await self.create_warehouse(kind=kind, unit_code=unit_code, name=name)

    async def create_warehouse(
        self, *, kind: LocationKind, unit_code: str, name: str | None
    ) -> StockLocation:
        units = AdminUnitRepository(self.session)
        unit = await units.get(unit_code)
        if unit is None or not self.principal.can_read(unit.path):
            raise NotFound(f"no administrative unit {unit_code!r}", field="unit_code")
        if unit.level is not WAREHOUSE_LEVEL[kind]:
            raise ValidationFailed(
                f"a {kind.value} belongs to a {WAREHOUSE_LEVEL[kind].value}", field="unit_code"
            )
        self._require_setup(unit.path)
        if await self.repo.warehouse_of_unit(unit_code) is not None:
            raise ValidationFailed(f"{unit.name} already has a warehouse", field="unit_code")
        return await self.repo.add(StockLocation(
            code=f"WH-{unit_code}", name=name or f"Kho {unit.name}", kind=kind,
            unit_code=unit_code, scope_path=unit.path,
        ))

    async def create_for_station(
        self, station_id: uuid.UUID, name: str | None = None
    ) -> StockLocation:
        """The station's stock location; returns the existing one when it is already set up."""
        station = await self.session.get(Station, station_id)
        if station is None or station.deleted or not self.principal.can_read(station.scope_path):
            raise NotFound("station not found", field="station_id")
        self._require_setup(station.scope_path)
        existing = await self.repo.of_station(station_id)
        if existing is not None:
            return existing
        return await self.repo.add(StockLocation(
            code=f"ST-{station.code}", name=name or station.name, kind=K.station,
            unit_code=station.commune_code, station_id=station.id, scope_path=station.scope_path,
        ))

    async def household(self, case: F0Case) -> StockLocation:
        """The F0 household's location for lent devices, created on its first loan."""
        existing = await self.repo.household_of_case(case.id)
        if existing is not None:
            return existing
        return await self.repo.add(StockLocation(
            code=f"HH-{case.case_code}", name=f"Household of F0 {case.case_code}",
            kind=K.household, unit_code=case.commune_code, station_id=case.station_id,
            case_id=case.id, scope_path=case.scope_path,
        ))

    def _require_setup(self, scope_path: str) -> None:
        principal = self.principal
        if principal.role not in SETUP_ROLES or (
            principal.role is Role.commune_officer and scope_path != principal.unit_path
        ):
            raise Forbidden(f"a {principal.role.value} may not set up this location")

