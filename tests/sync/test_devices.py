"""Device enrolment and device tokens (issue 6: enrolment, revocation, scoped listing)."""

from __future__ import annotations

import hashlib
import uuid

import httpx

from domain.models.enums import Role
from tests.sync.conftest import ELSEWHERE, HOME, NEIGHBOUR, RawDevice, Unit, World, new_case


async def test_a_commune_officer_enrols_a_device_and_sees_its_token_once(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    resp = await http.post("/api/devices", json={"name": "Tablet 2",
                                                 "station_id": str(unit.station_id)},
                           headers=unit.officer.headers)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    token, device_id = body["token"], body["device_id"]
    stored = await world.scalar("SELECT token_hash FROM device WHERE id = :i", i=device_id)
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    listed = (await http.get("/api/devices", headers=unit.officer.headers)).json()
    assert {d["id"] for d in listed["items"]} == {str(unit.device.id), device_id}
    assert "token" not in str(listed)
    device = RawDevice(http, uuid.UUID(device_id), token, unit.staff.id)
    assert (await device.pull())["reset"] is False


async def test_only_coordinators_enrol_and_only_in_their_scope(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    body = {"name": "Tablet", "station_id": str(unit.station_id)}
    staff = await http.post("/api/devices", json=body, headers=unit.staff.headers)
    assert staff.status_code == 403
    far = await world.user(Role.commune_officer, ELSEWHERE)
    assert (await http.post("/api/devices", json=body, headers=far.headers)).status_code == 404
    neighbour = await world.user(Role.commune_officer, NEIGHBOUR)
    resp = await http.post("/api/devices", json=body, headers=neighbour.headers)
    assert resp.status_code == 404
    district = await world.user(Role.district_logistics, "760")
    assert (await http.get("/api/devices", headers=neighbour.headers)).json()["total"] == 0
    assert (await http.get(f"/api/devices/{unit.device.id}",
                           headers=neighbour.headers)).status_code == 404
    assert (await http.get("/api/devices", headers=district.headers)).json()["total"] == 1


async def test_only_who_may_read_the_wards_patients_puts_a_device_there(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    """A device token pulls the ward's personal data: district and city roles (de-identified
    views) may neither enrol one nor move one to a station."""
    body = {"name": "Tablet", "station_id": str(unit.station_id)}
    other = await world.station(NEIGHBOUR)
    for role, unit_code in ((Role.district_logistics, "760"), (Role.city_coordinator, "79")):
        above = await world.user(role, unit_code)
        resp = await http.post("/api/devices", json=body, headers=above.headers)
        assert resp.status_code == 403, role
        assert "personal data" in resp.json()["detail"]
        move = await http.patch(f"/api/devices/{unit.device.id}",
                                json={"station_id": str(other)}, headers=above.headers)
        assert move.status_code == 403, role
        renamed = await http.patch(f"/api/devices/{unit.device.id}",
                                   json={"name": f"renamed by {role.value}"},
                                   headers=above.headers)
        assert renamed.status_code == 200, role  # managing a device reads no patient
    officer = await http.post("/api/devices", json=body, headers=unit.officer.headers)
    assert officer.status_code == 201, officer.text
    admin = await world.user(Role.administrator, "79")
    enrolled = await http.post("/api/devices", json=body, headers=admin.headers)
    assert enrolled.status_code == 201, enrolled.text
    moved = await http.patch(f"/api/devices/{unit.device.id}", json={"station_id": str(other)},
                             headers=admin.headers)
    assert moved.status_code == 200, moved.text
    assert await world.scalar("SELECT count(*) FROM device") == 3


async def test_a_revoked_or_unknown_token_gets_401_and_nothing_is_applied(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    d = unit.device
    resp = await http.post(f"/api/devices/{d.id}/revoke", headers=unit.officer.headers)
    assert resp.status_code == 200 and resp.json()["revoked_at"] is not None
    push = await d.push(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id)))
    assert push.status_code == 401
    assert push.headers["www-authenticate"] == "Bearer"
    pull = await d.post("/sync/v1/pull", {"protocol": 1, "device_id": str(d.id)})
    assert pull.status_code == 401
    unknown = await d.push(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id)),
                           token="fod_not-a-token")
    assert unknown.status_code == 401
    login = await d.push(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id)),
                         token=unit.officer.headers["Authorization"].split()[1])
    assert login.status_code == 401  # a user's login token is not a device token
    assert await world.scalar("SELECT count(*) FROM f0_case") == 0
    assert await world.scalar("SELECT count(*) FROM sync_mutation") == 0
    again = await http.post(f"/api/devices/{d.id}/revoke", headers=unit.officer.headers)
    assert again.json()["revoked_at"] == resp.json()["revoked_at"]
    patch = await http.patch(f"/api/devices/{d.id}", json={"name": "x"},
                             headers=unit.officer.headers)
    assert patch.status_code == 409


async def test_a_device_lists_as_seen_after_it_syncs(
    unit: Unit, http: httpx.AsyncClient
) -> None:
    d = unit.device
    before = (await http.get(f"/api/devices/{d.id}", headers=unit.officer.headers)).json()
    assert before["last_seen_at"] is None and before["scope_path"].endswith(HOME)
    await d.push_ok(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id)))
    after = (await http.get(f"/api/devices/{d.id}", headers=unit.officer.headers)).json()
    assert after["last_seen_at"] is not None


async def test_a_device_revoked_between_two_pages_gets_401_on_the_next(
    unit: Unit, world: World, http: httpx.AsyncClient
) -> None:
    """A page after the first reads the device in the key query's own statement, from the
    scope it last had (sync/pull.py, ScopeHints): a revocation in between still counts."""
    d = unit.device
    await d.push_ok(*[d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id))
                      for _ in range(3)])
    first = await d.pull(None, limit=1)
    assert first["has_more"] and len(first["changes"]) == 1
    second = await d.pull(first["cursor"], limit=1)
    assert len(second["changes"]) == 1 and second["changes"] != first["changes"]
    resp = await http.post(f"/api/devices/{d.id}/revoke", headers=unit.officer.headers)
    assert resp.status_code == 200
    pull = await d.post("/sync/v1/pull", {"protocol": 1, "device_id": str(d.id),
                                          "cursor": second["cursor"], "limit": 1})
    assert pull.status_code == 401 and pull.json()["status"] == 401
    # The other device's id with this token is refused as before, whatever was hinted.
    other = await d.post("/sync/v1/pull", {"protocol": 1, "device_id": str(uuid.uuid4()),
                                           "cursor": second["cursor"], "limit": 1})
    assert other.status_code == 401
