"""Reading the audit trail: who changed what, when, through which login or device.

Only domain.authz.AUDIT_ROLES read it, and only for rows of their own unit and below. Entries
of F0 cases lose their personal fields for a reader who may not see the person
(Principal.sees_personal_data), so the trail cannot be used to re-identify a patient.
Asking for one row that has no entry in scope is a 404, like any out-of-scope object.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import AUDIT_ROLES, Principal
from domain.errors import NotFound
from domain.repositories.audit import AuditRepository

PERSONAL_FIELDS = {
    "f0_case": frozenset({"full_name", "phone", "address", "home_position", "national_id",
                          "notes", "year_of_birth"}),
}
REDACTED = "[redacted]"


class AuditRecord(msgspec.Struct, kw_only=True, frozen=True):
    """One audit entry as a reader may see it (personal fields redacted); the API's answer."""

    id: int
    at: datetime
    entity: str
    row_id: uuid.UUID
    action: str
    actor_id: uuid.UUID | None
    via: str
    device_id: uuid.UUID | None
    scope_path: str | None = msgspec.field(name="path")
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def redact_personal(
    entity: str, values: dict[str, Any] | None, principal: Principal, scope_path: str | None
) -> dict[str, Any] | None:
    """``values`` of a row of ``entity`` at ``scope_path``, personal fields masked unless the
    reader may see the person (Principal.sees_personal_data)."""
    hidden = PERSONAL_FIELDS.get(entity, frozenset())
    if values is None or not hidden or (scope_path and principal.sees_personal_data(scope_path)):
        return values
    return {k: REDACTED if k in hidden and v is not None else v for k, v in values.items()}


class AuditService:
    """The audit trail as the principal may read it, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def trail(
        self, *, entity: str | None = None, row_id: uuid.UUID | None = None, limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[AuditRecord], int]:
        self.principal.require_role(AUDIT_ROLES, "read the audit trail")
        entries, total = await AuditRepository(self.session).page(
            unit_path=self.principal.unit_path, entity=entity, row_id=row_id, limit=limit,
            offset=offset,
        )
        if row_id is not None and total == 0:
            raise NotFound("no audit entries for this object", field="id")
        records = []
        for e in entries:
            records.append(AuditRecord(
                id=e.id, at=e.at, entity=e.entity, row_id=e.row_id, action=e.action,
                actor_id=e.actor_id, via=e.via, device_id=e.device_id, scope_path=e.scope_path,
                before=redact_personal(e.entity, e.before, self.principal, e.scope_path),
                after=redact_personal(e.entity, e.after, self.principal, e.scope_path),
            ))
        return records, total
