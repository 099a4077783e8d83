"""Demo data of the chain upward (issue 15): a day of it in Ho Chi Minh City.

Every ward keeps a readiness plan for the four levels and what it has ready; the city set each
district's epidemic level and the districts their wards' (around the district's); yesterday
nearly every ward reported (a few late, a few never) and the districts reported their sums;
today most wards have reported so far, some are still in draft, some missing; a handful of
proposals went up, some decided; most stations have a tablet that synced within the day, some
not for days. Loaded after the operations and supplies demos, in the same transaction.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.models.admin_unit import AdminLevel
from domain.models.device import Device
from domain.models.enums import Role
from domain.models.proposal import Proposal, ProposalKind, ProposalStatus
from domain.models.readiness import (
    EpidemicLevel,
    ReadinessNeed,
    ReadinessResources,
    UnitLevel,
    readiness_need_id,
    readiness_resources_id,
)
from domain.models.report import ReportStatus, SituationReport, report_id
from domain.repositories.admin_units import AdminUnitRecord, AdminUnitRepository
from domain.repositories.supply_seed import SupplySeedRepository
from domain.services.reports import (
    ReportFigures,
    ReportService,
    deadline_of,
    local_today,
    sum_figures,
)

CITY = "79"
PROPOSALS = [
    (ProposalKind.staff, "Đề nghị tăng cường 4 điều dưỡng cho trạm y tế lưu động", 4),
    (ProposalKind.oxygen, "Đề nghị bổ sung 10 bình ô-xy 40 lít", 10),
    (ProposalKind.station, "Đề nghị lập thêm một trạm y tế lưu động tại khu phố 5", 1),
    (ProposalKind.support, "Đề nghị hỗ trợ lương thực cho 120 hộ F0 khó khăn", 120),
]


async def load_chain_demo(session: AsyncSession, *, seed: int = 2021) -> None:
    """Load the chain demo in the session's transaction."""
    rng = random.Random(seed + 15)
    now = datetime.now(UTC)
    units = AdminUnitRepository(session)
    wards, _ = await units.search(level=AdminLevel.commune, within=f"VN.{CITY}", limit=1000)
    districts, _ = await units.search(level=AdminLevel.district, within=f"VN.{CITY}",
                                      limit=100)
    seeds = SupplySeedRepository(session)
    stations = await seeds.stations()
    per_ward: dict[str, int] = defaultdict(int)
    for s in stations:
        per_ward[s.commune_code] += 1
    officers = {unit: uid for uid, unit, _ in await seeds.people(Role.commune_officer)}
    logistics = {unit: uid for uid, unit, _ in await seeds.people(Role.district_logistics)}
    city = next(iter(uid for uid, _, _ in await seeds.people(Role.city_coordinator)), None)

    district_level = {d.code: rng.choices([2, 3, 4], weights=[2, 5, 3])[0] for d in districts}
    for d in districts:
        session.add(UnitLevel(unit_code=d.code, scope_path=d.path, level=district_level[d.code],
                              note="Theo đánh giá cấp độ dịch của Thành phố", set_by=city,
                              set_at=now - timedelta(days=2)))
    for w in wards:
        n = max(per_ward.get(w.code, 0), 1)
        level = min(max(district_level.get(w.parent_code or "", 3) + rng.choice([-1, 0, 0, 1]),
                        1), 4)
        session.add(UnitLevel(unit_code=w.code, scope_path=w.path, level=level,
                              set_by=logistics.get(w.parent_code or ""),
                              set_at=now - timedelta(days=1, hours=rng.randint(0, 20))))
        _plan(session, rng, w, n)
    await session.flush()

    reader = ReportService(session, Principal(user_id=uuid.UUID(int=0), username="demo",
                                              role=Role.administrator, unit_code="VN",
                                              unit_path="VN"))
    today = local_today(now)
    yesterday = today - timedelta(days=1)
    figures = {w.code: await reader.figures_of(w.code, w.path, today) for w in wards}
    submitted_yesterday = _ward_reports(session, rng, wards, figures, officers, yesterday, now)
    _ward_reports(session, rng, wards, figures, officers, today, now)
    parent = {w.code: w.parent_code for w in wards}
    for d in districts:
        parts = [f for code, f in submitted_yesterday.items() if parent[code] == d.code]
        expected = sum(1 for w in wards if w.parent_code == d.code)
        total = sum_figures(parts, expected=expected)
        session.add(SituationReport(
            id=report_id(d.code, yesterday), unit_code=d.code, scope_path=d.path,
            report_date=yesterday, status=ReportStatus.submitted,
            notes="Tổng hợp báo cáo các phường, xã", figures=msgspec.to_builtins(total),
            submitted_at=deadline_of(yesterday) + timedelta(minutes=rng.choice([-50, -30, -10, 40])),
            submitted_by=logistics.get(d.code),
        ))
    _proposals(session, rng, wards, officers, logistics, now)
    _devices(session, rng, [s.id for s in stations], now)
    await session.flush()


