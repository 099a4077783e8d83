"""Stock movements, stock on hand, coverage and discrepancies on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from api.paging import Page, page_schema
from domain.contract import Quantity, Reason, SerialNo
from domain.models import supply as m
from domain.models.supply import (
    DiscrepancyCause,
    DiscrepancyOutcome,
    DiscrepancyStatus,
    LocationKind,
    MovementKind,
)
from domain.repositories.stock import CoverageRow, StockLine
from domain.rules.expiry import NEAR_EXPIRY_DAYS
from domain.services.stock_views import DistrictRollup, LocationRollup

# Transfers are booked by shipments and loans, never typed in by hand.
ManualKind = Literal["receipt", "issue", "adjustment", "physical_count", "loss", "expiry"]


class MovementCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``id`` is made by the client, so a retried request cannot book the movement twice."""

    id: uuid.UUID
    location_id: uuid.UUID
    item_id: uuid.UUID
    lot_id: uuid.UUID | None = None
    kind: ManualKind
    quantity: Quantity
    occurred_at: datetime
    reason: Reason | None = None
    case_id: Annotated[uuid.UUID | None, Meta(description="the F0 an issue went to")] = None
    serial_no: SerialNo | None = None


class Movement(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    location_id: uuid.UUID
    item_id: uuid.UUID
    lot_id: uuid.UUID | None
    kind: MovementKind
    quantity: int
    delta: Annotated[int, Meta(description="what the movement changed on stock on hand")]
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: uuid.UUID | None
    device_id: uuid.UUID | None
    offline: bool
    reason: str | None
    case_id: uuid.UUID | None
    serial_no: str | None
    shipment_id: uuid.UUID | None
    loan_id: uuid.UUID | None
    absorbed_by: Annotated[uuid.UUID | None, Meta(
        description="the later physical count that already included this movement")]

    @classmethod
    def of(cls, mv: m.StockMovement) -> Movement:
        return cls(**{f: getattr(mv, f) for f in cls.__struct_fields__})


MovementPage = Annotated[Page[Movement], page_schema("MovementPage")]


StockPage = Annotated[Page[StockLine], page_schema("StockPage")]


StockState = Literal["ok", "low", "out"]


class Coverage(msgspec.Struct, kw_only=True, frozen=True):
    """Stock of one item at one location (lots summed) and how long it lasts."""

    location_id: uuid.UUID
    location_code: str
    location_name: str
    location_kind: LocationKind
    item_id: uuid.UUID
    item_code: str
    unit_of_issue: str
    on_hand: int
    used_last_7_days: int
    open_cases: Annotated[int, Meta(description="open F0 cases the location supplies")]
    daily_need: float
    days_of_cover: Annotated[float | None, Meta(description="null when nothing is needed")]
    state: StockState
    expired: Annotated[int, Meta(
        description="of on_hand, in lots past their expiry date (cannot be handed out)")] = 0
    near_expiry: Annotated[int, Meta(
        description=f"of on_hand, in lots expiring within {NEAR_EXPIRY_DAYS} days")] = 0

    @classmethod
    def of(cls, r: CoverageRow) -> Coverage:
        return cls(
            location_id=r.location_id, location_code=r.location_code,
            location_name=r.location_name, location_kind=r.location_kind, item_id=r.item_id,
            item_code=r.item_code, unit_of_issue=r.unit_of_issue, on_hand=r.on_hand,
            used_last_7_days=r.used_recently, open_cases=r.open_cases,
            daily_need=round(r.daily_need, 2), days_of_cover=r.days_of_cover,
            state=r.state,  # type: ignore[arg-type]
            expired=r.expired, near_expiry=r.near_expiry,
        )


CoveragePage = Annotated[Page[Coverage], page_schema("CoveragePage")]


class LocationCoverage(msgspec.Struct, kw_only=True, frozen=True):
    location_id: uuid.UUID
    code: str
    name: str
    kind: LocationKind
    station_id: uuid.UUID | None
    state: StockState
    items: list[Coverage]

    @classmethod
    def of(cls, r: LocationRollup) -> LocationCoverage:
        return cls(location_id=r.location_id, code=r.code, name=r.name, kind=r.kind,
                   station_id=r.station_id, state=r.state,  # type: ignore[arg-type]
                   items=[Coverage.of(i) for i in r.items])


class DistrictStock(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    name: str
    path: str
    warehouse: LocationCoverage | None
    stations: list[LocationCoverage]
    totals: Annotated[dict[str, int], Meta(description="item code -> on hand at its stations")]
    station_states: Annotated[dict[str, int], Meta(description="state -> number of stations")]

    @classmethod
    def of(cls, r: DistrictRollup) -> DistrictStock:
        return cls(code=r.code, name=r.name, path=r.path,
                   warehouse=LocationCoverage.of(r.warehouse) if r.warehouse else None,
                   stations=[LocationCoverage.of(s) for s in r.stations], totals=r.totals,
                   station_states=r.counts)


class Discrepancy(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    location_id: uuid.UUID
    item_id: uuid.UUID
    lot_id: uuid.UUID | None
    movement_id: Annotated[uuid.UUID, Meta(
        description="the movement that opened it (for a loss in transit, the loss booked)")]
    balance_after: Annotated[int, Meta(description="stock on hand the movement left")]
    cause: DiscrepancyCause
    quantity: Annotated[int | None, Meta(description="loss in transit: how much never arrived")]
    status: DiscrepancyStatus
    opened_at: datetime
    explanation: Annotated[str | None, Meta(description="the keeper's account")]
    explained_at: datetime | None
    explained_by: uuid.UUID | None
    outcome: Annotated[DiscrepancyOutcome | None, Meta(
        description="how the level above closed it")]
    resolution_movement_id: Annotated[uuid.UUID | None, Meta(
        description="the count or adjustment booked when closing")]
    resolved_at: datetime | None
    resolved_by: uuid.UUID | None
    resolution: str | None

    @classmethod
    def of(cls, d: m.StockDiscrepancy) -> Discrepancy:
        return cls(**{f: getattr(d, f) for f in cls.__struct_fields__})


class DiscrepancyResolve(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The level above closes it: ``confirmed`` (the books stand), ``counted`` (``quantity`` is
    what is on the shelf) or ``adjusted`` (``quantity`` is the signed change), with a reason."""

    resolution: Reason
    outcome: DiscrepancyOutcome = DiscrepancyOutcome.confirmed
    quantity: Annotated[int, Meta(ge=-1_000_000, le=1_000_000)] | None = None


class DiscrepancyExplain(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The keeper's account of what happened; the discrepancy stays open."""

    explanation: Reason
