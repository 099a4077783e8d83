"""The F0 case status machine: which transitions exist and which roles may make each.

Used by the API and by the sync push ("state machine" merge policy) alike, so a transition
that is refused online is refused offline too.
"""

from __future__ import annotations

from domain.models.enums import CaseStatus, Role
from domain.rules.state_machine import StateMachine

S = CaseStatus
R = Role
CARE = frozenset({R.station_staff, R.care_team_member, R.doctor})

# (from, to) -> roles allowed, following the Ministry of Health's home-care pathway for F0
# (Decision 4038/QĐ-BYT): home monitoring; attention when a sign worsens (a doctor judges it
# settled); a transfer requested to a treatment facility, which may be cancelled when the
# doctor finds it no longer needed; admission, always after a transfer request (an emergency
# admission is recorded as the request and the admission, each effective when it happened);
# discharge back to home follow-up;
# recovery confirmed by a doctor; death, recorded by the station where it happened at home.
# "system" transitions (an alert moving a case to needs attention) are made by the alert rules
# with the author of the triggering observation. README.md's status table says the same.
WARD_RECORDERS = frozenset({R.doctor, R.station_staff, R.commune_officer})
CASE_STATUS: StateMachine[CaseStatus] = StateMachine("case", {
    (S.home_monitoring, S.needs_attention): CARE,
    (S.needs_attention, S.home_monitoring): frozenset({R.doctor}),
    (S.home_monitoring, S.transfer_requested): frozenset({R.doctor, R.station_staff}),
    (S.needs_attention, S.transfer_requested): frozenset({R.doctor, R.station_staff}),
    (S.transfer_requested, S.needs_attention): frozenset({R.doctor}),
    (S.transfer_requested, S.home_monitoring): frozenset({R.doctor, R.station_staff}),
    (S.transfer_requested, S.hospitalized): WARD_RECORDERS,
    (S.hospitalized, S.home_monitoring): WARD_RECORDERS,
    (S.home_monitoring, S.recovered): frozenset({R.doctor}),
    (S.needs_attention, S.recovered): frozenset({R.doctor}),
    (S.hospitalized, S.recovered): frozenset({R.doctor, R.commune_officer}),
    (S.home_monitoring, S.deceased): WARD_RECORDERS,
    (S.needs_attention, S.deceased): WARD_RECORDERS,
    (S.transfer_requested, S.deceased): WARD_RECORDERS,
    (S.hospitalized, S.deceased): frozenset({R.doctor, R.commune_officer}),
})

TERMINAL = CASE_STATUS.terminal  # recovered, deceased
# Cases in home care: a hospitalized case is not terminal (it may recover) but is not ours.
OPEN_STATUSES = frozenset(set(S) - TERMINAL - {S.hospitalized})
