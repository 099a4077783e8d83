"""The audit trail: who changed what, when, and through which login or device."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.paging import Paging
from api.schemas.audit import AuditPage
from api.services import service_dependency
from domain.services.audit import AuditService


class AuditController(Controller):
    path = "/api/audit"
    tags = ["Audit"]
    security = [{"BearerToken": []}]
    dependencies = {"audit": service_dependency(AuditService)}

    @get(
        "/",
        operation_id="list_audit_entries",
        summary="Audit entries of rows in the caller's unit, oldest first",
        description="For commune officers, district logistics, city coordinators and "
        "administrators, of rows in their unit and below. `entity` is "
        "a table name (`f0_case`, `station`, …) and `id` a row id; personal fields of cases "
        "are redacted for readers who do not care for the person.",
    )
    async def list_audit_entries(
        self,
        audit: NamedDependency[AuditService],
        paging: NamedDependency[Paging],
        entity: Annotated[str | None, QueryParameter(pattern=r"^[a-z][a-z0-9_]{0,63}$")] = None,
        row_id: Annotated[uuid.UUID | None, QueryParameter(name="id")] = None,
    ) -> AuditPage:
        rows, total = await audit.trail(entity=entity, row_id=row_id, limit=paging.limit,
                                        offset=paging.offset)
        return paging.page(rows, total)
