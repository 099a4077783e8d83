"""When something happened, as the person or device recording it says: it cannot be later
than now, give or take the clock tolerance.

One rule for every recorded time (a reading's ``measured_at``, a stock movement's
``occurred_at``, a medicine bag's ``given_at``), online or pushed by a device. A device whose
time is in the future has a clock ahead: the sync push refuses such a mutation with
``clock_skew`` (not final) instead of ``invalid``, so the device corrects it and sends it again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A clock may run this far ahead of the server before a recorded time counts as future.
FUTURE_TOLERANCE = timedelta(minutes=5)


def is_future(at: datetime, now: datetime | None = None) -> bool:
    """Whether ``at`` (timezone-aware) is later than ``now`` plus the tolerance."""
    return at > (now or datetime.now(UTC)) + FUTURE_TOLERANCE
