"""Serial-numbered equipment and its loans to F0 households, overdue ones first."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody

from api.paging import Paging
from api.schemas.loans import EquipmentPage, EquipmentUnit, Loan, LoanCreate, LoanPage, LoanReturn
from api.services import service_dependency
from domain.models.dispensing import DispensingKind
from domain.models.supply import EquipmentStatus, LoanStatus
from domain.services.dispensing import DispensingService
from domain.services.loans import LoanService


class LoanController(Controller):
    path = "/api/loans"
    tags = ["Supplies: equipment loans"]
    security = [{"BearerToken": []}]
    dependencies = {"loans": service_dependency(LoanService),
                    "dispensing": service_dependency(DispensingService)}

    @get("/", operation_id="list_loans", summary="Loans in scope, earliest due first",
         description="`overdue=true` keeps open loans past their due date.")
    async def list_loans(
        self, loans: NamedDependency[LoanService],
        paging: NamedDependency[Paging],
        status: FromQuery[LoanStatus | None] = None, overdue: FromQuery[bool] = False,
        case_id: FromQuery[uuid.UUID | None] = None,
    ) -> LoanPage:
        rows, total = await loans.search(
            status=status, overdue=overdue, case_id=case_id, limit=paging.limit, offset=paging.offset
        )
        return paging.page([Loan.of(loan, serial) for loan, serial in rows], total)

    @get("/{loan_id:uuid}", operation_id="get_loan", summary="One loan")
    async def get_loan(
        self, loans: NamedDependency[LoanService],
        loan_id: Annotated[uuid.UUID, PathParameter()],
    ) -> Loan:
        loan = await loans.get(loan_id)
        return Loan.of(loan, await loans.serial_of(loan))

    @post("/", operation_id="create_loan",
          summary="Lend a device from the station's shelf to an F0 household",
          description="The loan is also a dispensing of the case (`GET /api/dispensings`), "
                      "as a loan a tablet pushes or `POST /api/dispensings` with kind `loan` "
                      "is: the same `id` is the loan's and the dispensing's. The same `id` "
                      "again returns the loan (200; its note stays the first one); with "
                      "another device, case or due date it is a 409.")
    async def create_loan(
        self, loans: NamedDependency[LoanService],
        dispensing: NamedDependency[DispensingService],
        data: RequestBody[LoanCreate],
    ) -> Response[Loan]:
        row, created = await dispensing.dispense(
            dispensing_id=data.id or uuid.uuid4(), case_id=data.case_id,
            kind=DispensingKind.loan, serial_no=data.serial_no, due_on=data.due_on,
            note=data.note,
        )
        loan = await loans.get(row.id)  # a loan and its dispensing share their id
        serial = await loans.serial_of(loan)
        return Response(Loan.of(loan, serial), status_code=201 if created else 200)

    @post("/{loan_id:uuid}/return", operation_id="return_loan", status_code=200,
          summary="Close a loan: returned in good order, damaged, or lost")
    async def return_loan(
        self, loans: NamedDependency[LoanService],
        loan_id: Annotated[uuid.UUID, PathParameter()], data: RequestBody[LoanReturn],
    ) -> Loan:
        loan = await loans.give_back(loan_id, condition=data.condition, note=data.note)
        return Loan.of(loan, await loans.serial_of(loan))


class EquipmentController(Controller):
    path = "/api/equipment"
    tags = ["Supplies: equipment loans"]
    security = [{"BearerToken": []}]
    dependencies = {"loans": service_dependency(LoanService)}

    @get("/", operation_id="list_equipment", summary="Serial-numbered devices in scope")
    async def list_equipment(
        self, loans: NamedDependency[LoanService],
        paging: NamedDependency[Paging],
        location_id: FromQuery[uuid.UUID | None] = None,
        item_id: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[EquipmentStatus | None] = None,
    ) -> EquipmentPage:
        rows, total = await loans.units(
            location_id=location_id, item_id=item_id, status=status, limit=paging.limit, offset=paging.offset
        )
        return paging.page([EquipmentUnit.of(u) for u in rows], total)
