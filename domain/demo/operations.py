"""Operations demo: Ho Chi Minh City's mobile stations, care teams, F0 cases and their week.

Everything comes from ``random.Random(seed)``; times are relative to the start of the current
UTC day, so the week of readings is always the last week. Rows go in with bulk inserts, a
thousand cases (with their history and readings) at a time.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.geo import point_wkt
from domain.models.admin_unit import AdminLevel
from domain.models.enums import (
    AlertSeverity,
    AlertStatus,
    CaseStatus,
    ObservationKind,
    Role,
    Sex,
    StationStatus,
    TestType,
)
from domain.models.user import User
from domain.passwords import hash_password
from domain.repositories.admin_units import AdminUnitRecord, AdminUnitRepository
from domain.repositories.alerts import AlertRepository
from domain.repositories.care_teams import CareTeamRepository
from domain.repositories.cases import CaseRepository
from domain.repositories.observations import ObservationRepository
from domain.repositories.stations import StationRepository
from domain.rules.vitals import LOINC, UNITS
from domain.services.cases import compute_risk

CITY = "79"
DEMO_PASSWORD = "demo-2021"
NO_LOGIN = "!demo-account-without-login"  # not an argon2 hash: verify_password refuses it
CHUNK = 1000
DEMO_LOGINS = {
    Role.station_staff: "demo.station", Role.care_team_member: "demo.team",
    Role.doctor: "demo.doctor", Role.commune_officer: "demo.commune",
    Role.district_logistics: "demo.district", Role.city_coordinator: "demo.city",
    Role.national_observer: "demo.national", Role.administrator: "demo.admin",
}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = {Sex.male: ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh"],
          Sex.female: ["Thị", "Ngọc", "Thu", "Kim", "Mỹ", "Thanh"]}
GIVEN = {Sex.male: ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khang", "Long", "Nam",
                    "Phúc", "Quân", "Sơn", "Tâm", "Thắng", "Trung", "Vinh"],
         Sex.female: ["Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh",
                      "Mai", "Ngân", "Nhung", "Phương", "Thảo", "Trang", "Vy"]}
STREETS = ["Hai Bà Trưng", "Lê Lợi", "Nguyễn Trãi", "Cách Mạng Tháng Tám", "Lý Thường Kiệt",
           "Phan Đăng Lưu", "Võ Văn Tần", "Trần Hưng Đạo", "Nguyễn Văn Cừ", "Lê Văn Sỹ"]
CONDITIONS = ["hypertension", "diabetes", "chronic_lung_disease", "heart_disease",
              "chronic_kidney_disease", "obesity", "cancer"]
# status -> the moves that led there from home monitoring
HISTORY = {
    CaseStatus.home_monitoring: [],
    CaseStatus.needs_attention: [CaseStatus.needs_attention],
    CaseStatus.transfer_requested: [CaseStatus.needs_attention, CaseStatus.transfer_requested],
    CaseStatus.hospitalized: [CaseStatus.needs_attention, CaseStatus.transfer_requested,
                              CaseStatus.hospitalized],
    CaseStatus.recovered: [CaseStatus.recovered],
    CaseStatus.deceased: [CaseStatus.needs_attention, CaseStatus.transfer_requested,
                          CaseStatus.hospitalized, CaseStatus.deceased],
}
OPEN = frozenset({CaseStatus.home_monitoring, CaseStatus.needs_attention,
                  CaseStatus.transfer_requested})


@dataclass
class DemoStation:
    id: uuid.UUID
    ward: AdminUnitRecord
    box: tuple[float, float, float, float]
    staff_id: uuid.UUID
    doctor_id: uuid.UUID
    teams: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (team, member)


class DemoBuilder:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.midnight = datetime.combine(today, time(), UTC)

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def point_in(self, box: tuple[float, float, float, float]) -> tuple[float, float]:
        """A point well inside the box (15 % margins), rounded to about a metre."""
        min_lon, min_lat, max_lon, max_lat = box
        lon = min_lon + (0.15 + 0.7 * self.rng.random()) * (max_lon - min_lon)
        lat = min_lat + (0.15 + 0.7 * self.rng.random()) * (max_lat - min_lat)
        return round(lon, 6), round(lat, 6)

    def at(self, day: date, first_hour: int = 7, last_hour: int = 19) -> datetime:
        minutes = self.rng.randint(first_hour * 60, last_hour * 60)
        return datetime.combine(day, time(), UTC) + timedelta(minutes=minutes)

    def person(self) -> dict[str, Any]:
        rng = self.rng
        sex = rng.choice([Sex.male, Sex.female])
        age = rng.choices([rng.randint(1, 17), rng.randint(18, 49), rng.randint(50, 64),
                           rng.randint(65, 92)], weights=[15, 50, 22, 13])[0]
        share = 0.45 if age >= 50 else 0.08
        conditions = sorted({c for c in CONDITIONS if rng.random() < share / 3})
        return {
            "full_name": f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE[sex])} "
                         f"{rng.choice(GIVEN[sex])}",
            "sex": sex,
            "year_of_birth": self.today.year - age,
            "phone": f"09{rng.randrange(10**8):08d}",
            "national_id": f"079{rng.randrange(10**9):09d}" if age >= 14 else None,
            "comorbidities": conditions,
            "vaccine_doses": rng.choices([0, 1, 2], weights=[30, 50, 20])[0] if age >= 18 else 0,
            "pregnant": sex is Sex.female and 18 <= age <= 40 and rng.random() < 0.05,
        }

    def status_for(self, days_since_test: int) -> CaseStatus:
        r = self.rng.random()
        if days_since_test >= 10 and r < 0.6:
            return CaseStatus.recovered
        for status, share in ((CaseStatus.needs_attention, 0.005),
                              (CaseStatus.transfer_requested, 0.0025),
                              (CaseStatus.hospitalized, 0.015), (CaseStatus.deceased, 0.001)):
            if r < share:
                return status
            r -= share
        return CaseStatus.home_monitoring


def _inner_box(*units: AdminUnitRecord) -> tuple[float, float, float, float]:
    """The intersection of the units' boxes: a point there lies in the ward, district, city."""
    boxes = [u.bbox for u in units]
    box = (max(b[0] for b in boxes), max(b[1] for b in boxes),
           min(b[2] for b in boxes), min(b[3] for b in boxes))
    return box if box[0] < box[2] and box[1] < box[3] else units[0].bbox


