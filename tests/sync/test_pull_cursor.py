"""Signed pull cursors: a cursor the server never issued to this device is refused, an old
unsigned one resets the replica (sync/cursor.py, sync/PROTOCOL.md §10)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

import pytest

from sync.client import LocalStore, SyncClient
from sync.cursor import Cursor, InvalidCursor, LegacyCursor, Position, cursor_key
from sync.hlc import HybridClock
from tests.sync.conftest import RawDevice, Unit, World, new_case


async def pull_with(d: RawDevice, cursor: str) -> Any:
    return await d.post("/sync/v1/pull", {"protocol": 1, "device_id": str(d.id),
                                          "cursor": cursor})


def refused(resp: Any) -> bool:
    body = resp.json()
    return bool(resp.status_code == 400 and body["code"] == "invalid_request"
                and body["field"] == "cursor")


async def caught_up(unit: Unit) -> str:
    d = unit.device
    await d.push_ok(d.mutation("f0_case", uuid.uuid4(), new_case(unit.station_id)))
    await d.sync_down()
    assert d.cursor is not None and d.cursor.startswith("2.")
    return d.cursor


async def test_a_cursor_far_ahead_of_the_feed_is_refused(unit: Unit, world: World) -> None:
    """Before signing, this cursor was accepted and the device silently missed every change."""
    cursor = await caught_up(unit)
    _, txid, version, fingerprint, mac = cursor.split(".")
    ahead = f"2.{int(txid) + 1_000_000}.{version}.{fingerprint}.{mac}"
    assert refused(await pull_with(unit.device, ahead))
    # Signed with a key guessed from the JWT secret itself: still not ours.
    secret = world.settings.jwt_secret
    body = f"2.{int(txid) + 1_000_000}.{version}.{fingerprint}"
    forged = hmac.new(secret.encode(), f"{body}|{unit.device.id}".encode(),
                      hashlib.sha256).hexdigest()[:32]
    assert refused(await pull_with(unit.device, f"{body}.{forged}"))


async def test_a_tampered_mac_is_refused(unit: Unit) -> None:
    cursor = await caught_up(unit)
    flipped = cursor[:-1] + ("0" if cursor[-1] != "0" else "1")
    assert refused(await pull_with(unit.device, flipped))
    assert refused(await pull_with(unit.device, cursor[:-2]))  # malformed: a short mac


async def test_another_devices_cursor_is_refused(unit: Unit, world: World) -> None:
    """Two tablets of one station share a scope, yet one may not resume from the other's."""
    cursor = await caught_up(unit)
    device_id, token = await world.device(unit.station_id, unit.officer)
    other = RawDevice(unit.device.http, device_id, token, unit.staff.id)
    assert refused(await pull_with(other, cursor))
    assert (await unit.device.pull(cursor))["reset"] is False  # still good for its owner


async def test_an_unsigned_version_1_cursor_answers_reset(unit: Unit) -> None:
    cursor = await caught_up(unit)
    _, txid, version, fingerprint, _ = cursor.split(".")
    page = await unit.device.pull(f"1.{txid}.{version}.{fingerprint}")
    assert page["reset"] is True and page["changes"] == []
    again = await unit.device.pull(page["cursor"])  # the device re-bootstraps
    assert again["reset"] is False and any(c["entity"] == "f0_case" for c in again["changes"])
    # Out-of-range numbers are refused in either format, as before.
    assert refused(await pull_with(
        unit.device, f"1.9999999999999999999.9999999999999999999.{fingerprint}"))


def test_decode_is_pure_and_binds_key_position_scope_and_device() -> None:
    key, device = cursor_key("secret"), uuid.uuid4()
    cursor = Cursor(Position(41, 7), "0123456789abcdef")
    text = cursor.encode(key, device)
    assert text.startswith("2.41.7.0123456789abcdef.")
    assert Cursor.decode(text, key, device) == cursor
    assert text == cursor.encode(key, device)  # deterministic: same position, same string
    assert key != b"secret" and cursor_key("other") != key
    for bad_key, bad_device in ((cursor_key("other"), device), (key, uuid.uuid4())):
        with pytest.raises(InvalidCursor):
            Cursor.decode(text, bad_key, bad_device)
    with pytest.raises(InvalidCursor):
        Cursor.decode(text.replace(".0123456789abcdef.", ".0123456789abcdee."), key, device)
    with pytest.raises(LegacyCursor):
        Cursor.decode("1.41.7.0123456789abcdef", key, device)


async def test_the_reference_client_rebootstraps_when_its_cursor_is_refused(
    unit: Unit, world: World
) -> None:
    """A rotated server secret refuses every stored cursor; the client must not stay stuck."""
    d = unit.device
    await caught_up(unit)
    store = LocalStore()
    client = SyncClient(device_id=d.id, token=d.token, store=store, author_id=unit.staff.id,
                        clock=HybridClock(), http=d.http, fmt="json")
    await client.pull()
    replica = store.rows()
    good = store.cursor
    assert good is not None and replica
    damaged = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert refused(await pull_with(d, damaged))
    store.apply_changes([], cursor=damaged)
    await client.pull()
    assert store.cursor == good  # re-bootstrapped to the same position
    assert store.rows() == replica


async def test_a_token_pulling_as_another_device_is_refused_once_it_has_pulled(
    unit: Unit,
) -> None:
    """Its later pages read the device beside the key query (ScopeHints): the device the
    token belongs to still decides, before the cursor is looked at."""
    cursor = await caught_up(unit)
    d = unit.device
    resp = await d.post("/sync/v1/pull", {"protocol": 1, "device_id": str(uuid.uuid4()),
                                          "cursor": cursor})
    assert resp.status_code == 400 and resp.json()["field"] == "device_id"
    resp = await d.post("/sync/v1/pull", {"protocol": 1, "device_id": str(uuid.uuid4()),
                                          "cursor": cursor + "0"})
    assert resp.status_code == 400 and resp.json()["field"] == "device_id"
    assert refused(await pull_with(d, cursor[:-1] + ("0" if cursor[-1] != "0" else "1")))
    page = await pull_with(d, cursor)
    assert page.status_code == 200 and page.json()["changes"] == []
