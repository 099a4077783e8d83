"""Stock-holding locations on the wire."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from api.paging import Page, page_schema
from domain.models import supply as m
from domain.models.supply import LocationKind


class Location(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    code: str
    name: str
    kind: LocationKind
    unit_code: str
    path: str
    station_id: uuid.UUID | None
    case_id: uuid.UUID | None

    @classmethod
    def of(cls, loc: m.StockLocation) -> Location:
        return cls(id=loc.id, code=loc.code, name=loc.name, kind=loc.kind,
                   unit_code=loc.unit_code, path=loc.scope_path, station_id=loc.station_id,
                   case_id=loc.case_id)


LocationPage = Annotated[Page[Location], page_schema("LocationPage")]


class LocationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A warehouse names its unit (province or district code); a station location its station.
    Households are created by their first loan."""

    kind: Literal["city_warehouse", "district_warehouse", "station"]
    unit_code: Annotated[str, Meta(pattern=r"^[0-9]{2,3}$")] | None = None
    station_id: uuid.UUID | None = None
    name: Annotated[str, Meta(min_length=1, max_length=160)] | None = None
