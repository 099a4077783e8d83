"""Audit entries on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from api.paging import Page, page_schema
from domain.services.audit import AuditRecord


class AuditEntry(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    at: datetime
    entity: str
    row_id: uuid.UUID
    action: str
    actor_id: uuid.UUID | None
    via: str
    device_id: uuid.UUID | None
    path: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, r: AuditRecord) -> AuditEntry:
        return cls(id=r.id, at=r.at, entity=r.entity, row_id=r.row_id, action=r.action,
                   actor_id=r.actor_id, via=r.via, device_id=r.device_id, path=r.scope_path,
                   before=r.before, after=r.after)


AuditPage = Annotated[Page[AuditEntry], page_schema("AuditPage")]
