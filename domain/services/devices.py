"""Device enrolment: coordinators enrol a station's tablets, reassign and revoke them.

Rules decided here:
- Commune officers and above (COORDINATOR_ROLES) list and manage the devices of their scope,
  but only the ward's commune officer (or an administrator) enrols a device at a station or
  moves one there: a device token pulls the ward's personal data, which district and city
  roles may not read. A device belongs to one station and syncs that station's commune.
- The bearer token is 32 random bytes shown once; only its SHA-256 is stored (a token has far
  more entropy than a password, so a slow hash would only slow every sync request down).
- A revoked device stays listed (its mutations in the log still name it) but its token no
  longer authenticates; revocation is final.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import COORDINATOR_ROLES, Principal
from domain.errors import Conflict, Forbidden, NotFound
from domain.models.device import Device
from domain.models.enums import Role
from domain.repositories.devices import (
    DeviceMoveRecord,
    DeviceRepository,
    DeviceScope,
    DeviceView,
)
from domain.repositories.stations import StationRepository

TOKEN_PREFIX = "fod_"


def hash_token(token: str) -> str:
    """What the database keeps of a device token."""
    return hashlib.sha256(token.encode()).hexdigest()


class DeviceService:
    """The devices the principal manages, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def _check_station(self, station_id: uuid.UUID) -> None:
        """A station the caller may put a device at: its token will read the ward's patients."""
        view = await StationRepository(self.session).get(station_id)
        if view is None or not self.principal.can_read(view.station.scope_path):
            raise NotFound("station not found", field="station_id")
        if (self.principal.role is not Role.administrator
                and not self.principal.sees_personal_data(view.station.scope_path)):
            raise Forbidden(
                "a device token reads the personal data of the station's ward: only the ward's "
                "commune officer (or an administrator) may put a device there", field="station_id")

    async def get(self, device_id: uuid.UUID) -> DeviceView:
        """One device of a station in the caller's scope (404 otherwise)."""
        self.principal.require_role(COORDINATOR_ROLES, "manage devices")
        view = await DeviceRepository(self.session).get(device_id)
        if view is None or not self.principal.can_read(view.scope_path):
            raise NotFound("device not found", field="device_id")
        return view

    async def enroll(self, *, name: str, station_id: uuid.UUID) -> tuple[DeviceView, str]:
        """Register a tablet for a station; returns it with its token (never retrievable again)."""
        self.principal.require_role(COORDINATOR_ROLES, "enrol devices")
        await self._check_station(station_id)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        device = await DeviceRepository(self.session).add(Device(
            name=name, station_id=station_id, token_hash=hash_token(token),
            enrolled_by=self.principal.user_id,
        ))
        return await self.get(device.id), token

    async def search(
        self, *, station_id: uuid.UUID | None = None, active: bool | None = None, limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[DeviceView], int]:
        """Devices of the stations in the caller's scope."""
        self.principal.require_role(COORDINATOR_ROLES, "manage devices")
        return await DeviceRepository(self.session).page(
            [self.principal.unit_path], station_id=station_id, active=active, limit=limit,
            offset=offset,
        )

    async def update(self, device_id: uuid.UUID, changes: dict[str, Any]) -> DeviceView:
        """Rename a device or move it to another station (its next pull then resets)."""
        view = await self.get(device_id)
        repo = DeviceRepository(self.session)
        locked = await repo.get(device_id, for_update=True)
        assert locked is not None  # get found it and devices are never deleted
        device = locked.device
        if device.revoked_at is not None:
            raise Conflict("the device is revoked", field="device_id")
        if "station_id" in changes and changes["station_id"] != view.device.station_id:
            await self._check_station(changes["station_id"])
            # Mutations the tablet recorded before the move are still judged where it was.
            await repo.record_move(device_id, from_station_id=view.device.station_id,
                                   from_scope_path=view.scope_path,
                                   to_station_id=changes["station_id"])
        for field, value in changes.items():
            setattr(device, field, value)
        await self.session.flush()
        return await self.get(device_id)

    async def revoke(self, device_id: uuid.UUID) -> DeviceView:
        """Stop a token from syncing; revoking twice keeps the first revocation."""
        await self.get(device_id)
        locked = await DeviceRepository(self.session).get(device_id, for_update=True)
        assert locked is not None
        device = locked.device
        if device.revoked_at is None:
            device.revoked_at = datetime.now(UTC)
            device.revoked_by = self.principal.user_id
            await self.session.flush()
        return await self.get(device_id)


async def authenticate_push(
    session: AsyncSession, token: str
) -> tuple[DeviceScope, list[DeviceMoveRecord]] | None:
    """``authenticate_device`` for a push, with the device's moves, in one statement."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = await DeviceRepository(session).push_scope(hash_token(token))
    return None if found is None or found[0].revoked else found


async def authenticate_device(session: AsyncSession, token: str) -> DeviceScope | None:
    """The active device a bearer token names, or None (unknown or revoked: 401 alike)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    scope = await DeviceRepository(session).scope_by_token(hash_token(token))
    return None if scope is None or scope.revoked else scope
