"""The conflict log as coordinators read it: writes that lost a merge in their units.

Values of a patient's personal fields are masked for readers who may not see the person
(district and city roles), exactly as in the audit trail.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import COORDINATOR_ROLES, Principal
from domain.models.device import SyncConflict
from domain.services.audit import redact_personal
from sync import queries


def _as_read_by(row: SyncConflict, principal: Principal) -> SyncConflict:
    """The entry with its values redacted for this reader (a detached copy, never flushed)."""
    kept = redact_personal(row.entity, {row.field: row.kept_value}, principal, row.scope_path)
    lost = redact_personal(row.entity, {row.field: row.lost_value}, principal, row.scope_path)
    assert kept is not None and lost is not None
    if kept[row.field] is row.kept_value and lost[row.field] is row.lost_value:
        return row
    copy = SyncConflict(**{a.key: getattr(row, a.key)
                           for a in SyncConflict.__mapper__.column_attrs})
    copy.kept_value, copy.lost_value = kept[row.field], lost[row.field]
    return copy


async def list_conflicts(
    session: AsyncSession, principal: Principal, *, entity: str | None = None,
    row_id: uuid.UUID | None = None, limit: int = 100, offset: int = 0,
) -> tuple[list[SyncConflict], int]:
    """Commune officers and above read the conflicts of rows at or below their unit."""
    principal.require_role(COORDINATOR_ROLES, "read the sync conflict log")
    rows, total = await queries.conflict_page(session, principal.unit_path, entity=entity,
                                              row_id=row_id, limit=limit, offset=offset)
    return [_as_read_by(r, principal) for r in rows], total
