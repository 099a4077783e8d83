"""SQL for requisitions, their lines and history, and the shipments that fill them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.models.supply import (
    CatalogItem,
    Requisition,
    RequisitionEvent,
    RequisitionLine,
    RequisitionStatus,
    Shipment,
    ShipmentLine,
    StockLocation,
)
from domain.repositories.scope import in_scope


@dataclass(frozen=True, slots=True)
class ExportRow:
    code: str
    status: RequisitionStatus
    location_code: str
    location_name: str
    supplier_code: str | None
    submitted_at: datetime
    status_changed_at: datetime
    f0_under_care: int
    days_of_cover: int
    item_code: str
    requested_qty: int
    approved_qty: int | None
    shipped_qty: int
    accepted_qty: int | None
    rejected_qty: int | None


class RequisitionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, requisition_id: uuid.UUID, *, lock: bool = False) -> Requisition | None:
        """``lock`` serialises transitions: two approvals of one requisition cannot both win."""
        return await self.session.get(
            Requisition, requisition_id, with_for_update=lock or None, populate_existing=True
        )

    async def lines(self, requisition_id: uuid.UUID) -> Sequence[RequisitionLine]:
        stmt = (
            select(RequisitionLine)
            .join(CatalogItem, CatalogItem.id == RequisitionLine.item_id)
            .where(RequisitionLine.requisition_id == requisition_id)
            .order_by(CatalogItem.code)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).all()

    async def events(self, requisition_id: uuid.UUID) -> Sequence[RequisitionEvent]:
        stmt = (
            select(RequisitionEvent)
            .where(RequisitionEvent.requisition_id == requisition_id)
            .order_by(RequisitionEvent.at, RequisitionEvent.sync_version)
        )
        return (await self.session.scalars(stmt)).all()

    async def shipment(self, requisition_id: uuid.UUID) -> Shipment | None:
        return await self.session.scalar(
            select(Shipment).where(Shipment.requisition_id == requisition_id)
            .execution_options(populate_existing=True)
        )

    async def shipment_lines(self, shipment_id: uuid.UUID) -> Sequence[ShipmentLine]:
        stmt = (
            select(ShipmentLine).where(ShipmentLine.shipment_id == shipment_id)
            .order_by(ShipmentLine.item_id, ShipmentLine.lot_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).all()

    async def add(self, *rows: object) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def search(
        self, *, scope_path: str, status: RequisitionStatus | None,
        location_id: uuid.UUID | None, limit: int, offset: int,
    ) -> tuple[Sequence[Requisition], int]:
        conds = [in_scope(Requisition.scope_path, scope_path), Requisition.deleted.is_(False)]
        if status is not None:
            conds.append(Requisition.status == status)
        if location_id is not None:
            conds.append(Requisition.location_id == location_id)
        total = await self.session.scalar(select(func.count()).where(*conds))
        rows = await self.session.scalars(
            select(Requisition).where(*conds)
            .order_by(Requisition.submitted_at.desc(), Requisition.code)
            .limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)

    async def export(
        self, *, scope_path: str, status: RequisitionStatus | None
    ) -> list[ExportRow]:
        """One row per requisition line, for the CSV export."""
        req, line, item = Requisition, RequisitionLine, CatalogItem
        loc, sup = StockLocation, aliased(StockLocation)
        stmt = (
            select(req.code, req.status, loc.code, loc.name, sup.code, req.submitted_at,
                   req.status_changed_at, req.f0_under_care, req.days_of_cover, item.code,
                   line.requested_qty, line.approved_qty, line.shipped_qty, line.accepted_qty,
                   line.rejected_qty)
            .select_from(req)
            .join(line, line.requisition_id == req.id)
            .join(item, item.id == line.item_id)
            .join(loc, loc.id == req.location_id)
            .outerjoin(sup, sup.id == req.supplier_location_id)
            .where(in_scope(req.scope_path, scope_path), req.deleted.is_(False))
            .order_by(req.submitted_at, req.code, item.code)
        )
        if status is not None:
            stmt = stmt.where(req.status == status)
        return [ExportRow(*tuple(r)) for r in await self.session.execute(stmt)]
