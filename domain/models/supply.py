"""Supplies (issue 5), one module per aggregate: catalog, stock (locations and the ledger),
requisition (with shipments), loan (equipment). Re-exported here so one import registers
every supply table and older ``from domain.models.supply import ...`` lines keep working."""

from __future__ import annotations

from domain.models.catalog import CatalogItem, ItemCategory, ItemLot
from domain.models.dispensing import Dispensing, DispensingKind
from domain.models.loan import EquipmentLoan, EquipmentStatus, EquipmentUnit, LoanStatus
from domain.models.requisition import (
    Requisition,
    RequisitionEvent,
    RequisitionLine,
    RequisitionStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from domain.models.stock import (
    DiscrepancyCause,
    DiscrepancyOutcome,
    DiscrepancyStatus,
    LocationKind,
    MovementKind,
    StationCaseload,
    StationKeyIssues,
    StationKeyStock,
    StockBalance,
    StockDiscrepancy,
    StockLocation,
    StockMovement,
)

__all__ = [
    "CatalogItem",
    "DiscrepancyCause",
    "DiscrepancyOutcome",
    "DiscrepancyStatus",
    "Dispensing",
    "DispensingKind",
    "EquipmentLoan",
    "EquipmentStatus",
    "EquipmentUnit",
    "ItemCategory",
    "ItemLot",
    "LoanStatus",
    "LocationKind",
    "MovementKind",
    "Requisition",
    "RequisitionEvent",
    "RequisitionLine",
    "RequisitionStatus",
    "Shipment",
    "ShipmentLine",
    "ShipmentStatus",
    "StationCaseload",
    "StationKeyIssues",
    "StationKeyStock",
    "StockBalance",
    "StockDiscrepancy",
    "StockLocation",
    "StockMovement",
]