async def clear_operational_data(session: AsyncSession) -> None:
    """Empty every table but the reference hierarchy: what ``seed-demo --replace`` starts from."""
    rows = await session.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename NOT IN ('admin_unit', 'alembic_version', 'spatial_ref_sys')"
    ))
    tables = ", ".join(f'"{r[0]}"' for r in rows)
    if tables:
        await session.execute(text(f"TRUNCATE {tables} CASCADE"))


async def load_operations_demo(
    session: AsyncSession, *, stations: int = 436, cases: int = 20000, seed: int = 2021,
    progress: Callable[[int], None] | None = None,
) -> list[tuple[str, str, str]]:
    """Load the demo in the session's transaction; returns (username, password, role) logins.

    ``progress`` receives the number of cases just written (with their history and readings).
    """
    b = DemoBuilder(seed, datetime.now(UTC).date())
    units = AdminUnitRepository(session)
    city = await units.get(CITY)
    wards, _ = await units.search(level=AdminLevel.commune, within=f"VN.{CITY}", limit=1000)
    districts = {d.code: d for d in (await units.search(level=AdminLevel.district,
                                                         within=f"VN.{CITY}", limit=100))[0]}
    if city is None or not wards:
        raise RuntimeError("load the administrative units first (load-admin-units)")
    if stations <= len(wards):
        chosen = sorted(b.rng.sample(wards, stations), key=lambda w: w.path)
    else:
        chosen = sorted([*wards, *b.rng.choices(wards, k=stations - len(wards))],
                        key=lambda w: w.path)
    demo = [DemoStation(b.uuid(), w, _inner_box(w, districts[w.parent_code or ""], city),
                        b.uuid(), b.uuid()) for w in chosen]
    active = await _stations_and_teams(session, b, demo)
    logins = await _demo_accounts(session, b, demo[0])
    for start in range(0, cases, CHUNK):
        n = min(CHUNK, cases - start)
        await _cases(session, b, active, start, n, force_alert=start == 0)
        if progress:
            progress(n)
    return logins


