"""Directives as an addressed unit receives them: read, acknowledge, report, complete."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get, patch
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter, RequestBody

from api.paging import Paging
from api.schemas.common import CommuneCode, DistrictCode
from api.schemas.directives import (
    DirectiveAnswer,
    ReceivedDirective,
    ReceivedDirectivePage,
    Reminder,
)
from api.schemas.stations import changes_of
from api.services import service_dependency
from domain.models.directive import DirectiveStatus
from domain.services.directives import DirectiveService

RecipientId = Annotated[uuid.UUID, PathParameter()]


class ReceivedDirectiveController(Controller):
    path = "/api/received-directives"
    tags = ["Directives"]
    security = [{"BearerToken": []}]
    dependencies = {"directives": service_dependency(DirectiveService)}

    @get("/", operation_id="list_received_directives",
         summary="Directives addressed to the caller's unit (and, read only, the units below)")
    async def list_received_directives(
        self, directives: NamedDependency[DirectiveService], paging: NamedDependency[Paging],
        district: DistrictCode = None, commune: CommuneCode = None,
        status: FromQuery[DirectiveStatus | None] = None,
        overdue: Annotated[bool | None, QueryParameter(
            description="past due and not done")] = None,
        directive_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> ReceivedDirectivePage:
        rows, total = await directives.received(
            district=district, commune=commune, status=status, overdue=overdue,
            directive_id=directive_id, limit=paging.limit, offset=paging.offset)
        now = datetime.now(UTC)
        return paging.page([ReceivedDirective.of(r, now) for r in rows], total)

    @get("/{recipient_id:uuid}", operation_id="get_received_directive",
         summary="One addressed unit's copy of a directive")
    async def get_received_directive(
        self, directives: NamedDependency[DirectiveService], recipient_id: RecipientId,
    ) -> ReceivedDirective:
        return ReceivedDirective.of(await directives.get_received(recipient_id),
                                    datetime.now(UTC))

    @get("/{recipient_id:uuid}/reminders", operation_id="list_directive_reminders",
         summary="The reminders the issuer sent this unit")
    async def list_directive_reminders(
        self, directives: NamedDependency[DirectiveService], recipient_id: RecipientId,
    ) -> list[Reminder]:
        return [Reminder.of(r) for r in await directives.reminders(recipient_id)]

    @patch("/{recipient_id:uuid}", operation_id="answer_directive",
           summary="Acknowledge, report progress or complete (the addressed unit only)")
    async def answer_directive(
        self, directives: NamedDependency[DirectiveService], recipient_id: RecipientId,
        data: RequestBody[DirectiveAnswer],
    ) -> ReceivedDirective:
        await directives.answer(recipient_id, changes_of(data))
        return ReceivedDirective.of(await directives.get_received(recipient_id),
                                    datetime.now(UTC))
