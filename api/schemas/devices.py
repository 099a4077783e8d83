"""Enrolled devices on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from api.paging import Page, page_schema
from domain.repositories.devices import DeviceView

DeviceName = Annotated[str, Meta(min_length=1, max_length=120, examples=["Tablet 1"])]


class DeviceCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: DeviceName
    station_id: uuid.UUID


class DeviceUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Rename, or move to another station (the device's next pull then starts afresh)."""

    name: DeviceName | UnsetType = UNSET
    station_id: uuid.UUID | UnsetType = UNSET


class Device(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    name: str
    station_id: uuid.UUID
    station_code: str
    scope_path: str
    enrolled_by: uuid.UUID | None
    created_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None

    @classmethod
    def of(cls, view: DeviceView) -> Device:
        d = view.device
        return cls(
            id=d.id, name=d.name, station_id=d.station_id, station_code=view.station_code,
            scope_path=view.scope_path, enrolled_by=d.enrolled_by, created_at=d.created_at,
            revoked_at=d.revoked_at, last_seen_at=d.last_seen_at,
        )


class DeviceEnrolled(msgspec.Struct, kw_only=True, frozen=True):
    """The token is shown here once; the server keeps only its hash."""

    device_id: uuid.UUID
    token: Annotated[str, Meta(description="bearer token for /sync/v1; store it on the device")]
    device: Device


DevicePage = Annotated[Page[Device], page_schema("DevicePage")]
