"""F0 cases: a COVID-positive person isolating at home under a station's care."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, SyncColumns
from domain.models.enums import CaseStatus, RiskGroup, Sex, TestType, pg_enum


class F0Case(SyncColumns, Base):
    __tablename__ = "f0_case"
    __extra_table_args__ = (
        CheckConstraint("year_of_birth BETWEEN 1900 AND 2100", name="year_of_birth_range"),
        CheckConstraint("vaccine_doses BETWEEN 0 AND 10", name="vaccine_doses_range"),
        # The duplicate check of every new case (domain/rules/duplicates.py): the ward's
        # cases born that year, or the national id.
        Index("ix_f0_case_ward_birth_year", "scope_path", "year_of_birth"),
        Index("ix_f0_case_national_id", "national_id",
              postgresql_where=text("national_id IS NOT NULL")),
    )

    case_code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("station.id"), nullable=False, index=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("care_team.id"), index=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), nullable=False)
    # person (personal fields: visible only to roles that care for the person)
    full_name: Mapped[str] = mapped_column(String(120), nullable=False)
    year_of_birth: Mapped[int] = mapped_column(Integer, nullable=False)
    sex: Mapped[Sex] = mapped_column(pg_enum(Sex, "sex"), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(255))
    home_position = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    national_id: Mapped[str | None] = mapped_column(String(20))
    # test and risk
    test_date: Mapped[date] = mapped_column(Date, nullable=False)
    test_type: Mapped[TestType] = mapped_column(pg_enum(TestType, "test_type"), nullable=False)
    comorbidities: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), nullable=False, server_default=text("'{}'")
    )
    vaccine_doses: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    pregnant: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    risk_group: Mapped[RiskGroup] = mapped_column(pg_enum(RiskGroup, "risk_group"), nullable=False)
    status: Mapped[CaseStatus] = mapped_column(
        pg_enum(CaseStatus, "case_status"), nullable=False, server_default="home_monitoring",
        index=True,
    )
    status_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    # home-treatment medicine bags (A: symptomatic; B: doctor's order; C: antiviral programme)
    bag_a_given_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bag_b_given_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bag_b_ordered_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    bag_c_given_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(Text)
    # Set when a device pushed this person while another case already held them (same
    # national id, or same phone + name + year of birth in the ward): kept, never merged
    # silently, and cleared by the ward's review (domain/rules/duplicates.py).
    possible_duplicate_of: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("f0_case.id"), index=True
    )


class CaseStatusEvent(SyncColumns, Base):
    """Append-only history of a case's status: who moved it, from what, to what, when."""

    __tablename__ = "case_status_event"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("f0_case.id"), nullable=False, index=True
    )
    from_status: Mapped[CaseStatus | None] = mapped_column(pg_enum(CaseStatus, "case_status"))
    to_status: Mapped[CaseStatus] = mapped_column(pg_enum(CaseStatus, "case_status"), nullable=False)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )  # when it was recorded
    # When it happened (a discharge at 08:00 typed at 14:00 is effective at 08:00).
    effective_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    reason: Mapped[str | None] = mapped_column(String(255))


class CaseAssignment(SyncColumns, Base):
    """Append-only history of which care team a case was assigned to."""

    __tablename__ = "case_assignment"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("f0_case.id"), nullable=False, index=True
    )
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_team.id"), nullable=False)
    previous_team_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    assigned_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    reason: Mapped[str | None] = mapped_column(String(255))


class CaseFollowUp(SyncColumns, Base):
    """Whether a case is under home care and since when (its ``id`` is the case's), kept by a
    database trigger on every status move, whoever writes (migration 0011). With the case's
    readings it says when the patient is next due a reading (domain/rules/followup.py); a
    tablet pulls it and the readings and judges "overdue now" offline (sync/PROTOCOL.md).
    The last reading is not copied here: readings of one ward apply concurrently, and a row
    each of them updated would queue them, and could deadlock them, on the patient."""

    __tablename__ = "case_followup"

    # A case removed outright (never in service: a test, a script) takes its follow-up along.
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("f0_case.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    under_care: Mapped[bool] = mapped_column(Boolean, nullable=False)
    care_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
