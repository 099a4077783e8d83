"""The conflict log as coordinators read it: writes that lost a merge in their units.

Values of a patient's personal fields are masked for readers who may not see the person
(district and city roles), exactly as in the audit trail.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import COORDINATOR_ROLES, Principal
from domain.conflict_log import ConflictEntry
from domain.services.audit import redact_personal
from sync import queries


def _as_read_by(row: ConflictEntry, principal: Principal) -> ConflictEntry:
    """The entry with its values redacted for this reader."""
    kept, lost = (_redacted(row, value, principal) for value in (row.kept_value, row.lost_value))
    if kept is row.kept_value and lost is row.lost_value:
        return row
    return msgspec.structs.replace(row, kept_value=kept, lost_value=lost)


def _redacted(row: ConflictEntry, value: Any, principal: Principal) -> Any:
    """One side of an entry as this reader may see it: a field's value, or for "*" every
    value a refused mutation carried (its ``fields``, or the fields object itself)."""
    if row.field != "*":
        shown = redact_personal(row.entity, {row.field: value}, principal, row.scope_path)
        assert shown is not None
        return shown[row.field]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("fields"), dict):  # a malformed mutation kept whole
        fields = redact_personal(row.entity, value["fields"], principal, row.scope_path)
        return value if fields is value["fields"] else {**value, "fields": fields}
    return redact_personal(row.entity, value, principal, row.scope_path)


class ConflictService:
    """The sync conflict log as the principal may read it, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def search(
        self, *, entity: str | None = None, row_id: uuid.UUID | None = None, limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[ConflictEntry], int]:
        """Commune officers and above read the conflicts of rows at or below their unit."""
        self.principal.require_role(COORDINATOR_ROLES, "read the sync conflict log")
        rows, total = await queries.conflict_page(
            self.session, self.principal.unit_path, entity=entity, row_id=row_id, limit=limit,
            offset=offset,
        )
        return [_as_read_by(r, self.principal) for r in rows], total
