"""Route handlers of the operations area, registered by api/app.py."""

from __future__ import annotations

from typing import Any

from api.controllers.alerts import AlertController
from api.controllers.audit import AuditController
from api.controllers.care_teams import CareTeamController
from api.controllers.cases import CaseController
from api.controllers.followup import FollowUpController
from api.controllers.observations import ObservationController
from api.controllers.stations import StationController

HANDLERS: list[Any] = [
    StationController,
    CareTeamController,
    CaseController,
    FollowUpController,
    ObservationController,
    AlertController,
    AuditController,
]
