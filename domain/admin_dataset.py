"""Read the 63-province hierarchy from the ``vietnamadminunits`` package's legacy dataset.

"Legacy" is the state before the 2025 reform merged provinces and removed districts: the units
as they stood in early 2025 (63 provinces, 696 districts, 10,035 communes; Ho Chi Minh City 22
districts and 273 wards), not the 2021 of the epidemic (705 districts; 312 wards in the city),
which later mergers of wards and districts changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from domain.models.admin_unit import AdminLevel
from domain.text import fold

NATIONAL_CODE = "VN"
# What the dataset is, in words, for the CLI and the API docs: the units of early 2025, which
# is not the epidemic's year (then: 705 districts, 312 wards in the city; see the README).
DATASET_STATE = (
    "units as of early 2025, before the mid-2025 reform (63 provinces, 696 districts, 10,035 "
    "communes; Ho Chi Minh City: 22 districts, 273 wards)"
)


@dataclass(frozen=True, slots=True)
class UnitRecord:
    code: str
    level: AdminLevel
    name: str
    short_name: str
    unit_type: str
    name_en: str | None
    parent_code: str | None
    path: str
    lon: float
    lat: float
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def search_name(self) -> str:
        return search_key(self.name, self.short_name, self.name_en)


SEARCH_PART_SEPARATOR = " | "


def search_key(name: str, short_name: str, name_en: str | None) -> str:
    """The folded full name, short name and English name, kept apart by `` | `` so a search
    never matches across two of them ("Định Tân" + "Định Tân" does not hold "tan dinh")."""
    parts = [fold(name), fold(short_name)] + ([fold(name_en)] if name_en else [])
    return SEARCH_PART_SEPARATOR.join(parts)


# How an untranslated unit type reads in English, placed before or after the short name.
_ENGLISH_TYPES = {
    "Phường": ("Ward", "before_number"), "Xã": ("Commune", "after"),
    "Thị trấn": ("Township", "after"), "Quận": ("District", "before_number"),
    "Huyện": ("District", "after"), "Thị xã": ("Town", "after"),
    "Thành phố": ("City", "after"), "Tỉnh": ("Province", "after"),
}


def english_name(unit_type: str, short_name: str, name_en: str | None) -> str:
    """A unit's name in an English sentence: the dataset's English name where it translates
    the type ("District 1", "Thủ Đức City"), else the type put into English ("Phường 11" ->
    "Ward 11", "Quận Bình Thạnh" -> "Bình Thạnh District"); proper names keep their accents."""
    if name_en and name_en != short_name and not name_en.startswith(unit_type):
        return name_en
    english = _ENGLISH_TYPES.get(unit_type)
    if english is None:
        return name_en or short_name
    word, place = english
    if place == "before_number" and short_name.isdigit():
        return f"{word} {short_name}"
    return f"{short_name} {word}"


def _bounds(text: str, lat: float, lon: float) -> tuple[float, float, float, float]:
    """Parse "lat,lon – lat,lon"; widen the box to hold the centroid.

    Three wards of the dataset have a centroid a few metres outside their box; a unit's point
    must lie inside its box for every spatial query we make, so the box gives way.
    """
    a, b = (part.strip() for part in text.split("–"))
    lat1, lon1 = (float(x) for x in a.split(","))
    lat2, lon2 = (float(x) for x in b.split(","))
    eps = 1e-5  # about a metre, so a widened box holds the point strictly inside
    min_lon, max_lon = min(lon1, lon2), max(lon1, lon2)
    min_lat, max_lat = min(lat1, lat2), max(lat1, lat2)
    if not min_lon < lon < max_lon:
        min_lon, max_lon = min(min_lon, lon - eps), max(max_lon, lon + eps)
    if not min_lat < lat < max_lat:
        min_lat, max_lat = min(min_lat, lat - eps), max(max_lat, lat + eps)
    return min_lon, min_lat, max_lon, max_lat


def _type_of(full: str, short: str) -> str:
    return (
        full[: -len(short)].strip()
        if full.endswith(short) and full != short
        else full.split(" ")[0]
    )


def _english(geo_address: str | None) -> str | None:
    return geo_address.split(",")[0].strip() if geo_address else None


def read_units() -> Iterator[UnitRecord]:
    """Yield the national root, then provinces, districts and communes, parents first."""
    db = resources.files("vietnamadminunits") / "data" / "dataset.db"
    with resources.as_file(db) as path, sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM admin_units_legacy").fetchall()

    provinces: dict[str, UnitRecord] = {}
    districts: dict[str, UnitRecord] = {}
    communes: dict[str, UnitRecord] = {}
    for r in rows:
        pcode = r["provinceCode"]
        if pcode not in provinces:
            bb = _bounds(r["provinceBounds"], r["provinceLat"], r["provinceLon"])
            provinces[pcode] = UnitRecord(
                code=pcode,
                level=AdminLevel.province,
                name=r["province"],
                short_name=r["provinceShort"],
                unit_type=_type_of(r["province"], r["provinceShort"]),
                name_en=_english(r["provinceGeoAddress"]),
                parent_code=NATIONAL_CODE,
                path=f"{NATIONAL_CODE}.{pcode}",
                lon=r["provinceLon"],
                lat=r["provinceLat"],
                min_lon=bb[0],
                min_lat=bb[1],
                max_lon=bb[2],
                max_lat=bb[3],
            )
        dcode = r["districtCode"]
        if dcode not in districts:
            bb = _bounds(r["districtBounds"], r["districtLat"], r["districtLon"])
            districts[dcode] = UnitRecord(
                code=dcode,
                level=AdminLevel.district,
                name=r["district"],
                short_name=r["districtShort"],
                unit_type=r["districtType"],
                name_en=_english(r["districtGeoAddress"]),
                parent_code=pcode,
                path=f"{NATIONAL_CODE}.{pcode}.{dcode}",
                lon=r["districtLon"],
                lat=r["districtLat"],
                min_lon=bb[0],
                min_lat=bb[1],
                max_lon=bb[2],
                max_lat=bb[3],
            )
        wcode = r["wardCode"]
        if wcode and wcode not in communes:
            bb = _bounds(r["wardBounds"], r["wardLat"], r["wardLon"])
            communes[wcode] = UnitRecord(
                code=wcode,
                level=AdminLevel.commune,
                name=r["ward"],
                short_name=r["wardShort"],
                unit_type=r["wardType"],
                name_en=_english(r["wardGeoAddress"]),
                parent_code=dcode,
                path=f"{NATIONAL_CODE}.{pcode}.{dcode}.{wcode}",
                lon=r["wardLon"],
                lat=r["wardLat"],
                min_lon=bb[0],
                min_lat=bb[1],
                max_lon=bb[2],
                max_lat=bb[3],
            )

    min_lon = min(p.min_lon for p in provinces.values())
    min_lat = min(p.min_lat for p in provinces.values())
    max_lon = max(p.max_lon for p in provinces.values())
    max_lat = max(p.max_lat for p in provinces.values())
    yield UnitRecord(
        code=NATIONAL_CODE,
        level=AdminLevel.national,
        name="Việt Nam",
        short_name="Việt Nam",
        unit_type="Quốc gia",
        name_en="Vietnam",
        parent_code=None,
        path=NATIONAL_CODE,
        lon=(min_lon + max_lon) / 2,
        lat=(min_lat + max_lat) / 2,
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
    )
    yield from sorted(provinces.values(), key=lambda u: u.code)
    yield from sorted(districts.values(), key=lambda u: u.code)
    yield from sorted(communes.values(), key=lambda u: u.code)
