"""Route handlers of the chain of command (issue 15), registered by api/app.py."""

from __future__ import annotations

from typing import Any

from api.controllers.community_teams import CommunityTeamController
from api.controllers.directives import DirectiveController
from api.controllers.inspections import InspectionController
from api.controllers.received_directives import ReceivedDirectiveController

HANDLERS: list[Any] = [
    DirectiveController,
    ReceivedDirectiveController,
    InspectionController,
    CommunityTeamController,
]
