"""A commune's report draft and readiness plan on an offline tablet: merged per field,
submitted once, frozen afterwards; nobody outside the commune writes them through sync."""

from __future__ import annotations

import uuid

from domain.models.enums import Role
from domain.models.readiness import readiness_need_id, readiness_resources_id
from domain.models.report import report_id
from domain.services.reports import local_today
from tests.sync.conftest import HOME, NEIGHBOUR, RawDevice, Unit, World
from tests.sync.test_merge import hlc


async def _officer_device(unit: Unit) -> RawDevice:
    """The ward's tablet, its author the commune officer (who writes the commune's report)."""
    d = unit.device
    return RawDevice(d.http, d.id, d.token, unit.officer.id)


async def test_a_draft_written_offline_is_submitted_then_frozen(
    unit: Unit, world: World
) -> None:
    d = await _officer_device(unit)
    today = local_today()
    rid = report_id(HOME, today)
    [opened, edited] = await d.push_ok(
        d.mutation("situation_report", rid, {"report_date": today.isoformat(),
                                             "notes": "Tổ 5 thiếu oxy"}),
        d.mutation("situation_report", rid, {"notes": "Tổ 5 thiếu oxy, đề nghị hỗ trợ"}),
    )
    assert (opened["status"], edited["status"]) == ("applied", "applied")
    r = await d.http.get(f"/api/reports/{rid}", headers=unit.officer.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "draft"
    assert r.json()["notes"] == "Tổ 5 thiếu oxy, đề nghị hỗ trợ"

    [submitted] = await d.push_ok(d.mutation("situation_report", rid, {"status": "submitted"}))
    assert submitted["status"] == "applied", submitted
    await d.sync_down()
    row = d.of("situation_report")[rid]
    assert row["status"] == "submitted" and row["figures"]["f0_under_care"] == 0
    assert row["submitted_by"] == str(unit.officer.id)

    # An edit recorded offline after the submission is refused on its own and logged.
    late_edit = d.mutation("situation_report", rid, {"notes": "sửa sau khi gửi"})
    back = d.mutation("situation_report", rid, {"status": "draft"})
    [refused, reopened] = await d.push_ok(late_edit, back)
    assert (refused["status"], refused["code"]) == ("rejected", "immutable")
    assert (reopened["status"], reopened["code"]) == ("rejected", "transition_not_allowed")
    r = await d.http.get(f"/api/reports/{rid}", headers=unit.officer.headers)
    assert r.json()["notes"] == "Tổ 5 thiếu oxy, đề nghị hỗ trợ"
    assert r.json()["status"] == "submitted"
    log = await d.http.get("/api/sync/conflicts", headers=unit.officer.headers,
                           params={"entity": "situation_report", "row_id": str(rid)})
    assert {c["mutation_id"] for c in log.json()["items"]} >= {late_edit["id"], back["id"]}


async def test_two_tablets_merge_the_days_notes_on_one_row(unit: Unit, world: World) -> None:
    a = await _officer_device(unit)
    device_id, token = await world.device(unit.station_id, unit.officer)
    b = RawDevice(a.http, device_id, token, unit.officer.id)
    today = local_today()
    rid = report_id(HOME, today)
    first = a.mutation("situation_report", rid, {"report_date": today.isoformat(),
                                                 "notes": "từ máy A"}, hlc=hlc(0))
    second = b.mutation("situation_report", rid, {"report_date": today.isoformat(),
                                                  "notes": "từ máy B"}, hlc=hlc(10))
    await a.push_ok(first)
    [merged] = await b.push_ok(second)
    assert merged["status"] == "applied"  # b's write is the later one: it wins the notes
    older = a.mutation("situation_report", rid, {"notes": "cũ hơn"}, hlc=hlc(5))
    [lost] = await a.push_ok(older)
    assert lost["status"] == "merged" and lost["current"]["notes"] == "từ máy B"
    r = await a.http.get(f"/api/reports/{rid}", headers=unit.officer.headers)
    assert r.json()["notes"] == "từ máy B"
    # A report created under any other id is refused: the day has one row.
    [other] = await a.push_ok(a.mutation("situation_report", uuid.uuid4(),
                                         {"report_date": today.isoformat()}))
    assert other["status"] == "rejected" and other["field"].endswith("row_id")


async def test_a_district_cannot_submit_a_communes_report_by_sync(
    unit: Unit, world: World
) -> None:
    d = await _officer_device(unit)
    today = local_today()
    rid = report_id(HOME, today)
    await d.push_ok(d.mutation("situation_report", rid, {"report_date": today.isoformat()}))
    district = await world.user(Role.district_logistics, "760")
    neighbour = await world.user(Role.commune_officer, NEIGHBOUR)
    [by_district, by_neighbour] = await d.push_ok(
        d.mutation("situation_report", rid, {"status": "submitted"}, author=district.id),
        d.mutation("situation_report", rid, {"status": "submitted"}, author=neighbour.id),
    )
    assert (by_district["status"], by_district["code"]) == ("rejected", "forbidden")
    assert (by_neighbour["status"], by_neighbour["code"]) == ("rejected", "forbidden")
    r = await d.http.get(f"/api/reports/{rid}", headers=unit.officer.headers)
    assert r.json()["status"] == "draft"
    # Nor online, from the district's own login.
    r = await d.http.post(f"/api/reports/{rid}/submit", headers=district.headers)
    assert r.status_code == 403
    assert (await d.http.get(f"/api/reports/{rid}", headers=unit.officer.headers)
            ).json()["status"] == "draft"


async def test_the_station_staff_on_the_tablet_may_write_the_wards_report(
    unit: Unit, world: World
) -> None:
    d = unit.device  # its author is the station's staff
    today = local_today()
    rid = report_id(HOME, today)
    results = await d.push_ok(
        d.mutation("situation_report", rid, {"report_date": today.isoformat(), "notes": "ổn"}),
        d.mutation("situation_report", rid, {"status": "submitted"}),
    )
    assert [r["status"] for r in results] == ["applied", "applied"]
    r = await d.http.get(f"/api/reports/{rid}", headers=unit.officer.headers)
    assert r.json()["submitted_by"] == str(unit.staff.id)


async def test_the_readiness_plan_is_written_offline_and_gaps_follow(
    unit: Unit, world: World
) -> None:
    d = await _officer_device(unit)
    need = readiness_need_id(HOME, 3)
    ready = readiness_resources_id(HOME)
    results = await d.push_ok(
        d.mutation("readiness_need", need, {"level": 3, "staff": 40, "stations": 4,
                                            "home_beds": 200, "oxygen": 30, "teams": 10}),
        d.mutation("readiness_resources", ready, {"staff": 25, "stations": 4, "home_beds": 250,
                                                  "oxygen": 12, "teams": 6}),
        d.mutation("readiness_need", uuid.uuid4(), {"level": 2, "staff": 1}),
        d.mutation("readiness_need", readiness_need_id(HOME, 4), {"level": 4, "staff": -1}),
    )
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "rejected"]
    district = await world.user(Role.district_logistics, "760")
    r = await d.http.put(f"/api/readiness/{HOME}/level", json={"level": 3},
                         headers=district.headers)
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["current"]["level"] == 3 and view["current"]["colour"] == "orange"
    assert view["current_gaps"] == {"staff": 15, "stations": 0, "home_beds": 0, "oxygen": 18,
                                    "teams": 4}
    # The level set online reaches the tablet, read-only.
    await d.sync_down()
    [level] = d.of("unit_epidemic_level").values()
    assert level["level"] == 3
    # A later count wins per field; the district cannot write the commune's plan.
    await d.push_ok(d.mutation("readiness_resources", ready, {"oxygen": 30}))
    [refused] = await d.push_ok(d.mutation("readiness_resources", ready, {"teams": 10},
                                           author=district.id))
    assert refused["code"] == "forbidden"
    view = (await d.http.get("/api/readiness", params={"unit": HOME},
                             headers=unit.officer.headers)).json()
    assert view["current_gaps"]["oxygen"] == 0 and view["current_gaps"]["teams"] == 4


