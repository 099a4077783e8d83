"""The daily vital-sign follow-up of home care: when a patient is due a reading, and when
the station's worklist counts them overdue.

Home care means vital signs twice a day (Ministry of Health, Decision 4038/QĐ-BYT), so a
patient under home care is due a reading 12 hours after the later of their last vital-sign
reading and the moment they (re-)entered home care, and is **overdue** from that instant
(``now >= next_due_at``). The server keeps ``next_due_at`` per case in ``case_followup``
(triggers of migration 0011, whoever writes: API, sync push, demo loader); a tablet pulls it
and decides "overdue now" with its own clock, offline (sync/PROTOCOL.md, "case_followup").

The trigger writes the same interval and the same home-care statuses; tests hold them equal.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.rules.case_status import OPEN_STATUSES

READING_INTERVAL = timedelta(hours=12)  # twice a day
UNDER_CARE = OPEN_STATUSES  # home_monitoring, needs_attention, transfer_requested
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")  # the day ``readings_on_day`` counts in


def next_due(last_reading_at: datetime | None, care_since: datetime) -> datetime:
    """When a patient under home care is next due a reading."""
    return max(last_reading_at or care_since, care_since) + READING_INTERVAL


def is_overdue(next_due_at: datetime | None, now: datetime) -> bool:
    """Overdue from the due instant on; a case not under care (no due time) never is."""
    return next_due_at is not None and now >= next_due_at
