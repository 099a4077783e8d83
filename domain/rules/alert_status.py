"""The alert status machine: open -> acknowledged -> resolved, forward only.

Those who care for the patient move it (domain.rules.care decides whose patient it is); the
roles here are the ones that can care at all. Forward only, so two devices handling one alert
never conflict: asking for a state the alert has passed is already satisfied (``reached``).
"""

from __future__ import annotations

from domain.authz import FIELD_ROLES
from domain.models.enums import AlertStatus
from domain.rules.state_machine import StateMachine

S = AlertStatus

ALERT_STATUS: StateMachine[AlertStatus] = StateMachine(
    "alert",
    {
        (S.open, S.acknowledged): FIELD_ROLES,
        (S.open, S.resolved): FIELD_ROLES,
        (S.acknowledged, S.resolved): FIELD_ROLES,
    },
    order=(S.open, S.acknowledged, S.resolved),
    cannot="the {noun} is already {current}",
)
