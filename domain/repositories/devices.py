"""SQL for enrolled devices: scoped listing and the token lookup every sync request makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, bindparam, func, select, update
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


def _view_select() -> Select[Device, str, str]:
    return (
        select(Device, Station.code, Station.scope_path)
        .join(Station, Station.id == Device.station_id)
        .execution_options(populate_existing=True)
    )


def _scope_by_token_select(
    *, lock: bool
) -> Select[uuid.UUID, uuid.UUID, str, datetime | None, datetime]:
    stmt = (
        select(Device.id, Device.station_id, Station.scope_path, Device.revoked_at,
               Device.created_at)
        .join(Station, Station.id == Device.station_id)
        .where(Device.token_hash == bindparam("token_hash"))
    )
    return stmt.with_for_update(of=Device) if lock else stmt


# Built once: every sync request (each pull page) looks its token up, and building the
# statement and running it through the ORM session cost more than the query itself.
_SCOPE_BY_TOKEN = {lock: _scope_by_token_select(lock=lock) for lock in (False, True)}


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

    async def scope_by_token(self, token_hash: str, *, lock: bool) -> DeviceScope | None:
        """The device a token hash names; ``lock`` serialises the pushes of one device."""
        conn = await self.session.connection()
        row = (await conn.execute(_SCOPE_BY_TOKEN[lock], {"token_hash": token_hash})).first()
        if row is None:
            return None
        return DeviceScope(row[0], row[1], row[2], revoked=row[3] is not None,
                           enrolled_at=row[4])

    async def record_move(
        self, device_id: uuid.UUID, *, from_station_id: uuid.UUID, from_scope_path: str,
        to_station_id: uuid.UUID,
    ) -> None:
        """Remember the scope a device leaves, for the mutations it recorded there."""
        self.session.add(DeviceMove(device_id=device_id, from_station_id=from_station_id,
                                    from_scope_path=from_scope_path,
                                    to_station_id=to_station_id))
        await self.session.flush()

    async def moves(self, device_id: uuid.UUID) -> list[DeviceMoveRecord]:
        """The device's moves, oldest first."""
        rows = await self.session.execute(
            select(DeviceMove.from_station_id, DeviceMove.from_scope_path,
                   func.floor(func.extract("epoch", DeviceMove.moved_at) * 1000))
            .where(DeviceMove.device_id == device_id)
            .order_by(DeviceMove.moved_at, DeviceMove.id)
        )
        return [DeviceMoveRecord(r[0], r[1], int(r[2])) for r in rows]

    async def touch(self, device_id: uuid.UUID, at: datetime) -> None:
        """Note when the device last synced."""
        await self.session.execute(
            update(Device).where(Device.id == device_id).values(last_seen_at=at)
        )
