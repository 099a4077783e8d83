"""The station status machine: preparing -> active <-> suspended, and closed from any of them.

The roles are those that may move a station's status at all; which stations each may move
(their commune, their city) and the refusal to close a station with open cases are
domain/services/stations.py. Used by the API and by the sync push alike.
"""

from __future__ import annotations

from domain.models.enums import Role, StationStatus
from domain.rules.state_machine import StateMachine

S = StationStatus
# Commune officers and administrators run their stations; city coordinators may suspend or
# close any station of their city (the city's escalation).
STATUS_ROLES = frozenset({Role.commune_officer, Role.administrator, Role.city_coordinator})

STATION_STATUS: StateMachine[StationStatus] = StateMachine("station", {
    (S.preparing, S.active): STATUS_ROLES,
    (S.preparing, S.closed): STATUS_ROLES,
    (S.active, S.suspended): STATUS_ROLES,
    (S.active, S.closed): STATUS_ROLES,
    (S.suspended, S.active): STATUS_ROLES,
    (S.suspended, S.closed): STATUS_ROLES,
})
