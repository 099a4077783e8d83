"""Route handlers of the chain of command upward (issue 15: reports, proposals, readiness,
coverage), registered by api/app.py."""

from __future__ import annotations

from typing import Any

from api.controllers.chain_coverage import ChainCoverageController
from api.controllers.proposals import ProposalController
from api.controllers.readiness import ReadinessController
from api.controllers.reports import ReportController

HANDLERS: list[Any] = [
    ReportController,
    ProposalController,
    ReadinessController,
    ChainCoverageController,
]