async def _stations_and_teams(
    session: AsyncSession, b: DemoBuilder, demo: list[DemoStation]
) -> list[DemoStation]:
    rng, station_rows, users, teams, members = b.rng, [], [], [], []
    per_ward: dict[str, int] = {}
    for i, s in enumerate(demo):
        k = per_ward[s.ward.code] = per_ward.get(s.ward.code, 0) + 1
        status = StationStatus.active if i == 0 else rng.choices(
            [StationStatus.active, StationStatus.preparing, StationStatus.suspended],
            weights=[96, 2, 2])[0]
        station_rows.append({
            "id": s.id, "code": f"TYT-LD-{s.ward.code}-{k}", "commune_code": s.ward.code,
            "name": f"Trạm Y tế lưu động số {k} {s.ward.name}", "scope_path": s.ward.path,
            "position": point_wkt(*b.point_in(s.box)), "status": status,
            "address": f"{rng.randint(1, 300)} {rng.choice(STREETS)}, {s.ward.name}",
            "capacity": rng.choice([50, 60, 70, 80, 100]), "doctors": rng.randint(1, 3),
            "nurses": rng.randint(2, 5), "volunteers": rng.randint(3, 10),
            "opening_hours": rng.choice(["24/7", "07:00–21:00"]),
            "phone": f"028 3{rng.randrange(10**7):07d}",
        })
        for role, uid in ((Role.station_staff, s.staff_id), (Role.doctor, s.doctor_id)):
            users.append(_account(uid, f"demo.{role.value}.{s.ward.code}.{k}", role, s.ward,
                                  s.id))
        for t in (1, 2):
            team_id, member_id = b.uuid(), b.uuid()
            s.teams.append((team_id, member_id))
            teams.append({"id": team_id, "station_id": s.id, "commune_code": s.ward.code,
                          "scope_path": s.ward.path, "name": f"Tổ chăm sóc {t}"})
            users.append(_account(member_id, f"demo.team.{s.ward.code}.{k}.{t}",
                                  Role.care_team_member, s.ward, s.id))
            members.append({"team_id": team_id, "user_id": member_id})
    await StationRepository(session).insert_many(station_rows)
    session.add_all(users)
    await session.flush()
    await CareTeamRepository(session).insert_many(teams, members)
    return [s for s, row in zip(demo, station_rows, strict=True)
            if row["status"] is StationStatus.active]


def _account(
    user_id: uuid.UUID, username: str, role: Role, unit: AdminUnitRecord,
    station_id: uuid.UUID | None = None, password_hash: str = NO_LOGIN,
) -> User:
    return User(id=user_id, username=username, full_name=username.replace(".", " ").title(),
                role=role, unit_code=unit.code, unit_path=unit.path, station_id=station_id,
                password_hash=password_hash)


async def _demo_accounts(
    session: AsyncSession, b: DemoBuilder, first: DemoStation
) -> list[tuple[str, str, str]]:
    """One login per role, around the first station: its ward, district, the city, the nation."""
    units = AdminUnitRepository(session)
    ward = first.ward
    district = await units.get(ward.parent_code or "")
    city, nation = await units.get(CITY), await units.get("VN")
    assert district is not None and city is not None and nation is not None
    place = {Role.station_staff: ward, Role.care_team_member: ward, Role.doctor: ward,
             Role.commune_officer: ward, Role.district_logistics: district,
             Role.city_coordinator: city, Role.national_observer: nation,
             Role.administrator: city}
    bound = {Role.station_staff, Role.care_team_member, Role.doctor}
    password_hash = hash_password(DEMO_PASSWORD)
    accounts = {r: _account(b.uuid(), name, r, place[r], first.id if r in bound else None,
                            password_hash) for r, name in DEMO_LOGINS.items()}
    session.add_all(accounts.values())
    await session.flush()
    await CareTeamRepository(session).insert_many(
        [], [{"team_id": first.teams[0][0], "user_id": accounts[Role.care_team_member].id}])
    return [(name, DEMO_PASSWORD, r.value) for r, name in DEMO_LOGINS.items()]