def _plan(session: AsyncSession, rng: random.Random, ward: AdminUnitRecord, n: int) -> None:
    """What each level needs grows with the level; what is ready covers about level 2-3."""
    for lv in EpidemicLevel:
        k = lv.value
        session.add(ReadinessNeed(
            id=readiness_need_id(ward.code, k), commune_code=ward.code, scope_path=ward.path,
            level=k, staff=6 * n * k, stations=n + k - 1, home_beds=60 * n * k,
            oxygen=4 * n * k, teams=2 * n * k))
    cover = rng.uniform(1.8, 3.6)
    session.add(ReadinessResources(
        id=readiness_resources_id(ward.code), commune_code=ward.code, scope_path=ward.path,
        staff=round(6 * n * cover), stations=n + (1 if cover > 3 else 0),
        home_beds=round(60 * n * rng.uniform(1.5, 4)), oxygen=round(4 * n * rng.uniform(1, 3)),
        teams=round(2 * n * cover)))


def _ward_reports(
    session: AsyncSession, rng: random.Random, wards: list[AdminUnitRecord],
    figures: dict[str, ReportFigures], officers: dict[str, uuid.UUID], day: date,
    now: datetime,
) -> dict[str, ReportFigures]:
    """The wards' reports of a day; returns the submitted ones' figures by ward."""
    deadline = deadline_of(day)
    opened = datetime.combine(day, datetime.min.time(), deadline.tzinfo) + timedelta(hours=7)
    past = now > deadline
    submitted: dict[str, ReportFigures] = {}
    for w in wards:
        roll = rng.random()
        if roll < (0.04 if past else 0.2):
            continue  # missing
        status, at = ReportStatus.draft, None
        if roll < (0.08 if past else 0.35):
            pass  # a draft, not yet submitted
        elif past and roll > 0.9:
            at = min(deadline + timedelta(minutes=rng.randint(20, 300)), now)  # late
        else:
            latest = min(deadline, now)
            span = max((latest - opened).total_seconds(), 60)
            at = opened + timedelta(seconds=rng.uniform(0, span))
        if at is not None:
            status = ReportStatus.submitted
            submitted[w.code] = figures[w.code]
        session.add(SituationReport(
            id=report_id(w.code, day), unit_code=w.code, scope_path=w.path, report_date=day,
            status=status, notes=rng.choice([None, "Tình hình ổn định",
                                             "Số F0 mới tăng ở khu phố 2",
                                             "Cần bổ sung máy đo SpO2"]),
            figures=msgspec.to_builtins(figures[w.code]) if at else None, submitted_at=at,
            submitted_by=officers.get(w.code) if at else None,
        ))
    return submitted


def _proposals(
    session: AsyncSession, rng: random.Random, wards: list[AdminUnitRecord],
    officers: dict[str, uuid.UUID], logistics: dict[str, uuid.UUID], now: datetime,
) -> None:
    for i, w in enumerate(rng.sample(wards, min(16, len(wards)))):
        kind, title, qty = PROPOSALS[i % len(PROPOSALS)]
        status = (ProposalStatus.accepted, ProposalStatus.declined, ProposalStatus.pending,
                  ProposalStatus.pending)[i % 4]
        decided = status is not ProposalStatus.pending
        session.add(Proposal(
            unit_code=w.code, to_unit_code=w.parent_code or CITY, scope_path=w.path, kind=kind,
            title=title, quantity=qty, status=status, proposed_by=officers.get(w.code),
            decision_note=("Đồng ý, Quận điều động trong ngày" if status is ProposalStatus.accepted
                           else "Chưa đủ nguồn lực, đề nghị phối hợp phường lân cận"
                           if decided else None),
            decided_by=logistics.get(w.parent_code or "") if decided else None,
            decided_at=now - timedelta(hours=rng.randint(1, 8)) if decided else None,
        ))


def _devices(
    session: AsyncSession, rng: random.Random, station_ids: list[uuid.UUID], now: datetime
) -> None:
    """A tablet at most stations: most synced within the day, some days ago, a few never.

    Their tokens are never shown (only a hash of random bytes is kept): enrol a real tablet
    from the API to sync."""
    for sid in station_ids:
        if rng.random() < 0.12:
            continue
        roll = rng.random()
        seen = (now - timedelta(hours=rng.uniform(0.05, 20)) if roll < 0.8
                else now - timedelta(hours=rng.uniform(26, 96)) if roll < 0.95 else None)
        session.add(Device(
            name="Máy tính bảng trạm", station_id=sid,
            token_hash=hashlib.sha256(rng.randbytes(32)).hexdigest(), last_seen_at=seen,
            created_at=now - timedelta(days=10)))
