"""The coordinator map on the wire: GeoJSON (RFC 7946, longitude first) stations and outlines."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from domain.admin_dataset import english_name
from domain.geo import Point, Polygon, geometry_from_geojson
from domain.models.admin_unit import AdminLevel
from domain.models.enums import Role, StationStatus
from domain.repositories.admin_units import AdminUnitRecord, outline_of
from domain.repositories.stock import KEY_ITEMS
from domain.services.map import StationDetail, StationView

StockState = Literal["ok", "low", "out", "unknown"]
# by value, without Enum.__call__ (436 calls a page; it was a tenth of the page's Python)
_STATUS = {s.value: s for s in StationStatus}
AttentionReason = Literal["open_alerts", "stock_out", "overload"]


class StationStock(msgspec.Struct, kw_only=True, frozen=True):
    """State of the key supplies (domain/repositories/stock.py KEY_ITEMS); "unknown" where
    the station has no stock record. ``oxygen`` is the cylinders, of any size."""

    bag_a: StockState
    bag_b: StockState
    bag_c: StockState
    rapid_test: StockState
    spo2_meter: StockState
    bp_meter: StockState
    oxygen: StockState
    o2_concentrator: StockState


class StationSupply(msgspec.Struct, kw_only=True, frozen=True):
    """One key supply at the station: quantity on hand (negative when offline issues went
    below zero, until someone counts) and days of cover (null without a daily need)."""

    key: str
    state: StockState
    on_hand: int
    days_of_cover: float | None


class StationProperties(msgspec.Struct, frozen=True, omit_defaults=True):
    """Built positionally, in field order (StationFeature.of): keyword construction of these
    24 fields cost eight times as much, and the map builds one per station."""

    code: str
    name: str
    status: StationStatus
    province_code: str
    district_code: str
    commune_code: str
    # the ward and district, in Vietnamese and in English, to tell apart ten "Phường 11"
    commune_name: str
    commune_name_en: str
    district_name: str
    district_name_en: str
    path: str
    capacity: int
    active_cases: int
    load: float  # active cases / capacity
    open_alerts: Annotated[int, msgspec.Meta(
        description="unresolved alerts: open or acknowledged (acknowledged is not resolved)"
    )]
    emergency_alerts: Annotated[int, msgspec.Meta(description="unresolved emergency alerts")]
    attention_alerts: Annotated[int, msgspec.Meta(description="unresolved attention alerts")]
    acknowledged_alerts: Annotated[int, msgspec.Meta(
        description="of the unresolved alerts, those someone has acknowledged"
    )]
    stock: StationStock
    attention: list[AttentionReason]
    doctors: int
    nurses: int
    volunteers: int
    distance_m: float | None = None  # only from /api/stations/nearest


@functools.lru_cache(maxsize=4096)
def _station_stock(states: tuple[str, ...]) -> StationStock:
    """One StationStock per distinct tuple of states (KEY_ITEMS order), shared: the city's
    436 stations show a few dozen, and building one per feature cost more than encoding it."""
    return StationStock(**dict(zip(KEY_ITEMS, states, strict=True)))  # type: ignore[arg-type]


class StationFeature(msgspec.Struct, tag="Feature", kw_only=True, frozen=True):
    id: str
    geometry: Point
    properties: StationProperties

    @classmethod
    def of(cls, view: StationView) -> StationFeature:
        s, places = view.station, view.places
        _, province, district, *_ = s.path.split(".")
        return cls(
            id=str(s.id),
            geometry=Point(coordinates=(round(s.lon, 6), round(s.lat, 6))),
            properties=StationProperties(  # positional, in the order of its fields
                s.code, s.name, _STATUS[s.status], province, district, s.commune_code,
                places.commune_name, places.commune_name_en,
                places.district_name, places.district_name_en,
                s.path, s.capacity, s.active_cases, round(view.load, 3),
                s.open_alerts, s.emergency_alerts, s.attention_alerts, s.acknowledged_alerts,
                _station_stock(view.stock),
                view.attention,  # type: ignore[arg-type]
                s.doctors, s.nurses, s.volunteers,
                None if s.distance_m is None else round(s.distance_m, 1),
            ),
        )


class StationFeatureCollection(msgspec.Struct, tag="FeatureCollection", kw_only=True, frozen=True):
    features: list[StationFeature]


class UnitOutlineProperties(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    name: str
    name_en: str | None
    label_en: str  # the name in an English sentence ("Ward 11", "District 3")
    level: AdminLevel
    parent_code: str | None
    path: str
    # The dataset has no boundaries: the outline is the unit's bounding box.
    outline: Literal["bbox"] = "bbox"


class UnitOutlineFeature(msgspec.Struct, tag="Feature", kw_only=True, frozen=True):
    id: str
    geometry: Polygon
    properties: UnitOutlineProperties

    @classmethod
    def of(cls, row: AdminUnitRecord) -> UnitOutlineFeature:
        geometry = geometry_from_geojson(outline_of(row))
        assert isinstance(geometry, Polygon)
        return cls(
            id=row.code,
            geometry=geometry,
            properties=UnitOutlineProperties(
                code=row.code, name=row.name, name_en=row.name_en,
                label_en=english_name(row.unit_type, row.short_name, row.name_en), level=row.level,
                parent_code=row.parent_code, path=row.path,
            ),
        )


class UnitOutlineCollection(msgspec.Struct, tag="FeatureCollection", kw_only=True, frozen=True):
    features: list[UnitOutlineFeature]


class StaffMemberOut(msgspec.Struct, kw_only=True, frozen=True):
    full_name: str
    role: Role


class PendingRequisitionOut(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    code: str
    status: str
    submitted_at: datetime


class StationPanel(msgspec.Struct, kw_only=True, frozen=True):
    """What a click on a station shows."""

    feature: StationFeature
    supplies: list[StationSupply]  # in KEY_ITEMS order; only keys the station has a record of
    staff: list[StaffMemberOut]
    cases_by_status: dict[str, int]
    pending_requisitions: list[PendingRequisitionOut]

    @classmethod
    def of(cls, detail: StationDetail) -> StationPanel:
        return cls(
            feature=StationFeature.of(detail.view),
            supplies=[
                StationSupply(key=key, state=s.state, on_hand=s.on_hand,  # type: ignore[arg-type]
                              days_of_cover=s.days_of_cover)
                for key in KEY_ITEMS if (s := detail.view.supplies.get(key)) is not None
            ],
            staff=[StaffMemberOut(full_name=m.full_name, role=m.role) for m in detail.staff],
            cases_by_status=detail.cases_by_status,
            pending_requisitions=[
                PendingRequisitionOut(
                    id=p.id, code=p.code, status=p.status, submitted_at=p.submitted_at
                )
                for p in detail.pending_requisitions
            ],
        )


class StreamTicket(msgspec.Struct, kw_only=True, frozen=True):
    """Open the stream with ``GET /api/map/events?ticket=…`` within ``expires_in`` seconds."""

    ticket: str
    expires_in: int
