"""Dispensing: a medicine bag given or a device lent, and the stock it took, in one action."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody

from api.paging import Paging
from api.schemas.dispensing import Dispensing, DispensingCreate, DispensingPage
from api.services import service_dependency
from domain.services.dispensing import DispensingService


class DispensingController(Controller):
    path = "/api/dispensings"
    tags = ["Supplies: dispensing"]
    security = [{"BearerToken": []}]
    dependencies = {"dispensing": service_dependency(DispensingService)}

    @get("/", operation_id="list_dispensings", summary="Bags given and devices lent, newest first")
    async def list_dispensings(
        self, dispensing: NamedDependency[DispensingService],
        paging: NamedDependency[Paging],
        case_id: FromQuery[uuid.UUID | None] = None,
    ) -> DispensingPage:
        rows, total = await dispensing.search(case_id=case_id, limit=paging.limit,
                                              offset=paging.offset)
        return paging.page([Dispensing.of(r) for r in rows], total)

    @get("/{dispensing_id:uuid}", operation_id="get_dispensing", summary="One dispensing")
    async def get_dispensing(
        self, dispensing: NamedDependency[DispensingService],
        dispensing_id: Annotated[uuid.UUID, PathParameter()],
    ) -> Dispensing:
        return Dispensing.of(await dispensing.get(dispensing_id))

    @post("/", operation_id="create_dispensing",
          summary="Give a medicine bag or lend a device: the case record and the stock issue",
          description="A bag (`bag_a`, `bag_b`, `bag_c`) is recorded on the case by the case's "
                      "rules and issued from the station's stock: the `lot_id` named (422 "
                      "`lot_expired` when past its expiry) or the first expiring valid lot. "
                      "Refused with 409 `insufficient_stock` when the station has none (422 "
                      "`lot_expired` when all it has expired), and nothing is written. A `loan` lends the device `serial_no` until "
                      "`due_on`. The same `id` again returns the dispensing (200); with other "
                      "content it is a 409.")
    async def create_dispensing(
        self, dispensing: NamedDependency[DispensingService],
        data: RequestBody[DispensingCreate],
    ) -> Response[Dispensing]:
        row, created = await dispensing.dispense(
            dispensing_id=data.id, case_id=data.case_id, kind=data.kind, given_at=data.given_at,
            lot_id=data.lot_id, serial_no=data.serial_no, due_on=data.due_on,
        )
        return Response(Dispensing.of(row), status_code=201 if created else 200)
