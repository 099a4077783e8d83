"""Catalog items and lots on the wire."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import msgspec
from msgspec import Meta

from domain.models import supply as m
from domain.models.supply import ItemCategory

ItemCode = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{1,31}$", examples=["bag_a"])]
LotNo = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9./_-]*$")]


class CatalogItem(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    code: str
    name: str
    category: ItemCategory
    unit_of_issue: str
    durable: bool
    lot_tracked: bool
    size_label: str | None
    map_key: str | None
    min_station_stock: int
    daily_use_per_case: float

    @classmethod
    def of(cls, item: m.CatalogItem) -> CatalogItem:
        return cls(**{f: getattr(item, f) for f in cls.__struct_fields__})


class CatalogItemCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: ItemCode
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    category: ItemCategory
    unit_of_issue: Annotated[str, Meta(min_length=1, max_length=16, examples=["bag"])]
    durable: bool = False
    lot_tracked: bool = False
    size_label: Annotated[str, Meta(max_length=24)] | None = None
    min_station_stock: Annotated[int, Meta(ge=0, le=100_000)] = 0
    daily_use_per_case: Annotated[
        float, Meta(ge=0, le=100, description="units one F0 under care uses per day")
    ] = 0.0


class ItemLot(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    item_id: uuid.UUID
    lot_no: str
    expires_on: date

    @classmethod
    def of(cls, lot: m.ItemLot) -> ItemLot:
        return cls(id=lot.id, item_id=lot.item_id, lot_no=lot.lot_no, expires_on=lot.expires_on)


class ItemLotCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    lot_no: LotNo
    expires_on: date
