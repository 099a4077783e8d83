"""Records devices edit field by field: last writer wins per field, state machines, tombstones.

The merge decides which pushed fields win; the domain services then apply the winners with
the same rules as the API (permissions, validation, derived fields such as the risk group), so
an edit refused online is refused offline too. Each mutation runs in savepoints: a refusal
rejects that mutation only and leaves the rest of the batch alone. Its ``lww`` winners go in
first, on their own, so a refused state move beside them leaves them applied (``merged``
with the refusal's code) instead of silently taking them down with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.base import SyncColumns
from domain.errors import Conflict
from domain.geo import Point
from sync import queries
from sync.codec import Item
from sync.push import DB_ERRORS, PushContext, Stamp, refusal, refuse_transient
from sync.registry import Policy

Values = dict[str, Any]
Create = Callable[[AsyncSession, Principal, uuid.UUID, Values], Awaitable[None]]
# An update may hand back the row it changed, unflushed: the merge then adds the field stamps
# to it, and one UPDATE (one round of the row's triggers) writes both.
Update = Callable[[AsyncSession, Principal, uuid.UUID, Values], Awaitable[SyncColumns | None]]
Transition = Callable[[AsyncSession, Principal, uuid.UUID, Values], Awaitable[None]]
Settles = Callable[[str, Any, Any], bool]
BeforeDelete = Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[None]]


def wire(value: Any) -> Any:
    """A value as JSON would carry it, to compare pushed and stored values and to log them."""
    return msgspec.to_builtins(value)


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
    """

    update: Update | None = None
    create: Create | None = None
    transition: Transition | None = None
    before_delete: BeforeDelete | None = None
    settles: Settles | None = None

    def locks(self, ctx: PushContext, item: Item) -> list[tuple[str, uuid.UUID]]:
        """The record itself."""
        return [(item.spec.table, item.mutation.row_id)]

    async def apply(self, ctx: PushContext, items: Sequence[Item]) -> None:
        """Each mutation in order, in its own savepoint."""
        for item in items:
            await ctx.act_as(item)
            ctx.session.expire_all()  # rows may have changed under the ORM since the last item
            locked = await queries.lock_row(ctx.session, item.spec, item.mutation.row_id)
            if locked is None:
                await self._create(ctx, item)
                continue
            if locked.scope_path != ctx.device.unit_path:
                ctx.rejected(item, "forbidden", f"the {item.spec.name} belongs to another unit")
            elif locked.deleted:
                for name, value in item.values.items():
                    ctx.conflict(item, name, "delete", kept_value=None,
                                 kept=locked.stamps.get("deleted"), lost_value=wire(value))
                ctx.rejected(item, "deleted", f"the {item.spec.name} was deleted")
            elif item.mutation.op == "delete":
                await self._delete(ctx, item)
            else:
                await self._merge(ctx, item, locked.fields, locked.stamps)

    async def _create(self, ctx: PushContext, item: Item) -> None:
        spec, m = item.spec, item.mutation
        if m.op == "delete" or self.create is None:
            ctx.rejected(item, "not_found", f"no {spec.name} {m.row_id}")
            return
        missing = [f.name for f in spec.fields if f.required and f.name not in item.values]
        if missing:
            ctx.rejected(item, "invalid", f"creating a {spec.name} needs {', '.join(missing)}")
            return
        stamped = {f.name for f in spec.fields if f.policy in (Policy.lww, Policy.state_machine)}
        try:
            async with ctx.session.begin_nested():
                await self.create(ctx.session, ctx.principal(item), m.row_id,
                                  domain_values(item.values))
                stamp = ctx.stamp(item)
                await queries.stamp_fields(ctx.session, spec, m.row_id,
                                           {n: stamp for n in item.values if n in stamped})
        except DB_ERRORS as exc:
            refuse_transient(exc)
            ctx.reject_error(item, exc, None)
            return
        ctx.applied(item)

    async def _delete(self, ctx: PushContext, item: Item) -> None:
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
                    await self._write_fields(ctx, item, winners)
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

    async def _write_fields(self, ctx: PushContext, item: Item, winners: Values) -> None:
        """The ``lww`` winners to ``update``, stamped with this mutation."""
        await self._update_stamped(ctx, item, winners)

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
        """``update`` with ``values``, and their stamps: in the same UPDATE when the update
        hands back its unflushed row, else in a second one."""
        spec, row_id = item.spec, item.mutation.row_id
        assert self.update is not None, f"{spec.name} has fields but no update"
        stamps = dict.fromkeys(values, ctx.stamp(item))
        row = await self.update(ctx.session, ctx.principal(item), row_id, domain_values(values))
        if row is None:
            await queries.stamp_fields(ctx.session, spec, row_id, stamps)
        else:
            row.field_hlc = {**row.field_hlc, **stamps}
            await ctx.session.flush()
