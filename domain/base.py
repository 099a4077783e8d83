"""Declarative base and the columns every synced table carries.

Sync columns are stamped by the ``sync_stamp`` trigger (see the first migration), so every
write, through the API or through sync, lands in the change feed without the caller's help:
``sync_txid`` is the writing transaction's id and ``sync_version`` a global sequence value.
A pull orders by (sync_txid, sync_version) and only reads below the oldest running
transaction, which is what makes its cursor unable to skip a late commit (sync/PROTOCOL.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Index, MetaData, String, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SyncColumns:
    """Mixin for tables whose rows travel to devices.

    ``scope_path`` is the admin path of the unit that owns the row ("79.760.26734"), so both
    "rows of this commune" and "rows under this district" are index range scans.
    ``field_hlc`` keeps, per descriptive field, the HLC and device of its last accepted write.
    """

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    scope_path: Mapped[str] = mapped_column(String(64), nullable=False)
    sync_txid: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    sync_version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    field_hlc: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        extra: tuple[Any, ...] = getattr(cls, "__extra_table_args__", ())
        return (
            *extra,
            Index(f"ix_{name}_scope_feed", "scope_path", "sync_txid", "sync_version"),
            Index(f"ix_{name}_feed", "sync_txid", "sync_version"),
            Index(
                f"ix_{name}_scope_prefix",
                "scope_path",
                postgresql_ops={"scope_path": "text_pattern_ops"},
            ),
        )
