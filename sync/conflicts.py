"""The conflict log as coordinators read it: writes that lost a merge in their units."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import COORDINATOR_ROLES, Principal
from domain.models.device import SyncConflict
from sync import queries


async def list_conflicts(
    session: AsyncSession, principal: Principal, *, entity: str | None = None,
    row_id: uuid.UUID | None = None, limit: int = 100, offset: int = 0,
) -> tuple[list[SyncConflict], int]:
    """Commune officers and above read the conflicts of rows at or below their unit."""
    principal.require_role(COORDINATOR_ROLES, "read the sync conflict log")
    return await queries.conflict_page(session, principal.unit_path, entity=entity,
                                       row_id=row_id, limit=limit, offset=offset)
