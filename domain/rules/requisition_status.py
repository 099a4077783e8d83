"""The requisition status machine: which transitions exist and which roles may make each.

Roles are checked here; scope (whose requisition, which warehouse) is checked by
domain/services/requisitions.py. Used by the API and by the sync push alike.
"""

from __future__ import annotations

from domain.models.enums import Role
from domain.models.supply import RequisitionStatus
from domain.rules.state_machine import StateMachine

S = RequisitionStatus
R = Role
REQUESTERS = frozenset({R.station_staff, R.commune_officer})
DISTRICT = frozenset({R.district_logistics})
CITY = frozenset({R.city_coordinator})

# (from, to) -> roles allowed.
REQUISITION_STATUS: StateMachine[RequisitionStatus] = StateMachine("requisition", {
    (S.submitted, S.approved): DISTRICT,
    (S.submitted, S.rejected): DISTRICT,
    (S.submitted, S.forwarded): DISTRICT,
    (S.submitted, S.cancelled): REQUESTERS,
    (S.forwarded, S.approved): CITY,
    (S.forwarded, S.rejected): CITY,
    # whoever holds the supplying warehouse ships: the district's, or the city's
    (S.approved, S.shipped): DISTRICT | CITY,
    (S.shipped, S.received): REQUESTERS,
})

TERMINAL = REQUISITION_STATUS.terminal  # rejected, received, cancelled
# Requisitions someone still has to act on.
OPEN_STATUSES = frozenset(set(S) - TERMINAL)
