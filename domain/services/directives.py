"""Directives down the chain of command, and each addressed unit's answer.

Rules decided here:
- A unit above the communes issues a directive (district logistics, city coordinators,
  administrators) to units strictly below it: the ones it selects, at any level, or every
  commune under it. Each addressed unit gets its own copy, scoped to it, which is what
  reaches a commune's tablets.
- Only the addressed unit answers on its copy (acknowledges, reports progress, completes):
  the level above reads the copy but may not answer for it (403), a sibling does not see it
  (404). The answer only moves forward (domain/rules/directive_status.py); completing a
  directive that asks for a report needs the report.
- The issuing unit reads, per addressed unit, unread / acknowledged / in progress / overdue /
  done, and urges the overdue ones: each reminder is recorded on the urged unit's side, so
  it reaches its tablets. Units above the issuer read the directive but do not urge for it.
The sync push applies a tablet's answers through this service (sync/orders.py), so an answer
refused online is refused offline.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal, within
from domain.errors import Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from domain.models.directive import (
    Directive,
    DirectivePriority,
    DirectiveRecipient,
    DirectiveReminder,
    DirectiveStatus,
)
from domain.models.enums import Role
from domain.repositories.admin_units import AdminUnitRepository
from domain.repositories.directives import STATES, DirectiveRepository, ReceivedFilter, state_of
from domain.rules.directive_status import DIRECTIVE_STATUS, RESPONDERS
from domain.services.stations import StationService

S = DirectiveStatus
ISSUERS = frozenset({Role.district_logistics, Role.city_coordinator, Role.administrator})
MAX_SELECTED = 1000  # units named one by one; "every commune below" has no such bound
PROGRESS_FIELDS = ("progress_pct", "progress_note")


def directive_code(directive_id: uuid.UUID) -> str:
    return f"CD-{directive_id.hex[:10].upper()}"


@dataclass(frozen=True, slots=True)
class DirectiveSummary:
    directive: Directive
    counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class AddressedUnit:
    recipient: DirectiveRecipient
    unit_name: str
    state: str


@dataclass(frozen=True, slots=True)
class DirectiveDetail:
    directive: Directive
    counts: Mapping[str, int]
    units: Sequence[AddressedUnit]


class DirectiveService:
    """Directives the principal issues, reads and answers, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = DirectiveRepository(session)

    # -- issuing -----------------------------------------------------------------------------
    async def issue(
        self, *, title: str, body: str, due_at: datetime,
        priority: DirectivePriority = DirectivePriority.normal, report_required: bool = False,
        unit_codes: Sequence[str] | None = None, all_communes: bool = False,
        directive_id: uuid.UUID | None = None,
    ) -> tuple[Directive, list[DirectiveRecipient]]:
        """Issue a directive to the units named, or to every commune below the issuer."""
        p = self.principal
        p.require_role(ISSUERS, "issue directives")
        if p.unit_level >= 3:
            raise Forbidden("a commune has no unit below it to direct", field="unit_codes")
        now = datetime.now(UTC)
        if due_at.tzinfo is None:
            raise ValidationFailed("the due time needs a time zone", field="due_at")
        if due_at <= now:
            raise ValidationFailed("the due time is in the past", field="due_at")
        if not title.strip():
            raise ValidationFailed("a directive needs a title", field="title")
        if not body.strip():
            raise ValidationFailed("a directive needs a text", field="body")
        targets = await self._addressees(unit_codes, all_communes)
        did = directive_id or uuid.uuid4()
        directive = Directive(
            id=did, code=directive_code(did), issuer_unit_code=p.unit_code,
            scope_path=p.unit_path, issued_by=p.user_id, issued_at=now, title=title.strip(),
            body=body.strip(), priority=priority, due_at=due_at, report_required=report_required,
        )
        copies = [
            {"id": uuid.uuid4(), "directive_id": did, "unit_code": code, "scope_path": path,
             "issuer_unit_code": p.unit_code, "code": directive.code, "title": directive.title,
             "body": directive.body, "priority": priority, "issued_at": now, "due_at": due_at,
             "report_required": report_required}
            for code, path in targets
        ]
        await self.repo.add(directive, copies)
        return directive, [r for r, _ in await self.repo.recipients_of(did)]

    async def _addressees(
        self, unit_codes: Sequence[str] | None, all_communes: bool
    ) -> list[tuple[str, str]]:
        """(code, path) of the units addressed: each strictly below the issuer."""
        p = self.principal
        if all_communes == bool(unit_codes):
            raise ValidationFailed("address the directive to unit_codes or to all_communes",
                                   field="unit_codes")
        if all_communes:
            found = await self.repo.communes_below(p.unit_path)
            if not found:
                raise ValidationFailed("there is no commune below the issuer",
                                       field="all_communes")
            return found
        codes = list(dict.fromkeys(unit_codes or []))
        if len(codes) > MAX_SELECTED:
            raise ValidationFailed(f"at most {MAX_SELECTED} units by name; use all_communes",
                                   field="unit_codes")
        units = {u.code: u for u in await AdminUnitRepository(self.session).get_many(codes)}
        out = []
        for i, code in enumerate(codes):
            unit = units.get(code)
            if unit is None or not within(unit.path, p.unit_path):
                raise NotFound(f"unit {code!r} not found", field=f"unit_codes[{i}]")
            if unit.path == p.unit_path:
                raise ValidationFailed("a unit directs the units below it, not itself",
                                       field=f"unit_codes[{i}]")
            out.append((unit.code, unit.path))
        return out

    # -- the issuer's view -------------------------------------------------------------------
    async def get(self, directive_id: uuid.UUID) -> Directive:
        d = await self.repo.get(directive_id)
        if d is None or not self.principal.can_read(d.scope_path):
            raise NotFound("directive not found", field="directive_id")
        return d

    async def issued(
        self, *, issuer: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[DirectiveSummary], int]:
        """Directives issued at or below the caller's unit, newest first, with their counts."""
        rows, total = await self.repo.page_issued(
            units=[self.principal.unit_path], issuer_unit_code=issuer, limit=limit,
            offset=offset)
        counts = await self.repo.counts([d.id for d in rows], datetime.now(UTC))
        return [DirectiveSummary(d, counts.get(d.id, dict.fromkeys(STATES, 0)))
                for d in rows], total

    async def detail(self, directive_id: uuid.UUID) -> DirectiveDetail:
        """The directive with every addressed unit's state."""
        d = await self.get(directive_id)
        now = datetime.now(UTC)
        units = [AddressedUnit(r, name, state_of(r, now))
                 for r, name in await self.repo.recipients_of(d.id)]
        counts = dict.fromkeys(STATES, 0)
        for u in units:
            counts[u.state] += 1
        return DirectiveDetail(d, counts, units)

    async def remind(
        self, directive_id: uuid.UUID, *, unit_codes: Sequence[str] | None = None,
        message: str | None = None,
    ) -> list[DirectiveReminder]:
        """Urge the overdue units (those named, or all of them); recorded one by one."""
        d = await self.get(directive_id)
        p = self.principal
        if d.scope_path != p.unit_path:
            raise Forbidden("only the issuing unit urges its directive", field="directive_id")
        p.require_role(ISSUERS, "urge a directive")
        now = datetime.now(UTC)
        copies = {r.unit_code: r for r, _ in await self.repo.recipients_of(d.id)}
        if unit_codes:
            chosen = []
            for i, code in enumerate(dict.fromkeys(unit_codes)):
                r = copies.get(code)
                if r is None:
                    raise ValidationFailed(f"{code} is not addressed by this directive",
                                           field=f"unit_codes[{i}]")
                if state_of(r, now) != "overdue":
                    raise ValidationFailed(f"{code} is not overdue", field=f"unit_codes[{i}]")
                chosen.append(r)
        else:
            chosen = [r for r in copies.values() if state_of(r, now) == "overdue"]
            if not chosen:
                raise ValidationFailed("no addressed unit is overdue", field="unit_codes")
        text = message.strip() if message else None
        return await self.repo.remind(chosen, sent_by=p.user_id, message=text or None, now=now)

    # -- the addressed unit's side -------------------------------------------------------------
    async def received(
        self, *, district: str | None = None, commune: str | None = None,
        status: DirectiveStatus | None = None, overdue: bool | None = None,
        directive_id: uuid.UUID | None = None, limit: int = 100, offset: int = 0,
    ) -> tuple[list[DirectiveRecipient], int]:
        """Copies addressed to the caller's unit and the units below it, soonest due first."""
        units = await StationService(self.session, self.principal).unit_paths(
            district=district, commune=commune)
        return await self.repo.page_received(
            ReceivedFilter(units=units, status=status, overdue=overdue,
                           directive_id=directive_id),
            now=datetime.now(UTC), limit=limit, offset=offset)

    async def get_received(self, recipient_id: uuid.UUID) -> DirectiveRecipient:
        r = await self.repo.recipient(recipient_id)
        if r is None or not self.principal.can_read(r.scope_path):
            raise NotFound("directive not found", field="recipient_id")
        return r

    async def reminders(self, recipient_id: uuid.UUID) -> list[DirectiveReminder]:
        r = await self.get_received(recipient_id)
        return await self.repo.reminders_of([r.id])

    async def _own_copy(self, recipient_id: uuid.UUID) -> DirectiveRecipient:
        """The caller's unit's own copy, locked: nobody answers for another unit."""
        r = await self.repo.recipient(recipient_id, for_update=True)
        p = self.principal
        if r is None or not p.can_read(r.scope_path):
            raise NotFound("directive not found", field="recipient_id")
        if r.scope_path != p.unit_path:
            raise Forbidden(f"{p.unit_code} may not answer for {r.unit_code}: only the "
                            "addressed unit answers its directive", field="recipient_id")
        p.require_role(RESPONDERS, "answer a directive")
        return r

    async def answer(
        self, recipient_id: uuid.UUID, changes: Mapping[str, Any]
    ) -> DirectiveRecipient:
        """An online answer: progress (last writer wins) and a status move, with the report
        when completing (the sync push makes the same two calls)."""
        progress = {k: v for k, v in changes.items() if k in PROGRESS_FIELDS}
        state = {k: v for k, v in changes.items() if k not in PROGRESS_FIELDS}
        row = await self._own_copy(recipient_id)
        if progress:
            await self.report_progress(recipient_id, progress)
            await self.session.flush()  # before move() reloads the row
        if state:
            await self.move(recipient_id, state.get("status"), state.get("completion_report"))
        return row

    async def report_progress(
        self, recipient_id: uuid.UUID, changes: Mapping[str, Any]
    ) -> DirectiveRecipient:
        """Set the progress figures and note; handed back unflushed (sync stamps it)."""
        row = await self._own_copy(recipient_id)
        for name, value in changes.items():
            if name not in PROGRESS_FIELDS:
                raise ValidationFailed(f"{name} is not a progress field", field=name)
            if name == "progress_pct" and (value is None or not 0 <= value <= 100):
                raise ValidationFailed("progress is a percentage, 0 to 100", field=name)
            if isinstance(value, str):
                value = value.strip() or None
            setattr(row, name, value)
        return row

    async def move(
        self, recipient_id: uuid.UUID, target: DirectiveStatus | None,
        completion_report: str | None = None,
    ) -> DirectiveRecipient:
        """Move the copy forward; ``done`` takes the report (required when asked for)."""
        row = await self._own_copy(recipient_id)
        if target is None:
            raise TransitionNotAllowed("the completion report goes with status done",
                                       field="completion_report", current=row.status.value)
        target = S(target)
        if completion_report is not None and target is not S.done:
            raise ValidationFailed("a completion report goes with status done",
                                   field="completion_report")
        DIRECTIVE_STATUS.check(row.status, target, self.principal.role)
        report = (completion_report or "").strip() or None
        if target is S.done and row.report_required and report is None:
            raise ValidationFailed("this directive asks for a report on completion",
                                   field="completion_report")
        now, who = datetime.now(UTC), self.principal.user_id
        if row.acknowledged_at is None:
            row.acknowledged_at, row.acknowledged_by = now, who
        if target is S.done:
            row.completed_at, row.completed_by = now, who
            row.completion_report, row.progress_pct = report, 100
        row.status = target
        await self.session.flush()
        return row

