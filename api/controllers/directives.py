"""Directives as their issuer handles them: issue, follow per addressed unit, urge."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, RequestBody

from api.paging import Paging
from api.schemas.common import UnitCode
from api.schemas.directives import (
    Directive,
    DirectiveCreate,
    DirectiveDetail,
    DirectivePage,
    Reminder,
    ReminderCreate,
)
from api.services import service_dependency
from domain.services.directives import DirectiveService

DirectiveId = Annotated[uuid.UUID, PathParameter()]


class DirectiveController(Controller):
    path = "/api/directives"
    tags = ["Directives"]
    security = [{"BearerToken": []}]
    dependencies = {"directives": service_dependency(DirectiveService)}

    @get("/", operation_id="list_directives",
         summary="Directives issued at or below the caller's unit, newest first, with counts")
    async def list_directives(
        self, directives: NamedDependency[DirectiveService], paging: NamedDependency[Paging],
        issuer: UnitCode = None,
    ) -> DirectivePage:
        rows, total = await directives.issued(issuer=issuer, limit=paging.limit,
                                              offset=paging.offset)
        return paging.page([Directive.of_summary(s) for s in rows], total)

    @get("/{directive_id:uuid}", operation_id="get_directive",
         summary="One directive with each addressed unit's state")
    async def get_directive(
        self, directives: NamedDependency[DirectiveService], directive_id: DirectiveId,
    ) -> DirectiveDetail:
        return DirectiveDetail.of_detail(await directives.detail(directive_id))

    @post("/", operation_id="issue_directive",
          summary="Issue a directive to units below the caller's unit")
    async def issue_directive(
        self, directives: NamedDependency[DirectiveService], data: RequestBody[DirectiveCreate],
    ) -> DirectiveDetail:
        directive, _ = await directives.issue(
            title=data.title, body=data.body, due_at=data.due_at, priority=data.priority,
            report_required=data.report_required, unit_codes=data.unit_codes,
            all_communes=data.all_communes,
        )
        return DirectiveDetail.of_detail(await directives.detail(directive.id))

    @post("/{directive_id:uuid}/reminders", operation_id="urge_directive",
          summary="Urge the overdue addressed units (a reminder each, synced to them)")
    async def urge_directive(
        self, directives: NamedDependency[DirectiveService], directive_id: DirectiveId,
        data: RequestBody[ReminderCreate],
    ) -> list[Reminder]:
        sent = await directives.remind(directive_id, unit_codes=data.unit_codes,
                                       message=data.message)
        return [Reminder.of(r) for r in sent]
