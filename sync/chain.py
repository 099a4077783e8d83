"""Synced entities of the chain upward, where a commune acts offline: its situation report in
draft (notes last-writer-wins, submitted once), its readiness plan (every count
last-writer-wins), and the epidemic level set for it from above (pulled only).

Ids are derived (``report_id``, ``readiness_need_id``, ``readiness_resources_id``), so two
tablets of a ward writing the same day's report or the same level's plan offline write one row
and merge, instead of colliding on a unique key; a create with another id is refused.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.contract import READINESS_FIELDS, REPORT_FIELDS
from domain.models.readiness import RESOURCES, ReadinessNeed, ReadinessResources, UnitLevel
from domain.models.report import ReportStatus, SituationReport
from domain.services.readiness import ReadinessService
from domain.services.reports import ReportService
from sync.apply_records import RecordApplier, Values
from sync.registry import EntitySpec, Kind, Policy, Scope, model_fields

P = Policy

# -- situation reports -----------------------------------------------------------------------


async def _create_report(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, values: Values
) -> None:
    reports = ReportService(session, principal)
    await reports.open_draft(report_date=values["report_date"], notes=values.get("notes"),
                             rid=row_id)
    if values.get("status") is ReportStatus.submitted:
        await reports.submit(row_id)


async def _edit_report(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, changes: Values
) -> SituationReport:
    return await ReportService(session, principal).edit(row_id, changes)


async def _move_report(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, targets: Values
) -> None:
    await ReportService(session, principal).move_to(row_id, targets["status"])


SITUATION_REPORT = EntitySpec(
    name="situation_report",
    model=SituationReport,
    kind=Kind.record,
    scope=Scope.unit,
    description=(
        "The commune's daily situation reports. A device opens the day's draft (row_id = "
        "uuid5 of the report namespace, see PROTOCOL.md), edits its notes (last writer wins) "
        "and submits it (status draft -> submitted); once submitted the report is frozen and "
        "any later edit is refused. The figures are the server's (snapshotted at submit)."
    ),
    fields=model_fields(SituationReport, {
        P.create_only: ("report_date",),
        P.lww: ("notes",),
        P.state_machine: ("status",),
        P.read_only: ("unit_code", "figures", "submitted_at", "submitted_by"),
    }, required=("report_date",), contract=REPORT_FIELDS),
    applier=RecordApplier(create=_create_report, update=_edit_report,
                          transition=_move_report),
)

# -- readiness plans -------------------------------------------------------------------------


def _counts(values: Values) -> dict[str, int]:
    return {k: v for k, v in values.items() if k in RESOURCES}


async def _create_need(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, values: Values
) -> None:
    await ReadinessService(session, principal).set_need(
        principal.unit_code, values["level"], _counts(values), rid=row_id)


async def _edit_need(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, changes: Values
) -> ReadinessNeed:
    return await ReadinessService(session, principal).edit_need(row_id, _counts(changes))


async def _create_resources(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, values: Values
) -> None:
    await ReadinessService(session, principal).set_resources(
        principal.unit_code, _counts(values), rid=row_id)


async def _edit_resources(
    session: AsyncSession, principal: Principal, row_id: uuid.UUID, changes: Values
) -> ReadinessResources:
    return await ReadinessService(session, principal).edit_resources(row_id, _counts(changes))


READINESS_NEED = EntitySpec(
    name="readiness_need",
    model=ReadinessNeed,
    kind=Kind.record,
    scope=Scope.unit,
    description=(
        "The commune's response plan: what each epidemic level (1 low … 4 very high) needs. "
        "One row per level (row_id derived from commune and level); counts merge per field."
    ),
    fields=model_fields(ReadinessNeed, {
        P.create_only: ("level",),
        P.lww: RESOURCES,
        P.read_only: ("commune_code",),
    }, required=("level",), contract=READINESS_FIELDS),
    applier=RecordApplier(create=_create_need, update=_edit_need),
)

READINESS_RESOURCES = EntitySpec(
    name="readiness_resources",
    model=ReadinessResources,
    kind=Kind.record,
    scope=Scope.unit,
    description=(
        "What the commune has ready (staff, stations, beds at home, oxygen, teams): one row "
        "(row_id derived from the commune); counts merge per field."
    ),
    fields=model_fields(ReadinessResources, {
        P.lww: RESOURCES,
        P.read_only: ("commune_code",),
    }, contract=READINESS_FIELDS),
    applier=RecordApplier(create=_create_resources, update=_edit_resources),
)

UNIT_EPIDEMIC_LEVEL = EntitySpec(
    name="unit_epidemic_level",
    model=UnitLevel,
    kind=Kind.reference,
    scope=Scope.unit,
    description="The commune's current epidemic level, set online by its district.",
    fields=model_fields(UnitLevel, {
        P.read_only: ("unit_code", "level", "note", "set_by", "set_at"),
    }),
)

CHAIN_ENTITIES = [SITUATION_REPORT, READINESS_NEED, READINESS_RESOURCES, UNIT_EPIDEMIC_LEVEL]
