"""Dispensings on the wire: a bag given or a device lent, with the stock it took."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from api.paging import Page, page_schema
from domain.contract import SerialNo
from domain.models.dispensing import Dispensing as DispensingRow
from domain.models.dispensing import DispensingKind


class DispensingCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``id`` is made by the client, so a retried request cannot give a bag twice."""

    id: uuid.UUID
    case_id: uuid.UUID
    kind: DispensingKind
    given_at: Annotated[datetime, Meta(tz=True, description="when it was given; default now")
                        ] | None = None
    lot_id: Annotated[uuid.UUID | None, Meta(
        description="bags: the lot handed out; default the first expiring valid lot")] = None
    serial_no: Annotated[SerialNo | None, Meta(description="loans: the device lent")] = None
    due_on: Annotated[date | None, Meta(description="loans: when it is due back")] = None


class Dispensing(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    case_id: uuid.UUID
    kind: DispensingKind
    given_at: datetime
    location_id: Annotated[uuid.UUID, Meta(description="the station's stock it came from")]
    item_id: uuid.UUID
    lot_id: uuid.UUID | None
    serial_no: str | None
    due_on: date | None
    movement_id: Annotated[uuid.UUID | None, Meta(
        description="bags: the stock issue booked with it")]
    loan_id: Annotated[uuid.UUID | None, Meta(description="loans: the loan it opened")]
    recorded_at: datetime
    recorded_by: uuid.UUID | None
    device_id: uuid.UUID | None
    offline: bool

    @classmethod
    def of(cls, row: DispensingRow) -> Dispensing:
        return cls(**{f: getattr(row, f) for f in cls.__struct_fields__})


DispensingPage = Annotated[Page[Dispensing], page_schema("DispensingPage")]
