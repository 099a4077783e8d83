"""What the appliers of a pushed batch share: the batch's context, its results and conflicts,
and how a refusal or a database error is read.

sync/push.py drives a batch through it; sync/apply_records.py, sync/apply_events.py and
sync/supplies.py apply runs of mutations with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.conflict_log import ConflictRecord
from domain.db_errors import classify_db_error, sqlstate
from domain.errors import DomainError
from domain.repositories.devices import DeviceScope
from domain.repositories.users import set_audit_context
from domain.settings import Settings
from sync import queries
from sync.codec import Item
from sync.registry import EntitySpec
from sync.wire import Fields, MutationResult

Stamp = dict[str, str | None]
# Refusals saying the device's clock is wrong: not final, neither claimed nor logged.
CLOCK_CODES = frozenset({"clock_skew", "clock_behind"})


def wire(value: Any) -> Any:
    """A value as JSON would carry it, to compare pushed and stored values and to log them."""
    return msgspec.to_builtins(value)


class Applier(Protocol):
    """Applies a run of consecutive mutations of one entity, setting one result for each."""

    def shares_unit(self, item: Item, settings: Settings) -> bool:
        """Whether applying ``item`` takes no row lock that another writer of the ward may
        take (then the push may hold its ward shared, domain/repositories/write_locks.py)."""
        ...

    async def apply(self, ctx: PushContext, items: Sequence[Item]) -> None: ...


@dataclass
class PushContext:
    """What appliers share while one batch is applied.

    ``device`` is the device as it was when the mutations being applied were recorded: its
    scope before a move for mutations stamped before it (see ``_scoped_runs``).
    """

    session: AsyncSession
    device: DeviceScope
    settings: Settings
    principals: dict[uuid.UUID, Principal]
    results: list[MutationResult | None]
    conflicts: list[ConflictRecord] = field(default_factory=list)
    refused_rows: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # row -> mutation
    _actor: uuid.UUID | None = None

    def principal(self, item: Item) -> Principal:
        """The author of a mutation, acting through the device."""
        return self.principals[item.mutation.author_id]

    async def act_as(self, item: Item) -> None:
        """Name the author in the audit trail for the writes that follow."""
        author = item.mutation.author_id
        if author != self._actor:
            await set_audit_context(self.session, actor_id=author, via="device",
                                    device_id=self.device.device_id)
            self._actor = author

    def stamp(self, item: Item) -> Stamp:
        """The field_hlc entry of a write by this mutation."""
        m = item.mutation
        return {"hlc": m.hlc, "device": str(self.device.device_id), "author": str(m.author_id)}

    def applied(self, item: Item) -> None:
        """Record an applied result."""
        self.results[item.index] = MutationResult(id=item.mutation.id, status="applied")

    def duplicate(self, item: Item) -> None:
        """Record that the mutation was applied before."""
        self.results[item.index] = MutationResult(id=item.mutation.id, status="duplicate")

    def merged(
        self, item: Item, current: Fields | None, code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Record a merge, with the row as it now is (and why a part was refused, if one was)."""
        self.results[item.index] = MutationResult(
            id=item.mutation.id, status="merged", code=code, message=message, current=current
        )

    def rejected(
        self, item: Item, code: str, message: str, current: Fields | None = None,
        field: str | None = None,
    ) -> None:
        """Record a refusal of this mutation alone."""
        self.results[item.index] = MutationResult(
            id=item.mutation.id, status="rejected", code=code, message=message,
            field=field, current=current,
        )
        if item.mutation.op == "upsert":
            self.refused_rows.setdefault(item.mutation.row_id, item.mutation.id)

    def reject_error(self, item: Item, exc: Exception, current: Fields | None) -> None:
        """A domain rule or a database constraint refused one mutation (not the batch)."""
        code, message = refusal(exc)
        self.rejected(item, code, message, current, field=self.field_of(item, exc))

    @staticmethod
    def field_of(item: Item, exc: Exception) -> str | None:
        """The pushed field a domain error names, as a path into the batch."""
        name = getattr(exc, "field", None)
        if not name:
            return None
        where = f"mutations[{item.index}]"
        if name == "id":  # the domain's id of the row is the mutation's row_id
            return f"{where}.row_id"
        return f"{where}.fields.{name}" if name in item.values else where

    async def refused_parent(self, row_id: uuid.UUID) -> uuid.UUID | None:
        """The mutation whose refusal left ``row_id`` uncreated, in this batch or before."""
        found = self.refused_rows.get(row_id)
        if found is None:
            found = await queries.refused_creation(self.session, self.device.device_id, row_id)
        return found

    async def reject_orphan(self, item: Item, parent: uuid.UUID, field_name: str) -> bool:
        """Reject a mutation that refers to a row whose creation was refused, naming it;
        False when ``parent`` was never refused (the row is simply unknown)."""
        refused = await self.refused_parent(parent)
        if refused is None:
            return False
        self.rejected(item, "parent_rejected",
                      f"{field_name} {parent} was not created: mutation {refused} that "
                      f"created it was refused", field=f"mutations[{item.index}].fields."
                      f"{field_name}" if field_name in item.values else None)
        return True

    def conflict(
        self, item: Item, field_name: str, policy: str, *, kept_value: Any,
        kept: Stamp | None, lost_value: Any, code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Keep a losing write in the conflict log, next to the write that won."""
        m = item.mutation
        kept = kept or {}
        self.conflicts.append(ConflictRecord(
            scope_path=self.device.unit_path, entity=item.spec.name, row_id=m.row_id,
            field=field_name, policy=policy, mutation_id=m.id, kept_value=kept_value,
            kept_hlc=kept.get("hlc"), kept_author=_uuid_or_none(kept.get("author")),
            kept_device=_uuid_or_none(kept.get("device")), lost_value=lost_value,
            lost_hlc=m.hlc, lost_author=m.author_id, lost_device=self.device.device_id,
            code=code, message=message,
        ))

    def superseded(
        self, item: Item, field_name: str, value: Any, lost: Stamp, kept: Stamp
    ) -> None:
        """An applied write that a later-applied one wiped although it was newer (a delete
        wins whatever the order): the write already stored goes to the conflict log."""
        self.conflicts.append(ConflictRecord(
            scope_path=self.device.unit_path, entity=item.spec.name,
            row_id=item.mutation.row_id, field=field_name, policy="delete",
            mutation_id=item.mutation.id, kept_value=None, kept_hlc=kept.get("hlc"),
            kept_author=_uuid_or_none(kept.get("author")),
            kept_device=_uuid_or_none(kept.get("device")), lost_value=value,
            lost_hlc=lost.get("hlc"), lost_author=_uuid_or_none(lost.get("author")),
            lost_device=_uuid_or_none(lost.get("device")), code="deleted",
            message=f"the {item.spec.name} was deleted by an older mutation, which wins",
        ))

    async def current(self, spec: EntitySpec, row_id: uuid.UUID) -> Fields | None:
        """The row as a pull would send it now; None when absent or deleted."""
        return (await queries.current_rows(self.session, spec, [row_id])).get(row_id)


def refusal(exc: Exception) -> tuple[str, str]:
    """The code and message of a domain rule or a database constraint refusing a write."""
    if isinstance(exc, DomainError):
        return exc.code, exc.message
    if is_data_error(exc):
        cause = getattr(getattr(exc, "orig", None), "__cause__", None)
        return "invalid", f"a value cannot be stored: {cause or exc}"
    constraint = getattr(getattr(getattr(exc, "orig", None), "__cause__", None),
                         "constraint_name", None)
    what = f" ({constraint})" if constraint else ""
    return "invalid", f"the change conflicts with the stored data{what}"


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


DB_ERRORS = (DomainError, DBAPIError)


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error raised through SQLAlchemy (None for anything else)."""
    return sqlstate(exc) if isinstance(exc, DBAPIError) else None


def is_transient(exc: BaseException) -> bool:
    """A deadlock, serialization failure or lock timeout: the batch may simply be retried."""
    return isinstance(exc, DBAPIError) and classify_db_error(exc) == "transient"


def is_data_error(exc: BaseException) -> bool:
    """SQLSTATE class 22 (data exception): the batch carries a value the database refuses."""
    return isinstance(exc, DBAPIError) and classify_db_error(exc) == "data"


def refuse_transient(exc: BaseException) -> None:
    """Appliers catch errors to reject one mutation; a transient one must fail the batch."""
    if is_transient(exc):
        raise exc


