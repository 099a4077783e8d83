"""Serial-numbered equipment and its loans to F0 households on the wire."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from api.paging import Page, page_schema
from domain.models import supply as m
from domain.models.supply import EquipmentStatus, LoanStatus

Serial = Annotated[str, Meta(min_length=1, max_length=64)]


class LoanCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: uuid.UUID | None = None
    serial_no: Serial
    case_id: Annotated[uuid.UUID, Meta(description="the F0 case whose household borrows")]
    due_on: date
    note: Annotated[str, Meta(min_length=1, max_length=255)] | None = None


class LoanReturn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    condition: Literal["good", "damaged", "lost"]
    note: Annotated[str, Meta(min_length=1, max_length=255)] | None = None


class Loan(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    unit_id: uuid.UUID
    serial_no: str
    item_id: uuid.UUID
    case_id: uuid.UUID
    station_location_id: uuid.UUID
    household_location_id: uuid.UUID
    status: LoanStatus
    lent_at: datetime
    due_on: date
    days_overdue: Annotated[int, Meta(description="0 unless open past its due date")]
    lent_by: uuid.UUID | None
    returned_at: datetime | None
    return_condition: str | None
    note: str | None

    @classmethod
    def of(cls, loan: m.EquipmentLoan, serial_no: str) -> Loan:
        late = (datetime.now(UTC).date() - loan.due_on).days
        fields = {f: getattr(loan, f) for f in cls.__struct_fields__
                  if f not in ("serial_no", "days_overdue")}
        return cls(**fields, serial_no=serial_no,
                   days_overdue=max(late, 0) if loan.status is LoanStatus.open else 0)


LoanPage = Annotated[Page[Loan], page_schema("LoanPage")]


class EquipmentUnit(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    item_id: uuid.UUID
    serial_no: str
    location_id: uuid.UUID
    status: EquipmentStatus

    @classmethod
    def of(cls, u: m.EquipmentUnit) -> EquipmentUnit:
        return cls(id=u.id, item_id=u.item_id, serial_no=u.serial_no, location_id=u.location_id,
                   status=u.status)


EquipmentPage = Annotated[Page[EquipmentUnit], page_schema("EquipmentPage")]
