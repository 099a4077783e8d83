"""Directives on the ward's tablets: a district's directive reaches the addressed wards'
devices, a tablet answers it offline and the issuer sees the answer once it syncs; nobody
answers for another ward through sync either."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.models.enums import Role
from sync.client import LocalStore, SyncClient
from sync.hlc import HybridClock
from tests.sync.conftest import ELSEWHERE, HOME, NEIGHBOUR, Member, Unit, World, make_unit


async def _issue(http: httpx.AsyncClient, issuer: Member, units: list[str],
                 **extra: Any) -> dict[str, Any]:
    due = (datetime.now(UTC) + timedelta(hours=12)).isoformat()
    r = await http.post("/api/directives", headers=issuer.headers, json={
        "title": "Xét nghiệm diện rộng", "body": "Tổ chức xét nghiệm toàn bộ hộ gia đình.",
        "due_at": due, "unit_codes": units, **extra})
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def _copy(directive: dict[str, Any], unit_code: str) -> uuid.UUID:
    return uuid.UUID(next(u["recipient_id"] for u in directive["units"]
                          if u["unit_code"] == unit_code))


async def test_a_directive_acknowledged_offline_is_seen_by_the_issuer_after_sync(
    unit: Unit, world: World
) -> None:
    district = await world.user(Role.district_logistics, "760")
    d = unit.device
    directive = await _issue(d.http, district, [HOME, NEIGHBOUR], report_required=True)
    mine = _copy(directive, HOME)
    store = LocalStore()
    client = SyncClient(device_id=d.id, token=d.token, store=store, author_id=unit.staff.id,
                        clock=HybridClock(), http=d.http, fmt="json")
    await client.pull()
    copies = {row_id: fields for (_, row_id), fields in store.rows("directive").items()}
    assert set(copies) == {mine}, "the ward's own copy, not its neighbour's"
    assert copies[mine]["title"] == "Xét nghiệm diện rộng"
    assert copies[mine]["status"] == "unread" and copies[mine]["report_required"] is True
    # Offline: the nurse acknowledges and notes the progress; nothing leaves the tablet yet.
    await client.edit("directive", mine, {"status": "acknowledged", "progress_pct": 30,
                                          "progress_note": "Đã lập danh sách hộ"})
    before = (await d.http.get(f"/api/directives/{directive['id']}",
                               headers=district.headers)).json()
    assert before["counts"]["unread"] == 2
    report = await client.sync()
    assert report.rejected == 0 and client.rejections == []
    after = (await d.http.get(f"/api/directives/{directive['id']}",
                              headers=district.headers)).json()
    home = next(u for u in after["units"] if u["unit_code"] == HOME)
    assert (home["state"], home["progress_pct"], home["progress_note"]) == (
        "acknowledged", 30, "Đã lập danh sách hộ")
    assert after["counts"]["acknowledged"] == 1 and after["counts"]["unread"] == 1
    audit = await world.scalar(
        "SELECT via || ':' || device_id::text FROM audit_log WHERE entity = "
        "'directive_recipient' AND row_id = :r AND action = 'update' ORDER BY id LIMIT 1",
        r=mine)
    assert audit == f"device:{d.id}"
    # Completing offline needs the report the directive asked for, as online.
    await client.edit("directive", mine, {"status": "done"})
    await client.push()
    assert [r.code for r in client.rejections] == ["invalid"]
    await client.edit("directive", mine, {"status": "done",
                                          "completion_report": "Đã xét nghiệm 1.204 hộ."})
    [result] = await client.push()
    assert result.status == "applied"
    final = (await d.http.get(f"/api/directives/{directive['id']}",
                              headers=district.headers)).json()
    assert next(u for u in final["units"] if u["unit_code"] == HOME)["state"] == "done"


async def test_nobody_answers_for_another_ward_through_sync(unit: Unit, world: World) -> None:
    district = await world.user(Role.district_logistics, "760")
    neighbour = await make_unit(world, unit.device.http, NEIGHBOUR)
    elsewhere = await make_unit(world, unit.device.http, ELSEWHERE)
    directive = await _issue(unit.device.http, district, [HOME])
    mine = _copy(directive, HOME)
    await neighbour.device.sync_down()
    assert neighbour.device.of("directive") == {}
    # The neighbour's tablet, a tablet of another district, and a district user named as the
    # author on the ward's own tablet: all refused, and the copy stays unread.
    for device, author in ((neighbour.device, neighbour.staff.id),
                           (elsewhere.device, elsewhere.officer.id),
                           (unit.device, district.id)):
        [r] = await device.push_ok(device.mutation(
            "directive", mine, {"status": "acknowledged"}, author=author))
        assert (r["status"], r["code"]) == ("rejected", "forbidden"), r
    status = await world.scalar("SELECT status FROM directive_recipient WHERE id = :r", r=mine)
    assert status == "unread"


async def test_two_tablets_answering_one_directive_never_conflict(
    unit: Unit, world: World
) -> None:
    district = await world.user(Role.district_logistics, "760")
    a = unit.device
    second_id, second_token = await world.device(unit.station_id, unit.officer)
    from tests.sync.conftest import RawDevice

    b = RawDevice(a.http, second_id, second_token, unit.officer.id)
    directive = await _issue(a.http, district, [HOME])
    mine = _copy(directive, HOME)
    first = b.mutation("directive", mine, {"status": "acknowledged"})  # written first, offline
    [done] = await a.push_ok(a.mutation("directive", mine, {"status": "done"}))
    assert done["status"] == "applied"
    [late] = await b.push_ok(first)
    assert late["status"] == "merged" and late["current"]["status"] == "done"


async def test_a_reminder_reaches_the_overdue_wards_tablet(unit: Unit, world: World) -> None:
    district = await world.user(Role.district_logistics, "760")
    d = unit.device
    directive = await _issue(d.http, district, [HOME])
    mine = _copy(directive, HOME)
    await d.sync_down()
    await world.execute("UPDATE directive_recipient SET due_at = now() - interval '2 hours' "
                        "WHERE id = :r", r=mine)
    r = await d.http.post(f"/api/directives/{directive['id']}/reminders",
                          json={"message": "Báo cáo trước 17 giờ"}, headers=district.headers)
    assert r.status_code == 201, r.text
    await d.sync_down()
    reminders = d.of("directive_reminder")
    assert [x["message"] for x in reminders.values()] == ["Báo cáo trước 17 giờ"]
    assert d.of("directive")[mine]["reminder_count"] == 1


async def test_the_wards_community_teams_reach_its_tablets_only(
    unit: Unit, world: World
) -> None:
    neighbour = await make_unit(world, unit.device.http, NEIGHBOUR)
    r = await unit.device.http.post("/api/community-teams", headers=unit.officer.headers, json={
        "name": "Tổ COVID khu phố 1", "channel": "phone", "contact": "0903123456",
        "areas": ["Khu phố 1"], "households": 120,
        "members": [{"full_name": "Nguyễn Thị Mai", "phone": "0903123456", "role": "leader"}]})
    assert r.status_code == 201, r.text
    await unit.device.sync_down()
    teams = unit.device.of("community_team")
    assert [t["name"] for t in teams.values()] == ["Tổ COVID khu phố 1"]
    assert [m["full_name"] for m in unit.device.of("community_team_member").values()] == [
        "Nguyễn Thị Mai"]
    await neighbour.device.sync_down()
    assert neighbour.device.of("community_team") == {}
    team_id = next(iter(teams))
    r = await unit.device.http.delete(f"/api/community-teams/{team_id}",
                                      headers=unit.officer.headers)
    assert r.status_code == 204
    await unit.device.sync_down()
    assert unit.device.of("community_team") == {}
    assert unit.device.of("community_team_member") == {}


async def test_an_inspections_corrections_are_answered_offline_on_the_wards_tablet(
    unit: Unit, world: World
) -> None:
    district = await world.user(Role.district_logistics, "760")
    neighbour = await make_unit(world, unit.device.http, NEIGHBOUR)
    d = unit.device
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    r = await d.http.post("/api/inspections", headers=district.headers, json={
        "unit_code": HOME, "findings": "Chưa có kế hoạch cấp độ 4.",
        "checklist": {"steering_committee": True, "connected": True},
        "corrections": [{"title": "Lập kế hoạch ứng phó cấp độ 4", "due_at": due}]})
    assert r.status_code == 201, r.text
    inspection = r.json()
    await d.sync_down()
    [pulled] = d.of("inspection").values()
    assert pulled["findings"] == "Chưa có kế hoạch cấp độ 4." and pulled["connected"] is True
    [link] = d.of("inspection_correction").values()
    recipient = uuid.UUID(link["recipient_id"])
    assert d.of("directive")[recipient]["title"] == "Lập kế hoạch ứng phó cấp độ 4"
    [result] = await d.push_ok(d.mutation("directive", recipient, {
        "status": "done", "completion_report": "Kế hoạch đã được UBND phường phê duyệt."}))
    assert result["status"] == "applied", result
    seen = (await d.http.get(f"/api/inspections/{inspection['id']}",
                             headers=district.headers)).json()
    assert seen["corrections"][0]["status"] == "done"
    assert seen["observed"]["devices_synced_24h"] == 1, "the ward's tablet is connected"
    await neighbour.device.sync_down()
    assert neighbour.device.of("inspection") == {}
    assert neighbour.device.of("inspection_correction") == {}


ANSWERS: list[tuple[str, Any, bool]] = [
    ("progress_pct", 40, True),
    ("progress_pct", 101, False),
    ("progress_pct", -1, False),
    ("progress_note", "Đã rà soát 3 khu phố", True),
    ("progress_note", "x" * 2001, False),
]


@pytest.mark.parametrize(("name", "value", "valid"), ANSWERS,
                         ids=[f"{n}={'ok' if v else 'bad'}" for n, _, v in ANSWERS])
async def test_an_answer_gets_the_same_verdict_online_and_offline(
    unit: Unit, world: World, name: str, value: Any, valid: bool
) -> None:
    district = await world.user(Role.district_logistics, "760")
    d = unit.device
    mine = _copy(await _issue(d.http, district, [HOME]), HOME)
    online = await d.http.patch(f"/api/received-directives/{mine}", json={name: value},
                                headers=unit.staff.headers)
    (offline,) = await d.push_ok(d.mutation("directive", mine, {name: value}))
    if valid:
        assert online.status_code == 200, online.text
        assert offline["status"] == "applied", offline
    else:
        assert online.status_code == 400 and online.json()["field"] == name, online.text
        assert (offline["status"], offline["code"]) == ("rejected", "invalid_request")
        assert offline["field"] == f"mutations[0].fields.{name}"
