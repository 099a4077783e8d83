"""SQL for F0 cases, their status history and their team assignments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, case, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import driver
from domain.models.case import CaseAssignment, CaseStatusEvent, F0Case
from domain.models.enums import CaseStatus, RiskGroup
from domain.repositories.scope import escape_like, in_scope
from domain.rules.readings import CaseSnapshot


@dataclass(frozen=True, slots=True)
class CaseView:
    case: F0Case
    home_lon: float | None
    home_lat: float | None


@dataclass(frozen=True, slots=True)
class CaseFilter:
    units: Sequence[str]
    station_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    status: CaseStatus | None = None
    risk_group: RiskGroup | None = None
    search: CaseSearch | None = None
    # Only these teams' cases (a care-team member searching by personal data).
    teams: frozenset[uuid.UUID] | None = None
    possible_duplicates: bool = False  # only cases flagged for the duplicate review


@dataclass(frozen=True, slots=True)
class CaseSearch:
    """A search for a person: the words of the name folded, and the digits typed (a phone or
    a national id), as domain.rules.duplicates forms them."""

    words: tuple[str, ...]
    digits: str | None  # the query as digits, when it is one
    phone: str | None  # those digits in the national phone form


@dataclass(frozen=True, slots=True)
class SummaryRow:
    unit_code: str
    status: CaseStatus
    risk_group: RiskGroup
    count: int


def _view_select() -> Select[Any]:
    return select(
        F0Case, func.ST_X(F0Case.home_position), func.ST_Y(F0Case.home_position)
    ).execution_options(populate_existing=True)


def _conditions(f: CaseFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [F0Case.deleted.is_(False)]
    conds += [in_scope(F0Case.scope_path, p) for p in f.units]
    if f.station_id is not None:
        conds.append(F0Case.station_id == f.station_id)
    if f.team_id is not None:
        conds.append(F0Case.team_id == f.team_id)
    if f.status is not None:
        conds.append(F0Case.status == f.status)
    if f.risk_group is not None:
        conds.append(F0Case.risk_group == f.risk_group)
    if f.teams is not None:
        conds.append(F0Case.team_id.in_(list(f.teams)))
    if f.possible_duplicates:
        conds.append(F0Case.possible_duplicate_of.is_not(None))
    if f.search is not None:
        conds.append(_rank(f.search) < NO_MATCH)
    return conds


NO_MATCH = 9


def _rank(s: CaseSearch) -> ColumnElement[int]:
    """0 for the national id or the phone itself, 1 when every word is a whole word of the
    name, 2 when every word begins a word of it, 3 when every word is inside it (or the
    digits inside the phone or id), NO_MATCH otherwise. Names fold in SQL with ``fold_vi``
    (migration 0011), the twin of domain.text.fold."""
    name = literal(" ").concat(func.fold_vi(F0Case.full_name)).concat(" ")
    phone_digits = func.regexp_replace(F0Case.phone, "[^0-9]", "", "g")
    whens: list[tuple[ColumnElement[bool], int]] = []
    if s.digits:
        exact = [F0Case.national_id == s.digits]
        if s.phone:
            exact += [phone_digits == s.phone, phone_digits == "84" + s.phone[1:]]
        whens.append((or_(*exact), 0))
    if s.words:
        def every(pattern: str) -> ColumnElement[bool]:
            return and_(*(name.like(pattern.format(escape_like(w)), escape="\\")
                          for w in s.words))
        whens += [(every("% {} %"), 1), (every("% {}%"), 2), (every("%{}%"), 3)]
    if s.digits and len(s.digits) >= 4:
        inside = f"%{s.digits.lstrip('0') or s.digits}%"
        whens.append((or_(F0Case.national_id.like(inside), phone_digits.like(inside)), 3))
    return case(*whens, else_=NO_MATCH)


@dataclass(frozen=True, slots=True)
class PersonCandidate:
    """What the duplicate rule compares of a case that may hold the same person."""

    id: uuid.UUID
    case_code: str
    national_id: str | None
    scope_path: str
    year_of_birth: int
    phone: str | None
    full_name: str


_SNAPSHOTS = """
SELECT id, scope_path, station_id, team_id, status::text, status_changed_at, deleted
FROM f0_case WHERE id = ANY($1::uuid[])
"""


_STATUS = {s.value: s for s in CaseStatus}  # CaseStatus(value) costs ~3 µs a call


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, case_id: uuid.UUID) -> CaseView | None:
        stmt = _view_select().where(F0Case.id == case_id, F0Case.deleted.is_(False))
        row = (await self.session.execute(stmt)).first()
        return CaseView(row[0], row[1], row[2]) if row else None

    async def snapshots(self, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, CaseSnapshot]:
        """What the reading rules need of each case, deleted ones included, in one query
        (on the driver: every push of readings asks it)."""
        if not case_ids:
            return {}
        rows = await (await driver(self.session)).fetch(_SNAPSHOTS, list(case_ids))
        return {r[0]: CaseSnapshot(id=r[0], scope_path=r[1], station_id=r[2], team_id=r[3],
                                   status=_STATUS[r[4]], status_changed_at=r[5],
                                   deleted=r[6])
                for r in rows}

    async def get_for_update(self, case_id: uuid.UUID) -> F0Case | None:
        """Lock the case row: status changes and alert episodes of one case queue up here.

        FOR NO KEY UPDATE, so rows that merely reference the case (their foreign-key check
        takes KEY SHARE) are not blocked and cannot deadlock with the lock holder.
        """
        stmt = (
            select(F0Case)
            .where(F0Case.id == case_id, F0Case.deleted.is_(False))
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        return await self.session.scalar(stmt)

    async def page(self, f: CaseFilter, *, limit: int, offset: int) -> tuple[list[CaseView], int]:
        """A page of cases by code; a search's by rank first (then name, then code)."""
        conds = _conditions(f)
        order: list[Any] = [F0Case.case_code]
        if f.search is not None:
            order = [_rank(f.search), func.fold_vi(F0Case.full_name), F0Case.case_code]
        stmt = _view_select().where(*conds).order_by(*order).limit(limit).offset(offset)
        rows = (await self.session.execute(stmt)).all()
        total = await self.session.scalar(select(func.count()).select_from(F0Case).where(*conds))
        return [CaseView(r[0], r[1], r[2]) for r in rows], int(total or 0)

    async def summary(self, units: Sequence[str], segment: int) -> list[SummaryRow]:
        """Counts per unit (the ``segment``-th part of the path), status and risk group."""
        unit = func.split_part(F0Case.scope_path, ".", segment)
        stmt = (
            select(unit, F0Case.status, F0Case.risk_group, func.count())
            .where(*_conditions(CaseFilter(units=units)))
            .group_by(unit, F0Case.status, F0Case.risk_group)
            .order_by(unit)
        )
        return [SummaryRow(*r) for r in (await self.session.execute(stmt)).all()]

    async def same_person_candidates(
        self, *, scope: str, ward: str, national_id: str | None, year_of_birth: int,
        with_phone: bool, exclude: uuid.UUID | None = None,
    ) -> list[PersonCandidate]:
        """Live, unflagged cases that may be this person: the national id anywhere in
        ``scope``, or (``with_phone``: only a case with a phone can match on it) the year of
        birth in the ``ward``; the caller compares the rest. Only the columns compared: a
        ward holds thousands of cases, and every new case asks."""
        match = []
        if with_phone:
            match.append(and_(F0Case.scope_path == ward, F0Case.year_of_birth == year_of_birth,
                              F0Case.phone.isnot(None)))
        if national_id:
            match.append(and_(F0Case.national_id == national_id, in_scope(F0Case.scope_path,
                                                                          scope)))
        if not match:
            return []
        conds = [F0Case.deleted.is_(False), F0Case.possible_duplicate_of.is_(None), or_(*match)]
        if exclude is not None:
            conds.append(F0Case.id != exclude)
        stmt = (select(F0Case.id, F0Case.case_code, F0Case.national_id, F0Case.scope_path,
                       F0Case.year_of_birth, F0Case.phone, F0Case.full_name)
                .where(*conds).order_by(F0Case.created_at))
        return [PersonCandidate(*r) for r in (await self.session.execute(stmt)).all()]

    async def code_taken(self, case_code: str) -> bool:
        stmt = select(func.count()).where(F0Case.case_code == case_code)
        return bool(await self.session.scalar(stmt))

    async def add(self, case: F0Case) -> F0Case:
        self.session.add(case)
        await self.session.flush()
        return case

    async def add_status_event(self, event: CaseStatusEvent) -> None:
        self.session.add(event)
        await self.session.flush()

    async def add_assignment(self, assignment: CaseAssignment) -> None:
        self.session.add(assignment)
        await self.session.flush()

    async def status_events(self, case_id: uuid.UUID) -> list[CaseStatusEvent]:
        stmt = (
            select(CaseStatusEvent)
            .where(CaseStatusEvent.case_id == case_id, CaseStatusEvent.deleted.is_(False))
            .order_by(CaseStatusEvent.effective_at, CaseStatusEvent.changed_at,
                      CaseStatusEvent.sync_version)
        )
        return list(await self.session.scalars(stmt))

    async def assignments(self, case_id: uuid.UUID) -> list[CaseAssignment]:
        stmt = (
            select(CaseAssignment)
            .where(CaseAssignment.case_id == case_id, CaseAssignment.deleted.is_(False))
            .order_by(CaseAssignment.assigned_at, CaseAssignment.sync_version)
        )
        return list(await self.session.scalars(stmt))

    async def insert_many(
        self, cases: list[dict[str, Any]], events: list[dict[str, Any]],
        assignments: list[dict[str, Any]],
    ) -> None:
        """Bulk insert through Core, no ORM bookkeeping (the demo); positions as EWKT strings."""
        for model, rows in ((F0Case, cases), (CaseStatusEvent, events),
                            (CaseAssignment, assignments)):
            if rows:
                await self.session.execute(insert(cast(Table, model.__table__)), rows)
