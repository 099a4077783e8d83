"""A small city for the map tests: stations in two districts of Ho Chi Minh City and one in
Ha Noi, with cases, alerts and a pending requisition, inserted in the test's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from domain.geo import point_wkt
from domain.models.case import F0Case
from domain.models.enums import (
    AlertSeverity,
    AlertStatus,
    CaseStatus,
    RiskGroup,
    Sex,
    StationStatus,
    TestType,
)
from domain.models.observation import Alert
from domain.models.station import Station
from domain.models.supply import LocationKind, Requisition, StockLocation

# commune code -> (path, lon, lat): Tân Định and Đa Kao (Quận 1), Thạnh Xuân (Quận 12),
# Phúc Xá (Ba Đình, Hà Nội)
COMMUNES = {
    "26734": ("VN.79.760.26734", 106.690295, 10.793097),
    "26737": ("VN.79.760.26737", 106.698403, 10.787884),
    "26764": ("VN.79.761.26764", 106.675173, 10.875812),
    "00001": ("VN.01.001.00001", 105.8477, 21.0486),
}


def station_row(code: str, commune: str, status: StationStatus, capacity: int, **extra: Any) -> Station:
    path, lon, lat = COMMUNES[commune]
    return Station(
        id=uuid.uuid4(), code=code, name=f"Trạm {code}", commune_code=commune, scope_path=path,
        position=point_wkt(lon, lat), status=status, capacity=capacity, **extra,
    )


def case_row(station: Station, n: int, status: CaseStatus, risk: RiskGroup) -> F0Case:
    return F0Case(
        id=uuid.uuid4(), case_code=f"{station.code}-{n}", station_id=station.id,
        commune_code=station.commune_code, scope_path=station.scope_path,
        full_name=f"Bệnh nhân {n}", year_of_birth=1970, sex=Sex.female, test_date=date(2021, 8, 1),
        test_type=TestType.rapid_antigen, risk_group=risk, status=status,
    )


def alert_row(case: F0Case, severity: AlertSeverity, status: AlertStatus, **extra: Any) -> Alert:
    return Alert(
        id=uuid.uuid4(), case_id=case.id, station_id=case.station_id, scope_path=case.scope_path,
        severity=severity, status=status, reasons=["spo2_below_94"], **extra,
    )


@dataclass
class City:
    overloaded: Station  # Tân Định: 3 active cases for 2 beds, an open emergency alert
    quiet: Station  # Đa Kao: preparing, 1 active case, an acknowledged alert, a requisition
    suspended: Station  # Thạnh Xuân, Quận 12
    hanoi: Station


@pytest.fixture
async def city(db_session: AsyncSession) -> City:
    overloaded = station_row("Q1-TD", "26734", StationStatus.active, 2, doctors=1, nurses=2)
    quiet = station_row("Q1-DK", "26737", StationStatus.preparing, 50)
    suspended = station_row("Q12-TX", "26764", StationStatus.suspended, 30)
    hanoi = station_row("HN-PX", "00001", StationStatus.active, 40)
    db_session.add_all([overloaded, quiet, suspended, hanoi])
    await db_session.flush()
    cases = [
        case_row(overloaded, 1, CaseStatus.home_monitoring, RiskGroup.low),
        case_row(overloaded, 2, CaseStatus.needs_attention, RiskGroup.high),
        case_row(overloaded, 3, CaseStatus.transfer_requested, RiskGroup.very_high),
        case_row(quiet, 1, CaseStatus.home_monitoring, RiskGroup.moderate),
        case_row(quiet, 2, CaseStatus.recovered, RiskGroup.low),
        case_row(quiet, 3, CaseStatus.hospitalized, RiskGroup.high),
        case_row(hanoi, 1, CaseStatus.home_monitoring, RiskGroup.low),
    ]
    db_session.add_all(cases)
    await db_session.flush()
    opened = datetime(2021, 8, 10, 8, 0, tzinfo=UTC)
    db_session.add_all([
        alert_row(cases[1], AlertSeverity.emergency, AlertStatus.open),
        alert_row(cases[3], AlertSeverity.attention, AlertStatus.acknowledged, opened_at=opened,
                  acknowledged_at=opened + timedelta(minutes=10)),
        alert_row(cases[6], AlertSeverity.attention, AlertStatus.open),
    ])
    location = StockLocation(
        id=uuid.uuid4(), code="LOC-Q1-DK", name="Kho trạm Đa Kao", kind=LocationKind.station,
        unit_code="26737", station_id=quiet.id, scope_path=quiet.scope_path,
    )
    db_session.add(location)
    await db_session.flush()
    db_session.add(Requisition(
        id=uuid.uuid4(), code="REQ-1", location_id=location.id, scope_path=quiet.scope_path,
        justification="oxygen for the week", f0_under_care=1, days_of_cover=7,
    ))
    await db_session.commit()
    return City(overloaded=overloaded, quiet=quiet, suspended=suspended, hanoi=hanoi)
