"""Pull cursors: the last feed position a device received, plus the scope it was read for.

The position is the (sync_txid, sync_version) of the last change returned. The fingerprint
names the scope and the set of synced entities; when either changes (the station moved, the
device was reassigned, the server learnt a new entity) the old position means nothing for
the new scope, so the server answers ``reset`` and the device pulls its scope from the start.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

CURSOR_VERSION = "1"
_CURSOR_RE = re.compile(r"^1\.(\d{1,19})\.(\d{1,19})\.([0-9a-f]{16})$")
MAX_BIGINT = 2**63 - 1  # txid and version are PostgreSQL bigints


class InvalidCursor(ValueError):
    """Not a cursor this server issued."""


@dataclass(frozen=True, slots=True, order=True)
class Position:
    txid: int
    version: int


START = Position(0, 0)


@dataclass(frozen=True, slots=True)
class Cursor:
    position: Position
    fingerprint: str

    def encode(self) -> str:
        """The opaque string a device stores."""
        return f"{CURSOR_VERSION}.{self.position.txid}.{self.position.version}.{self.fingerprint}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Parse a cursor a device sent back; InvalidCursor if it is not ours."""
        m = _CURSOR_RE.match(text)
        if m is None:
            raise InvalidCursor(f"malformed cursor {text!r}")
        position = Position(int(m[1]), int(m[2]))
        if max(position.txid, position.version) > MAX_BIGINT:
            raise InvalidCursor(f"cursor {text!r} is past any position this server issues")
        return cls(position, m[3])


def scope_fingerprint(unit_path: str, district_path: str, entities: Sequence[str]) -> str:
    """Stable short hash of what a device's feed contains."""
    text = "|".join([unit_path, district_path, *entities])
    return hashlib.sha256(text.encode()).hexdigest()[:16]
