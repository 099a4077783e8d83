"""Pull cursors: the last feed position a device received, the scope it was read for, and a
MAC that proves this server issued it to this device.

The position is the (sync_txid, sync_version) of the last change returned. The fingerprint
names the scope and the set of synced entities; when either changes (the station moved, the
device was reassigned, the server learnt a new entity) the old position means nothing for
the new scope, so the server answers ``reset`` and the device pulls its scope from the start.

A cursor is ``2.<txid>.<version>.<fingerprint>.<mac>``: the MAC (HMAC-SHA256, truncated to
128 bits) covers the other four parts and the device's id, under a key derived from the
server's secret. A cursor the server never issued (one far ahead of the feed, which would make
the device silently miss every change up to it), one edited, or one issued to another device
is refused. The unsigned ``1.`` cursors of earlier servers are recognised and answered with a
reset: the device re-bootstraps, which is always safe.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

CURSOR_VERSION = "2"
_CURSOR_RE = re.compile(r"^2\.(\d{1,19})\.(\d{1,19})\.([0-9a-f]{16})\.([0-9a-f]{32})$")
_LEGACY_RE = re.compile(r"^1\.(\d{1,19})\.(\d{1,19})\.[0-9a-f]{16}$")
MAX_BIGINT = 2**63 - 1  # txid and version are PostgreSQL bigints
_KEY_LABEL = b"fieldops/sync/pull-cursor/v2"


class InvalidCursor(ValueError):
    """Not a cursor this server issued to this device."""


class LegacyCursor(ValueError):
    """An unsigned cursor of protocol servers before signed cursors: answered with a reset."""


@dataclass(frozen=True, slots=True, order=True)
class Position:
    txid: int
    version: int


START = Position(0, 0)


def cursor_key(secret: str) -> bytes:
    """The cursor signing key: derived from the server secret, never the secret itself."""
    return hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _mac(key: bytes, body: str, device_id: uuid.UUID) -> str:
    return hmac.new(key, f"{body}|{device_id}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Cursor:
    position: Position
    fingerprint: str

    def _body(self) -> str:
        return f"{CURSOR_VERSION}.{self.position.txid}.{self.position.version}.{self.fingerprint}"

    def encode(self, key: bytes, device_id: uuid.UUID) -> str:
        """The opaque string a device stores, signed for that device."""
        body = self._body()
        return f"{body}.{_mac(key, body, device_id)}"

    @classmethod
    def decode(cls, text: str, key: bytes, device_id: uuid.UUID) -> Cursor:
        """Parse and verify a cursor a device sent back: InvalidCursor if this server did not
        issue it to this device, LegacyCursor if it is an unsigned cursor of version 1."""
        m = _CURSOR_RE.match(text)
        legacy = _LEGACY_RE.match(text) if m is None else None
        if m is None and legacy is None:
            raise InvalidCursor(f"malformed cursor {text!r}")
        numbers = m or legacy
        assert numbers is not None
        if max(int(numbers[1]), int(numbers[2])) > MAX_BIGINT:
            raise InvalidCursor(f"cursor {text!r} is past any position this server issues")
        if m is None:
            raise LegacyCursor("an unsigned version 1 cursor")
        body, mac = text.rsplit(".", 1)
        if not hmac.compare_digest(mac, _mac(key, body, device_id)):
            raise InvalidCursor("this cursor was not issued to this device by this server")
        return cls(Position(int(m[1]), int(m[2])), m[3])


def scope_fingerprint(unit_path: str, district_path: str, entities: Sequence[str]) -> str:
    """Stable short hash of what a device's feed contains."""
    text = "|".join([unit_path, district_path, *entities])
    return hashlib.sha256(text.encode()).hexdigest()[:16]
