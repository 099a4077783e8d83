"""F0 cases: enrolment, care details, the status machine and team assignment.

Rules decided here (the issue leaves them open):
- Station staff, doctors and the commune officer of the case's commune enrol cases at an
  active station of their commune (station staff at their own station only).
- "Acting on a patient's care" (editing the case, recording observations, handling alerts,
  medicine bags, status moves) is for the ward's field roles at the case's station; a
  care-team member only for the cases of their own teams; a district-level doctor anywhere in
  their district (they supervise home care). Which status moves each role makes is
  domain.rules.case_status; leaving home care (hospitalized, recovered, deceased) resolves
  the case's unresolved alert.
- Station staff and commune officers assign a case to a team of its commune (which may move
  it to that team's station); each assignment is kept in the history with the previous team.
- Medicine bags: A (symptom relief) by anyone caring for the patient; B only once a doctor
  has ordered it (a doctor giving it orders it); C (antiviral, the city programme) given by a
  doctor to an adult who is not pregnant, within 5 days of the positive test. Each bag once.
- Everyone in scope reads cases; personal fields only roles that care for the person
  (Principal.sees_personal_data), the others get a de-identified view (api/schemas/cases.py).
- Searching by name, phone or national id (``q``) is searching personal data: only for the
  roles that see it, and a care-team member finds only their own teams' patients.
- The same person is enrolled once (domain/rules/duplicates.py): online a duplicate is
  refused unless confirmed; a device's is kept and flagged for the ward's review, which the
  ward's care roles settle (``review_duplicate``).
- A status move carries when it happened (``effective_at``, default now): not in the future
  beyond the clock tolerance, not before the case was registered (its enrolment's effective
  time), and not before the move it follows, so the history reads in order.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import CARE_ROLES, Principal
from domain.errors import Conflict, DuplicateCase, Forbidden, NotFound, ValidationFailed
from domain.geo import point_wkt
from domain.models.admin_unit import AdminLevel
from domain.models.case import CaseAssignment, CaseStatusEvent, F0Case
from domain.models.enums import AlertStatus, CaseStatus, RiskGroup, Role, Sex, StationStatus
from domain.repositories.admin_units import AdminUnitRepository
from domain.repositories.alerts import AlertRepository
from domain.repositories.care_teams import CareTeamRepository
from domain.repositories.cases import (
    CaseFilter,
    CaseRepository,
    CaseSearch,
    CaseView,
    PersonCandidate,
)
from domain.repositories.stations import StationRepository
from domain.rules.care import require_care
from domain.rules.case_status import CASE_STATUS, OPEN_STATUSES
from domain.rules.duplicates import name_key, normal_name, phone_key
from domain.rules.recorded_time import FUTURE_TOLERANCE, is_future
from domain.rules.risk import risk_group
from domain.services.stations import StationService

ENROL_ROLES = frozenset({Role.station_staff, Role.doctor, Role.commune_officer})
ASSIGN_ROLES = frozenset({Role.station_staff, Role.commune_officer})
LEAVES_HOME_CARE = frozenset({CaseStatus.hospitalized, CaseStatus.recovered, CaseStatus.deceased})
RISK_FIELDS = frozenset({"year_of_birth", "test_date", "comorbidities", "vaccine_doses",
                         "pregnant"})
CLOCK_TOLERANCE = FUTURE_TOLERANCE  # one tolerance for every recorded time
ANTIVIRAL_WINDOW_DAYS = 5
_DIGITS_QUERY = re.compile(r"^\+?[0-9][0-9 .-]*$")
SEGMENT = {AdminLevel.province: 2, AdminLevel.district: 3, AdminLevel.commune: 4}


class MedicineBag(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"


def _check_person(*, year_of_birth: int, test_date: date, sex: Sex, pregnant: bool) -> None:
    # the latest date anywhere on Earth: a ward in UTC+7 is ahead of the server's UTC day
    today = (datetime.now(UTC) + timedelta(hours=14)).date()
    if year_of_birth > today.year:
        raise ValidationFailed("the year of birth is in the future", field="year_of_birth")
    if test_date > today:
        raise ValidationFailed("the test date is in the future", field="test_date")
    if test_date.year < year_of_birth:
        raise ValidationFailed("the test predates the birth", field="test_date")
    if pregnant and sex is Sex.male:
        raise ValidationFailed("pregnancy is recorded for women only", field="pregnant")


def compute_risk(
    *, year_of_birth: int, test_date: date, comorbidities: list[str], vaccine_doses: int,
    pregnant: bool,
) -> RiskGroup:
    """Risk group at the time of the positive test."""
    return risk_group(age=test_date.year - year_of_birth, comorbidities=len(set(comorbidities)),
                      vaccine_doses=vaccine_doses, pregnant=pregnant)


class CaseService:
    """The cases the principal reads and cares for, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def get(self, case_id: uuid.UUID) -> CaseView:
        view = await CaseRepository(self.session).get(case_id)
        if view is None or not self.principal.can_read(view.case.scope_path):
            raise NotFound("case not found", field="case_id")
        return view

    async def _locked(self, case_id: uuid.UUID) -> F0Case:
        case = await CaseRepository(self.session).get_for_update(case_id)
        if case is None or not self.principal.can_read(case.scope_path):
            raise NotFound("case not found", field="case_id")
        return case

    async def search(
        self, *, district: str | None = None, commune: str | None = None,
        station_id: uuid.UUID | None = None, team_id: uuid.UUID | None = None,
        status: CaseStatus | None = None, risk: RiskGroup | None = None, q: str | None = None,
        possible_duplicates: bool = False, limit: int = 100, offset: int = 0,
    ) -> tuple[list[CaseView], int]:
        """Cases in scope by the filters given; with ``q``, the people it names, best first."""
        units = await StationService(self.session, self.principal).unit_paths(
            district=district, commune=commune
        )
        search, teams = None, None
        if q is not None:
            search = self._person_search(q)
            if self.principal.role is Role.care_team_member:
                teams = self.principal.team_ids
        f = CaseFilter(units=units, station_id=station_id, team_id=team_id, status=status,
                       risk_group=risk, search=search, teams=teams,
                       possible_duplicates=possible_duplicates)
        return await CaseRepository(self.session).page(f, limit=limit, offset=offset)

    def _person_search(self, q: str) -> CaseSearch:
        if self.principal.role not in CARE_ROLES:
            raise Forbidden("searching patients by name, phone or national id is for the "
                            "roles that care for them", field="q")
        if _DIGITS_QUERY.match(q.strip()):
            digits = re.sub(r"[^0-9]", "", q)
            return CaseSearch(words=(), digits=digits, phone=phone_key(q))
        words = tuple(name_key(q).split())
        if not words:
            raise ValidationFailed("the search has no letters or digits", field="q")
        return CaseSearch(words=words, digits=None, phone=None)

    async def find_same_person(
        self, *, scope_path: str, full_name: str, year_of_birth: int, phone: str | None,
        national_id: str | None, exclude: uuid.UUID | None = None,
    ) -> PersonCandidate | None:
        """The case already holding this person, if any (domain/rules/duplicates.py): the
        same national id in the caller's scope, or the same phone, name and year of birth
        in the ward."""
        phone, name = phone_key(phone), name_key(full_name)
        rows = await CaseRepository(self.session).same_person_candidates(
            scope=self.principal.unit_path, ward=scope_path, national_id=national_id,
            year_of_birth=year_of_birth, with_phone=phone is not None, exclude=exclude,
        )
        if national_id:
            for c in rows:
                if c.national_id == national_id:
                    return c
        for c in rows:
            if (phone is not None and c.scope_path == scope_path
                    and c.year_of_birth == year_of_birth and phone_key(c.phone) == phone
                    and name_key(c.full_name) == name):
                return c
        return None

    async def review_duplicate(self, case_id: uuid.UUID, *, same_person: bool) -> CaseView:
        """Settle a flagged case: another person (the flag is cleared), or the same person
        (the flagged copy is deleted, its open alert resolved; the original stays)."""
        case = await self._locked(case_id)
        require_care(self.principal, scope_path=case.scope_path, station_id=case.station_id,
                     team_id=case.team_id)
        self.principal.require_role(ENROL_ROLES, "review duplicate cases")
        if case.possible_duplicate_of is None:
            raise Conflict("the case is not flagged as a possible duplicate",
                           field="possible_duplicate_of")
        if not same_person:
            case.possible_duplicate_of = None
            await self.session.flush()
            return await self.get(case_id)
        # as a deleted case's: its alert leaves the worklist (alerts import this module)
        from domain.services.alerts import AlertService

        await AlertService(self.session, self.principal).resolve_for_deleted_case(case.id)
        case.deleted = True
        await self.session.flush()
        original = await CaseRepository(self.session).get(case.possible_duplicate_of)
        if original is None:
            raise NotFound("the original case is gone", field="possible_duplicate_of")
        return original

    async def summarize(
        self, *, by: AdminLevel | None = None, district: str | None = None,
    ) -> tuple[AdminLevel, list[UnitCounts]]:
        """De-identified counts per unit of level ``by`` (default: the level below the caller)."""
        if by is None or by is AdminLevel.national:
            by = [AdminLevel.province, AdminLevel.district, AdminLevel.commune][
                min(self.principal.unit_level, 2)]
        units = await StationService(self.session, self.principal).unit_paths(district=district)
        rows = await CaseRepository(self.session).summary(units, SEGMENT[by])
        statuses: dict[str, dict[CaseStatus, int]] = defaultdict(
            lambda: dict.fromkeys(CaseStatus, 0)
        )
        risks: dict[str, dict[RiskGroup, int]] = defaultdict(lambda: dict.fromkeys(RiskGroup, 0))
        for r in rows:
            statuses[r.unit_code][r.status] += r.count
            risks[r.unit_code][r.risk_group] += r.count
        units_named = await AdminUnitRepository(self.session).get_many(list(statuses))
        names = {u.code: u.name for u in units_named}
        return by, [UnitCounts(code, names.get(code, code), statuses[code], risks[code])
                    for code in statuses]

    async def create(self, **fields: Any) -> CaseView:
        """``enrol``, answered with the case's view (the API's answer)."""
        case = await self.enrol(**fields)
        return await self.get(case.id)

    async def enrol(
        self, *, station_id: uuid.UUID, team_id: uuid.UUID | None = None,
        case_code: str | None = None, home_position: tuple[float, float] | None = None,
        confirm_not_duplicate: bool = False, flag_duplicate: bool = False,
        registered_at: datetime | None = None, **person: Any,
    ) -> F0Case:
        """Enrol a case. The same person again is refused (DuplicateCase) unless
        ``confirm_not_duplicate``; with ``flag_duplicate`` (a device's push) it is kept and
        flagged instead. ``registered_at``: when a device recorded it (default now). A sync
        push calls this directly: it answers with the mutation's outcome, not the case."""
        station = await StationRepository(self.session).row(station_id)
        if station is None or not self.principal.can_read(station.scope_path):
            raise NotFound("station not found", field="station_id")
        self.principal.require_role(ENROL_ROLES, "enrol F0 cases")
        self.principal.require_write(station.scope_path, station.id, "station")
        if station.status is not StationStatus.active:
            raise Conflict(f"the station is {station.status.value}, not active", field="station_id")
        if team_id is not None:
            team = await CareTeamRepository(self.session).get(team_id)
            if team is None or team.station_id != station.id:
                raise ValidationFailed("the team does not belong to this station", field="team_id")
        _check_person(year_of_birth=person["year_of_birth"], test_date=person["test_date"],
                      sex=person["sex"], pregnant=person.get("pregnant", False))
        person["comorbidities"] = sorted(set(person.get("comorbidities", [])))
        person["full_name"] = normal_name(person["full_name"])
        now = datetime.now(UTC)
        registered_at = registered_at or now
        if is_future(registered_at, now):
            raise ValidationFailed("the case cannot be registered in the future",
                                   field="registered_at")
        if registered_at.date() < person["test_date"] - timedelta(days=1):
            raise ValidationFailed("the case cannot be registered before its positive test",
                                   field="registered_at")
        same = None
        if not confirm_not_duplicate:
            same = await self.find_same_person(
                scope_path=station.scope_path, full_name=person["full_name"],
                year_of_birth=person["year_of_birth"], phone=person.get("phone"),
                national_id=person.get("national_id"),
            )
        if same is not None and not flag_duplicate:
            raise DuplicateCase(
                f"this person is already case {same.case_code}; send confirm_not_duplicate "
                "if it is someone else", field="national_id" if (
                    person.get("national_id") and same.national_id == person["national_id"]
                ) else "full_name",
                existing_case_id=str(same.id), existing_case_code=same.case_code,
            )
        repo = CaseRepository(self.session)
        code = case_code or f"F0-{station.commune_code}-{uuid.uuid4().hex[:8].upper()}"
        if await repo.code_taken(code):
            raise Conflict(f"case code {code!r} is taken", field="case_code")
        case = await repo.add(F0Case(
            case_code=code, station_id=station.id, team_id=team_id,
            commune_code=station.commune_code, scope_path=station.scope_path,
            home_position=point_wkt(*home_position) if home_position else None,
            risk_group=compute_risk(
                year_of_birth=person["year_of_birth"], test_date=person["test_date"],
                comorbidities=person["comorbidities"],
                vaccine_doses=person.get("vaccine_doses", 0),
                pregnant=person.get("pregnant", False),
            ),
            status=CaseStatus.home_monitoring, status_changed_at=registered_at,
            possible_duplicate_of=same.id if same is not None else None, **person,
        ))
        await repo.add_status_event(CaseStatusEvent(
            case_id=case.id, scope_path=case.scope_path, from_status=None,
            to_status=CaseStatus.home_monitoring, changed_by=self.principal.user_id,
            reason="enrolled", effective_at=registered_at,
        ))
        if team_id is not None:
            await repo.add_assignment(CaseAssignment(
                case_id=case.id, scope_path=case.scope_path, team_id=team_id,
                assigned_by=self.principal.user_id, reason="enrolled",
            ))
        return case

    async def update(self, case_id: uuid.UUID, changes: dict[str, Any]) -> CaseView:
        """Change person, test or risk fields; the risk group follows the risk factors."""
        await self.edit(case_id, changes)
        await self.session.flush()
        return await self.get(case_id)

    async def edit(self, case_id: uuid.UUID, changes: dict[str, Any]) -> F0Case:
        """``update`` short of the flush and the re-read: a caller that writes more to the
        same row (a sync merge, its field stamps) does it in the same UPDATE and reads nothing."""
        case = await self._locked(case_id)
        apply_case_edit(self.principal, case, changes)
        return case

    async def change_status(
        self, case_id: uuid.UUID, target: CaseStatus, reason: str | None = None,
        effective_at: datetime | None = None,
    ) -> F0Case:
        """Move a case along the status machine as this caller (API and sync push alike),
        effective when it happened (``effective_at``, default now)."""
        case = await self._locked(case_id)
        require_care(self.principal, scope_path=case.scope_path, station_id=case.station_id,
                     team_id=case.team_id)
        CASE_STATUS.check(case.status, target, self.principal.role)
        now = datetime.now(UTC)
        effective_at = effective_at or now
        if is_future(effective_at, now):
            raise ValidationFailed("the move cannot take effect in the future",
                                   field="effective_at")
        history = await CaseRepository(self.session).status_events(case.id)
        registered = history[0].effective_at if history else case.created_at
        if effective_at < registered:
            raise ValidationFailed(
                f"the case was registered at {registered.isoformat()}; the move cannot take "
                "effect before", field="effective_at")
        if history and effective_at < history[-1].effective_at:
            raise ValidationFailed(
                f"the case moved to {history[-1].to_status.value} at "
                f"{history[-1].effective_at.isoformat()}; this move cannot take effect "
                "before it", field="effective_at")
        await set_status(self.session, case, target, actor=self.principal.user_id,
                         reason=reason, effective_at=effective_at)
        if target in LEAVES_HOME_CARE:
            alert = await AlertRepository(self.session).unresolved_for_case(case.id)
            if alert is not None:
                alert.status = AlertStatus.resolved
                alert.resolved_at = now
                alert.resolved_by = self.principal.user_id
                alert.resolution_note = f"case {target.value}"
        await self.session.flush()
        return case

    async def assign(
        self, case_id: uuid.UUID, team_id: uuid.UUID, reason: str | None = None,
    ) -> CaseView:
        """(Re)assign a case to a team of its commune; the case follows the team's station."""
        case = await self._locked(case_id)
        self.principal.require_write(case.scope_path, case.station_id, "case")
        self.principal.require_role(ASSIGN_ROLES, "assign cases to teams")
        team = await CareTeamRepository(self.session).get(team_id)
        if team is None or not self.principal.can_read(team.scope_path):
            raise NotFound("care team not found", field="team_id")
        if team.scope_path != case.scope_path:
            raise ValidationFailed("the team works in another commune", field="team_id")
        self.principal.require_write(team.scope_path, team.station_id, "care team")
        if team.id == case.team_id:
            return await self.get(case_id)
        if team.station_id != case.station_id:
            station = await StationRepository(self.session).get(team.station_id)
            if station is None or station.station.status is not StationStatus.active:
                raise Conflict("the team's station is not active", field="team_id")
        await CaseRepository(self.session).add_assignment(CaseAssignment(
            case_id=case.id, scope_path=case.scope_path, team_id=team.id,
            previous_team_id=case.team_id, assigned_by=self.principal.user_id, reason=reason,
        ))
        case.team_id, case.station_id = team.id, team.station_id
        alert = await AlertRepository(self.session).unresolved_for_case(case.id)
        if alert is not None:
            alert.team_id, alert.station_id = team.id, team.station_id
        await self.session.flush()
        return await self.get(case_id)

    async def status_history(self, case_id: uuid.UUID) -> list[CaseStatusEvent]:
        await self.get(case_id)
        return await CaseRepository(self.session).status_events(case_id)

    async def assignment_history(self, case_id: uuid.UUID) -> list[CaseAssignment]:
        await self.get(case_id)
        return await CaseRepository(self.session).assignments(case_id)

    async def order_bag_b(self, case_id: uuid.UUID) -> CaseView:
        """A doctor orders medicine bag B; staff may then give it. Ordering twice is harmless."""
        case = await self._locked(case_id)
        require_care(self.principal, scope_path=case.scope_path, station_id=case.station_id,
                     team_id=case.team_id)
        self.principal.require_role({Role.doctor}, "order medicine bag B")
        if case.status not in OPEN_STATUSES:
            raise Conflict(f"the case is {case.status.value}", field="status")
        case.bag_b_ordered_by = case.bag_b_ordered_by or self.principal.user_id
        await self.session.flush()
        return await self.get(case_id)

    async def give_medicine_bag(
        self, case_id: uuid.UUID, bag: MedicineBag, given_at: datetime | None = None,
    ) -> CaseView:
        case = await self._locked(case_id)
        require_care(self.principal, scope_path=case.scope_path, station_id=case.station_id,
                     team_id=case.team_id)
        if case.status not in OPEN_STATUSES:
            raise Conflict(f"the case is {case.status.value}", field="status")
        now = datetime.now(UTC)
        given_at = given_at or now
        if given_at > now + CLOCK_TOLERANCE:
            raise ValidationFailed("the bag cannot be given in the future", field="given_at")
        column = f"bag_{bag.value.lower()}_given_at"
        if getattr(case, column) is not None:
            raise Conflict(f"bag {bag.value} was already given", field="bag")
        if bag is MedicineBag.B:
            if self.principal.role is Role.doctor:
                case.bag_b_ordered_by = case.bag_b_ordered_by or self.principal.user_id
            elif case.bag_b_ordered_by is None:
                raise Conflict("bag B needs a doctor's order first", field="bag")
        if bag is MedicineBag.C:
            self.principal.require_role({Role.doctor}, "give the antiviral bag C")
            if case.pregnant or given_at.year - case.year_of_birth < 18:
                raise ValidationFailed("bag C is for adults who are not pregnant", field="bag")
            if (given_at.date() - case.test_date).days > ANTIVIRAL_WINDOW_DAYS:
                raise ValidationFailed(
                    f"bag C is given within {ANTIVIRAL_WINDOW_DAYS} days of the positive test",
                    field="bag",
                )
        setattr(case, column, given_at)
        await self.session.flush()
        return await self.get(case_id)


