"""SQL for directives: the issuer's rows, the addressed units' copies, and reminders.

"Overdue" is computed here, in one place, from the caller's clock: a copy short of ``done``
whose due time has passed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.admin_unit import AdminLevel, AdminUnit
from domain.models.directive import (
    Directive,
    DirectiveRecipient,
    DirectiveReminder,
    DirectiveStatus,
)
from domain.repositories.scope import escape_like, in_scope

R = DirectiveRecipient
# The state an issuer sees per addressed unit: done, else overdue, else the unit's status.
STATES = ("unread", "acknowledged", "in_progress", "overdue", "done")


def overdue(now: datetime) -> ColumnElement[bool]:
    """A copy short of done whose due time has passed."""
    return (R.status != DirectiveStatus.done) & (R.due_at < now)


def state_of(recipient: DirectiveRecipient, now: datetime) -> str:
    """The issuer's view of one addressed unit (the Python twin of ``overdue``)."""
    if recipient.status is DirectiveStatus.done:
        return "done"
    if recipient.due_at < now:
        return "overdue"
    return recipient.status.value


@dataclass(frozen=True, slots=True)
class ReceivedFilter:
    units: Sequence[str]
    status: DirectiveStatus | None = None
    overdue: bool | None = None
    directive_id: uuid.UUID | None = None


class DirectiveRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- the issuer's side ---------------------------------------------------------------
    async def add(self, directive: Directive, recipients: list[dict[str, Any]]) -> None:
        """The directive, then its copies in one Core insert (a city-wide directive is a
        few hundred rows, a national one ten thousand)."""
        self.session.add(directive)
        await self.session.flush()
        if recipients:
            await self.session.execute(insert(cast(Table, R.__table__)), recipients)

    async def get(self, directive_id: uuid.UUID) -> Directive | None:
        stmt = select(Directive).where(Directive.id == directive_id, Directive.deleted.is_(False))
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def page_issued(
        self, *, units: Sequence[str], issuer_unit_code: str | None, limit: int, offset: int
    ) -> tuple[list[Directive], int]:
        conds = [Directive.deleted.is_(False), *(in_scope(Directive.scope_path, p) for p in units)]
        if issuer_unit_code is not None:
            conds.append(Directive.issuer_unit_code == issuer_unit_code)
        stmt = (select(Directive).where(*conds)
                .order_by(Directive.issued_at.desc(), Directive.id).limit(limit).offset(offset))
        rows = list(await self.session.scalars(stmt))
        total = await self.session.scalar(select(func.count()).select_from(Directive).where(*conds))
        return rows, int(total or 0)

    async def counts(
        self, directive_ids: Sequence[uuid.UUID], now: datetime
    ) -> dict[uuid.UUID, dict[str, int]]:
        """Per directive, how many addressed units are in each of ``STATES``."""
        if not directive_ids:
            return {}
        late = overdue(now)
        stmt = (
            select(
                R.directive_id,
                func.count().filter(R.status == DirectiveStatus.unread, ~late),
                func.count().filter(R.status == DirectiveStatus.acknowledged, ~late),
                func.count().filter(R.status == DirectiveStatus.in_progress, ~late),
                func.count().filter(late),
                func.count().filter(R.status == DirectiveStatus.done),
            )
            .where(R.directive_id.in_(directive_ids))
            .group_by(R.directive_id)
        )
        out: dict[uuid.UUID, dict[str, int]] = {}
        for directive_id, *numbers in (await self.session.execute(stmt)).all():
            out[directive_id] = dict(zip(STATES, (int(n) for n in numbers), strict=True))
        return out

    async def recipients_of(self, directive_id: uuid.UUID) -> list[tuple[DirectiveRecipient, str]]:
        """Every addressed unit's copy, with the unit's name, in hierarchy order."""
        stmt = (
            select(R, AdminUnit.name).join(AdminUnit, AdminUnit.code == R.unit_code)
            .where(R.directive_id == directive_id, R.deleted.is_(False))
            .order_by(R.scope_path).execution_options(populate_existing=True)
        )
        return [(r, name) for r, name in (await self.session.execute(stmt)).all()]

    async def communes_below(self, path: str) -> list[tuple[str, str]]:
        """(code, path) of every commune under ``path``."""
        stmt = (select(AdminUnit.code, AdminUnit.scope_path)
                .where(AdminUnit.level == AdminLevel.commune, AdminUnit.deleted.is_(False),
                       AdminUnit.scope_path.like(f"{escape_like(path)}.%", escape="\\"))
                .order_by(AdminUnit.scope_path))
        return [(code, p) for code, p in (await self.session.execute(stmt)).all()]

    # -- the addressed units' side -----------------------------------------------------------
    async def recipient(
        self, recipient_id: uuid.UUID, *, for_update: bool = False
    ) -> DirectiveRecipient | None:
        stmt = select(R).where(R.id == recipient_id, R.deleted.is_(False))
        if for_update:
            stmt = stmt.with_for_update(key_share=True)
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    async def page_received(
        self, f: ReceivedFilter, *, now: datetime, limit: int, offset: int
    ) -> tuple[list[DirectiveRecipient], int]:
        conds: list[ColumnElement[bool]] = [R.deleted.is_(False),
                                            *(in_scope(R.scope_path, p) for p in f.units)]
        if f.status is not None:
            conds.append(R.status == f.status)
        if f.overdue is not None:
            conds.append(overdue(now) if f.overdue else ~overdue(now))
        if f.directive_id is not None:
            conds.append(R.directive_id == f.directive_id)
        stmt = (select(R).where(*conds).order_by(R.due_at, R.scope_path, R.id)
                .limit(limit).offset(offset))
        rows = list(await self.session.scalars(stmt))
        total = await self.session.scalar(select(func.count()).select_from(R).where(*conds))
        return rows, int(total or 0)

    # -- reminders -------------------------------------------------------------------------
    async def remind(
        self, recipients: Sequence[DirectiveRecipient], *, sent_by: uuid.UUID,
        message: str | None, now: datetime,
    ) -> list[DirectiveReminder]:
        """Record one reminder per copy and count it on the copy (which travels with it)."""
        reminders = [
            DirectiveReminder(recipient_id=r.id, directive_id=r.directive_id,
                              unit_code=r.unit_code, scope_path=r.scope_path, sent_at=now,
                              sent_by=sent_by, message=message)
            for r in recipients
        ]
        self.session.add_all(reminders)
        await self.session.flush()
        await self.session.execute(
            update(R).where(R.id.in_([r.id for r in recipients]))
            .values(reminder_count=R.reminder_count + 1, last_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        return reminders

    async def reminders_of(self, recipient_ids: Sequence[uuid.UUID]) -> list[DirectiveReminder]:
        if not recipient_ids:
            return []
        stmt = (select(DirectiveReminder)
                .where(DirectiveReminder.recipient_id.in_(recipient_ids))
                .order_by(DirectiveReminder.sent_at, DirectiveReminder.id))
        return list(await self.session.scalars(stmt))


async def backdate(
    session: AsyncSession, directive_id: uuid.UUID, *, issued_at: datetime, due_at: datetime
) -> None:
    """Move a directive and its copies back in time (the demo's day, not a workflow)."""
    await session.execute(update(Directive).where(Directive.id == directive_id)
                          .values(issued_at=issued_at, due_at=due_at)
                          .execution_options(synchronize_session=False))
    await session.execute(update(R).where(R.directive_id == directive_id)
                          .values(issued_at=issued_at, due_at=due_at)
                          .execution_options(synchronize_session=False))
