"""Inspections: an upper level records its inspection of a commune and what follows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, RequestBody

from api.paging import Paging
from api.schemas.common import CommuneCode, DistrictCode, UnitCode
from api.schemas.inspections import (
    Inspection,
    InspectionCreate,
    InspectionDetail,
    InspectionPage,
    MeritCreate,
)
from api.services import service_dependency
from domain.services.inspections import InspectionService

InspectionId = Annotated[uuid.UUID, PathParameter()]


class InspectionController(Controller):
    path = "/api/inspections"
    tags = ["Inspections"]
    security = [{"BearerToken": []}]
    dependencies = {"inspections": service_dependency(InspectionService)}

    @get("/", operation_id="list_inspections",
         summary="Inspections of the communes in the caller's scope, newest first")
    async def list_inspections(
        self, inspections: NamedDependency[InspectionService], paging: NamedDependency[Paging],
        district: DistrictCode = None, commune: CommuneCode = None, inspector: UnitCode = None,
    ) -> InspectionPage:
        rows, total = await inspections.search(district=district, commune=commune,
                                               inspector=inspector, limit=paging.limit,
                                               offset=paging.offset)
        return paging.page([Inspection.of(i) for i in rows], total)

    @get("/{inspection_id:uuid}", operation_id="get_inspection",
         summary="One inspection with its corrections, adjustments, commendations, discipline")
    async def get_inspection(
        self, inspections: NamedDependency[InspectionService], inspection_id: InspectionId,
    ) -> InspectionDetail:
        return InspectionDetail.of_detail(await inspections.detail(inspection_id),
                                          datetime.now(UTC))

    @post("/", operation_id="record_inspection",
          summary="Record an inspection of a commune below the caller's unit")
    async def record_inspection(
        self, inspections: NamedDependency[InspectionService],
        data: RequestBody[InspectionCreate],
    ) -> InspectionDetail:
        view = await inspections.record(
            unit_code=data.unit_code, findings=data.findings,
            checklist=msgspec.structs.asdict(data.checklist), inspected_at=data.inspected_at,
            corrections=[msgspec.structs.asdict(c) for c in data.corrections],
            adjustments=[{**msgspec.structs.asdict(a),
                          "lines": [msgspec.structs.asdict(x) for x in a.lines]}
                         for a in data.adjustments],
            merits=[msgspec.structs.asdict(m) for m in data.merits],
        )
        return InspectionDetail.of_detail(view, datetime.now(UTC))

    @post("/{inspection_id:uuid}/merits", operation_id="add_inspection_merit",
          summary="Add a commendation or a disciplinary note following the inspection")
    async def add_inspection_merit(
        self, inspections: NamedDependency[InspectionService], inspection_id: InspectionId,
        data: RequestBody[MeritCreate],
    ) -> InspectionDetail:
        view = await inspections.add_merit(inspection_id, msgspec.structs.asdict(data))
        return InspectionDetail.of_detail(view, datetime.now(UTC))
