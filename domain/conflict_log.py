"""The sync conflict log's rows: what the push path writes and what a coordinator reads.

One definition for the push path (sync/push.py appends ``ConflictRecord``), its SQL
(sync/queries.py) and the API, which answers ``ConflictEntry`` as it is.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec


class ConflictRecord(msgspec.Struct, kw_only=True, frozen=True):
    """A write that lost a merge (``lost_*``) next to the write that was kept (``kept_*``), or
    a refused mutation (``policy`` "rejected", with the refusal's ``code`` and ``message``;
    ``field`` "*" when ``lost_value`` holds all the mutation's values). ``lost_device`` is
    null for an online edit that a delete wiped; ``row_id``, ``lost_hlc`` and ``lost_author``
    for a mutation too malformed to read them."""

    scope_path: str
    entity: str
    row_id: uuid.UUID | None
    field: str
    policy: str
    mutation_id: uuid.UUID | None
    kept_value: Any
    kept_hlc: str | None
    kept_author: uuid.UUID | None
    kept_device: uuid.UUID | None
    lost_value: Any
    lost_hlc: str | None
    lost_author: uuid.UUID | None
    lost_device: uuid.UUID | None
    code: str | None = None
    message: str | None = None


class ConflictEntry(ConflictRecord, kw_only=True, frozen=True):
    """An entry of the log as stored: the record, its number and when it was logged."""

    id: int
    at: datetime


def entry_of(row: Any) -> ConflictEntry:
    """The read model of a ``domain.models.device.SyncConflict`` row."""
    return ConflictEntry(**{f: getattr(row, f) for f in ConflictEntry.__struct_fields__})