@dataclass(frozen=True, slots=True)
class UnitCounts:
    code: str
    name: str
    by_status: dict[CaseStatus, int]
    by_risk_group: dict[RiskGroup, int]


def apply_case_edit(principal: Principal, case: F0Case, changes: dict[str, Any]) -> None:
    """The rules of an edit, on a case already loaded (and locked) by the caller: a sync
    merge edits many cases in memory and writes them in one flush. Refuses before it changes
    anything, so a refusal leaves the case as it was."""
    require_care(principal, scope_path=case.scope_path, station_id=case.station_id,
                 team_id=case.team_id)
    if changes.get("home_position") is not None:
        changes = {**changes, "home_position": point_wkt(*changes["home_position"])}
    if changes.get("full_name") is not None:
        changes = {**changes, "full_name": normal_name(changes["full_name"])}
    if "comorbidities" in changes:
        changes = {**changes, "comorbidities": sorted(set(changes["comorbidities"]))}
    merged = {f: changes.get(f, getattr(case, f)) for f in (*RISK_FIELDS, "sex")}
    _check_person(year_of_birth=merged["year_of_birth"], test_date=merged["test_date"],
                  sex=merged["sex"], pregnant=merged["pregnant"])
    for field, value in changes.items():
        setattr(case, field, value)
    if RISK_FIELDS & set(changes):
        case.risk_group = compute_risk(**{f: merged[f] for f in RISK_FIELDS})


async def set_status(
    session: AsyncSession, case: F0Case, target: CaseStatus, *, actor: uuid.UUID | None,
    reason: str | None, effective_at: datetime | None = None,
) -> None:
    """Move a locked case and record the event; the caller has checked the move is allowed.
    ``status_changed_at`` is when the move took effect (default now)."""
    effective_at = effective_at or datetime.now(UTC)
    event = CaseStatusEvent(case_id=case.id, scope_path=case.scope_path, from_status=case.status,
                            to_status=target, changed_by=actor, reason=reason,
                            effective_at=effective_at)
    case.status = target
    case.status_changed_at = effective_at
    await CaseRepository(session).add_status_event(event)