async def test_concurrent_submissions_and_edits_of_one_report(unit: Unit, world: World) -> None:
    """Tablets and a browser at once on one report: one submission wins, no 5xx, no deadlock,
    and nothing changes after the submission."""
    import asyncio

    d = await _officer_device(unit)
    today = local_today()
    rid = report_id(HOME, today)
    await d.push_ok(d.mutation("situation_report", rid, {"report_date": today.isoformat()}))
    headers = unit.officer.headers
    submits = [d.http.post(f"/api/reports/{rid}/submit", headers=headers) for _ in range(4)]
    edits = [d.http.patch(f"/api/reports/{rid}", json={"notes": f"bản {i}"}, headers=headers)
             for i in range(4)]
    pushes = [d.push(d.mutation("situation_report", rid, {"notes": f"máy {i}"}))
              for i in range(2)]
    answers = await asyncio.gather(*submits, *edits, *pushes)
    assert all(a.status_code < 500 for a in answers), [a.text for a in answers]
    assert [a.status_code for a in answers[:4]].count(200) == 1
    final = (await d.http.get(f"/api/reports/{rid}", headers=headers)).json()
    assert final["status"] == "submitted"
    submitted_at = final["submitted_at"]
    # Whatever landed before the submission, nothing changed after it.
    for a in answers[4:8]:
        if a.status_code == 200:
            assert a.json()["status"] == "draft"
        else:
            assert a.status_code == 409
    again = (await d.http.get(f"/api/reports/{rid}", headers=headers)).json()
    assert (again["notes"], again["submitted_at"]) == (final["notes"], submitted_at)


async def test_the_same_values_get_the_same_verdict_online_and_by_sync(
    unit: Unit, world: World
) -> None:
    d = await _officer_device(unit)
    today = local_today()
    rid = report_id(HOME, today)
    headers = unit.officer.headers
    for notes, ok in (("x" * 4000, True), ("x" * 4001, False)):
        online = await d.http.post("/api/reports", json={"notes": notes}, headers=headers)
        [pushed] = await d.push_ok(d.mutation("situation_report", rid,
                                              {"report_date": today.isoformat(),
                                               "notes": notes}))
        assert (online.status_code == 201) is ok and (pushed["status"] == "applied") is ok
        if online.status_code == 201:
            assert pushed["status"] == "applied"  # the same row: the push edits it
    for staff, ok in ((0, True), (100_000, True), (-1, False), (100_001, False)):
        online = await d.http.put(f"/api/readiness/{HOME}/ready", json={"staff": staff},
                                  headers=headers)
        [pushed] = await d.push_ok(d.mutation("readiness_resources",
                                              readiness_resources_id(HOME), {"staff": staff}))
        assert (online.status_code == 200) is ok, online.text
        assert (pushed["status"] in ("applied", "merged")) is ok, pushed
