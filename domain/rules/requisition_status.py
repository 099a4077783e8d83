"""The requisition status machine: which transitions exist and which roles may make each.

Roles are checked here; scope (whose requisition, which warehouse) is checked by
domain/services/requisitions.py. Used by the API and by the sync push alike.
"""

from __future__ import annotations

from domain.errors import TransitionNotAllowed
from domain.models.enums import Role
from domain.models.supply import RequisitionStatus

S = RequisitionStatus
R = Role
REQUESTERS = frozenset({R.station_staff, R.commune_officer})
DISTRICT = frozenset({R.district_logistics})
CITY = frozenset({R.city_coordinator})

# (from, to) -> roles allowed.
TRANSITIONS: dict[tuple[RequisitionStatus, RequisitionStatus], frozenset[Role]] = {
    (S.submitted, S.approved): DISTRICT,
    (S.submitted, S.rejected): DISTRICT,
    (S.submitted, S.forwarded): DISTRICT,
    (S.submitted, S.cancelled): REQUESTERS,
    (S.forwarded, S.approved): CITY,
    (S.forwarded, S.rejected): CITY,
    # whoever holds the supplying warehouse ships: the district's, or the city's
    (S.approved, S.shipped): DISTRICT | CITY,
    (S.shipped, S.received): REQUESTERS,
}

TERMINAL = frozenset({S.rejected, S.received, S.cancelled})
# Requisitions someone still has to act on.
OPEN_STATUSES = frozenset(set(S) - TERMINAL)


def allowed_targets(current: RequisitionStatus, role: Role) -> list[RequisitionStatus]:
    return [to for (frm, to), roles in TRANSITIONS.items() if frm is current and role in roles]


def check_transition(current: RequisitionStatus, target: RequisitionStatus, role: Role) -> None:
    """Raise TransitionNotAllowed (carrying the current state) unless the move is allowed."""
    roles = TRANSITIONS.get((current, target))
    if roles is None:
        raise TransitionNotAllowed(
            f"a requisition cannot go from {current.value} to {target.value}",
            field="status", current=current.value,
        )
    if role not in roles:
        raise TransitionNotAllowed(
            f"a {role.value} may not move a requisition from {current.value} to {target.value}",
            field="status", current=current.value,
        )
