"""Proposals up the chain: a unit asks the level above for more staff, a new station,
oxygen or support, and that level decides.

Rules decided here:
- A unit's own reporters (domain/services/reports.py ``is_reporter``) propose, always to
  the unit directly above; the proposal may cite one of the unit's reports.
- Only the level above decides: district logistics for a commune's proposals, the city
  coordinator for a district's, an administrator of that parent unit. Accepting takes a note,
  declining a reason; a decided proposal is not decided again (409).
- A supply need is a requisition: a ``supplies`` proposal carries the requisition's content
  and is handed to ``RequisitionService.create`` (the one path for supplies, with its
  approvals and shipping); the proposal keeps the requisition's id and is never decided here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from domain.models.enums import Role
from domain.models.proposal import Proposal, ProposalKind, ProposalStatus
from domain.repositories.admin_units import AdminUnitRepository
from domain.repositories.proposals import ProposalRepository
from domain.repositories.reports import ReportRepository
from domain.services.reports import is_reporter
from domain.services.requisitions import RequisitionService

DECIDER_ROLES = frozenset({Role.district_logistics, Role.city_coordinator,
                           Role.administrator})


def parent_path(path: str) -> str:
    return path.rsplit(".", 1)[0]


class ProposalService:
    """Proposals the principal reads, makes and decides, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = ProposalRepository(session)

    async def get(self, proposal_id: uuid.UUID, *, lock: bool = False) -> Proposal:
        proposal = await self.repo.get(proposal_id, lock=lock)
        if proposal is None or not self.principal.can_read(proposal.scope_path):
            raise NotFound("proposal not found", field="proposal_id")
        return proposal

    async def search(
        self, *, status: ProposalStatus | None, to_unit_code: str | None, limit: int,
        offset: int,
    ) -> tuple[list[Proposal], int]:
        return await self.repo.page(scope_path=self.principal.unit_path, status=status,
                                    to_unit_code=to_unit_code, limit=limit, offset=offset)

    async def propose(
        self, *, kind: ProposalKind, title: str, detail: str | None = None,
        quantity: int | None = None, report_id: uuid.UUID | None = None,
        requisition: dict[str, Any] | None = None,
    ) -> Proposal:
        p = self.principal
        if p.unit_level == 0:
            raise ValidationFailed("the national level has no level above", field="kind")
        if not is_reporter(p):
            raise Forbidden(f"a {p.role.value} may not make proposals for the unit", field="kind")
        if not title.strip():
            raise ValidationFailed("say what is proposed", field="title")
        if report_id is not None:
            report = await ReportRepository(self.session).get(report_id)
            if report is None or not p.can_read(report.scope_path):
                raise NotFound("report not found", field="report_id")
            if report.scope_path != p.unit_path:
                raise ValidationFailed("a proposal cites a report of its own unit",
                                       field="report_id")
        parent = await AdminUnitRepository(self.session).get(p.unit_code)
        assert parent is not None and parent.parent_code is not None
        proposal = Proposal(
            unit_code=p.unit_code, to_unit_code=parent.parent_code, scope_path=p.unit_path,
            report_id=report_id, kind=kind, title=title.strip(), detail=detail,
            quantity=quantity, status=ProposalStatus.pending, proposed_by=p.user_id,
        )
        if kind is ProposalKind.supplies:
            if requisition is None:
                raise ValidationFailed("a supply need goes with its requisition "
                                       "(location_id, lines, ...)", field="requisition")
            req, _ = await RequisitionService(self.session, p).create(**requisition)
            proposal.requisition_id = req.id
            proposal.status = ProposalStatus.requisitioned
        elif requisition is not None:
            raise ValidationFailed("only a supplies proposal carries a requisition",
                                   field="requisition")
        return await self.repo.add(proposal)

    async def decide(self, proposal_id: uuid.UUID, *, accept: bool, note: str) -> Proposal:
        """Accept with a note or decline with a reason: the level above only."""
        proposal = await self.get(proposal_id, lock=True)
        p = self.principal
        if p.unit_path != parent_path(proposal.scope_path) or p.role not in DECIDER_ROLES:
            raise Forbidden("only the level above decides a proposal", field="proposal_id")
        if proposal.status is ProposalStatus.requisitioned:
            raise TransitionNotAllowed("a supply need is decided as its requisition",
                                       field="status")
        if proposal.status is not ProposalStatus.pending:
            raise TransitionNotAllowed(f"the proposal was already {proposal.status.value}",
                                       field="status")
        if not note.strip():
            raise ValidationFailed("a decision says why", field="note" if accept else "reason")
        proposal.status = ProposalStatus.accepted if accept else ProposalStatus.declined
        proposal.decision_note = note.strip()
        proposal.decided_by = p.user_id
        proposal.decided_at = datetime.now(UTC)
        await self.session.flush()
        return proposal
