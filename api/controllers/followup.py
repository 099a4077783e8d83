"""The daily vital-sign follow-up worklist (MoH Decision 4038/QĐ-BYT: twice a day)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from api.paging import Paging
from api.schemas.alerts import Alert
from api.schemas.common import CommuneCode, DistrictCode
from api.schemas.followup import FollowUp, FollowUpWorklist, OverdueCase
from api.services import service_dependency
from domain.rules.followup import READING_INTERVAL
from domain.services.followup import FollowUpService


class FollowUpController(Controller):
    path = "/api/follow-up"
    tags = ["F0 cases"]
    security = [{"BearerToken": []}]
    dependencies = {"followup": service_dependency(FollowUpService)}

    @get(
        "/",
        operation_id="get_follow_up_worklist",
        summary="Patients under home care overdue a vital-sign reading, beside the open alerts",
        description="A patient under home care (home_monitoring, needs_attention, "
        "transfer_requested) is due a vital-sign reading 12 hours after the later of their "
        "last one and the time they entered home care, and is overdue from that instant on "
        "(`as_of >= next_due_at`). Longest overdue first; `alerts` are the unresolved alerts "
        "of the same scope, station or team. Tablets compute the same list offline from the "
        "`case_followup` rows and the readings they pull (sync/PROTOCOL.md).",
    )
    async def get_follow_up_worklist(
        self,
        followup: NamedDependency[FollowUpService],
        paging: NamedDependency[Paging],
        district: DistrictCode = None,
        commune: CommuneCode = None,
        station_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        team_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        as_of: Annotated[datetime | None, QueryParameter(
            description="the instant to judge at (default now)")] = None,
    ) -> FollowUpWorklist:
        at, rows, total, alerts = await followup.worklist(
            district=district, commune=commune, station_id=station_id, team_id=team_id,
            as_of=as_of, limit=paging.limit, offset=paging.offset)
        p = followup.principal
        items = [OverdueCase.of(r, at, personal=p.sees_personal_data(r.case.scope_path,
                                                                      r.case.team_id))
                 for r in rows]
        return FollowUpWorklist(
            as_of=at, reading_interval_hours=int(READING_INTERVAL.total_seconds() // 3600),
            overdue=paging.page(items, total), alerts=[Alert.of(a) for a in alerts])

    @get("/{case_id:uuid}", operation_id="get_case_follow_up",
         summary="One case's follow-up: last reading, readings today, next due")
    async def get_case_follow_up(
        self, followup: NamedDependency[FollowUpService],
        case_id: Annotated[uuid.UUID, PathParameter()],
    ) -> FollowUp:
        return FollowUp.of(await followup.of_case(case_id))
