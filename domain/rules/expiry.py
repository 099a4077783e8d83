"""When a lot may leave a shelf: an expired lot is never issued, dispensed or shipped, and a
lot close to its expiry is flagged on the stock views so it is used (or moved) first.

A lot is good through its expiry date and expired from the next day on; the day is the UTC
date of the movement's ``occurred_at`` (an offline issue is judged on the day it happened,
not the day it synced). Writing it off (an ``expiry`` movement), counting it or adjusting it
stays possible: those record what is on the shelf, they do not hand it out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.errors import ExpiredLot
from domain.models.catalog import ItemLot
from domain.models.stock import MovementKind

# Lots expiring within this many days are "near expiry" on the stock views.
NEAR_EXPIRY_DAYS = 30
# Movements that hand stock out of a location: refused for an expired lot.
OUTGOING = frozenset({MovementKind.issue, MovementKind.transfer_out})


def day_of(at: datetime | date) -> date:
    """The calendar day (UTC) a movement happened on."""
    return at.astimezone(UTC).date() if isinstance(at, datetime) else at


def is_expired(expires_on: date, on: datetime | date) -> bool:
    return expires_on < day_of(on)


def require_unexpired(lot: ItemLot, on: datetime | date, *, field: str = "lot_id") -> None:
    """Refuse (422, code ``lot_expired``) handing out a lot past its expiry date."""
    if is_expired(lot.expires_on, on):
        raise ExpiredLot(
            f"lot {lot.lot_no} expired on {lot.expires_on.isoformat()}: it cannot be handed "
            f"out on {day_of(on).isoformat()}", field=field,
        )
