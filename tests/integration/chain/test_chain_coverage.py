"""The chain's coverage as the city and the nation read it: communes connected (a device that
synced in the last 24 hours), reported today, acknowledged the latest directive."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.admin_unit import AdminLevel, AdminUnit
from domain.models.device import Device
from domain.models.directive import Directive, DirectivePriority, DirectiveRecipient
from tests.integration.operations.conftest import World


async def _device(session: AsyncSession, station: uuid.UUID, synced_h_ago: float | None, *,
                  revoked: bool = False) -> uuid.UUID:
    now = datetime.now(UTC)
    device = Device(id=uuid.uuid4(), name="tablet", station_id=station,
                    token_hash=secrets.token_hex(32),
                    last_seen_at=None if synced_h_ago is None
                    else now - timedelta(hours=synced_h_ago),
                    revoked_at=now if revoked else None)
    session.add(device)
    await session.flush()
    return device.id


async def _table(client: AsyncClient, world: World, actor: str, **params: str) -> Any:
    r = await client.get("/api/chain-coverage", params=params,
                         headers=world.actors[actor].headers)
    assert r.status_code == 200, r.text
    body = r.json()
    body["by_code"] = {row["code"]: row for row in body["rows"]}
    return body


async def _communes_under(session: AsyncSession, code: str) -> int:
    return int(await session.scalar(select(func.count()).select_from(AdminUnit).where(
        AdminUnit.level == AdminLevel.commune, AdminUnit.scope_path.like(f"%.{code}.%"))) or 0)


async def test_connected_counts_devices_synced_in_the_last_24_hours(
    client: AsyncClient, world: World, db_session: AsyncSession
) -> None:
    s = world.stations
    a = await _device(db_session, s["A"], 23)  # Tân Định: synced 23 h ago, counts
    await _device(db_session, s["A_2nd"], 25)  # a second tablet of the ward, stale
    a2 = await _device(db_session, s["A2"], 25)  # Đa Kao: 25 h ago, does not count
    await _device(db_session, s["A2"], None)  # enrolled, never synced
    await _device(db_session, s["B"], 1, revoked=True)  # Võ Thị Sáu: revoked, does not count
    await _device(db_session, s["H"], 2)  # Trúc Bạch, Hà Nội
    await db_session.commit()

    table = await _table(client, world, "observer")
    rows = table["by_code"]
    assert rows["760"]["connected"] == 1 and rows["770"]["connected"] == 0
    assert rows["79"]["connected"] == 1 and rows["01"]["connected"] == 1
    assert rows["001"]["connected"] == 1
    assert table["total"]["connected"] == 2
    assert rows["760"]["communes"] == await _communes_under(db_session, "760")
    assert rows["79"]["level"] == "province" and rows["760"]["parent_code"] == "79"
    assert table["total"]["communes"] == sum(r["communes"] for r in table["rows"]
                                             if r["level"] == "province")

    # Move the clocks: Tân Định's tablet is now 25 h old, Đa Kao's 23 h.
    now = datetime.now(UTC)
    await db_session.execute(update(Device).where(Device.id == a)
                             .values(last_seen_at=now - timedelta(hours=25)))
    await db_session.execute(update(Device).where(Device.id == a2)
                             .values(last_seen_at=now - timedelta(hours=23)))
    await db_session.commit()
    rows = (await _table(client, world, "coordinator_79"))["by_code"]
    assert rows["760"]["connected"] == 1  # Đa Kao now, not Tân Định
    assert rows["79"]["connected"] == 1
    assert "01" not in rows  # the city sees its own province only

    # The CSV carries the same figures, the city's total first.
    r = await client.get("/api/chain-coverage.csv", headers=world.actors["coordinator_79"].headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert lines[0]["code"] == "79"
    by_code = {line["code"]: line for line in lines}
    assert by_code["760"]["connected"] == "1" and by_code["770"]["connected"] == "0"
    r = await client.get("/api/chain-coverage", params={"format": "csv"},
                         headers=world.actors["coordinator_79"].headers)
    assert r.text == (await client.get("/api/chain-coverage.csv",
                                       headers=world.actors["coordinator_79"].headers)).text


async def test_reported_today_and_acknowledged_the_latest_directive(
    client: AsyncClient, world: World, db_session: AsyncSession
) -> None:
    officer = world.actors["officer_A"].headers
    opened = await client.post("/api/reports", json={}, headers=officer)
    draft_only = await client.post("/api/reports", json={},
                                   headers=world.actors["officer_B"].headers)
    assert draft_only.status_code == 201
    await client.post(f"/api/reports/{opened.json()['id']}/submit", headers=officer)

    now = datetime.now(UTC)

    async def directive(ward: str, path: str, hours_ago: float, acknowledged: bool) -> None:
        d = Directive(id=uuid.uuid4(), code=f"CT-{uuid.uuid4().hex[:8]}",
                      issuer_unit_code="760", scope_path="VN.79.760", title="Rà soát F0",
                      body="Rà soát toàn bộ F0 tại nhà", priority=DirectivePriority.urgent,
                      issued_at=now - timedelta(hours=hours_ago),
                      due_at=now + timedelta(days=1))
        db_session.add(d)
        await db_session.flush()
        db_session.add(DirectiveRecipient(
            directive_id=d.id, unit_code=ward, scope_path=path, issuer_unit_code="760",
            code=d.code, title=d.title, body=d.body, priority=d.priority,
            issued_at=d.issued_at, due_at=d.due_at, report_required=False,
            status="acknowledged" if acknowledged else "unread",
            acknowledged_at=now if acknowledged else None))
        await db_session.flush()

    # Tân Định acknowledged an older directive but not the latest; Đa Kao the latest.
    await directive("26734", "VN.79.760.26734", 30, True)
    await directive("26734", "VN.79.760.26734", 2, False)
    await directive("26737", "VN.79.760.26737", 3, True)
    await db_session.commit()

    rows = (await _table(client, world, "logistics_760"))["by_code"]
    assert list(rows) == ["760"]  # a district sees its own line, not the province's
    assert rows["760"]["reported_today"] == 1  # Võ Thị Sáu is in district 3, and a draft
    assert rows["760"]["with_directive"] == 2
    assert rows["760"]["acknowledged_latest"] == 1
    city = await _table(client, world, "coordinator_79")
    assert city["by_code"]["770"]["reported_today"] == 0
    assert city["total"]["reported_today"] == 1


async def test_coverage_is_scoped(client: AsyncClient, world: World) -> None:
    r = await client.get("/api/chain-coverage", params={"unit": "760"},
                         headers=world.actors["logistics_770"].headers)
    assert r.status_code == 404
    r = await client.get("/api/chain-coverage", params={"unit": "79"},
                         headers=world.actors["officer_A"].headers)
    assert r.status_code == 404
    r = await client.get("/api/chain-coverage", params={"unit": "7 9"},
                         headers=world.actors["coordinator_79"].headers)
    assert r.status_code == 400 and r.json()["field"] == "unit"
    mine = await _table(client, world, "officer_A")
    assert mine["rows"] == [] and mine["total"]["communes"] == 1
