"""F0 cases: enrolment, care details, status moves, team assignment, medicine bags."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter, RequestBody

from api.paging import Paging
from api.schemas.cases import (
    Assignment,
    BagGiven,
    Case,
    CaseCreate,
    CasePage,
    CaseSummary,
    CaseUpdate,
    DuplicateReview,
    StatusChange,
    StatusEvent,
    TeamAssignment,
    UnitCaseCounts,
)
from api.schemas.common import CommuneCode, DistrictCode
from api.schemas.stations import changes_of
from api.services import service_dependency
from domain.authz import Principal
from domain.models.admin_unit import AdminLevel
from domain.models.enums import CaseStatus, RiskGroup
from domain.repositories.cases import CaseView
from domain.services.cases import CaseService
from domain.services.dispensing import KIND_OF_BAG, DispensingService

CaseId = Annotated[uuid.UUID, PathParameter()]


def _case(principal: Principal, view: CaseView) -> Case:
    return Case.of(view, personal=principal.sees_personal_data(view.case.scope_path,
                                                               view.case.team_id))


class CaseController(Controller):
    path = "/api/cases"
    tags = ["F0 cases"]
    security = [{"BearerToken": []}]
    dependencies = {"cases": service_dependency(CaseService),
                    "dispensing": service_dependency(DispensingService)}

    @get(
        "/",
        operation_id="list_cases",
        summary="Cases in the caller's scope",
        description="Personal fields only for roles caring for the person; others see "
        "`person.view = deidentified` (initials, birth decade, sex). By case code, or by "
        "rank with `q`.",
    )
    async def list_cases(
        self,
        cases: NamedDependency[CaseService],
        paging: NamedDependency[Paging],
        district: DistrictCode = None,
        commune: CommuneCode = None,
        station_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        team_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        status: FromQuery[CaseStatus | None] = None,
        risk_group: FromQuery[RiskGroup | None] = None,
        q: Annotated[str | None, QueryParameter(
            min_length=1, max_length=100,
            description="find a person: a name without diacritics (\"nhung\", \"tran thi\"), "
            "a phone or a national id. Ranked: the id or phone itself first, then names "
            "holding every word as a whole word, then as a word's start, then anywhere. For "
            "the roles that see personal data (403 for the others); a care-team member finds "
            "their own teams' patients")] = None,
        possible_duplicate: Annotated[bool | None, QueryParameter(
            description="true: only cases flagged `possible_duplicate_of`, the ward's "
            "duplicate review list")] = None,
    ) -> CasePage:
        views, total = await cases.search(
            district=district, commune=commune, station_id=station_id,
            team_id=team_id, status=status, risk=risk_group, q=q,
            possible_duplicates=bool(possible_duplicate), limit=paging.limit,
            offset=paging.offset,
        )
        return paging.page([_case(cases.principal, v) for v in views], total)

    @get(
        "/summary",
        operation_id="summarize_cases",
        summary="De-identified case counts per unit, status and risk group",
    )
    async def summarize_cases(
        self,
        cases: NamedDependency[CaseService],
        by: FromQuery[AdminLevel | None] = None,
        district: DistrictCode = None,
    ) -> CaseSummary:
        level, counts = await cases.summarize(by=by, district=district)
        units = [
            UnitCaseCounts(unit_code=c.code, unit_name=c.name, total=sum(c.by_status.values()),
                           by_status=c.by_status, by_risk_group=c.by_risk_group)
            for c in counts
        ]
        return CaseSummary(by=level, units=units, total=sum(u.total for u in units))

    @get("/{case_id:uuid}", operation_id="get_case", summary="One case")
    async def get_case(
        self, cases: NamedDependency[CaseService],
        case_id: CaseId,
    ) -> Case:
        return _case(cases.principal, await cases.get(case_id))

    @post(
        "/",
        operation_id="create_case",
        summary="Enrol an F0 case at a station",
        description="The same person twice is refused with 409 `duplicate_case`, naming the "
        "existing case in `existing_case` (`id`, `case_code`): the same national id in the "
        "caller's scope, or the same phone, name (case and diacritics ignored) and year of "
        "birth in the ward. Send `confirm_not_duplicate: true` to enrol another person "
        "anyway. Names are stored in Unicode NFC.",
    )
    async def create_case(
        self, cases: NamedDependency[CaseService],
        data: RequestBody[CaseCreate],
    ) -> Case:
        fields = changes_of(data)
        fields["home_position"] = data.home_position.coordinates if data.home_position else None
        view = await cases.create(**fields)
        return _case(cases.principal, view)

    @patch("/{case_id:uuid}", operation_id="update_case", summary="Change a case's details")
    async def update_case(
        self, cases: NamedDependency[CaseService],
        case_id: CaseId, data: RequestBody[CaseUpdate],
    ) -> Case:
        changes = changes_of(data)
        if data.home_position:
            changes["home_position"] = data.home_position.coordinates
        return _case(cases.principal, await cases.update(case_id, changes))

    @post(
        "/{case_id:uuid}/status",
        operation_id="change_case_status",
        summary="Move a case along the status machine",
        status_code=200,
    )
    async def change_case_status(
        self, cases: NamedDependency[CaseService],
        case_id: CaseId, data: RequestBody[StatusChange],
    ) -> Case:
        await cases.change_status(case_id, data.status, data.reason, data.effective_at)
        return _case(cases.principal, await cases.get(case_id))

    @post(
        "/{case_id:uuid}/duplicate-review",
        operation_id="review_duplicate_case",
        summary="Settle a case flagged as a possible duplicate",
        description="For the ward's station staff, doctors and commune officer. "
        "`same_person: false` clears the flag and answers the case; `same_person: true` "
        "deletes the flagged copy and answers the original.",
        status_code=200,
    )
    async def review_duplicate_case(
        self, cases: NamedDependency[CaseService],
        case_id: CaseId, data: RequestBody[DuplicateReview],
    ) -> Case:
        view = await cases.review_duplicate(case_id, same_person=data.same_person)
        return _case(cases.principal, view)

    @get(
        "/{case_id:uuid}/status-events",
        operation_id="list_case_status_events",
        summary="The case's status history, oldest first",
    )
    async def list_case_status_events(
        self, cases: NamedDependency[CaseService],
        case_id: CaseId,
    ) -> list[StatusEvent]:
        events = await cases.status_history(case_id)
        return [StatusEvent.of(e) for e in events]

    @post(
        "/{case_id:uuid}/assignment",
        operation_id="assign_case",
        summary="Assign or reassign the case to a care team",
        status_code=200,
    )
    async def assign_case(
        self, cases: NamedDependency[CaseService],
        case_id: CaseId, data: RequestBody[Assignment],
    ) -> Case:
        view = await cases.assign(case_id, data.team_id, data.reason)
        return _case(cases.principal, view)

    @get(
        "/{case_id:uuid}/assignments",
        operation_id="list_case_assignments",
        summary="The case's team assignments, oldest first",
    )
    async def list_case_assignments(
        self, cases: NamedDependency[CaseService],
        case_id: CaseId,
    ) -> list[TeamAssignment]:
        rows = await cases.assignment_history(case_id)
        return [TeamAssignment.of(a) for a in rows]

    @post(
        "/{case_id:uuid}/bag-b-order",
        operation_id="order_medicine_bag_b",
        summary="A doctor orders medicine bag B",
        status_code=200,
    )
    async def order_medicine_bag_b(
        self, cases: NamedDependency[CaseService],
        case_id: CaseId,
    ) -> Case:
        return _case(cases.principal, await cases.order_bag_b(case_id))

    @post(
        "/{case_id:uuid}/medicine-bags",
        operation_id="give_medicine_bag",
        summary="Give a medicine bag (A, B or C): recorded on the case, issued from stock",
        description="The same action as `POST /api/dispensings` with kind `bag_a|b|c`: the "
                    "bag is issued from the station's stock (the `lot_id` named, or the first "
                    "expiring valid lot); 409 `insufficient_stock` when there is none.",
        status_code=200,
    )
    async def give_medicine_bag(
        self, cases: NamedDependency[CaseService],
        dispensing: NamedDependency[DispensingService],
        case_id: CaseId, data: RequestBody[BagGiven],
    ) -> Case:
        await dispensing.dispense(dispensing_id=uuid.uuid4(), case_id=case_id,
                                  kind=KIND_OF_BAG[data.bag], given_at=data.given_at,
                                  lot_id=data.lot_id)
        return _case(cases.principal, await cases.get(case_id))
