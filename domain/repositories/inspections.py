"""SQL for inspections and what they led to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.community_team import CommunityTeam
from domain.models.device import Device
from domain.models.directive import DirectiveRecipient
from domain.models.enums import StationStatus
from domain.models.inspection import (
    Inspection,
    InspectionAdjustment,
    InspectionCorrection,
    InspectionMerit,
)
from domain.models.station import Station
from domain.models.supply import Requisition
from domain.repositories.scope import in_scope


@dataclass(frozen=True, slots=True)
class Observed:
    """What the system knows of a commune now, beside what the inspector ticked."""

    community_teams_active: int
    stations: int
    stations_active: int
    devices_synced_24h: int


class InspectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *rows: object) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def get(self, inspection_id: uuid.UUID) -> Inspection | None:
        stmt = select(Inspection).where(Inspection.id == inspection_id,
                                        Inspection.deleted.is_(False))
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def page(
        self, *, units: Sequence[str], inspector_unit_code: str | None, limit: int, offset: int
    ) -> tuple[list[Inspection], int]:
        conds: list[ColumnElement[bool]] = [
            Inspection.deleted.is_(False), *(in_scope(Inspection.scope_path, p) for p in units)]
        if inspector_unit_code is not None:
            conds.append(Inspection.inspector_unit_code == inspector_unit_code)
        stmt = (select(Inspection).where(*conds)
                .order_by(Inspection.inspected_at.desc(), Inspection.id)
                .limit(limit).offset(offset))
        rows = list(await self.session.scalars(stmt))
        total = await self.session.scalar(
            select(func.count()).select_from(Inspection).where(*conds))
        return rows, int(total or 0)

    async def corrections(self, inspection_id: uuid.UUID) -> list[DirectiveRecipient]:
        """The commune's copies of the directives carrying the inspection's corrections."""
        stmt = (select(DirectiveRecipient)
                .join(InspectionCorrection,
                      InspectionCorrection.recipient_id == DirectiveRecipient.id)
                .where(InspectionCorrection.inspection_id == inspection_id)
                .order_by(DirectiveRecipient.due_at, DirectiveRecipient.id)
                .execution_options(populate_existing=True))
        return list(await self.session.scalars(stmt))

    async def adjustments(
        self, inspection_id: uuid.UUID
    ) -> list[tuple[InspectionAdjustment, Requisition]]:
        stmt = (select(InspectionAdjustment, Requisition)
                .join(Requisition, Requisition.id == InspectionAdjustment.requisition_id)
                .where(InspectionAdjustment.inspection_id == inspection_id)
                .order_by(InspectionAdjustment.created_at, InspectionAdjustment.id)
                .execution_options(populate_existing=True))
        return [(a, r) for a, r in (await self.session.execute(stmt)).all()]

    async def merits(self, inspection_id: uuid.UUID) -> list[InspectionMerit]:
        stmt = (select(InspectionMerit).where(InspectionMerit.inspection_id == inspection_id,
                                              InspectionMerit.deleted.is_(False))
                .order_by(InspectionMerit.decided_at, InspectionMerit.id))
        return list(await self.session.scalars(stmt))

    async def observed(self, commune_path: str, now: datetime) -> Observed:
        """Active community teams, stations (and active ones), and tablets of the commune's
        stations that synced in the last 24 hours (not revoked)."""
        teams = select(func.count()).select_from(CommunityTeam).where(
            CommunityTeam.scope_path == commune_path, CommunityTeam.active.is_(True),
            CommunityTeam.deleted.is_(False)).scalar_subquery()
        stations = select(func.count()).select_from(Station).where(
            Station.scope_path == commune_path, Station.deleted.is_(False)).scalar_subquery()
        active = select(func.count()).select_from(Station).where(
            Station.scope_path == commune_path, Station.deleted.is_(False),
            Station.status == StationStatus.active).scalar_subquery()
        devices = (select(func.count()).select_from(Device)
                   .join(Station, Station.id == Device.station_id)
                   .where(Station.scope_path == commune_path, Device.revoked_at.is_(None),
                          Device.last_seen_at > now - timedelta(hours=24))
                   .scalar_subquery())
        row = (await self.session.execute(select(teams, stations, active, devices))).one()
        return Observed(*(int(n or 0) for n in row))
