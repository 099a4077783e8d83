"""Enumerations shared by models and wire types; values are the strings on the wire."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


class Role(enum.StrEnum):
    station_staff = "station_staff"
    care_team_member = "care_team_member"
    doctor = "doctor"
    commune_officer = "commune_officer"
    district_logistics = "district_logistics"
    city_coordinator = "city_coordinator"
    national_observer = "national_observer"
    administrator = "administrator"


class StationStatus(enum.StrEnum):
    preparing = "preparing"
    active = "active"
    suspended = "suspended"
    closed = "closed"


class CaseStatus(enum.StrEnum):
    home_monitoring = "home_monitoring"
    needs_attention = "needs_attention"
    transfer_requested = "transfer_requested"
    hospitalized = "hospitalized"
    recovered = "recovered"
    deceased = "deceased"


class TestType(enum.StrEnum):
    pcr = "pcr"
    rapid_antigen = "rapid_antigen"


class Sex(enum.StrEnum):
    female = "female"
    male = "male"
    other = "other"


class RiskGroup(enum.StrEnum):
    """Ministry of Health home-care triage: 1 low … 4 very high."""

    low = "low"
    moderate = "moderate"
    high = "high"
    very_high = "very_high"


class ObservationKind(enum.StrEnum):
    spo2 = "spo2"
    pulse = "pulse"
    temperature = "temperature"
    respiratory_rate = "respiratory_rate"
    blood_pressure = "blood_pressure"
    symptoms = "symptoms"


class AlertSeverity(enum.StrEnum):
    attention = "attention"
    emergency = "emergency"


class AlertStatus(enum.StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"


def pg_enum(cls: type[enum.Enum], name: str) -> Enum:
    """A PostgreSQL enum storing the members' values (not their Python names)."""
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])
