"""The F0 case status machine: which transitions exist and which roles may make each.

Used by the API and by the sync push ("state machine" merge policy) alike, so a transition
that is refused online is refused offline too.
"""

from __future__ import annotations

from domain.errors import TransitionNotAllowed
from domain.models.enums import CaseStatus, Role

S = CaseStatus
R = Role
CARE = frozenset({R.station_staff, R.care_team_member, R.doctor})

# (from, to) -> roles allowed. "system" transitions (an alert moving a case to needs
# attention) are made by the alert rules with the author of the triggering observation.
TRANSITIONS: dict[tuple[CaseStatus, CaseStatus], frozenset[Role]] = {
    (S.home_monitoring, S.needs_attention): CARE,
    (S.needs_attention, S.home_monitoring): frozenset({R.doctor}),
    (S.home_monitoring, S.transfer_requested): frozenset({R.doctor, R.station_staff}),
    (S.needs_attention, S.transfer_requested): frozenset({R.doctor, R.station_staff}),
    (S.transfer_requested, S.needs_attention): frozenset({R.doctor}),
    (S.transfer_requested, S.hospitalized): frozenset({R.doctor, R.station_staff,
                                                       R.commune_officer}),
    (S.home_monitoring, S.recovered): frozenset({R.doctor}),
    (S.needs_attention, S.recovered): frozenset({R.doctor}),
    (S.hospitalized, S.recovered): frozenset({R.doctor, R.commune_officer}),
    (S.home_monitoring, S.deceased): frozenset({R.doctor, R.commune_officer}),
    (S.needs_attention, S.deceased): frozenset({R.doctor, R.commune_officer}),
    (S.transfer_requested, S.deceased): frozenset({R.doctor, R.commune_officer}),
    (S.hospitalized, S.deceased): frozenset({R.doctor, R.commune_officer}),
}

TERMINAL = frozenset({S.recovered, S.deceased})
OPEN_STATUSES = frozenset(set(S) - TERMINAL - {S.hospitalized})


def allowed_targets(current: CaseStatus, role: Role) -> list[CaseStatus]:
    return [to for (frm, to), roles in TRANSITIONS.items() if frm is current and role in roles]


def check_transition(current: CaseStatus, target: CaseStatus, role: Role) -> None:
    """Raise TransitionNotAllowed (carrying the current state) unless the move is allowed."""
    roles = TRANSITIONS.get((current, target))
    if roles is None:
        raise TransitionNotAllowed(
            f"a case cannot go from {current.value} to {target.value}",
            field="status", current=current.value,
        )
    if role not in roles:
        raise TransitionNotAllowed(
            f"a {role.value} may not move a case from {current.value} to {target.value}",
            field="status", current=current.value,
        )
