"""The four status machines, move by move and role by role: every move in the table is
allowed to exactly its roles, every other (state, state, role) is refused with the messages
the API and the sync push return."""

from __future__ import annotations

import enum
import itertools
from typing import Any

import pytest

from domain.errors import TransitionNotAllowed
from domain.models.enums import AlertStatus, CaseStatus, Role, StationStatus
from domain.models.supply import RequisitionStatus
from domain.rules.alert_status import ALERT_STATUS
from domain.rules.case_status import CASE_STATUS
from domain.rules.case_status import OPEN_STATUSES as OPEN_CASES
from domain.rules.requisition_status import OPEN_STATUSES as OPEN_REQUISITIONS
from domain.rules.requisition_status import REQUISITION_STATUS
from domain.rules.state_machine import StateMachine
from domain.rules.station_status import STATION_STATUS

# Written out again on purpose, from the rules as documented: the machines must match them.
CASE = """
home_monitoring    needs_attention    station_staff care_team_member doctor
needs_attention    home_monitoring    doctor
home_monitoring    transfer_requested doctor station_staff
needs_attention    transfer_requested doctor station_staff
transfer_requested needs_attention    doctor
transfer_requested home_monitoring    doctor station_staff
transfer_requested hospitalized       doctor station_staff commune_officer
hospitalized       home_monitoring    doctor station_staff commune_officer
home_monitoring    recovered          doctor
needs_attention    recovered          doctor
hospitalized       recovered          doctor commune_officer
home_monitoring    deceased           doctor station_staff commune_officer
needs_attention    deceased           doctor station_staff commune_officer
transfer_requested deceased           doctor station_staff commune_officer
hospitalized       deceased           doctor commune_officer
"""
REQUISITION = """
submitted approved  district_logistics
submitted rejected  district_logistics
submitted forwarded district_logistics
submitted cancelled station_staff commune_officer
forwarded approved  city_coordinator
forwarded rejected  city_coordinator
approved  shipped   district_logistics city_coordinator
shipped   received  station_staff commune_officer
"""
STATION = """
preparing active    commune_officer administrator city_coordinator
preparing closed    commune_officer administrator city_coordinator
active    suspended commune_officer administrator city_coordinator
active    closed    commune_officer administrator city_coordinator
suspended active    commune_officer administrator city_coordinator
suspended closed    commune_officer administrator city_coordinator
"""
ALERT = """
open         acknowledged station_staff care_team_member doctor commune_officer
open         resolved     station_staff care_team_member doctor commune_officer
acknowledged resolved     station_staff care_team_member doctor commune_officer
"""

MACHINES: list[tuple[Any, type[enum.Enum], str, str]] = [
    (CASE_STATUS, CaseStatus, CASE, "a case cannot go from {current} to {target}"),
    (REQUISITION_STATUS, RequisitionStatus, REQUISITION,
     "a requisition cannot go from {current} to {target}"),
    (STATION_STATUS, StationStatus, STATION, "a station cannot go from {current} to {target}"),
    (ALERT_STATUS, AlertStatus, ALERT, "the alert is already {current}"),
]


def table(states: type[enum.Enum], text: str) -> dict[tuple[enum.Enum, enum.Enum], set[Role]]:
    moves = {}
    for line in text.strip().splitlines():
        frm, to, *roles = line.split()
        moves[(states[frm], states[to])] = {Role(r) for r in roles}
    return moves


@pytest.mark.parametrize(("machine", "states", "spec", "cannot"), MACHINES,
                         ids=[m[0].noun for m in MACHINES])
def test_every_move_is_allowed_to_its_roles_and_refused_otherwise(
    machine: StateMachine[enum.Enum], states: type[enum.Enum], spec: str, cannot: str
) -> None:
    moves = table(states, spec)
    for current, target, role in itertools.product(states, states, Role):
        allowed = role in moves.get((current, target), set())
        assert machine.allows(current, target, role) is allowed, (current, target, role)
        if allowed:
            machine.check(current, target, role)
            continue
        with pytest.raises(TransitionNotAllowed) as refused:
            machine.check(current, target, role)
        exc = refused.value
        assert (exc.code, exc.field, exc.extra["current"]) == (
            "transition_not_allowed", "status", current.value)
        if (current, target) in moves:
            assert exc.message == (f"a {role.value} may not move a {machine.noun} from "
                                   f"{current.value} to {target.value}")
        else:
            assert exc.message == cannot.format(current=current.value, target=target.value)
    for current, role in itertools.product(states, Role):
        assert machine.allowed_targets(current, role) == [
            to for (frm, to), roles in moves.items() if frm is current and role in roles]


def test_terminal_and_open_states() -> None:
    S, R = CaseStatus, RequisitionStatus
    assert CASE_STATUS.terminal == {S.recovered, S.deceased}
    assert {S.home_monitoring, S.needs_attention, S.transfer_requested} == OPEN_CASES
    assert REQUISITION_STATUS.terminal == {R.rejected, R.received, R.cancelled}
    assert {R.submitted, R.forwarded, R.approved, R.shipped} == OPEN_REQUISITIONS
    assert STATION_STATUS.terminal == {StationStatus.closed}
    assert ALERT_STATUS.terminal == {AlertStatus.resolved}


def test_an_alert_only_moves_forward() -> None:
    A = AlertStatus
    reached = {(t, c) for t, c in itertools.product(A, A) if ALERT_STATUS.reached(t, c)}
    assert reached == {(A.open, A.open), (A.open, A.acknowledged), (A.open, A.resolved),
                       (A.acknowledged, A.acknowledged), (A.acknowledged, A.resolved),
                       (A.resolved, A.resolved)}
    # a machine without an order has reached only the state it is in
    assert STATION_STATUS.reached(StationStatus.active, StationStatus.active)
    assert not STATION_STATUS.reached(StationStatus.preparing, StationStatus.active)