async def _cases(
    session: AsyncSession, b: DemoBuilder, stations: list[DemoStation], start: int, n: int,
    *, force_alert: bool,
) -> None:
    """``n`` cases with their status history, assignment, readings and alerts.

    Everything happens before today's midnight: the demo's "now" never lies in the future.
    """
    rng = b.rng
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    for i in range(start, start + n):
        forced = force_alert and i == start
        station = stations[0] if forced else rng.choice(stations)
        team_id, member_id = rng.choice(station.teams)
        days = rng.randint(1, 14)
        test_day = b.today - timedelta(days=days)
        status = CaseStatus.needs_attention if forced else b.status_for(days)
        person = b.person()
        case_id, enrolled = b.uuid(), b.at(test_day)
        moves = HISTORY[status]
        move_days = sorted(test_day + timedelta(days=rng.randint(0, days - 1)) for _ in moves)
        changed_at = sorted(max(b.at(d), enrolled + timedelta(hours=1)) for d in move_days)
        ordered = rng.random() < 0.15
        cases.append({
            "id": case_id, "case_code": f"F0-{CITY}-{i + 1:06d}", "station_id": station.id,
            "team_id": team_id, "commune_code": station.ward.code,
            "scope_path": station.ward.path, **person,
            "address": f"{rng.randint(1, 500)} {rng.choice(STREETS)}, {station.ward.name}",
            "home_position": point_wkt(*b.point_in(station.box)), "test_date": test_day,
            "test_type": TestType.rapid_antigen if rng.random() < 0.7 else TestType.pcr,
            "risk_group": compute_risk(
                year_of_birth=person["year_of_birth"], test_date=test_day,
                comorbidities=person["comorbidities"], vaccine_doses=person["vaccine_doses"],
                pregnant=person["pregnant"]),
            "status": status, "status_changed_at": changed_at[-1] if changed_at else enrolled,
            "bag_a_given_at": enrolled if rng.random() < 0.9 else None,
            "bag_b_ordered_by": station.doctor_id if ordered else None,
            "bag_b_given_at": enrolled + timedelta(hours=2) if ordered else None,
            "created_at": enrolled,
        })
        previous: CaseStatus | None = None
        for target, at in zip([CaseStatus.home_monitoring, *moves], [enrolled, *changed_at],
                              strict=True):
            events.append({"id": b.uuid(), "case_id": case_id, "scope_path": station.ward.path,
                           "from_status": previous, "to_status": target,
                           "changed_by": station.doctor_id if previous else station.staff_id,
                           "changed_at": at, "effective_at": at})
            previous = target
        assignments.append({"id": b.uuid(), "case_id": case_id, "team_id": team_id,
                            "scope_path": station.ward.path, "assigned_by": station.staff_id,
                            "assigned_at": enrolled})
        moved = dict(zip(moves, changed_at, strict=True))
        left = [moved[s] for s in (CaseStatus.hospitalized, CaseStatus.recovered) if s in moved]
        _readings(b, cases[-1], moved.get(CaseStatus.needs_attention),
                  left[0] if left else b.midnight, member_id, observations, alerts)
    await CaseRepository(session).insert_many(cases, events, assignments)
    await ObservationRepository(session).insert_many(observations)
    await AlertRepository(session).insert_many(alerts)


def _readings(
    b: DemoBuilder, case: dict[str, Any], worse_at: datetime | None, home_until: datetime,
    measured_by: uuid.UUID, observations: list[dict[str, Any]], alerts: list[dict[str, Any]],
) -> None:
    """One SpO2 reading a day over the last week while at home; low from ``worse_at`` on.

    The low reading at ``worse_at`` moved the case to needs attention and opened its alert:
    unresolved while the patient is still at home, resolved when they left home care.
    """
    rng = b.rng
    day = max(case["test_date"], b.today - timedelta(days=7))
    while day < b.today:
        at = b.at(day, 6, 9)
        if case["created_at"] <= at < home_until:
            low = worse_at is not None and at >= worse_at
            value = float(rng.randint(89, 95) if low else rng.choice([96, 97, 97, 98, 98, 99]))
            observations.append(_reading(b, case, ObservationKind.spo2, value, at, measured_by))
            if day == case["test_date"] or rng.random() < 0.05:
                observations.append(_reading(b, case, ObservationKind.pulse,
                                             float(rng.randint(70, 105)), at, measured_by))
                observations.append(_reading(b, case, ObservationKind.temperature,
                                             round(rng.uniform(36.5, 38.8), 1), at, measured_by))
        day += timedelta(days=1)
    if worse_at is None:
        return
    trigger = _reading(b, case, ObservationKind.spo2, float(rng.randint(90, 95)), worse_at,
                       measured_by)
    observations.append(trigger)
    emergency = trigger["value"] < 94
    resolved = case["status"] not in OPEN
    acknowledged = not resolved and rng.random() < 0.3
    alerts.append({
        "id": b.uuid(), "case_id": case["id"], "station_id": case["station_id"],
        "team_id": case["team_id"], "scope_path": case["scope_path"],
        "severity": AlertSeverity.emergency if emergency else AlertSeverity.attention,
        "status": AlertStatus.resolved if resolved else
        AlertStatus.acknowledged if acknowledged else AlertStatus.open,
        "reasons": [f"SpO2 {trigger['value']:g}% < {94 if emergency else 96}%"],
        "observation_id": trigger["id"], "opened_at": worse_at,
        "acknowledged_at": worse_at + timedelta(minutes=30) if acknowledged else None,
        "acknowledged_by": measured_by if acknowledged else None,
        "resolved_at": home_until if resolved else None,
        "resolved_by": measured_by if resolved else None,
        "resolution_note": f"case {case['status'].value}" if resolved else None,
    })


def _reading(
    b: DemoBuilder, case: dict[str, Any], kind: ObservationKind, value: float, at: datetime,
    measured_by: uuid.UUID,
) -> dict[str, Any]:
    return {"id": b.uuid(), "case_id": case["id"], "scope_path": case["scope_path"],
            "kind": kind, "loinc": LOINC[kind], "value": value, "unit": UNITS[kind],
            "measured_at": at, "measured_by": measured_by, "recorded_at": at}
