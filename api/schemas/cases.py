"""F0 cases on the wire, in two views of the person: personal, or de-identified."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from api.paging import Page, page_schema
from domain.contract import (
    Address,
    CaseCode,
    Conditions,
    NationalId,
    Notes,
    PersonName,
    Phone,
    Reason,
    VaccineDoses,
    YearOfBirth,
)
from domain.geo import Point
from domain.models.admin_unit import AdminLevel
from domain.models.case import CaseAssignment, CaseStatusEvent
from domain.models.enums import CaseStatus, RiskGroup, Sex, TestType
from domain.repositories.cases import CaseView
from domain.services.cases import MedicineBag


class CaseCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    station_id: uuid.UUID
    team_id: uuid.UUID | None = None
    case_code: CaseCode | None = None
    full_name: PersonName
    year_of_birth: YearOfBirth
    sex: Sex
    phone: Phone | None = None
    address: Address | None = None
    home_position: Point | None = None
    national_id: NationalId | None = None
    test_date: date
    test_type: TestType
    comorbidities: Conditions = []
    vaccine_doses: VaccineDoses = 0
    pregnant: bool = False
    notes: Notes | None = None
    registered_at: Annotated[datetime, Meta(
        tz=True, description="when the case was recorded, if earlier than now (not in the "
        "future, not before the day before the test); its enrolment takes effect then")] | None = None
    confirm_not_duplicate: Annotated[bool, Meta(description=(
        "the caller has checked that this is another person than the existing case a 409 "
        "`duplicate_case` named (same national id in scope, or same phone, name and year of "
        "birth in the ward); enrols them anyway"))] = False


class CaseUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields present change; the risk group is recomputed from the risk factors."""

    full_name: PersonName | UnsetType = UNSET
    year_of_birth: YearOfBirth | UnsetType = UNSET
    sex: Sex | UnsetType = UNSET
    phone: Phone | UnsetType | None = UNSET
    address: Address | UnsetType | None = UNSET
    home_position: Point | UnsetType | None = UNSET
    national_id: NationalId | UnsetType | None = UNSET
    test_date: date | UnsetType = UNSET
    test_type: TestType | UnsetType = UNSET
    comorbidities: Conditions | UnsetType = UNSET
    vaccine_doses: VaccineDoses | UnsetType = UNSET
    pregnant: bool | UnsetType = UNSET
    notes: Notes | UnsetType | None = UNSET


class StatusChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: CaseStatus
    reason: Reason | None = None
    effective_at: Annotated[datetime, Meta(
        tz=True, description="when the move happened (default now): not in the future beyond "
        "the clock tolerance, not before the case was registered or its previous move")
    ] | None = None


