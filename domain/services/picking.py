"""Which lots leave a shelf: the one picking rule of shipments and dispensing.

First expiring first among the lots still good on the day of the movement (domain/rules/
expiry.py); an expired lot is never picked, whatever its quantity. Lot-less stock (items not
tracked by lot) comes last, as one "lot". Online, a pick that cannot be filled from valid
stock is refused: 422 ``lot_expired`` naming the expired lots and their expiry when expired
stock is what is missing, else 409 ``insufficient_stock`` (as every online movement that
would take stock below zero). A pushed movement already happened: its shortfall is booked on the first valid
lot the location has held, where the ledger then goes below zero and opens a discrepancy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from domain.errors import ExpiredLot, InsufficientStock
from domain.models.supply import CatalogItem, StockLocation
from domain.repositories.catalog import CatalogRepository
from domain.repositories.stock import StockRepository
from domain.rules.expiry import is_expired


@dataclass(frozen=True, slots=True)
class Pick:
    """``quantity`` of one lot (None: lot-less stock) to take from the location."""

    lot_id: uuid.UUID | None
    quantity: int


async def pick_fefo(
    stock: StockRepository, location: StockLocation, item: CatalogItem, quantity: int, *,
    on: date, field: str, allow_short: bool = False,
) -> list[Pick]:
    """Lots to take ``quantity`` of ``item`` from, first expiring first among valid lots.

    ``allow_short`` (a pushed, already-done movement): what valid stock cannot cover goes on
    the first valid lot the location has held, else the catalog's; refused when there is none.
    """
    picked: list[Pick] = []
    left = quantity
    for lot_id, have in await stock.fefo_lots(location.id, item.id, valid_on=on):
        take = min(have, left)
        picked.append(Pick(lot_id, take))
        left -= take
        if left == 0:
            return picked
    if allow_short:
        lot_id = await _lot_to_go_short_on(stock, location, item, on)
        if lot_id is not None or not item.lot_tracked:
            rest = [p for p in picked if p.lot_id != lot_id]
            already = sum(p.quantity for p in picked if p.lot_id == lot_id)
            return [*rest, Pick(lot_id, already + left)]
    short = (f"only {quantity - left} {item.unit_of_issue} of {item.code} in unexpired stock "
             f"at {location.code}")
    expired = await stock.expired_lots(location.id, item.id, on=on)
    if expired:  # the stock is there but may not leave: say which lots and why
        lots = ", ".join(f"lot {no} ({qty}) expired on {day.isoformat()}"
                         for no, day, qty in expired)
        raise ExpiredLot(f"{short}; {lots}", field=field)
    raise InsufficientStock(short, field=field)


async def _lot_to_go_short_on(
    stock: StockRepository, location: StockLocation, item: CatalogItem, on: date
) -> uuid.UUID | None:
    """The first valid lot the location has held, else the first valid lot of the catalog
    (the station had none on its books, yet handed one out); None for lot-less items."""
    if not item.lot_tracked:
        return None
    known = await stock.fefo_lots(location.id, item.id, valid_on=on, in_stock=False)
    if known:
        return known[0][0]
    lots = await CatalogRepository(stock.session).lots(item.id)
    return next((lot.id for lot in lots if not is_expired(lot.expires_on, on)), None)
