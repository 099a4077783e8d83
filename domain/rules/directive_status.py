"""The status machine of an addressed unit's answer to a directive, forward only:
unread -> acknowledged -> in_progress -> done (a step may be skipped: a unit that reports the
work done has plainly read the order).

Forward only, so two tablets of one ward answering offline never conflict: asking for a state
the answer has passed is already satisfied (``reached``). Roles are the ones that answer for a
unit at all; *which* unit is the service's business (domain/services/directives.py): only the
addressed unit itself, never the level above it or a sibling.
"""

from __future__ import annotations

from itertools import combinations

from domain.models.directive import DirectiveStatus
from domain.models.enums import Role
from domain.rules.state_machine import StateMachine

S = DirectiveStatus
# Who answers for a unit: its officers and station staff at a commune, the logistics and
# coordination staff of a district or city. Care-team volunteers and observers do not.
RESPONDERS = frozenset({Role.station_staff, Role.doctor, Role.commune_officer,
                        Role.district_logistics, Role.city_coordinator, Role.administrator})
ORDER = (S.unread, S.acknowledged, S.in_progress, S.done)

DIRECTIVE_STATUS: StateMachine[DirectiveStatus] = StateMachine(
    "directive",
    {(frm, to): RESPONDERS for frm, to in combinations(ORDER, 2)},
    order=ORDER,
    cannot="the directive is already {current}",
)
