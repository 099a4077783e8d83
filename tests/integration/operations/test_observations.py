"""Readings, thresholds and the one-alert-per-episode rule, as a station's nurse sees them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from httpx import AsyncClient
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.authz import Principal
from domain.db import create_session_maker
from domain.geo import point_wkt
from domain.models.case import CaseStatusEvent, F0Case
from domain.models.enums import CaseStatus, ObservationKind, RiskGroup, Role, Sex
from domain.models.enums import TestType as Kit
from domain.models.observation import Alert, Observation
from domain.services.observations import ObservationService
from domain.settings import VitalThresholds
from tests.integration.operations.conftest import World, alerts_of, now_iso, observe


async def test_a_low_reading_opens_one_alert_seen_up_the_chain_but_not_across(
    client: AsyncClient, world: World
) -> None:
    r = await observe(client, world, "staff_A", "A", 95)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["case_status"] == "needs_attention"
    assert body["alert"]["severity"] == "attention" and body["alert"]["status"] == "open"
    assert body["observation"]["loinc"] == "59408-5" and body["observation"]["unit"] == "%"
    for actor in ("staff_A", "team_A", "officer_A", "logistics_760", "coordinator_79"):
        assert len(await alerts_of(client, world, actor, "A")) == 1, actor
    for actor in ("logistics_770", "officer_B"):
        assert await alerts_of(client, world, actor, "A") == [], actor
    alert_id = body["alert"]["id"]
    assert (await client.get(f"/api/alerts/{alert_id}",
                             headers=world.actors["logistics_770"].headers)).status_code == 404
    station = await client.get("/api/alerts", params={"station_id": str(world.stations["A"]),
                                                      "unresolved": "true"},
                               headers=world.actors["staff_A"].headers)
    assert [a["id"] for a in station.json()["items"]] == [alert_id]


async def test_a_second_low_reading_in_the_episode_opens_no_second_alert(
    client: AsyncClient, world: World
) -> None:
    first = (await observe(client, world, "staff_A", "A", 95)).json()
    second = await observe(client, world, "team_A", "A", 95.5)
    assert second.status_code == 201
    assert second.json()["alert"]["id"] == first["alert"]["id"]
    assert len(await alerts_of(client, world, "coordinator_79", "A")) == 1
    events = (await client.get(f"/api/cases/{world.cases['A']}/status-events",
                               headers=world.actors["staff_A"].headers)).json()
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        ("home_monitoring", "needs_attention")]
    assert events[0]["changed_by"] == str(world.actors["staff_A"].user_id)
    assert "SpO2 95%" in events[0]["reason"]


async def test_a_worse_reading_escalates_the_open_alert_and_puts_it_back_on_top(
    client: AsyncClient, world: World
) -> None:
    alert = (await observe(client, world, "staff_A", "A", 95)).json()["alert"]
    ack = await client.post(f"/api/alerts/{alert['id']}/acknowledge",
                            headers=world.actors["staff_A"].headers)
    assert ack.json()["status"] == "acknowledged"
    worse = (await observe(client, world, "staff_A", "A", 91)).json()["alert"]
    assert worse["id"] == alert["id"]
    assert worse["severity"] == "emergency" and worse["status"] == "open"
    assert len(worse["reasons"]) == 2 and worse["acknowledged_by"] is None
    milder = (await observe(client, world, "staff_A", "A", 95)).json()["alert"]
    assert milder["severity"] == "emergency" and len(milder["reasons"]) == 2


async def test_after_resolution_the_next_low_reading_opens_a_new_episode(
    client: AsyncClient, world: World
) -> None:
    first = (await observe(client, world, "staff_A", "A", 95)).json()["alert"]
    done = await client.post(f"/api/alerts/{first['id']}/resolve", json={"note": "rechecked"},
                             headers=world.actors["doctor_A"].headers)
    assert done.status_code == 200 and done.json()["resolved_by"] == str(
        world.actors["doctor_A"].user_id)
    second = (await observe(client, world, "staff_A", "A", 93)).json()["alert"]
    assert second["id"] != first["id"] and second["severity"] == "emergency"
    statuses = sorted(a["status"] for a in await alerts_of(client, world, "staff_A", "A"))
    assert statuses == ["open", "resolved"]


async def test_normal_readings_and_other_vitals(client: AsyncClient, world: World) -> None:
    ok = await observe(client, world, "staff_A", "A", 98)
    assert ok.json()["alert"] is None and ok.json()["case_status"] == "home_monitoring"
    bp = await observe(client, world, "staff_A", "A", 120, kind="blood_pressure", value2=80)
    assert bp.status_code == 201 and bp.json()["observation"]["value2"] == 80
    fever = await observe(client, world, "staff_A", "A", 39.5, kind="temperature")
    assert fever.json()["alert"]["reasons"] == ["temperature 39.5 °C > 39"]
    symptoms = await client.post(
        f"/api/cases/{world.cases['A']}/observations",
        json={"kind": "symptoms", "symptoms": ["cough", "dyspnea"], "measured_at": now_iso()},
        headers=world.actors["staff_A"].headers,
    )
    assert symptoms.status_code == 201 and symptoms.json()["observation"]["loinc"] == "75325-1"
    listed = await client.get(f"/api/cases/{world.cases['A']}/observations",
                              params={"kind": "temperature"},
                              headers=world.actors["coordinator_79"].headers)
    assert [o["value"] for o in listed.json()["items"]] == [39.5]


async def test_implausible_or_future_readings_are_refused_naming_the_field(
    client: AsyncClient, world: World
) -> None:
    for extra, status, field in (
        ({"value": 101}, 400, "value"),
        ({"value": 49}, 400, "value"),
        ({"measured_at": now_iso(minutes=30)}, 422, "measured_at"),
        ({"measured_at": "2021-08-01T08:00:00"}, 400, "measured_at"),
        ({"loinc": "8867-4"}, 422, "loinc"),
        ({"kind": "glucose"}, 400, None),
        ({"kind": "blood_pressure", "value": 120}, 400, "value2"),
        ({"heart": 1}, 400, "heart"),
    ):
        r = await observe(client, world, "staff_A", "A", **{"value": 97, **extra})
        assert r.status_code == status, (extra, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        if field:
            named = f"{r.json().get('field')} {r.json()['detail']}"
            assert field in named, (extra, r.json())
    slightly_ahead = await observe(client, world, "staff_A", "A", 97, measured_at=now_iso(2))
    assert slightly_ahead.status_code == 201, "a small clock difference is tolerated"


async def test_the_same_reading_sent_twice_is_stored_once(
    client: AsyncClient, world: World
) -> None:
    reading_id, at = str(uuid.uuid4()), now_iso()
    a = await observe(client, world, "staff_A", "A", 95, id=reading_id, measured_at=at)
    b = await observe(client, world, "staff_A", "A", 95, id=reading_id, measured_at=at)
    assert a.status_code == b.status_code == 201
    assert a.json()["observation"] == b.json()["observation"]
    # The same id with other content is not a retry: refused as the sync push refuses it
    # (it used to return the stored reading, hiding the lost value).
    for changed in ({"value": 96}, {"measured_at": now_iso(-1)}):
        c = await observe(client, world, "staff_A", "A", **{"value": 95, "id": reading_id,
                                                           "measured_at": at, **changed})
        assert c.status_code == 409, c.text
        assert (c.json()["code"], c.json()["field"]) == ("immutable", "id")
    page = (await client.get(f"/api/cases/{world.cases['A']}/observations",
                             headers=world.actors["staff_A"].headers)).json()
    assert page["total"] == 1


async def test_a_closed_case_takes_late_readings_but_no_new_ones(
    client: AsyncClient, world: World
) -> None:
    before = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    r = await client.post(f"/api/cases/{world.cases['A']}/status",
                          json={"status": "recovered"}, headers=world.actors["doctor_A"].headers)
    assert r.status_code == 200, r.text
    late = await observe(client, world, "staff_A", "A", 93, measured_at=before)
    assert late.status_code == 201 and late.json()["alert"] is None
    assert late.json()["case_status"] == "recovered"
    new = await observe(client, world, "staff_A", "A", 97)
    assert new.status_code == 409


async def test_two_low_readings_at_once_still_open_one_alert(
    engine: AsyncEngine, world: World
) -> None:
    """Real commits on two connections: the case lock and the unique index hold the line."""
    maker = create_session_maker(engine)
    case_id = uuid.uuid4()
    async with maker() as s:
        s.add(F0Case(id=case_id, case_code=f"RACE-{case_id.hex[:8]}",
                     station_id=world.stations["A"], team_id=world.teams["A"],
                     commune_code="26734", scope_path="VN.79.760.26734", full_name="Trần Thị B",
                     year_of_birth=1990, sex=Sex.female, home_position=point_wkt(106.69, 10.79),
                     test_date=datetime.now(UTC).date(), test_type=Kit.pcr,
                     risk_group=RiskGroup.moderate, status=CaseStatus.home_monitoring))
        await s.commit()
    staff = world.actors["staff_A"]
    principal = Principal(user_id=staff.user_id, username="world.staff_A",
                          role=Role.station_staff, unit_code="26734", unit_path=staff.unit_path,
                          station_id=world.stations["A"])

    async def reading(value: float) -> None:
        async with maker() as s:
            await ObservationService(s, principal).record(
                observation_id=uuid.uuid4(), case_id=case_id,
                kind=ObservationKind.spo2, value=value, measured_at=datetime.now(UTC),
                measured_by=staff.user_id, thresholds=VitalThresholds())
            await s.commit()

    try:
        await asyncio.gather(*(reading(v) for v in (95, 93, 95, 92)))
        async with maker() as s:
            alerts = list(await s.scalars(select(Alert).where(Alert.case_id == case_id)))
            events = await s.scalar(select(func.count()).where(
                CaseStatusEvent.case_id == case_id))
            case = await s.get(F0Case, case_id)
        assert len(alerts) == 1 and alerts[0].severity.value == "emergency"
        assert case is not None and case.status is CaseStatus.needs_attention
        assert events == 1
    finally:
        async with maker() as s:
            for model in (Alert, Observation, CaseStatusEvent):
                await s.execute(delete(model).where(model.case_id == case_id))
            await s.execute(delete(F0Case).where(F0Case.id == case_id))
            await s.commit()
