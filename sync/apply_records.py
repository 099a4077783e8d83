"""Records devices edit field by field: last writer wins per field, state machines, tombstones.

The merge decides which pushed fields win; the domain services then apply the winners with
the same rules as the API (permissions, validation, derived fields such as the risk group), so
an edit refused online is refused offline too. Each mutation runs in savepoints: a refusal
rejects that mutation only and leaves the rest of the batch alone. Its ``lww`` winners go in
first, on their own, so a refused state move beside them leaves them applied (``merged``
with the refusal's code) instead of silently taking them down with it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from domain.authz import Principal
from domain.base import SyncColumns
from domain.errors import Conflict, DomainError
from domain.geo import Point
from domain.settings import Settings
from sync import queries
from sync.codec import Item
from sync.context import DB_ERRORS, PushContext, Stamp, refusal, refuse_transient, wire
from sync.registry import Policy
from sync.wire import Fields

Values = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Flagged:
    """A creation applied but marked for people to review (a possible duplicate patient):
    it goes to the conflict log, where the unit's coordinators find it, beside ``kept_value``
    (what it may repeat)."""

    field: str
    policy: str
    kept_value: Any
    code: str
    message: str


# A creation may hand back what it flagged for review.
Create = Callable[[AsyncSession, Principal, uuid.UUID, Values], Awaitable[Flagged | None]]
# An update may hand back the row it changed, unflushed: the merge then adds the field stamps
# to it, and one UPDATE (one round of the row's triggers) writes both.
Update = Callable[[AsyncSession, Principal, uuid.UUID, Values], Awaitable[SyncColumns | None]]
Transition = Callable[[AsyncSession, Principal, uuid.UUID, Values], Awaitable[None]]
Settles = Callable[[str, Any, Any], bool]
BeforeDelete = Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[None]]
# The service's rules for an edit, on a row loaded by the caller, in memory; raises a
# DomainError before it changes anything.
Edit = Callable[[Principal, Any, Values], None]


class Lost(dict[str, "Stamp | None"]):
    """The stamps that beat every field of an edit checked in memory."""


@dataclass(frozen=True, slots=True)
class Checked:
    """A plain edit checked in memory: the columns it changed (None when it lost every field,
    beaten by ``beaten_by``), and how many edits of its row won before it in the run."""

    item: Item
    changed: dict[str, Any] | None
    round: int
    beaten_by: dict[str, Stamp | None] = dataclasses.field(default_factory=dict)


def _filled(
    writes: list[tuple[uuid.UUID, dict[str, Any]]], rows: dict[uuid.UUID, Any],
    written: dict[uuid.UUID, dict[str, Any]],
) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    """A round's writes over one set of columns: a row's columns that its edit of this round
    did not change carry their value at this round (what an earlier round wrote, else the
    value loaded), so the UPDATE changes exactly what the edit changed."""
    keys = {k for _, changed in writes for k in changed}
    out = []
    for row_id, changed in writes:
        if len(changed) == len(keys):
            out.append((row_id, changed))
            continue
        state = sa_inspect(rows[row_id])
        before = written.get(row_id, {})
        fill = {k: before[k] if k in before else state.committed_state.get(k, state.dict.get(k))
                for k in keys if k not in changed}
        out.append((row_id, {**fill, **changed}))
    return out


def domain_values(values: Values) -> Values:
    """Pushed values in the shapes the domain services take (positions as (lon, lat))."""
    return {k: tuple(v.coordinates) if isinstance(v, Point) else v for k, v in values.items()}


def wins(hlc: str, device: uuid.UUID, kept: Stamp | None) -> bool:
    """Last writer wins by (HLC, device id); an equal stamp is the same write, applied again."""
    if kept is None:
        return True
    return (hlc, str(device)) >= (kept.get("hlc") or "", kept.get("device") or "")


@dataclass(frozen=True)
class RecordApplier:
    """Merge policy for record entities; the callables adapt one entity's domain services.

    ``transition`` applies the state-machine fields that differ from the server's (in the
    spec's field order); without it they go to ``update`` after the winners, and its service
    checks the transition itself. ``settles(field, pushed, current)`` says the server state
    already satisfies a pushed state (default: equal values). ``before_delete`` checks the
    author may delete the row and settles what depends on it, before the tombstone.
    ``edit``, where given, lets runs of plain edits (upserts of existing rows that carry only
    ``lww`` fields and win them all) be checked in memory and written in one flush; anything
    else, and any refusal, goes the one-at-a-time way.
    """

    update: Update | None = None
    create: Create | None = None
    transition: Transition | None = None
    before_delete: BeforeDelete | None = None
    settles: Settles | None = None
    edit: Edit | None = None

    async def apply(self, ctx: PushContext, items: Sequence[Item]) -> None:
        """Each mutation in order: runs of plain edits together, the rest one at a time."""
        start = 0
        while start < len(items):
            end = start
            while end < len(items) and self.plain_edit(items[end]):
                end += 1
            if end == start:
                await self._apply_one(ctx, items[start])
                start += 1
            else:
                start += await self._edit_run(ctx, items[start:end])

    def shares_unit(self, item: Item, settings: Settings) -> bool:
        """A record is edited under its row lock."""
        return False

    def plain_edit(self, item: Item) -> bool:
        """An upsert carrying only ``lww`` fields, of an entity whose edits are checked in
        memory. If its row exists it is edited under that row's lock alone (no other row is
        locked, ``edit`` and ``update`` promise it), so a batch of such edits may share its
        ward with others (sync/push.py); if not, it is refused without writing anything."""
        spec = item.spec
        return (self.edit is not None and item.mutation.op == "upsert" and bool(item.values)
                and all(spec.by_name[n].policy is Policy.lww for n in item.values))

    async def _edit_run(self, ctx: PushContext, items: Sequence[Item]) -> int:
        """Plain edits, checked in memory in request order, then written together inside one
        savepoint (``_write_edits``). Returns how many items it settled: it stops after an
        item that must go the one-at-a-time way (a new or deleted row, a field that lost
        beside one that won, a refusal), writing what it had checked first."""
        ctx.session.expire_all()
        rows = await queries.load_rows(ctx.session, items[0].spec,
                                       list({i.mutation.row_id for i in items}))
        columns = queries.edit_columns(items[0].spec)
        checked: list[Checked] = []
        wins_of: dict[uuid.UUID, int] = {}  # per row, its edits checked so far that won
        # Begun before any row changes in memory: SQLAlchemy flushes pending changes when a
        # savepoint begins, and the edits must not go out that way, row by row, unaudited.
        savepoint = await ctx.session.begin_nested()
        for n, item in enumerate(items):
            row_id = item.mutation.row_id
            row = rows.get(row_id)
            outcome = None if row is None else self._edit_in_memory(ctx, item, row, columns)
            if isinstance(outcome, Lost):  # logged against the row as it stands then
                checked.append(Checked(item, None, wins_of.get(row_id, 0), outcome))
                continue
            if outcome is not None:
                checked.append(Checked(item, outcome, wins_of.get(row_id, 0)))
                wins_of[row_id] = wins_of.get(row_id, 0) + 1
                continue
            await self._write_edits(ctx, checked, rows, savepoint)
            await self._apply_one(ctx, item)
            return n + 1
        await self._write_edits(ctx, checked, rows, savepoint)
        return len(items)

    def _edit_in_memory(
        self, ctx: PushContext, item: Item, row: Any, columns: Sequence[str]
    ) -> dict[str, Any] | Lost | None:
        """Apply a plain edit to its loaded row, if it wins every field and is allowed: the
        columns it changed, with their new values. An edit that loses every field changes
        nothing: the stamps that beat it, in a ``Lost`` dict. None: the slow way must take it."""
        assert self.edit is not None
        m = item.mutation
        if row.deleted or row.scope_path != ctx.device.unit_path:
            return None
        stamps = row.field_hlc
        won = [wins(m.hlc, ctx.device.device_id, stamps.get(n)) for n in item.values]
        if not any(won):
            return Lost({n: stamps.get(n) for n in item.values})
        if not all(won):
            return None  # a partial merge: the slow way writes the winners and logs the rest
        loaded = sa_inspect(row).dict
        before = {k: loaded.get(k) for k in columns}
        try:
            self.edit(ctx.principal(item), row, domain_values(item.values))
        except DomainError:
            return None  # refused with nothing changed; the slow way says why
        row.field_hlc = {**stamps, **dict.fromkeys(item.values, ctx.stamp(item))}
        return {k: loaded.get(k) for k in columns if loaded.get(k) is not before[k]}

    async def _write_edits(
        self, ctx: PushContext, checked: list[Checked], rows: dict[uuid.UUID, Any],
        savepoint: AsyncSessionTransaction,
    ) -> None:
        """Write edits checked in memory, in one savepoint: the n-th winning edit of each row
        in the n-th round, so every edit is its own UPDATE of its row and the audit trail
        keeps each value it replaced, and each round as one statement per author
        (``queries.write_values``) rather than one per row. Edits of different rows commute,
        so rounds keep request order where it matters: per row. An edit that lost every
        field is answered ``merged`` with its row as it stood at that point (read before the
        round that follows it), and each lost field goes to the conflict log, as the slow
        way does. Should the database refuse one, roll them all back and apply them one at a
        time, in request order, so only the offending mutation is rejected."""
        if not checked:
            await savepoint.commit()
            return
        spec = checked[0].item.spec
        # round -> author -> (an item of theirs, to name them in the audit trail; the writes)
        rounds: dict[int, dict[uuid.UUID, tuple[Item, list[tuple[uuid.UUID, dict[str, Any]]]]]]
        rounds = {}
        lost: dict[int, list[Checked]] = {}
        for c in checked:
            if c.changed is None:
                lost.setdefault(c.round, []).append(c)
            else:
                by_author = rounds.setdefault(c.round, {})
                by_author.setdefault(c.item.mutation.author_id, (c.item, []))[1].append(
                    (c.item.mutation.row_id, c.changed))
        written: dict[uuid.UUID, dict[str, Any]] = {}  # per row, what earlier rounds wrote
        answers: list[tuple[Checked, Fields | None]] = []
        try:
            for nth in range(max([*rounds, *lost]) + 1):
                if nth in lost:  # the rows as they stand before this round
                    now = await queries.current_rows(
                        ctx.session, spec, list({c.item.mutation.row_id for c in lost[nth]}))
                    answers += [(c, now.get(c.item.mutation.row_id)) for c in lost[nth]]
                for by, writes in rounds.get(nth, {}).values():
                    await ctx.act_as(by)
                    try:  # one statement for the round: each row's other columns as they stand
                        await queries.write_values(ctx.session, spec,
                                                   _filled(writes, rows, written))
                    except TypeError:  # a column standing as the ORM loaded it (a geometry)
                        await queries.write_values(ctx.session, spec, writes)
                    for row_id, changed in writes:
                        written.setdefault(row_id, {}).update(changed)
            queries.mark_written(rows.values())  # before the savepoint's commit flushes
            await savepoint.commit()
        except (DBAPIError, queries.RowsMissing, TypeError) as exc:
            if isinstance(exc, DBAPIError):
                refuse_transient(exc)
            await savepoint.rollback()
            for c in checked:
                await self._apply_one(ctx, c.item)
            return
        for c in checked:
            if c.changed is not None:
                ctx.applied(c.item)
        for c, current in answers:
            for name, value in c.item.values.items():
                ctx.conflict(c.item, name, Policy.lww.value,
                             kept_value=(current or {}).get(name), kept=c.beaten_by[name],
                             lost_value=wire(value))
            ctx.merged(c.item, current)

    async def _apply_one(self, ctx: PushContext, item: Item) -> None:
        """One mutation, in its own savepoints."""
        await ctx.act_as(item)
        ctx.session.expire_all()  # rows may have changed under the ORM since the last item
        locked = await queries.lock_row(ctx.session, item.spec, item.mutation.row_id)
        if locked is None:
            await self._create(ctx, item)
            return
        if locked.scope_path != ctx.device.unit_path:
            ctx.rejected(item, "forbidden", f"the {item.spec.name} belongs to another unit")
        elif locked.deleted:
            for name, value in item.values.items():
                ctx.conflict(item, name, "delete", kept_value=None,
                             kept=locked.stamps.get("deleted"), lost_value=wire(value))
            ctx.rejected(item, "deleted", f"the {item.spec.name} was deleted")
        elif item.mutation.op == "delete":
            await self._delete(ctx, item, locked.fields, locked.stamps)
        else:
            await self._merge(ctx, item, locked.fields, locked.stamps)

    async def _create(self, ctx: PushContext, item: Item) -> None:
        spec, m = item.spec, item.mutation
        if await ctx.reject_orphan(item, m.row_id, "row_id"):
            return  # its creation was refused: this edit of it cannot stand alone
        if m.op == "delete" or self.create is None:
            ctx.rejected(item, "not_found", f"no {spec.name} {m.row_id}")
            return
        missing = [f.name for f in spec.fields if f.required and f.name not in item.values]
        if missing:
            ctx.rejected(item, "invalid", f"creating a {spec.name} needs {', '.join(missing)}",
                         field=f"mutations[{item.index}].fields.{missing[0]}")
            return
        stamped = {f.name for f in spec.fields if f.policy in (Policy.lww, Policy.state_machine)}
        try:
            async with ctx.session.begin_nested():
                flagged = await self.create(ctx.session, ctx.principal(item), m.row_id,
                                            domain_values(item.values))
                stamp = ctx.stamp(item)
                await queries.stamp_fields(ctx.session, spec, m.row_id,
                                           {n: stamp for n in item.values if n in stamped})
        except DB_ERRORS as exc:
            refuse_transient(exc)
            ctx.reject_error(item, exc, None)
            return
        ctx.applied(item)
        if flagged is not None:
            ctx.conflict(item, flagged.field, flagged.policy, kept_value=flagged.kept_value,
                         kept=None, lost_value=str(m.row_id), code=flagged.code,
                         message=flagged.message)

    async def _delete(
        self, ctx: PushContext, item: Item, current: Values, stamps: dict[str, Stamp]
    ) -> None:
        spec, m = item.spec, item.mutation
        if self.before_delete is None:  # the codec refuses such deletes; kept for safety
            ctx.rejected(item, "forbidden", f"devices cannot delete a {spec.name}")
            return
        try:
            async with ctx.session.begin_nested():
                await self.before_delete(ctx.session, ctx.principal(item), m.row_id)
                await queries.tombstone(ctx.session, spec, m.row_id, ctx.stamp(item))
        except DB_ERRORS as exc:
            refuse_transient(exc)
            ctx.reject_error(item, exc, await ctx.current(spec, m.row_id))
            return
        # The delete wins whatever the order: writes stamped after it, which it wipes
        # although they are newer, are kept in the conflict log.
        mine = ctx.stamp(item)
        for name, stamp in stamps.items():
            if name in current and stamp and not wins(m.hlc, ctx.device.device_id, stamp):
                ctx.superseded(item, name, wire(current[name]), stamp, mine)
        ctx.applied(item)

    async def _merge(
        self, ctx: PushContext, item: Item, current: Values, stamps: dict[str, Stamp]
    ) -> None:
        spec, m = item.spec, item.mutation
        winners: Values = {}
        targets: Values = {}
        inputs: Values = {}
        lost: list[str] = []
        settled = False  # a state field already had the pushed value
        for name, value in item.values.items():
            policy = spec.by_name[name].policy
            if policy is Policy.create_only:
                if wire(value) != wire(current.get(name)):
                    ctx.rejected(item, "immutable", f"{spec.name}.{name} cannot change",
                                 current)
                    return
            elif policy is Policy.input:
                inputs[name] = value
            elif policy is Policy.lww:
                if wins(m.hlc, ctx.device.device_id, stamps.get(name)):
                    winners[name] = value
                else:
                    lost.append(name)
            elif self._settles(name, value, current.get(name)):
                settled = True
            else:
                targets[name] = value
        if winners:  # first and on their own: a refused state move must not undo them
            try:
                async with ctx.session.begin_nested():
                    await self._update_stamped(ctx, item, winners)
            except DB_ERRORS as exc:
                refuse_transient(exc)
                ctx.reject_error(item, exc, await ctx.current(spec, m.row_id))
                return
        for name in lost:
            ctx.conflict(item, name, Policy.lww.value, kept_value=current.get(name),
                         kept=stamps.get(name), lost_value=wire(item.values[name]))
        inputs = inputs if targets or not settled else {}
        if targets or inputs:
            try:
                async with ctx.session.begin_nested():
                    await self._write_state(ctx, item, targets, inputs)
            except DB_ERRORS as exc:
                refuse_transient(exc)
                now = await ctx.current(spec, m.row_id)
                if targets and isinstance(exc, Conflict):
                    name = exc.field if exc.field in targets else next(iter(targets))
                    ctx.conflict(item, name, Policy.state_machine.value,
                                 kept_value=(now or current).get(name), kept=stamps.get(name),
                                 lost_value=wire(targets[name]))
                if winners:  # they stay: the refusal travels with the merge
                    ctx.merged(item, now, *refusal(exc))
                else:
                    ctx.reject_error(item, exc, now)
                return
        if lost or settled:
            ctx.merged(item, await ctx.current(spec, m.row_id))
        else:
            ctx.applied(item)

    def _settles(self, name: str, pushed: Any, current: Any) -> bool:
        if self.settles is not None:
            return self.settles(name, pushed, current)
        return bool(wire(pushed) == wire(current))

    async def _write_state(
        self, ctx: PushContext, item: Item, targets: Values, inputs: Values
    ) -> None:
        """State targets, with the inputs they take, to ``transition`` (without one, to
        ``update``, whose service checks the move itself)."""
        session, principal, row_id = ctx.session, ctx.principal(item), item.mutation.row_id
        if self.transition:
            ordered = {f.name: targets[f.name] for f in item.spec.fields if f.name in targets}
            await self.transition(session, principal, row_id, {**ordered, **inputs})
            if targets:
                await queries.stamp_fields(session, item.spec, row_id,
                                           dict.fromkeys(targets, ctx.stamp(item)))
        elif targets:
            await self._update_stamped(ctx, item, targets)

    async def _update_stamped(self, ctx: PushContext, item: Item, values: Values) -> None:
        """``update`` with ``values`` (``lww`` winners, or state targets without a
        ``transition``), and their stamps: in the same UPDATE when the update hands back its
        unflushed row, else in a second one."""
        spec, row_id = item.spec, item.mutation.row_id
        assert self.update is not None, f"{spec.name} has fields but no update"
        stamps = dict.fromkeys(values, ctx.stamp(item))
        row = await self.update(ctx.session, ctx.principal(item), row_id, domain_values(values))
        if row is None:
            await queries.stamp_fields(ctx.session, spec, row_id, stamps)
        else:
            row.field_hlc = {**row.field_hlc, **stamps}
            await ctx.session.flush()
