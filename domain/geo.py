"""GeoJSON (RFC 7946) Structs, longitude first, SRID 4326, after msgspec's GeoJSON example."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180, description="WGS84 longitude")]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90, description="WGS84 latitude")]
Position = tuple[float, float]


class Point(msgspec.Struct, tag=True, kw_only=True, forbid_unknown_fields=True):
    coordinates: tuple[Longitude, Latitude]


class Polygon(msgspec.Struct, tag=True, kw_only=True):
    coordinates: list[list[Position]]


class MultiPolygon(msgspec.Struct, tag=True, kw_only=True):
    coordinates: list[list[list[Position]]]


Geometry = Point | Polygon | MultiPolygon


class Feature(msgspec.Struct, tag=True, kw_only=True, frozen=True):
    geometry: Geometry | None
    properties: dict[str, Any]
    id: str | None = None


class FeatureCollection(msgspec.Struct, tag=True, kw_only=True, frozen=True):
    features: list[Feature]


_geom_decoder = msgspec.json.Decoder(Geometry)


def geometry_from_geojson(text: str | bytes | None) -> Geometry | None:
    """Decode PostGIS ``ST_AsGeoJSON`` output into a Struct."""
    if text is None:
        return None
    return _geom_decoder.decode(text)


def point_wkt(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def bbox_wkt(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> str:
    ring = (
        f"{min_lon!r} {min_lat!r}, {max_lon!r} {min_lat!r}, {max_lon!r} {max_lat!r}, "
        f"{min_lon!r} {max_lat!r}, {min_lon!r} {min_lat!r}"
    )
    return f"SRID=4326;POLYGON(({ring}))"
