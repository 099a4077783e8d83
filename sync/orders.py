"""Synced entities of the chain of command (issue 15): the ward's copies of the directives
addressed to it (answered offline), the reminders urging it, its inspections and their
corrections, and its community COVID teams.

Every one is scoped to the ward itself (``scope_path`` is the addressed or inspected commune),
so a tablet pulls exactly what concerns its ward and nothing of its siblings'. Only the
directive copy is pushable: a tablet acknowledges it, reports progress and completes it
through DirectiveService, the same calls the API makes.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.contract import DIRECTIVE_FIELDS
from domain.models.community_team import CommunityTeam, CommunityTeamMember
from domain.models.directive import DirectiveRecipient, DirectiveReminder, DirectiveStatus
from domain.models.inspection import Inspection, InspectionCorrection
from domain.rules.directive_status import DIRECTIVE_STATUS
from domain.services.directives import DirectiveService
from sync.apply_records import RecordApplier, Values
from sync.context import wire
from sync.registry import EntitySpec, Kind, Policy, Scope, model_fields

P = Policy


async def _report_progress(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, changes: Values
) -> DirectiveRecipient:
    return await DirectiveService(session, principal).report_progress(row_id, changes)


async def _answer(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, targets: Values
) -> None:
    await DirectiveService(session, principal).move(
        row_id, targets.get("status"), targets.get("completion_report"))


def _answer_settles(name: str, pushed: Any, current: Any) -> bool:
    """The answer only moves forward: acknowledging a directive already done is satisfied."""
    if name == "status":
        return DIRECTIVE_STATUS.reached(DirectiveStatus(pushed), DirectiveStatus(current))
    return bool(wire(pushed) == wire(current))


DIRECTIVE = EntitySpec(
    name="directive",
    model=DirectiveRecipient,
    kind=Kind.record,
    scope=Scope.unit,
    description=(
        "The directives addressed to the device's commune (its own copy of each, with what "
        "was ordered). The commune answers offline: `status` moves forward only "
        "(unread, acknowledged, in_progress, done; `completion_report` goes with done and is "
        "required when `report_required`); the progress figures are last writer wins."
    ),
    fields=model_fields(DirectiveRecipient, {
        P.read_only: ("directive_id", "unit_code", "issuer_unit_code", "code", "title", "body",
                      "priority", "issued_at", "due_at", "report_required", "acknowledged_at",
                      "acknowledged_by", "completed_at", "completed_by", "reminder_count",
                      "last_reminded_at"),
        P.lww: ("progress_pct", "progress_note"),
        P.state_machine: ("status", "completion_report"),
    }, contract=DIRECTIVE_FIELDS),
    applier=RecordApplier(update=_report_progress, transition=_answer,
                          settles=_answer_settles),
)

DIRECTIVE_REMINDER = EntitySpec(
    name="directive_reminder",
    model=DirectiveReminder,
    kind=Kind.reference,
    scope=Scope.unit,
    description="The issuers' reminders urging the device's commune on an overdue directive.",
    fields=model_fields(DirectiveReminder, {
        P.read_only: ("recipient_id", "directive_id", "unit_code", "sent_at", "sent_by",
                      "message"),
    }),
)

INSPECTION = EntitySpec(
    name="inspection",
    model=Inspection,
    kind=Kind.reference,
    scope=Scope.unit,
    description=(
        "Inspections of the device's commune by the levels above, with their checklist and "
        "findings (recorded online by the inspecting level)."
    ),
    fields=model_fields(Inspection, {
        P.read_only: ("code", "unit_code", "inspector_unit_code", "inspected_by",
                      "inspected_at", "plan_ready", "steering_committee",
                      "community_teams_active", "stations_staffed", "stations_supplied",
                      "connected", "findings"),
    }),
)

INSPECTION_CORRECTION = EntitySpec(
    name="inspection_correction",
    model=InspectionCorrection,
    kind=Kind.reference,
    scope=Scope.unit,
    description=(
        "Which of the commune's directives are corrections ordered by an inspection; the "
        "commune acts on each through its `directive` row (`recipient_id`)."
    ),
    fields=model_fields(InspectionCorrection, {
        P.read_only: ("inspection_id", "directive_id", "recipient_id"),
    }),
)

COMMUNITY_TEAM = EntitySpec(
    name="community_team",
    model=CommunityTeam,
    kind=Kind.reference,
    scope=Scope.unit,
    description=(
        "The commune's community COVID teams: the areas and households each watches and how "
        "to reach it (managed online by the commune)."
    ),
    fields=model_fields(CommunityTeam, {
        P.read_only: ("commune_code", "name", "areas", "households", "channel", "contact",
                      "active"),
    }),
)

COMMUNITY_TEAM_MEMBER = EntitySpec(
    name="community_team_member",
    model=CommunityTeamMember,
    kind=Kind.reference,
    scope=Scope.unit,
    description="The residents serving on the commune's community COVID teams.",
    fields=model_fields(CommunityTeamMember, {
        P.read_only: ("team_id", "full_name", "phone", "role"),
    }),
)

ORDER_ENTITIES = [DIRECTIVE, DIRECTIVE_REMINDER, INSPECTION, INSPECTION_CORRECTION,
                  COMMUNITY_TEAM, COMMUNITY_TEAM_MEMBER]
