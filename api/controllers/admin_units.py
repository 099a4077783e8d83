"""Administrative units: public reference data, the names and codes of the hierarchy as it
stood in early 2025 (domain/admin_dataset.py), not as in the epidemic's year."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.paging import Paging
from api.schemas.admin_units import AdminUnitDetail, AdminUnitPage
from api.schemas.common import UnitCode
from domain.geo import Feature, FeatureCollection, Point, geometry_from_geojson
from domain.models.admin_unit import AdminLevel
from domain.repositories.admin_units import AdminUnitRecord, outline_of
from domain.services.admin_units import AdminUnitService

GEOJSON = "application/geo+json"
Format = Literal["json", "geojson"]
GeometryKind = Literal["centroid", "outline"]


def _feature(
    row: AdminUnitRecord, geometry: GeometryKind, extra: dict[str, object] | None = None
) -> Feature:
    props: dict[str, object] = {
        "code": row.code,
        "level": row.level.value,
        "name": row.name,
        "short_name": row.short_name,
        "type": row.unit_type,
        "name_en": row.name_en,
        "parent_code": row.parent_code,
        "path": row.path,
    }
    if extra:
        props.update(extra)
    geom = (
        geometry_from_geojson(outline_of(row))
        if geometry == "outline"
        else Point(coordinates=(row.lon, row.lat))
    )
    return Feature(id=row.code, geometry=geom, properties=props)


class AdminUnitController(Controller):
    path = "/api/admin-units"
    tags = ["Administrative units"]

    @get(
        "/",
        operation_id="list_admin_units",
        summary="List or search administrative units",
        description=(
            "The units as of early 2025, before the mid-2025 reform (63 provinces, 696 "
            "districts, 10,035 communes; Ho Chi Minh City 22 districts and 273 wards), not "
            "those of the epidemic's year, which had more districts and wards. "
            "Filters combine. `q` ignores case and Vietnamese diacritics: `tan dinh` finds "
            "`Phường Tân Định`. With `q`, the best matches come first: a name that is the "
            "query, then names holding its words whole and in order, then all its words in "
            "any order, then a part of a word; ties go to the spelling as typed, higher "
            "levels and urban units. `format=geojson` returns a FeatureCollection whose geometry is "
            "the centroid or, with `geometry=outline`, the bounding box."
        ),
    )
    async def list_admin_units(
        self,
        db_session: NamedDependency[AsyncSession],
        paging: NamedDependency[Paging],
        level: FromQuery[AdminLevel | None] = None,
        parent: UnitCode = None,
        q: Annotated[str | None, QueryParameter(max_length=100, pattern=r"^[^\x00]*$")] = None,
        format: FromQuery[Format] = "json",
        geometry: FromQuery[GeometryKind] = "centroid",
    ) -> AdminUnitPage | FeatureCollection:
        rows, total = await AdminUnitService(db_session).search(
            level=level,
            parent=parent,
            q=q,
            limit=paging.limit,
            offset=paging.offset,
            with_outline=format == "geojson" and geometry == "outline",
        )
        if format == "geojson":
            return FeatureCollection(features=[_feature(r, geometry) for r in rows])
        return paging.page(rows, total)

    @get(
        "/{code:str}",
        operation_id="get_admin_unit",
        summary="One administrative unit with its chain of ancestors, root first",
    )
    async def get_admin_unit(
        self,
        db_session: NamedDependency[AsyncSession],
        code: Annotated[str, PathParameter(max_length=8)],
        format: FromQuery[Format] = "json",
        geometry: FromQuery[GeometryKind] = "centroid",
    ) -> AdminUnitDetail | Feature:
        found = await AdminUnitService(db_session).get(
            code, with_outline=format == "geojson" and geometry == "outline"
        )
        if format == "geojson":
            ancestors = [
                {"code": a.code, "name": a.name, "level": a.level.value} for a in found.ancestors
            ]
            return _feature(found.unit, geometry, {"ancestors": ancestors})
        return AdminUnitDetail.of(found)
