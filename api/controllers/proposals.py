"""Proposals to the level above, and its decisions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody

from api.paging import Paging
from api.schemas.common import UnitCode
from api.schemas.reports import (
    Proposal,
    ProposalAccept,
    ProposalCreate,
    ProposalDecline,
    ProposalPage,
)
from api.services import service_dependency
from domain.models.proposal import ProposalStatus
from domain.services.proposals import ProposalService

ProposalId = Annotated[uuid.UUID, PathParameter()]


class ProposalController(Controller):
    path = "/api/proposals"
    tags = ["Chain: proposals"]
    security = [{"BearerToken": []}]
    dependencies = {"proposals": service_dependency(ProposalService)}

    @get("/", operation_id="list_proposals",
         summary="Proposals of the caller's unit and of the units below it")
    async def list_proposals(
        self, proposals: NamedDependency[ProposalService], paging: NamedDependency[Paging],
        status: FromQuery[ProposalStatus | None] = None, to_unit: UnitCode = None,
    ) -> ProposalPage:
        rows, total = await proposals.search(status=status, to_unit_code=to_unit,
                                             limit=paging.limit, offset=paging.offset)
        return paging.page([Proposal.of(p) for p in rows], total)

    @get("/{proposal_id:uuid}", operation_id="get_proposal", summary="One proposal")
    async def get_proposal(
        self, proposals: NamedDependency[ProposalService], proposal_id: ProposalId,
    ) -> Proposal:
        return Proposal.of(await proposals.get(proposal_id))

    @post("/", operation_id="create_proposal",
          summary="Propose to the level above (a supply need becomes a requisition)")
    async def create_proposal(
        self, proposals: NamedDependency[ProposalService], data: RequestBody[ProposalCreate],
    ) -> Proposal:
        requisition: dict[str, Any] | None = None
        if data.requisition is not None:
            requisition = msgspec.to_builtins(data.requisition)
            requisition["location_id"] = data.requisition.location_id
            requisition["lines"] = [{"item_id": line.item_id, "quantity": line.quantity}
                                    for line in data.requisition.lines]
        return Proposal.of(await proposals.propose(
            kind=data.kind, title=data.title, detail=data.detail, quantity=data.quantity,
            report_id=data.report_id, requisition=requisition,
        ))

    @post("/{proposal_id:uuid}/accept", operation_id="accept_proposal", status_code=200,
          summary="Accept, with a note (the level above)")
    async def accept_proposal(
        self, proposals: NamedDependency[ProposalService], proposal_id: ProposalId,
        data: RequestBody[ProposalAccept],
    ) -> Proposal:
        return Proposal.of(await proposals.decide(proposal_id, accept=True, note=data.note))

    @post("/{proposal_id:uuid}/decline", operation_id="decline_proposal", status_code=200,
          summary="Decline, with a reason (the level above)")
    async def decline_proposal(
        self, proposals: NamedDependency[ProposalService], proposal_id: ProposalId,
        data: RequestBody[ProposalDecline],
    ) -> Proposal:
        return Proposal.of(await proposals.decide(proposal_id, accept=False,
                                                  note=data.reason))
