"""Mobile health stations on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from msgspec import UNSET, Meta, UnsetType

from api.paging import Page, page_schema
from domain.contract import (
    Address,
    Capacity,
    OpeningHours,
    Phone,
    StaffCount,
    StationCode,
    StationName,
)
from domain.geo import Point
from domain.models.enums import StationStatus
from domain.repositories.stations import StationView


def changes_of(struct: msgspec.Struct) -> dict[str, Any]:
    """The fields a body actually carries (UNSET ones left out); shared by the PATCH handlers."""
    return {
        f: getattr(struct, f)
        for f in struct.__struct_fields__
        if getattr(struct, f) is not UNSET
    }


CommuneCode = Annotated[str, Meta(pattern=r"^[0-9]{5}$", description="commune or ward code")]

_NUMBER = r"\s*-?[0-9]+(\.[0-9]+)?\s*"
BBox = Annotated[
    str | None,
    QueryParameter(
        description="min_lon,min_lat,max_lon,max_lat (WGS84, longitude first), min < max",
        pattern=rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$",
    ),
]


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """A ``BBox`` query value -> a checked tuple, else a 400 naming ``bbox``; the one rule of
    /api/stations and /api/map/stations."""
    if text is None:
        return None
    min_lon, min_lat, max_lon, max_lat = (float(x) for x in text.split(","))
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        message = "bbox is min_lon,min_lat,max_lon,max_lat with min < max, inside WGS84 ranges"
        raise ValidationException(
            message, extra=[{"key": "bbox", "message": message, "source": "query"}]
        )
    return min_lon, min_lat, max_lon, max_lat


class StationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: StationCode
    name: StationName
    commune_code: CommuneCode
    position: Point
    address: Address | None = None
    status: StationStatus = StationStatus.preparing
    capacity: Capacity = 50
    doctors: StaffCount = 0
    nurses: StaffCount = 0
    volunteers: StaffCount = 0
    opening_hours: OpeningHours | None = None
    phone: Phone | None = None


class StationUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields present change; an explicit null clears an optional field."""

    name: StationName | UnsetType = UNSET
    position: Point | UnsetType = UNSET
    address: Address | UnsetType | None = UNSET
    status: StationStatus | UnsetType = UNSET
    capacity: Capacity | UnsetType = UNSET
    doctors: StaffCount | UnsetType = UNSET
    nurses: StaffCount | UnsetType = UNSET
    volunteers: StaffCount | UnsetType = UNSET
    opening_hours: OpeningHours | UnsetType | None = UNSET
    phone: Phone | UnsetType | None = UNSET


class Station(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    code: str
    name: str
    commune_code: str
    path: str
    position: Point
    address: str | None
    status: StationStatus
    capacity: int
    doctors: int
    nurses: int
    volunteers: int
    opening_hours: str | None
    phone: str | None
    open_cases: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: StationView) -> Station:
        s = view.station
        return cls(
            id=s.id, code=s.code, name=s.name, commune_code=s.commune_code, path=s.scope_path,
            position=Point(coordinates=(view.lon, view.lat)), address=s.address,
            status=s.status, capacity=s.capacity, doctors=s.doctors, nurses=s.nurses,
            volunteers=s.volunteers, opening_hours=s.opening_hours, phone=s.phone,
            open_cases=view.open_cases, created_at=s.created_at, updated_at=s.updated_at,
        )


StationPage = Annotated[Page[Station], page_schema("StationPage")]
