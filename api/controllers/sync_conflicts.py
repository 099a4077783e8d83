"""The sync conflict log: writes that lost a merge, for the coordinators of their unit."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.paging import Paging
from api.schemas.sync import SyncConflictPage
from api.services import service_dependency
from sync.conflicts import ConflictService


class SyncConflictController(Controller):
    path = "/api/sync/conflicts"
    tags = ["Sync"]
    security = [{"BearerToken": []}]
    dependencies = {"conflicts": service_dependency(ConflictService)}

    @get(
        "/",
        operation_id="list_sync_conflicts",
        summary="Writes that lost a merge in the caller's units, newest first",
        description="Commune officers and above. Filter by `entity` and `row_id`.",
    )
    async def list_sync_conflicts(
        self,
        conflicts: NamedDependency[ConflictService],
        paging: NamedDependency[Paging],
        entity: Annotated[str | None, QueryParameter(pattern=r"^[a-z0-9_]{1,64}$")] = None,
        row_id: FromQuery[uuid.UUID | None] = None,
    ) -> SyncConflictPage:
        rows, total = await conflicts.search(entity=entity, row_id=row_id, limit=paging.limit,
                                             offset=paging.offset)
        return paging.page(rows, total)
