"""Route handlers of the supplies area, registered by api/app.py."""

from __future__ import annotations

from typing import Any

from api.controllers.catalog import CatalogController
from api.controllers.dispensing import DispensingController
from api.controllers.loans import EquipmentController, LoanController
from api.controllers.locations import LocationController
from api.controllers.requisitions import RequisitionController
from api.controllers.stock import DiscrepancyController, MovementController, StockController

HANDLERS: list[Any] = [
    CatalogController,
    LocationController,
    StockController,
    MovementController,
    DiscrepancyController,
    RequisitionController,
    LoanController,
    EquipmentController,
    DispensingController,
]
