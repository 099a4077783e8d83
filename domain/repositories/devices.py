"""SQL for enrolled devices: scoped listing and the token lookup every sync request makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec
from sqlalchemy import ColumnElement, Select, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.device import Device, DeviceMove
from domain.models.station import Station
from domain.repositories.scope import in_scope


@dataclass(frozen=True, slots=True)
class DeviceView:
    device: Device
    station_code: str
    scope_path: str  # the path of the station's commune


@dataclass(frozen=True, slots=True)
class DeviceScope:
    """What a sync request needs to know about the device behind a token."""

    device_id: uuid.UUID
    station_id: uuid.UUID
    unit_path: str  # the station's commune: the rows the device owns
    revoked: bool
    enrolled_at: datetime  # no working clock on the device can read earlier than this

    @property
    def district_path(self) -> str:
        """The district above the device's commune."""
        return self.unit_path.rsplit(".", 1)[0]


@dataclass(frozen=True, slots=True)
class DeviceMoveRecord:
    """The station and scope a device left, and when (ms since the epoch, server clock)."""

    from_station_id: uuid.UUID
    from_scope_path: str
    moved_at_ms: int


# A push's first statement: the device, its station's scope and its moves (oldest first).
_PUSH_SCOPE = text("""
SELECT d.id, d.station_id, s.scope_path, d.revoked_at IS NOT NULL, d.created_at,
       (SELECT coalesce(json_agg(json_build_array(
                   m.from_station_id, m.from_scope_path,
                   floor(extract(epoch FROM m.moved_at) * 1000)) ORDER BY m.moved_at, m.id),
               '[]')::text
        FROM device_move m WHERE m.device_id = d.id)
FROM device d JOIN station s ON s.id = d.station_id
WHERE d.token_hash = :token_hash
""")
_moves_type = list[tuple[uuid.UUID, str, int]]


def _view_select() -> Select[Device, str, str]:
    return (
        select(Device, Station.code, Station.scope_path)
        .join(Station, Station.id == Device.station_id)
        .execution_options(populate_existing=True)
    )


# Built once: every sync request (each pull page) looks its token up, and building the
# statement and running it through the ORM session cost more than the query itself.
_SCOPE_BY_TOKEN = (
    select(Device.id, Device.station_id, Station.scope_path, Device.revoked_at,
           Device.created_at)
    .join(Station, Station.id == Device.station_id)
    .where(Device.token_hash == bindparam("token_hash"))
)


class DeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, device: Device) -> Device:
        self.session.add(device)
        await self.session.flush()
        return device

    async def get(self, device_id: uuid.UUID, *, for_update: bool = False) -> DeviceView | None:
        """A device with its station's code and scope."""
        stmt = _view_select().where(Device.id == device_id)
        if for_update:
            stmt = stmt.with_for_update(of=Device)
        row = (await self.session.execute(stmt)).first()
        return DeviceView(row[0], row[1], row[2]) if row else None

    async def page(
        self, units: Sequence[str], *, station_id: uuid.UUID | None, active: bool | None,
        limit: int, offset: int,
    ) -> tuple[list[DeviceView], int]:
        """Devices of stations in any of ``units``, oldest first."""
        conds: list[ColumnElement[bool]] = [in_scope(Station.scope_path, p) for p in units]
        if station_id is not None:
            conds.append(Device.station_id == station_id)
        if active is not None:
            conds.append(Device.revoked_at.is_(None) if active else Device.revoked_at.isnot(None))
        stmt = _view_select().where(*conds).order_by(Device.created_at, Device.id)
        rows = (await self.session.execute(stmt.limit(limit).offset(offset))).all()
        total = await self.session.scalar(
            select(func.count()).select_from(Device)
            .join(Station, Station.id == Device.station_id).where(*conds)
        )
        return [DeviceView(r[0], r[1], r[2]) for r in rows], int(total or 0)

    async def scope_by_token(self, token_hash: str) -> DeviceScope | None:
        """The device a token hash names (a push reads it with its moves, ``push_scope``)."""
        conn = await self.session.connection()
        row = (await conn.execute(_SCOPE_BY_TOKEN, {"token_hash": token_hash})).first()
        if row is None:
            return None
        return DeviceScope(row[0], row[1], row[2], revoked=row[3] is not None,
                           enrolled_at=row[4])

    async def push_scope(
        self, token_hash: str
    ) -> tuple[DeviceScope, list[DeviceMoveRecord]] | None:
        """The device a token names and its moves, in one statement (read before the push
        takes its locks; ``write_locks.lock_push`` re-reads the device row under them)."""
        row = (await self.session.execute(_PUSH_SCOPE, {"token_hash": token_hash})).first()
        if row is None:
            return None
        moves = [DeviceMoveRecord(s, p, int(ms))
                 for s, p, ms in msgspec.json.decode(row[5], type=_moves_type)]
        return DeviceScope(row[0], row[1], row[2], revoked=row[3], enrolled_at=row[4]), moves

    async def record_move(
        self, device_id: uuid.UUID, *, from_station_id: uuid.UUID, from_scope_path: str,
        to_station_id: uuid.UUID,
    ) -> None:
        """Remember the scope a device leaves, for the mutations it recorded there."""
        self.session.add(DeviceMove(device_id=device_id, from_station_id=from_station_id,
                                    from_scope_path=from_scope_path,
                                    to_station_id=to_station_id))
        await self.session.flush()
