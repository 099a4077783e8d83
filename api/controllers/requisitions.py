"""Requisitions: a station asks, its district (or the city) decides, a warehouse ships, the
station confirms delivery. Each action is a POST on the requisition; its history is kept."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody

from api.csv_export import csv_response
from api.paging import Paging
from api.schemas.requisitions import (
    Requisition,
    RequisitionApprove,
    RequisitionCreate,
    RequisitionDecision,
    RequisitionDetail,
    RequisitionPage,
    RequisitionReceive,
    RequisitionShip,
)
from api.services import service_dependency
from domain.models.supply import RequisitionStatus
from domain.services.requisitions import RequisitionService

S = RequisitionStatus
RequisitionId = Annotated[uuid.UUID, PathParameter()]


def _payload(data: msgspec.Struct) -> dict[str, Any]:
    """Body fields for the service, lines as plain mappings; absent optionals left out."""
    out: dict[str, Any] = {}
    for name in data.__struct_fields__:
        value = getattr(data, name)
        if value is None:
            continue
        if name == "lines":
            value = [msgspec.structs.asdict(line) for line in value]
        out[name] = value
    return out


async def _move(
    requisitions: RequisitionService, requisition_id: uuid.UUID, target: RequisitionStatus,
    data: msgspec.Struct,
) -> RequisitionDetail:
    await requisitions.transition(requisition_id, target, _payload(data))
    return RequisitionDetail.of_detail(await requisitions.detail(requisition_id))


class RequisitionController(Controller):
    path = "/api/requisitions"
    tags = ["Supplies: requisitions"]
    security = [{"BearerToken": []}]
    dependencies = {"requisitions": service_dependency(RequisitionService)}

    @get("/", operation_id="list_requisitions",
         summary="Requisitions in the caller's scope, newest first")
    async def list_requisitions(
        self, requisitions: NamedDependency[RequisitionService],
        paging: NamedDependency[Paging],
        status: FromQuery[RequisitionStatus | None] = None,
        location_id: FromQuery[uuid.UUID | None] = None,
    ) -> RequisitionPage:
        rows, total = await requisitions.search(
            status=status, location_id=location_id, limit=paging.limit, offset=paging.offset
        )
        return paging.page([Requisition.of(r) for r in rows], total)

    @get("/export", operation_id="export_requisitions",
         summary="Requisitions as CSV, one row per line", media_type="text/csv")
    async def export_requisitions(
        self, requisitions: NamedDependency[RequisitionService],
        status: FromQuery[RequisitionStatus | None] = None,
    ) -> Response[str]:
        rows = await requisitions.export(status)
        header = ["code", "status", "location_code", "location_name", "supplier_code",
                  "submitted_at", "status_changed_at", "f0_under_care", "days_of_cover",
                  "item_code", "requested_qty", "approved_qty", "shipped_qty", "accepted_qty",
                  "rejected_qty"]
        return csv_response(
            "requisitions.csv", header,
            ([getattr(r, f).isoformat() if f.endswith("_at") else getattr(r, f) for f in header]
             for r in rows),
        )

    @get("/{requisition_id:uuid}", operation_id="get_requisition",
         summary="One requisition with its lines, history and shipment")
    async def get_requisition(
        self, requisitions: NamedDependency[RequisitionService],
        requisition_id: RequisitionId,
    ) -> RequisitionDetail:
        detail = await requisitions.detail(requisition_id)
        return RequisitionDetail.of_detail(detail)

    @post("/", operation_id="create_requisition", summary="Submit a station's requisition")
    async def create_requisition(
        self, requisitions: NamedDependency[RequisitionService],
        data: RequestBody[RequisitionCreate],
    ) -> Response[RequisitionDetail]:
        req, created = await requisitions.create(
            requisition_id=data.id, location_id=data.location_id,
            justification=data.justification, f0_under_care=data.f0_under_care,
            days_of_cover=data.days_of_cover,
            lines=[msgspec.structs.asdict(line) for line in data.lines],
        )
        detail = RequisitionDetail.of_detail(await requisitions.detail(req.id))
        return Response(detail, status_code=201 if created else 200)

    @post("/{requisition_id:uuid}/approve", operation_id="approve_requisition", status_code=200,
          summary="Approve fully or partly (district logistics; the city when forwarded)")
    async def approve_requisition(
        self, requisitions: NamedDependency[RequisitionService], requisition_id: RequisitionId, data: RequestBody[RequisitionApprove],
    ) -> RequisitionDetail:
        return await _move(requisitions, requisition_id, S.approved, data)

    @post("/{requisition_id:uuid}/reject", operation_id="reject_requisition", status_code=200,
          summary="Reject, with a reason")
    async def reject_requisition(
        self, requisitions: NamedDependency[RequisitionService], requisition_id: RequisitionId, data: RequestBody[RequisitionDecision],
    ) -> RequisitionDetail:
        return await _move(requisitions, requisition_id, S.rejected, data)

    @post("/{requisition_id:uuid}/forward", operation_id="forward_requisition", status_code=200,
          summary="Send up to the city (district logistics)")
    async def forward_requisition(
        self, requisitions: NamedDependency[RequisitionService], requisition_id: RequisitionId, data: RequestBody[RequisitionDecision],
    ) -> RequisitionDetail:
        return await _move(requisitions, requisition_id, S.forwarded, data)

    @post("/{requisition_id:uuid}/cancel", operation_id="cancel_requisition", status_code=200,
          summary="Withdraw a submitted requisition (the requesting station)")
    async def cancel_requisition(
        self, requisitions: NamedDependency[RequisitionService], requisition_id: RequisitionId, data: RequestBody[RequisitionDecision],
    ) -> RequisitionDetail:
        return await _move(requisitions, requisition_id, S.cancelled, data)

    @post("/{requisition_id:uuid}/ship", operation_id="ship_requisition", status_code=200,
          summary="Ship from the supplying warehouse (its keeper)")
    async def ship_requisition(
        self, requisitions: NamedDependency[RequisitionService], requisition_id: RequisitionId, data: RequestBody[RequisitionShip],
    ) -> RequisitionDetail:
        return await _move(requisitions, requisition_id, S.shipped, data)

    @post("/{requisition_id:uuid}/receive", operation_id="receive_requisition", status_code=200,
          summary="Confirm delivery: accepted, rejected (back to the sender) and lost in transit "
                  "quantities (proof of delivery)")
    async def receive_requisition(
        self, requisitions: NamedDependency[RequisitionService], requisition_id: RequisitionId, data: RequestBody[RequisitionReceive],
    ) -> RequisitionDetail:
        return await _move(requisitions, requisition_id, S.received, data)
