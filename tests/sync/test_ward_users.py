"""The ward's user directory (``ward_user``): what an offline tablet needs to name an author,
and nothing else about the people (no login name, phone or password hash)."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import text

from domain.models.enums import Role
from domain.services.users import UserService
from tests.sync.conftest import ELSEWHERE, NEIGHBOUR, Unit, World, make_unit, new_case

FIELDS = {"full_name", "role", "active", "station_id"}
PASSWORD = "correct horse battery"  # the session's password_hash fixture (tests/conftest.py)


async def test_the_directory_is_the_wards_users_with_no_secrets(
    unit: Unit, world: World
) -> None:
    await make_unit(world, unit.device.http, NEIGHBOUR)
    await make_unit(world, unit.device.http, ELSEWHERE)
    district = await world.user(Role.district_logistics, "760")
    async with world.maker() as session:
        nurse = await UserService(session).create(
            username="nurse.lan", password="unused", full_name="Lê Thị Lan",
            role=Role.station_staff, unit_code="26734", station_id=unit.station_id,
            password_hash=world.password_hash, phone="0912345678")
        await session.commit()
    d = unit.device
    raw = []
    cursor = None
    while True:  # pull by hand, to inspect the very bytes the device receives
        resp = await d.post("/sync/v1/pull", {"protocol": 1, "device_id": str(d.id),
                                              "cursor": cursor, "limit": 5000})
        raw.append(resp.content)
        page = resp.json()
        if page["reset"]:
            cursor = None
            continue
        for c in page["changes"]:
            d.rows[(c["entity"], uuid.UUID(c["row_id"]))] = c["fields"]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    users = d.of("ward_user")
    ward = {r for (r,) in await _rows(world, "SELECT id FROM app_user WHERE unit_code = '26734'")}
    assert set(users) == ward == {unit.officer.id, unit.staff.id, unit.doctor.id, nurse.id}
    assert district.id not in users
    assert all(set(f) == FIELDS for f in users.values())
    assert users[nurse.id] == {"full_name": "Lê Thị Lan", "role": "station_staff",
                               "active": True, "station_id": str(unit.station_id)}
    body = b"".join(raw)
    password_hash = world.password_hash.encode()
    for secret in (b"nurse.lan", b"0912345678", password_hash, b"password"):
        assert secret not in body


async def test_a_new_user_and_a_deactivation_reach_the_device(unit: Unit, world: World) -> None:
    d = unit.device
    await d.sync_down()
    assert d.of("ward_user")[unit.doctor.id]["active"] is True
    newcomer = await world.user(Role.doctor, "26734", station_id=unit.station_id)
    await world.execute("UPDATE app_user SET active = false WHERE id = :u", u=unit.doctor.id)
    outsider = await world.user(Role.doctor, NEIGHBOUR)
    page = await d.pull(d.cursor)
    got = {uuid.UUID(c["row_id"]): c["fields"] for c in page["changes"]
           if c["entity"] == "ward_user"}
    assert set(got) == {newcomer.id, unit.doctor.id}
    assert got[unit.doctor.id]["active"] is False and got[newcomer.id]["active"] is True
    assert outsider.id not in got
    # The directory is what the server checks authors against: the deactivated doctor is out.
    [result] = await d.push_ok(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id),
                                          author=unit.doctor.id))
    assert (result["status"], result["code"]) == ("rejected", "forbidden")


async def test_the_user_row_still_logs_in_and_keeps_its_hash_out_of_the_trail(
    unit: Unit, world: World
) -> None:
    d = unit.device
    await d.sync_down()
    username = await world.scalar("SELECT username FROM app_user WHERE id = :u",
                                  u=unit.staff.id)
    login = await d.http.post("/api/auth/login",
                              json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    await world.execute("UPDATE app_user SET password_hash = 'x' || password_hash, "
                        "full_name = 'Renamed' WHERE id = :u", u=unit.staff.id)
    page = await d.pull(d.cursor)
    [change] = [c for c in page["changes"] if c["entity"] == "ward_user"]
    assert change["fields"]["full_name"] == "Renamed" and set(change["fields"]) == FIELDS
    trail = await _rows(world, "SELECT coalesce(before::text, '') || coalesce(after::text, '') "
                        "FROM audit_log WHERE entity = 'app_user'")
    assert trail and not any("password" in t or world.password_hash in t for (t,) in trail)
    assert await world.scalar(
        "SELECT count(*) FROM app_user WHERE scope_path <> unit_path") == 0
    schema = msgspec.json.decode((await d.http.get("/sync/v1/schema")).content)
    [entity] = [e for e in schema["entities"] if e["name"] == "ward_user"]
    assert {f["name"] for f in entity["fields"]} == FIELDS
    assert (entity["scope"], entity["push"]) == ("unit", False)


async def _rows(world: World, sql: str) -> list[tuple[object, ...]]:
    async with world.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql))]
