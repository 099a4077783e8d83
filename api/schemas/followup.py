"""The vital-sign follow-up worklist on the wire."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from api.paging import Page, page_schema
from api.schemas.alerts import Alert
from api.schemas.cases import DeidentifiedPerson, Person, initials
from domain.models.case import CaseFollowUp as FollowUpRow
from domain.models.enums import CaseStatus
from domain.repositories.followup import OverdueRow
from domain.rules.followup import LOCAL_TIME


def readings_today(f: FollowUpRow, as_of: datetime) -> int:
    """The vital-sign readings measured on ``as_of``'s day in Vietnam."""
    return f.readings_on_day if f.reading_day == as_of.astimezone(LOCAL_TIME).date() else 0


class FollowUp(msgspec.Struct, kw_only=True, frozen=True):
    """A case's follow-up as the server keeps it (and a tablet pulls it, ``case_followup``)."""

    case_id: uuid.UUID
    under_care: bool
    care_since: datetime
    last_reading_at: datetime | None
    reading_day: Annotated[date | None, Meta(description="Vietnam's day of the last reading")]
    readings_on_day: int
    next_due_at: Annotated[datetime | None, Meta(
        description="overdue from this instant on; null when not under home care")]

    @classmethod
    def of(cls, f: FollowUpRow) -> FollowUp:
        return cls(case_id=f.id, under_care=f.under_care, care_since=f.care_since,
                   last_reading_at=f.last_reading_at, reading_day=f.reading_day,
                   readings_on_day=f.readings_on_day, next_due_at=f.next_due_at)


class OverdueCase(msgspec.Struct, kw_only=True, frozen=True):
    case_id: uuid.UUID
    case_code: str
    station_id: uuid.UUID
    team_id: uuid.UUID | None
    status: CaseStatus
    person: Person | DeidentifiedPerson
    last_reading_at: Annotated[datetime | None, Meta(description="null: none yet")]
    readings_today: Annotated[int, Meta(description="vital-sign readings measured today "
                                                    "(Vietnam's day)")]
    next_due_at: datetime
    overdue_minutes: int

    @classmethod
    def of(cls, row: OverdueRow, as_of: datetime, *, personal: bool) -> OverdueCase:
        c, f = row.case, row.followup
        person: Person | DeidentifiedPerson
        if personal:
            person = Person(full_name=c.full_name, year_of_birth=c.year_of_birth, sex=c.sex,
                            phone=c.phone, address=c.address, home_position=None,
                            national_id=c.national_id, notes=c.notes)
        else:
            person = DeidentifiedPerson(initials=initials(c.full_name),
                                        birth_decade=c.year_of_birth // 10 * 10, sex=c.sex)
        assert f.next_due_at is not None  # overdue rows are under care
        return cls(case_id=c.id, case_code=c.case_code, station_id=c.station_id,
                   team_id=c.team_id, status=c.status, person=person,
                   last_reading_at=f.last_reading_at, readings_today=readings_today(f, as_of),
                   next_due_at=f.next_due_at,
                   overdue_minutes=int((as_of - f.next_due_at).total_seconds() // 60))


OverduePage = Annotated[Page[OverdueCase], page_schema("OverdueCasePage")]


class FollowUpWorklist(msgspec.Struct, kw_only=True, frozen=True):
    """What a station or a team works from: patients overdue a reading, beside the alerts."""

    as_of: datetime
    reading_interval_hours: int
    overdue: OverduePage
    alerts: Annotated[list[Alert], Meta(description="unresolved alerts (open or "
                                                    "acknowledged), emergencies first")]
