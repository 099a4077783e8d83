"""SQL for the administrative hierarchy."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.admin_dataset import UnitRecord
from domain.geo import Point, bbox_wkt, point_wkt
from domain.models.admin_unit import AdminLevel, AdminUnit, admin_unit_id


class AdminUnitRecord(msgspec.Struct, kw_only=True, frozen=True):
    """One administrative unit as read; the API answers it as it is."""

    code: str
    level: AdminLevel
    name: str
    short_name: str
    unit_type: str = msgspec.field(name="type")
    name_en: str | None
    parent_code: str | None
    path: str
    centroid: Point
    # [min_lon, min_lat, max_lon, max_lat], like GeoJSON's bbox member
    bbox: tuple[float, float, float, float]

    @property
    def lon(self) -> float:
        return self.centroid.coordinates[0]

    @property
    def lat(self) -> float:
        return self.centroid.coordinates[1]


class OutlinedUnit(AdminUnitRecord, kw_only=True, frozen=True):
    """A unit read ``with_outline``: its bounding box as GeoJSON too (for maps, never JSON)."""

    outline_geojson: str | None = None


def outline_of(unit: AdminUnitRecord) -> str | None:
    """The GeoJSON outline of a unit read ``with_outline``, else None."""
    return unit.outline_geojson if isinstance(unit, OutlinedUnit) else None


def _columns(with_outline: bool) -> list[Any]:
    cols: list[Any] = [
        AdminUnit.code,
        AdminUnit.level,
        AdminUnit.name,
        AdminUnit.short_name,
        AdminUnit.unit_type,
        AdminUnit.name_en,
        AdminUnit.parent_code,
        AdminUnit.scope_path,
        func.ST_X(AdminUnit.centroid),
        func.ST_Y(AdminUnit.centroid),
        func.ST_XMin(AdminUnit.bbox),
        func.ST_YMin(AdminUnit.bbox),
        func.ST_XMax(AdminUnit.bbox),
        func.ST_YMax(AdminUnit.bbox),
    ]
    if with_outline:
        cols.append(func.ST_AsGeoJSON(AdminUnit.bbox, 6))
    return cols


def _row(r: Sequence[Any]) -> AdminUnitRecord:
    fields: dict[str, Any] = dict(
        code=r[0], level=r[1], name=r[2], short_name=r[3], unit_type=r[4], name_en=r[5],
        parent_code=r[6], path=r[7], centroid=Point(coordinates=(r[8], r[9])),
        bbox=(r[10], r[11], r[12], r[13]),
    )
    if len(r) > 14:
        return OutlinedUnit(**fields, outline_geojson=r[14])
    return AdminUnitRecord(**fields)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _escape_regex(value: str) -> str:
    """A literal for a PostgreSQL regular expression (letters, digits and spaces stand)."""
    return "".join(ch if ch.isalnum() or ch == " " else "\\" + ch for ch in value)


# Urban units (wards, urban districts, cities, towns) before rural ones when all else ties.
URBAN_TYPES = ("Phường", "Quận", "Thành phố", "Thị xã", "Thị trấn")


@dataclass(frozen=True, slots=True)
class NameQuery:
    """A name search: ``folded`` as domain/text.py folds it, ``spelled`` as typed (NFC, each
    word capitalised as unit names are), for ranking exact spellings first."""

    folded: str
    spelled: str

    @property
    def words(self) -> list[str]:
        return self.folded.split(" ")


def _name_matches(q: NameQuery) -> ColumnElement[bool]:
    """The name holds the query (a substring of one name part), or every query word starts a
    word of the name, in any order ("dinh tan" finds "Tân Định" too, ranked lower)."""
    every_word = and_(*(AdminUnit.search_name.regexp_match(rf"\m{_escape_regex(w)}")
                        for w in q.words))
    return or_(AdminUnit.search_name.like(f"%{_escape_like(q.folded)}%", escape="\\"), every_word)


def _name_rank(q: NameQuery) -> list[ColumnElement[Any]]:
    """Best first: a name part that is the query exactly; the query's words whole and in
    order; every word, any order; a substring. Within a tier: the spelling as typed (a
    query without diacritics cannot tell "Tân Định" from "Tân Dĩnh", but "tân dĩnh" can, and
    "tan dinh" is Ho Chi Minh City's English spelling of its ward), higher levels, urban
    units, then hierarchy order."""
    literal = _escape_regex(q.folded)
    name = AdminUnit.search_name
    tier = case(
        (name.regexp_match(rf"(^| \| ){literal}( \||$)"), 0),
        (name.regexp_match(rf"\m{literal}\M"), 1),
        (and_(*(name.regexp_match(rf"\m{_escape_regex(w)}\M") for w in q.words)), 2),
        else_=3,
    )
    spelled = case(
        (or_(func.strpos(AdminUnit.name, q.spelled) > 0,
             func.strpos(func.coalesce(AdminUnit.name_en, ""), q.spelled) > 0), 0),
        else_=1,
    )
    urban = case((AdminUnit.unit_type.in_(URBAN_TYPES), 0), else_=1)
    return [tier, spelled, AdminUnit.level.expression, urban]


class AdminUnitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(
        self,
        records: Iterable[UnitRecord],
        *,
        chunk: int = 1000,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Insert or update; a unit whose values did not change is left alone (no new version)."""
        batch: list[dict[str, Any]] = []

        async def flush() -> None:
            stmt = insert(AdminUnit).values(batch)
            ex = stmt.excluded
            changed = [
                "name",
                "short_name",
                "unit_type",
                "name_en",
                "search_name",
                "parent_code",
                "scope_path",
                "level",
            ]
            stmt = stmt.on_conflict_do_update(
                index_elements=[AdminUnit.code],
                set_={
                    **{c: getattr(ex, c) for c in changed},
                    "centroid": ex.centroid,
                    "bbox": ex.bbox,
                    "deleted": False,
                },
                where=(
                    func.row(*[getattr(AdminUnit, c) for c in changed], AdminUnit.deleted).op(
                        "IS DISTINCT FROM"
                    )(func.row(*[getattr(ex, c) for c in changed], False))
                    | func.ST_AsEWKT(AdminUnit.centroid).op("IS DISTINCT FROM")(
                        func.ST_AsEWKT(ex.centroid)
                    )
                    | func.ST_AsEWKT(AdminUnit.bbox).op("IS DISTINCT FROM")(func.ST_AsEWKT(ex.bbox))
                ),
            )
            await self.session.execute(stmt)
            if progress:
                progress(len(batch))
            batch.clear()

        for rec in records:
            batch.append(
                {
                    "id": admin_unit_id(rec.code),
                    "code": rec.code,
                    "level": rec.level,
                    "name": rec.name,
                    "short_name": rec.short_name,
                    "unit_type": rec.unit_type,
                    "name_en": rec.name_en,
                    "search_name": rec.search_name,
                    "parent_code": rec.parent_code,
                    "scope_path": rec.path,
                    "centroid": point_wkt(rec.lon, rec.lat),
                    "bbox": bbox_wkt(rec.min_lon, rec.min_lat, rec.max_lon, rec.max_lat),
                }
            )
            if len(batch) >= chunk:
                await flush()
        if batch:
            await flush()

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(AdminUnit)) or 0)

    def _filtered(
        self,
        cols: list[Any],
        *,
        level: AdminLevel | None,
        parent: str | None,
        q: NameQuery | None,
        within: str | None = None,
    ) -> Select[Any]:
        conds: list[ColumnElement[bool]] = [AdminUnit.deleted.is_(False)]
        if level is not None:
            conds.append(AdminUnit.level == level)
        if parent is not None:
            conds.append(AdminUnit.parent_code == parent)
        if q is not None:
            conds.append(_name_matches(q))
        if within is not None:
            conds.append(
                (AdminUnit.scope_path == within)
                | AdminUnit.scope_path.like(f"{_escape_like(within)}.%", escape="\\")
            )
        return select(*cols).where(*conds)

    async def search(
        self,
        *,
        level: AdminLevel | None = None,
        parent: str | None = None,
        q: NameQuery | None = None,
        limit: int = 100,
        offset: int = 0,
        with_outline: bool = False,
        within: str | None = None,
    ) -> tuple[list[AdminUnitRecord], int]:
        """One page, best name match first when searching (else in hierarchy order), and the
        total the filters match."""
        base = self._filtered(
            _columns(with_outline), level=level, parent=parent, q=q, within=within
        )
        order = [*(_name_rank(q) if q is not None else []), AdminUnit.scope_path]
        stmt = base.order_by(*order).limit(limit).offset(offset)
        rows = [_row(r) for r in (await self.session.execute(stmt)).all()]
        total_stmt = self._filtered([func.count()], level=level, parent=parent, q=q, within=within)
        total = int(await self.session.scalar(total_stmt) or 0)
        return rows, total

    async def get(self, code: str, *, with_outline: bool = False) -> AdminUnitRecord | None:
        stmt = select(*_columns(with_outline)).where(
            AdminUnit.code == code, AdminUnit.deleted.is_(False)
        )
        r = (await self.session.execute(stmt)).first()
        return _row(r) if r else None

    async def get_many(self, codes: Sequence[str]) -> list[AdminUnitRecord]:
        """Units by code, root first (paths sort parents before children)."""
        if not codes:
            return []
        stmt = (
            select(*_columns(False))
            .where(AdminUnit.code.in_(codes))
            .order_by(func.length(AdminUnit.scope_path))
        )
        return [_row(r) for r in (await self.session.execute(stmt)).all()]

    async def path_of(self, code: str) -> str | None:
        return await self.session.scalar(select(AdminUnit.scope_path).where(AdminUnit.code == code))

    async def analyze(self) -> None:
        await self.session.execute(text("ANALYZE admin_unit"))
