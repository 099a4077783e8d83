"""Stock discrepancies: who explains them and who closes them.

Rules decided here ("the upper level inspects the lower"):
- A discrepancy opens when a recorded physical event took stock below zero (an offline issue,
  a dispensing) or a shipment arrived short (a loss in transit, opened at the location that
  shipped). Anyone in scope reads it.
- The keeper of the location explains it (a note, any number of times while it is open); it
  does not close it: a keeper closing their own gap with any text is what inspection is for.
- The level above the location closes it: district logistics for a station (or a household
  it lent to) of their district, the city coordinator for a district warehouse of the city,
  an administrator for anything in scope. Closing is one of: ``confirmed`` (the books stand),
  ``counted`` (a physical count, ``quantity`` = what is on the shelf, booked on the ledger of
  the item and lot), ``adjusted`` (a signed ``quantity`` booked as an adjustment), always with
  a reason. The count or adjustment is a movement of the location's ledger, recorded as by the
  inspector, and the discrepancy names it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from domain.models.enums import Role
from domain.models.supply import (
    DiscrepancyOutcome,
    DiscrepancyStatus,
    LocationKind,
    MovementKind,
    StockDiscrepancy,
    StockLocation,
)
from domain.repositories.catalog import CatalogRepository
from domain.repositories.stock import StockRepository
from domain.services.locations import LocationService, require_keeper
from domain.services.stock import Entry, StockLedger

K = LocationKind
# The role that inspects each kind of location: the level above it.
INSPECTORS: dict[LocationKind, Role] = {
    K.station: Role.district_logistics, K.household: Role.district_logistics,
    K.district_warehouse: Role.city_coordinator, K.city_warehouse: Role.administrator,
}


def require_inspector(principal: Principal, location: StockLocation) -> None:
    """404 out of scope; 403 unless the caller is the level above the location."""
    principal.require_read(location.scope_path, "discrepancy")
    if principal.role is Role.administrator:
        return
    above = principal.unit_path != location.scope_path
    if principal.role is not INSPECTORS[location.kind] or not above:
        raise Forbidden(
            f"a discrepancy at {location.code} is closed by the level above it "
            f"({INSPECTORS[location.kind].value}); its keeper may explain it",
            field="discrepancy_id",
        )


class DiscrepancyService:
    """Explaining and closing discrepancies as the principal, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = StockRepository(session)

    async def _open(self, discrepancy_id: uuid.UUID) -> tuple[StockDiscrepancy, StockLocation]:
        found = await self.repo.discrepancy(discrepancy_id)
        if found is None or not self.principal.can_read(found.scope_path):
            raise NotFound("discrepancy not found", field="discrepancy_id")
        location = await LocationService(self.session, self.principal).get(found.location_id)
        return found, location

    async def explain(self, discrepancy_id: uuid.UUID, explanation: str) -> StockDiscrepancy:
        """The keeper's account of what happened; the discrepancy stays open."""
        found, location = await self._open(discrepancy_id)
        require_keeper(self.principal, location)
        if found.status is DiscrepancyStatus.resolved:
            raise Conflict("the discrepancy is already closed", field="status")
        if not explanation.strip():
            raise ValidationFailed("say what happened", field="explanation")
        found.explanation = explanation.strip()
        found.explained_at, found.explained_by = datetime.now(UTC), self.principal.user_id
        await self.session.flush()
        return found

    async def resolve(
        self, discrepancy_id: uuid.UUID, *, outcome: DiscrepancyOutcome, resolution: str,
        quantity: int | None = None,
    ) -> StockDiscrepancy:
        """Close it as the level above: confirm, or book a count or an adjustment."""
        found, location = await self._open(discrepancy_id)
        require_inspector(self.principal, location)
        if found.status is DiscrepancyStatus.resolved:
            raise Conflict("the discrepancy is already closed", field="status")
        if not resolution.strip():
            raise ValidationFailed("say how it was reconciled", field="resolution")
        movement_id = None
        if outcome is DiscrepancyOutcome.confirmed:
            if quantity is not None:
                raise ValidationFailed("confirming books nothing: no quantity",
                                       field="quantity")
        else:
            movement_id = await self._book(found, location, outcome, resolution.strip(),
                                           quantity)
        found.status, found.outcome = DiscrepancyStatus.resolved, outcome
        found.resolution, found.resolution_movement_id = resolution.strip(), movement_id
        found.resolved_at, found.resolved_by = datetime.now(UTC), self.principal.user_id
        await self.session.flush()
        return found

    async def _book(
        self, found: StockDiscrepancy, location: StockLocation, outcome: DiscrepancyOutcome,
        reason: str, quantity: int | None,
    ) -> uuid.UUID:
        counted = outcome is DiscrepancyOutcome.counted
        if quantity is None or (counted and quantity < 0) or (not counted and quantity == 0):
            raise ValidationFailed(
                "a count gives what is on the shelf (>= 0)" if counted
                else "an adjustment changes stock by a non-zero amount", field="quantity")
        item = await CatalogRepository(self.session).item(found.item_id)
        if item is None:
            raise NotFound("catalog item not found", field="item_id")
        movement, _ = await StockLedger(self.session).append(
            Entry(id=uuid.uuid4(), location_id=location.id, item_id=item.id,
                  lot_id=found.lot_id,
                  kind=MovementKind.physical_count if counted else MovementKind.adjustment,
                  quantity=quantity, occurred_at=datetime.now(UTC), reason=reason),
            location=location, item=item, offline=False, actor_id=self.principal.user_id,
        )
        return movement.id
