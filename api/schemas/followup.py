"""The vital-sign follow-up worklist on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from api.paging import Page, page_schema
from api.schemas.alerts import Alert
from api.schemas.cases import DeidentifiedPerson, Person, initials
from domain.models.enums import CaseStatus
from domain.repositories.followup import FollowUpRow


class FollowUp(msgspec.Struct, kw_only=True, frozen=True):
    """A case's follow-up now: under home care since when, its last vital-sign reading, the
    readings of the day (Vietnam time) and when it is next due one."""

    case_id: uuid.UUID
    under_care: bool
    care_since: Annotated[datetime, Meta(description="when it (last) entered home care")]
    last_reading_at: Annotated[datetime | None, Meta(description="null: none yet")]
    readings_today: int
    next_due_at: Annotated[datetime | None, Meta(
        description="overdue from this instant on; null when not under home care")]

    @classmethod
    def of(cls, r: FollowUpRow) -> FollowUp:
        return cls(case_id=r.case.id, under_care=r.followup.under_care,
                   care_since=r.followup.care_since, last_reading_at=r.last_reading_at,
                   readings_today=r.readings_today, next_due_at=r.next_due_at)


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
    def of(cls, row: FollowUpRow, as_of: datetime, *, personal: bool) -> OverdueCase:
        c = row.case
        person: Person | DeidentifiedPerson
        if personal:
            person = Person(full_name=c.full_name, year_of_birth=c.year_of_birth, sex=c.sex,
                            phone=c.phone, address=c.address, home_position=None,
                            national_id=c.national_id, notes=c.notes)
        else:
            person = DeidentifiedPerson(initials=initials(c.full_name),
                                        birth_decade=c.year_of_birth // 10 * 10, sex=c.sex)
        assert row.next_due_at is not None  # overdue rows are under care
        return cls(case_id=c.id, case_code=c.case_code, station_id=c.station_id,
                   team_id=c.team_id, status=c.status, person=person,
                   last_reading_at=row.last_reading_at, readings_today=row.readings_today,
                   next_due_at=row.next_due_at,
                   overdue_minutes=int((as_of - row.next_due_at).total_seconds() // 60))


OverduePage = Annotated[Page[OverdueCase], page_schema("OverdueCasePage")]


class FollowUpWorklist(msgspec.Struct, kw_only=True, frozen=True):
    """What a station or a team works from: patients overdue a reading, beside the alerts."""

    as_of: datetime
    reading_interval_hours: int
    overdue: OverduePage
    alerts: Annotated[list[Alert], Meta(description="unresolved alerts (open or "
                                                    "acknowledged), emergencies first")]
