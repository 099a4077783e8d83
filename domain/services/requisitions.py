"""Requisitions up the hierarchy: a station asks, its district approves (fully or partly),
rejects or forwards to the city, the supplying warehouse ships, and the station confirms
what it accepted, rejected and found lost in transit (proof of delivery). Every step is
kept in requisition_event.

Roles come from domain/rules/requisition_status.py; scope is checked here: the requisition
must be visible to the caller (404 otherwise), a shipment leaves only from a warehouse the
caller keeps, and only the keeper of the requesting station cancels or receives (403).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.models.supply import (
    LocationKind,
    Requisition,
    RequisitionEvent,
    RequisitionLine,
    RequisitionStatus,
    Shipment,
    ShipmentLine,
)
from domain.repositories.catalog import CatalogRepository
from domain.repositories.requisitions import ExportRow, RequisitionRepository
from domain.rules.requisition_status import REQUISITION_STATUS
from domain.services.locations import LocationService, require_keeper
from domain.services.shipping import Shipping, item_quantities, parse_count

S = RequisitionStatus
# Payload keys each target accepts (the sync push passes them through as they came).
PAYLOAD_KEYS: dict[RequisitionStatus, frozenset[str]] = {
    S.approved: frozenset({"lines", "note"}),
    S.rejected: frozenset({"note"}),
    S.forwarded: frozenset({"note"}),
    S.cancelled: frozenset({"note"}),
    S.shipped: frozenset({"lines", "carrier", "note"}),
    S.received: frozenset({"lines", "note"}),
}


@dataclass(frozen=True, slots=True)
class RequisitionDetail:
    requisition: Requisition
    lines: Sequence[RequisitionLine]
    events: Sequence[RequisitionEvent]
    shipment: Shipment | None
    shipment_lines: Sequence[ShipmentLine]


def requisition_code(requisition_id: uuid.UUID) -> str:
    return f"RQ-{requisition_id.hex[:10].upper()}"


class RequisitionService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = RequisitionRepository(session)
        self.locations = LocationService(session, principal)

    async def get(self, requisition_id: uuid.UUID, *, lock: bool = False) -> Requisition:
        req = await self.repo.get(requisition_id, lock=lock)
        if req is None or req.deleted or not self.principal.can_read(req.scope_path):
            raise NotFound("requisition not found", field="requisition_id")
        return req

    async def detail(self, requisition_id: uuid.UUID) -> RequisitionDetail:
        req = await self.get(requisition_id)
        shipment = await self.repo.shipment(req.id)
        return RequisitionDetail(
            requisition=req, lines=await self.repo.lines(req.id),
            events=await self.repo.events(req.id), shipment=shipment,
            shipment_lines=await self.repo.shipment_lines(shipment.id) if shipment else [],
        )

    async def search(
        self, *, status: RequisitionStatus | None, location_id: uuid.UUID | None,
        limit: int, offset: int,
    ) -> tuple[Sequence[Requisition], int]:
        return await self.repo.search(scope_path=self.principal.unit_path, status=status,
                                    location_id=location_id, limit=limit, offset=offset)

    async def export(self, status: RequisitionStatus | None) -> list[ExportRow]:
        return await self.repo.export(scope_path=self.principal.unit_path, status=status)

    async def create(
        self, *, location_id: uuid.UUID, justification: str, f0_under_care: int,
        days_of_cover: int, lines: Any, requisition_id: uuid.UUID | None = None,
    ) -> tuple[Requisition, bool]:
        """Submit a station's request; the same id again returns it (created=False)."""
        location = await self.locations.get(location_id)
        require_keeper(self.principal, location)
        if location.kind is not LocationKind.station:
            raise ValidationFailed("requisitions are made for a station", field="location_id")
        if requisition_id is not None and (old := await self.repo.get(requisition_id)):
            if old.location_id != location_id or old.requested_by != self.principal.user_id:
                raise Conflict(f"requisition {requisition_id} already exists", field="id")
            return old, False
        if not justification.strip():
            raise ValidationFailed("say why the supplies are needed", field="justification")
        parse_count(f0_under_care, "f0_under_care")
        if parse_count(days_of_cover, "days_of_cover", minimum=1) > 90:
            raise ValidationFailed("at most 90 days of cover", field="days_of_cover")
        quantities = item_quantities(lines, minimum=1)
        if not quantities:
            raise ValidationFailed("ask for at least one item", field="lines")
        catalog = CatalogRepository(self.session)
        for i, item_id in enumerate(quantities):
            if await catalog.item(item_id) is None:
                raise NotFound("catalog item not found", field=f"lines[{i}].item_id")
        rid = requisition_id or uuid.uuid4()
        scope = location.scope_path
        req = Requisition(
            id=rid, code=requisition_code(rid), location_id=location_id,
            status=S.submitted, justification=justification.strip(),
            f0_under_care=f0_under_care, days_of_cover=days_of_cover,
            requested_by=self.principal.user_id, scope_path=scope,
        )
        await self.repo.add(req)
        await self.repo.add(
            *(RequisitionLine(requisition_id=rid, item_id=item_id, requested_qty=qty,
                              scope_path=scope) for item_id, qty in quantities.items()),
            RequisitionEvent(requisition_id=rid, from_status=None, to_status=S.submitted,
                             actor_id=self.principal.user_id, scope_path=scope,
                             detail={"requested": {str(k): v for k, v in quantities.items()}}),
        )
        return req, True

    async def transition_to(
        self, requisition_id: uuid.UUID, target: RequisitionStatus, **payload: Any
    ) -> Requisition:
        """Move a requisition to ``target`` if the caller's role and scope allow it.

        Payload by target: approved ``lines=[{item_id, quantity}]`` (omit to approve all) and
        ``note``; rejected ``note`` (required); forwarded/cancelled ``note``; shipped
        ``lines=[{item_id, quantity}]`` (omit to ship all approved), ``carrier``; received
        ``lines=[{line_id, accepted_quantity, rejected_quantity, reason, rejected_serials}]``
        (omit to accept everything) and ``note``.
        """
        try:
            status = RequisitionStatus(target)
        except ValueError:
            raise ValidationFailed(f"unknown requisition status {target!r}",
                                   field="status") from None
        return await self.transition(requisition_id, status, payload)

    async def transition(
        self, requisition_id: uuid.UUID, target: RequisitionStatus, payload: Mapping[str, Any]
    ) -> Requisition:
        req = await self.get(requisition_id, lock=True)
        REQUISITION_STATUS.check(req.status, target, self.principal.role)
        unknown = sorted(set(payload) - PAYLOAD_KEYS[target])
        if unknown:
            raise ValidationFailed(f"{target.value} does not take {unknown[0]}", field=unknown[0])
        note = payload.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > 255):
            raise ValidationFailed("a note is text of at most 255 characters", field="note")
        detail: dict[str, Any] = {}
        if target is S.approved:
            detail = await self._approve(req, payload.get("lines"))
        elif target is S.rejected and not (note or "").strip():
            raise ValidationFailed("a rejection needs a reason", field="note")
        elif target in (S.shipped, S.received):
            detail = await self._ship_or_receive(req, target, payload)
        elif target is S.cancelled:
            require_keeper(self.principal, await self.locations.get(req.location_id))
        if target in (S.approved, S.rejected, S.forwarded):
            req.decision_note = note
        await self.repo.add(RequisitionEvent(
            requisition_id=req.id, from_status=req.status, to_status=target,
            actor_id=self.principal.user_id, note=note, detail=detail,
            scope_path=req.scope_path,
        ))
        req.status = target
        req.status_changed_at = datetime.now(UTC)
        await self.session.flush()
        return req

    async def _approve(self, req: Requisition, lines: Any) -> dict[str, Any]:
        """Approve fully (no lines) or partly; the approver's warehouse will supply."""
        supplier = await self.locations.repo.warehouse_of_unit(self.principal.unit_code)
        if supplier is None:
            raise ValidationFailed(f"{self.principal.unit_code} has no warehouse to supply from",
                                   field="supplier")
        req_lines = await self.repo.lines(req.id)
        requested = {line.item_id: line.requested_qty for line in req_lines}
        approved = requested if lines is None else item_quantities(lines, minimum=0)
        for i, (item_id, qty) in enumerate(approved.items()):
            if item_id not in requested:
                raise ValidationFailed("not an item of this requisition",
                                       field=f"lines[{i}].item_id")
            if qty > requested[item_id]:
                raise ValidationFailed(f"at most the {requested[item_id]} requested",
                                       field=f"lines[{i}].quantity")
        if sum(approved.values()) == 0:
            raise ValidationFailed("approve at least one unit, or reject", field="lines")
        for line in req_lines:
            line.approved_qty = approved.get(line.item_id, 0)
        req.supplier_location_id = supplier.id
        return {
            "supplier": supplier.code,
            "partial": any(approved.get(k, 0) < v for k, v in requested.items()),
            "approved": {str(k): v for k, v in approved.items()},
        }

    async def _ship_or_receive(
        self, req: Requisition, target: RequisitionStatus, payload: Mapping[str, Any]
    ) -> dict[str, Any]:
        shipping = Shipping(self.session, self.principal)
        to_loc = await self.locations.get(req.location_id)
        if target is S.received:
            require_keeper(self.principal, to_loc)
            return await shipping.receive(req, to_loc, payload.get("lines"), payload.get("note"))
        if req.supplier_location_id is None:
            raise ValidationFailed("the requisition has no supplier", field="supplier")
        supplier = await self.locations.repo.get(req.supplier_location_id)
        if supplier is None:
            raise NotFound("supplying warehouse not found", field="supplier")
        require_keeper(self.principal, supplier)
        return await shipping.ship(req, supplier, to_loc, payload.get("lines"),
                                   payload.get("carrier"))