class DuplicateReview(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The ward's verdict on a case flagged ``possible_duplicate_of``."""

    same_person: Annotated[bool, Meta(description=(
        "true: the flagged case is the same person, and is deleted (the original stays); "
        "false: another person, and the flag is cleared"))]


class Assignment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    team_id: uuid.UUID
    reason: Reason | None = None


class BagGiven(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Giving a bag issues it from the station's stock (POST /api/dispensings, kind bag_*)."""

    bag: MedicineBag
    given_at: Annotated[datetime, Meta(tz=True)] | None = None
    lot_id: Annotated[uuid.UUID | None, Meta(
        description="the lot handed out; default the first expiring valid lot")] = None


class Person(msgspec.Struct, kw_only=True, frozen=True, tag_field="view", tag="personal"):
    full_name: str
    year_of_birth: int
    sex: Sex
    phone: str | None
    address: str | None
    home_position: Point | None
    national_id: str | None
    notes: str | None


class DeidentifiedPerson(
    msgspec.Struct, kw_only=True, frozen=True, tag_field="view", tag="deidentified"
):
    """What a reader who does not care for the person sees: no name, contact or home."""

    initials: str
    birth_decade: int
    sex: Sex


class MedicineBags(msgspec.Struct, kw_only=True, frozen=True):
    a_given_at: datetime | None
    b_ordered_by: uuid.UUID | None
    b_given_at: datetime | None
    c_given_at: datetime | None


def initials(full_name: str) -> str:
    return "".join(f"{w[0].upper()}." for w in full_name.split())


class Case(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    case_code: str
    station_id: uuid.UUID
    team_id: uuid.UUID | None
    commune_code: str
    path: str
    person: Person | DeidentifiedPerson
    test_date: date
    test_type: TestType
    comorbidities: list[str]
    vaccine_doses: int
    pregnant: bool
    risk_group: RiskGroup
    status: CaseStatus
    status_changed_at: datetime
    medicine_bags: MedicineBags
    possible_duplicate_of: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: CaseView, *, personal: bool) -> Case:
        c = view.case
        person: Person | DeidentifiedPerson
        if personal:
            home = (
                Point(coordinates=(view.home_lon, view.home_lat))
                if view.home_lon is not None and view.home_lat is not None
                else None
            )
            person = Person(
                full_name=c.full_name, year_of_birth=c.year_of_birth, sex=c.sex, phone=c.phone,
                address=c.address, home_position=home, national_id=c.national_id,
                notes=c.notes,
            )
        else:
            person = DeidentifiedPerson(
                initials=initials(c.full_name), birth_decade=c.year_of_birth // 10 * 10,
                sex=c.sex,
            )
        return cls(
            id=c.id, case_code=c.case_code, station_id=c.station_id, team_id=c.team_id,
            commune_code=c.commune_code, path=c.scope_path, person=person,
            test_date=c.test_date, test_type=c.test_type, comorbidities=list(c.comorbidities),
            vaccine_doses=c.vaccine_doses, pregnant=c.pregnant, risk_group=c.risk_group,
            status=c.status, status_changed_at=c.status_changed_at,
            medicine_bags=MedicineBags(
                a_given_at=c.bag_a_given_at, b_ordered_by=c.bag_b_ordered_by,
                b_given_at=c.bag_b_given_at, c_given_at=c.bag_c_given_at,
            ),
            possible_duplicate_of=c.possible_duplicate_of,
            created_at=c.created_at, updated_at=c.updated_at,
        )


CasePage = Annotated[Page[Case], page_schema("CasePage")]


class UnitCaseCounts(msgspec.Struct, kw_only=True, frozen=True):
    unit_code: str
    unit_name: str
    total: int
    by_status: dict[CaseStatus, int]
    by_risk_group: dict[RiskGroup, int]


class CaseSummary(msgspec.Struct, kw_only=True, frozen=True):
    """De-identified counts: what a district or the city sees of its wards' patients."""

    by: AdminLevel
    units: list[UnitCaseCounts]
    total: int


class StatusEvent(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    from_status: CaseStatus | None
    to_status: CaseStatus
    changed_by: uuid.UUID | None
    effective_at: Annotated[datetime, Meta(description="when the move happened")]
    changed_at: Annotated[datetime, Meta(description="when it was recorded")]
    reason: str | None

    @classmethod
    def of(cls, e: CaseStatusEvent) -> StatusEvent:
        return cls(id=e.id, from_status=e.from_status, to_status=e.to_status,
                   changed_by=e.changed_by, effective_at=e.effective_at,
                   changed_at=e.changed_at, reason=e.reason)


class TeamAssignment(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    team_id: uuid.UUID
    previous_team_id: uuid.UUID | None
    assigned_by: uuid.UUID | None
    assigned_at: datetime
    reason: str | None

    @classmethod
    def of(cls, a: CaseAssignment) -> TeamAssignment:
        return cls(id=a.id, team_id=a.team_id, previous_team_id=a.previous_team_id,
                   assigned_by=a.assigned_by, assigned_at=a.assigned_at, reason=a.reason)
