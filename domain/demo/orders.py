"""Demo of the chain of command: a day of it in Ho Chi Minh City.

Built through the services (so every rule, copy and audit row is the real one), acting as
the demo's people: the city coordinator and the district logistics officer issue directives
to the wards below them, each ward's station staff answer them (most acknowledge, some are
working on it, a few are done, the rest have not read them), the overdue ones are urged, the
district inspects the demo ward (findings, corrections, a requisition for its station, a
commendation and a disciplinary note), and the demo ward keeps four community COVID teams.
Deterministic for a seed; the times are relative to the load, so the day is always today.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.demo.operations import DEMO_LOGINS
from domain.models.community_team import ContactChannel
from domain.models.directive import DirectivePriority, DirectiveRecipient, DirectiveStatus
from domain.models.enums import Role
from domain.models.inspection import AdjustmentKind, MeritKind
from domain.repositories.directives import backdate
from domain.repositories.locations import LocationRepository
from domain.repositories.supply_seed import SupplySeedRepository
from domain.repositories.users import UserRepository
from domain.services.catalog import item_id
from domain.services.community_teams import CommunityTeamService
from domain.services.directives import DirectiveService
from domain.services.inspections import InspectionService
from domain.services.users import UserService

S = DirectiveStatus
TEAMS = [
    ("Tổ COVID cộng đồng khu phố 1", ["Khu phố 1"], 184, ContactChannel.zalo,
     "Zalo: Tổ COVID KP1"),
    ("Tổ COVID cộng đồng khu phố 2", ["Khu phố 2", "Hẻm 12"], 236, ContactChannel.zalo,
     "Zalo: Tổ COVID KP2"),
    ("Tổ COVID cộng đồng khu phố 3", ["Khu phố 3"], 151, ContactChannel.phone, "0903 412 377"),
    ("Tổ COVID cộng đồng khu phố 4", ["Khu phố 4", "Chung cư Hòa Bình"], 298,
     ContactChannel.facebook, "fb.com/groups/tocovidkp4"),
]
MEMBERS = ["Nguyễn Văn Hùng", "Trần Thị Mai", "Lê Văn Tâm", "Phạm Thị Hồng", "Võ Minh Khoa",
           "Đặng Thị Thu", "Bùi Văn Lộc", "Huỳnh Thị Ngọc"]


async def _principal(session: AsyncSession, user_id: uuid.UUID) -> Principal:
    principal = await UserService(session).principal(user_id)
    assert principal is not None
    return principal


async def _login(session: AsyncSession, role: Role) -> Principal:
    user = await UserRepository(session).by_username(DEMO_LOGINS[role])
    if user is None:
        raise RuntimeError("load the operations demo first: the demo logins are missing")
    return await _principal(session, user.id)


async def _answer(
    session: AsyncSession, ward_staff: dict[str, Principal], copies: Sequence[DirectiveRecipient],
    rng: random.Random, weights: Sequence[float], *, force: dict[str, S] | None = None,
) -> None:
    """Each ward's staff take its copy to a state drawn with ``weights`` (unread,
    acknowledged, in progress, done), or the one ``force`` gives."""
    states = [S.unread, S.acknowledged, S.in_progress, S.done]
    for copy in copies:
        staff = ward_staff.get(copy.unit_code)
        target = (force or {}).get(copy.unit_code) or rng.choices(states, weights=weights)[0]
        if staff is None or target is S.unread:
            continue
        service = DirectiveService(session, staff)
        if target is S.in_progress:
            await service.report_progress(copy.id, {
                "progress_pct": rng.choice([20, 40, 60, 80]),
                "progress_note": "Đang triển khai tại các khu phố"})
            await session.flush()
        report = "Đã hoàn thành, số liệu gửi kèm." if copy.report_required else None
        await service.move(copy.id, target, report if target is S.done else None)


async def load_orders_demo(session: AsyncSession, *, seed: int = 2021) -> None:
    """Load the chain-of-command demo in the session's transaction (after the operations and
    supplies demos)."""
    rng = random.Random(seed + 15)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    city, district = await _login(session, Role.city_coordinator), await _login(
        session, Role.district_logistics)
    officer = await _login(session, Role.commune_officer)
    station = await _login(session, Role.station_staff)
    ward = officer.unit_code
    staff_ids: dict[str, uuid.UUID] = {}
    for uid, unit, _ in await SupplySeedRepository(session).people(Role.station_staff):
        staff_ids.setdefault(unit, uid)
    ward_staff = {unit: await _principal(session, uid) for unit, uid in staff_ids.items()}
    ward_staff[ward] = station

    async def issue(issuer: Principal, hours_ago: float, due_in: float,
                    **kw: object) -> list[DirectiveRecipient]:
        d, copies = await DirectiveService(session, issuer).issue(
            due_at=now + timedelta(days=3), **kw)  # type: ignore[arg-type]
        await backdate(session, d.id, issued_at=now - timedelta(hours=hours_ago),
                       due_at=now + timedelta(hours=due_in))
        return copies

    # The city, to every ward: under way, due tomorrow.
    testing = await issue(
        city, 6, 30, title="Xét nghiệm diện rộng toàn thành phố, đợt 3",
        body="Các phường, xã, thị trấn tổ chức xét nghiệm nhanh cho toàn bộ hộ gia đình trong "
             "vùng đỏ và vùng cam; báo cáo kết quả theo ngày.",
        priority=DirectivePriority.urgent, report_required=True, all_communes=True)
    await _answer(session, ward_staff, testing, rng, [20, 45, 30, 5],
                  force={ward: S.in_progress})
    # The city, to every ward: a figure due this morning; the late ones are urged.
    figures = await issue(
        city, 20, -4, title="Báo cáo số F0 điều trị tại nhà trước 10 giờ",
        body="Báo cáo số F0 đang điều trị tại nhà, số mới trong ngày và số chuyển viện.",
        all_communes=True)
    await _answer(session, ward_staff, figures, rng, [10, 5, 5, 80], force={ward: S.done})
    await DirectiveService(session, city).remind(
        figures[0].directive_id, message="Đề nghị báo cáo ngay, thành phố đang tổng hợp.")
    # The district, to its wards: activate the community teams; the demo ward is late.
    teams = await issue(
        district, 9, -1, title="Kích hoạt tổ COVID cộng đồng tại các khu phố",
        body="Mỗi khu phố có ít nhất một tổ COVID cộng đồng hoạt động, có nhóm liên lạc.",
        priority=DirectivePriority.immediate, report_required=True, all_communes=True)
    await _answer(session, ward_staff, teams, rng, [15, 25, 20, 40],
                  force={ward: S.acknowledged})
    await DirectiveService(session, district).remind(
        teams[0].directive_id, message="Phường chưa báo cáo kết quả kích hoạt tổ COVID.")
    # The district, to two wards: a plan for the highest level, not read yet.
    siblings = sorted(c.unit_code for c in teams if c.unit_code != ward)[:1]
    await issue(district, 1, 48, title="Chuẩn bị phương án ứng phó cấp độ 4",
                body="Rà soát nhân lực, trạm y tế lưu động, oxy và giường tại nhà cho cấp độ 4.",
                unit_codes=[ward, *siblings])
    # The community teams of the demo ward.
    for i, (name, areas, households, channel, contact) in enumerate(TEAMS):
        await CommunityTeamService(session, officer).create(
            name=name, areas=areas, households=households, channel=channel, contact=contact,
            members=[{"full_name": MEMBERS[(2 * i) % len(MEMBERS)], "role": "leader",
                      "phone": f"090{rng.randrange(10**7):07d}"},
                     {"full_name": MEMBERS[(2 * i + 1) % len(MEMBERS)], "role": "member"}])
    # The district's inspection of the demo ward.
    location = (await LocationRepository(session).of_station(station.station_id)
                if station.station_id else None)
    adjustments = [] if location is None else [{
        "kind": AdjustmentKind.requisition, "location_id": location.id,
        "justification": "Bổ sung máy đo SpO2 và đồ bảo hộ theo kết luận kiểm tra",
        "lines": [{"item_id": item_id("spo2_meter"), "quantity": 10},
                  {"item_id": item_id("ppe_set"), "quantity": 100}], "days_of_cover": 14}]
    detail = await InspectionService(session, district).record(
        unit_code=ward, inspected_at=now - timedelta(hours=3),
        findings="Ban chỉ đạo phường hoạt động tốt; kế hoạch ứng phó chưa cập nhật cấp độ 4; "
                 "tổ COVID khu phố 4 chưa có người phụ trách; trạm y tế lưu động thiếu máy "
                 "đo SpO2.",
        checklist={"plan_ready": False, "steering_committee": True,
                   "community_teams_active": True, "stations_staffed": True,
                   "stations_supplied": False, "connected": True},
        corrections=[
            {"title": "Cập nhật kế hoạch ứng phó theo 4 cấp độ dịch",
             "due_at": now + timedelta(days=2)},
            {"title": "Phân công người phụ trách tổ COVID khu phố 4",
             "due_at": now + timedelta(hours=20), "report_required": False}],
        adjustments=adjustments,
        merits=[
            {"kind": MeritKind.commendation, "user_id": station.user_id,
             "reason": "Theo dõi F0 tại nhà đầy đủ, cập nhật chỉ số hằng ngày."},
            {"kind": MeritKind.discipline, "person_name": "Tổ trưởng tổ COVID khu phố 4",
             "reason": "Không nắm được danh sách hộ có F0 trong khu phố."}])
    first = detail.corrections[0]
    await DirectiveService(session, officer).move(first.id, S.acknowledged)
