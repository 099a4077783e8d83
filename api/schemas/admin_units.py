"""Administrative units on the wire."""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.paging import Page, page_schema
from domain.geo import Point
from domain.models.admin_unit import AdminLevel
from domain.repositories.admin_units import UnitRow


class AdminUnit(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    level: AdminLevel
    name: str
    short_name: str
    type: str
    name_en: str | None
    parent_code: str | None
    path: str
    centroid: Point
    # [min_lon, min_lat, max_lon, max_lat], like GeoJSON's bbox member
    bbox: tuple[float, float, float, float]

    @classmethod
    def of(cls, row: UnitRow) -> AdminUnit:
        return cls(
            code=row.code,
            level=row.level,
            name=row.name,
            short_name=row.short_name,
            type=row.unit_type,
            name_en=row.name_en,
            parent_code=row.parent_code,
            path=row.path,
            centroid=Point(coordinates=(row.lon, row.lat)),
            bbox=row.bbox,
        )


class AdminUnitDetail(AdminUnit, kw_only=True, frozen=True):
    ancestors: list[AdminUnit]


AdminUnitPage = Annotated[Page[AdminUnit], page_schema("AdminUnitPage")]
