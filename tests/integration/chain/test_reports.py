"""Daily situation reports as a commune, its district and the city see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient

from domain.services.reports import deadline_of, local_today
from tests.integration.operations.conftest import World


def _past_deadline() -> bool:
    """Whether today's 17:00 (Ho Chi Minh City) has passed: the tests run at any hour."""
    return datetime.now(UTC) > deadline_of(local_today())


async def _open(client: AsyncClient, world: World, actor: str, **body: Any) -> dict[str, Any]:
    r = await client.post("/api/reports", json=body, headers=world.actors[actor].headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_a_draft_shows_live_figures_and_submitting_freezes_them(
    client: AsyncClient, world: World
) -> None:
    officer = world.actors["officer_A"].headers
    draft = await _open(client, world, "officer_A", notes="Khu phố 3 cần thêm tình nguyện viên")
    assert draft["status"] == "draft" and draft["figures_live"] is True
    assert draft["report_date"] == local_today().isoformat()
    figures = draft["figures"]
    # Ward A has three F0 at home (two stations) and both stations are active.
    assert figures["f0_under_care"] == 3
    assert figures["new_today"] == 3
    assert figures["stations_by_status"] == {"active": 2}

    r = await client.patch(f"/api/reports/{draft['id']}", json={"notes": "Đã bổ sung"},
                           headers=officer)
    assert r.status_code == 200 and r.json()["notes"] == "Đã bổ sung"

    r = await client.post(f"/api/reports/{draft['id']}/submit", headers=officer)
    assert r.status_code == 200, r.text
    submitted = r.json()
    assert submitted["status"] == "submitted" and submitted["figures_live"] is False
    assert submitted["submitted_by"] == str(world.actors["officer_A"].user_id)

    # A new F0 after the submission does not change the submitted figures.
    body = {"station_id": str(world.stations["A"]), "full_name": "Trần Thị Bình",
            "year_of_birth": 1990, "sex": "female", "test_date": local_today().isoformat(),
            "test_type": "pcr"}
    r = await client.post("/api/cases", json=body, headers=world.actors["staff_A"].headers)
    assert r.status_code == 201, r.text
    again = (await client.get(f"/api/reports/{draft['id']}", headers=officer)).json()
    assert again["figures"]["f0_under_care"] == 3

    # Frozen: no further edit, no second submission.
    r = await client.patch(f"/api/reports/{draft['id']}", json={"notes": "sửa"},
                           headers=officer)
    assert r.status_code == 409 and r.json()["code"] == "immutable"
    assert r.json()["field"] == "notes"
    r = await client.post(f"/api/reports/{draft['id']}/submit", headers=officer)
    assert r.status_code == 409
    assert (await client.get(f"/api/reports/{draft['id']}", headers=officer)).json()[
        "notes"] == "Đã bổ sung"
    # Every step is in the audit trail, with who did it.
    r = await client.get("/api/audit", params={"entity": "situation_report", "id": draft["id"]},
                         headers=world.actors["coordinator_79"].headers)
    entries = r.json()["items"]
    assert [e["action"] for e in entries] == ["insert", "update", "update"]
    assert {e["actor_id"] for e in entries} == {str(world.actors["officer_A"].user_id)}
    assert entries[-1]["after"]["status"] == "submitted"


async def test_a_district_cannot_open_edit_or_submit_a_communes_report(
    client: AsyncClient, world: World
) -> None:
    draft = await _open(client, world, "officer_A")
    district = world.actors["logistics_760"].headers
    # The district reads its commune's report ...
    assert (await client.get(f"/api/reports/{draft['id']}", headers=district)).status_code == 200
    # ... but does not write it.
    r = await client.post(f"/api/reports/{draft['id']}/submit", headers=district)
    assert r.status_code == 403, r.text
    r = await client.patch(f"/api/reports/{draft['id']}", json={"notes": "x"}, headers=district)
    assert r.status_code == 403
    still = (await client.get(f"/api/reports/{draft['id']}", headers=district)).json()
    assert still["status"] == "draft" and still["notes"] is None
    # Nor does the city or an administrator above the ward.
    for actor in ("coordinator_79", "admin_79"):
        r = await client.post(f"/api/reports/{draft['id']}/submit",
                              headers=world.actors[actor].headers)
        assert r.status_code == 403, actor


async def test_siblings_see_nothing_of_each_others_reports(
    client: AsyncClient, world: World
) -> None:
    draft = await _open(client, world, "officer_A")
    for actor in ("officer_B", "logistics_770"):
        headers = world.actors[actor].headers
        assert (await client.get(f"/api/reports/{draft['id']}", headers=headers)
                ).status_code == 404
        r = await client.post(f"/api/reports/{draft['id']}/submit", headers=headers)
        assert r.status_code == 404
        listed = (await client.get("/api/reports", headers=headers)).json()
        assert draft["id"] not in [x["id"] for x in listed["items"]]
    listed = (await client.get("/api/reports",
                               headers=world.actors["coordinator_79"].headers)).json()
    assert draft["id"] in [x["id"] for x in listed["items"]]


async def test_the_district_sees_who_has_not_reported_and_the_sum_of_what_was_submitted(
    client: AsyncClient, world: World
) -> None:
    a = await _open(client, world, "officer_A")
    await client.post(f"/api/reports/{a['id']}/submit", headers=world.actors["officer_A"].headers)
    district = world.actors["logistics_760"].headers
    r = await client.get("/api/reports/overview", headers=district)
    assert r.status_code == 200, r.text
    overview = r.json()
    on_time = "late" if _past_deadline() else "submitted"
    states = {u["code"]: u["state"] for u in overview["units"]}
    assert states["26734"] == on_time
    assert states["26737"] == "missing"  # Đa Kao has not opened one
    assert set(states.values()) <= {on_time, "missing"}
    overdue = {u["code"]: u["overdue"] for u in overview["units"]}
    assert overdue["26734"] is False and overdue["26737"] is _past_deadline()
    assert overview["aggregate"]["f0_under_care"] == 3
    assert overview["aggregate"]["units_reported"] == 1
    assert overview["aggregate"]["units_expected"] == len(overview["units"])
    assert overview["deadline"].endswith("+07:00") and "T17:00:00" in overview["deadline"]

    # The district reports upward from the aggregation of its communes.
    d = await _open(client, world, "logistics_760")
    assert d["figures"]["f0_under_care"] == 3 and d["figures"]["units_reported"] == 1
    r = await client.post(f"/api/reports/{d['id']}/submit", headers=district)
    assert r.status_code == 200
    city = (await client.get("/api/reports/overview",
                             headers=world.actors["coordinator_79"].headers)).json()
    by_code = {u["code"]: u["state"] for u in city["units"]}
    assert by_code["760"] == on_time and by_code["770"] == "missing"
    assert city["aggregate"]["f0_under_care"] == 3

    # A ward cannot ask for its district's overview (out of its scope).
    r = await client.get("/api/reports/overview", params={"unit": "760"},
                         headers=world.actors["officer_A"].headers)
    assert r.status_code == 404


async def test_a_report_submitted_after_its_deadline_is_late(
    client: AsyncClient, world: World
) -> None:
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    r = await _open(client, world, "officer_A", report_date=yesterday)
    sub = await client.post(f"/api/reports/{r['id']}/submit",
                            headers=world.actors["officer_A"].headers)
    assert sub.json()["late"] is True
    overview = (await client.get("/api/reports/overview", params={"report_date": yesterday},
                                 headers=world.actors["logistics_760"].headers)).json()
    states = {u["code"]: (u["state"], u["overdue"]) for u in overview["units"]}
    assert states["26734"] == ("late", False)
    assert states["26737"] == ("missing", True)


async def test_bad_report_input_names_the_field(client: AsyncClient, world: World) -> None:
    officer = world.actors["officer_A"].headers
    r = await client.post("/api/reports", json={"notes": "x" * 4001}, headers=officer)
    assert r.status_code == 400 and r.json()["field"] == "notes"
    r = await client.post("/api/reports", json={"report_date": "2020-01-01"}, headers=officer)
    assert r.status_code == 422 and r.json()["field"] == "report_date"
    r = await client.post("/api/reports", json={"unit_code": "26737"}, headers=officer)
    assert r.status_code == 400
    await _open(client, world, "officer_A")
    r = await client.post("/api/reports", json={}, headers=officer)
    assert r.status_code == 409 and r.json()["field"] == "report_date"
    # A doctor of the district (not of a ward) writes no ward's report, nor its own district's.
    r = await client.post("/api/reports", json={}, headers=world.actors["doctor_760"].headers)
    assert r.status_code == 403
