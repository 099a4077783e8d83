"""Enrolled devices and the sync bookkeeping: applied mutations, conflicts (issue 6)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base


class Device(Base):
    """A station tablet. Only a hash of its bearer token is kept: the token is shown once."""

    __tablename__ = "device"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("station.id"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    enrolled_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeviceMove(Base):
    """A device moved to another station: the scope it had before, and when it left it.

    Mutations a device recorded before a move are judged against the ward they were made in.
    """

    __tablename__ = "device_move"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_station_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    from_scope_path: Mapped[str] = mapped_column(String(64), nullable=False)
    to_station_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    moved_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class SyncMutation(Base):
    """Every mutation a device pushed and the server judged, with its outcome: the
    idempotency log.

    The key is (device, id): an id is its device's idempotency key. The primary key is what
    makes "applied at most once, ever" hold even when two copies of a batch arrive at the same
    time: the second insert of an id waits for the first transaction and then finds it taken.
    ``content_hash`` tells a retry (same content) from a reused id (other content). Entity,
    row and author are null for a mutation refused before they could be read.
    """

    __tablename__ = "sync_mutation"
    __table_args__ = (
        # "Was this row's creation refused?" is asked for every row a push creates; refusals
        # are rare, a device's log is long (sync/queries.py refused_creation).
        Index("ix_sync_mutation_refused_row", "device_id", "row_id",
              postgresql_where=text("status = 'rejected' AND op = 'upsert'")),
    )

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    entity: Mapped[str | None] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    op: Mapped[str | None] = mapped_column(String(8))
    hlc: Mapped[str | None] = mapped_column(String(21))
    author_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    # What the device shifted the mutation's own times by after the server found its clock
    # wrong (sync/PROTOCOL.md §4); None when it made no correction.
    clock_correction_ms: Mapped[int | None] = mapped_column(BigInteger)


class SyncClock(Base):
    """The server's hybrid logical clock: one row, the highest millisecond issued or observed.

    Only ``sync_clock_tick()`` (migration 0008, run by sync/clock.py) writes it.
    """

    __tablename__ = "sync_clock"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    ms: Mapped[int] = mapped_column(BigInteger, nullable=False)


class SyncConflict(Base):
    """A write that lost a merge, kept with the write that won so a coordinator can redo it;
    or a mutation the server refused (``policy`` "rejected", with ``code`` and ``message``),
    kept with the values it carried (``field`` "*": all of them)."""

    __tablename__ = "sync_conflict"
    __table_args__ = (
        Index("ix_sync_conflict_scope", "scope_path", "id",
              postgresql_ops={"scope_path": "text_pattern_ops"}),
        Index("ix_sync_conflict_row", "entity", "row_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    scope_path: Mapped[str] = mapped_column(String(64), nullable=False)
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    row_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    field: Mapped[str] = mapped_column(String(64), nullable=False)
    policy: Mapped[str] = mapped_column(String(16), nullable=False)
    mutation_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kept_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    kept_hlc: Mapped[str | None] = mapped_column(String(21))
    kept_author: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kept_device: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    lost_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    lost_hlc: Mapped[str | None] = mapped_column(String(21))
    lost_author: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    lost_device: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
