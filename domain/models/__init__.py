"""All mapped models, imported here so Alembic and the mappers see every table."""

import domain.models.community_team
import domain.models.device
import domain.models.directive
import domain.models.inspection
import domain.models.proposal
import domain.models.readiness
import domain.models.report
import domain.models.supply  # noqa: F401  (supply tables)
from domain.models.admin_unit import AdminLevel, AdminUnit
from domain.models.audit import AuditEntry
from domain.models.case import CaseAssignment, CaseStatusEvent, F0Case
from domain.models.observation import Alert, Observation
from domain.models.security import LoginThrottle, StreamTicket
from domain.models.station import CareTeam, CareTeamMember, Station
from domain.models.user import User

__all__ = [
    "AdminLevel",
    "AdminUnit",
    "Alert",
    "AuditEntry",
    "CareTeam",
    "CareTeamMember",
    "CaseAssignment",
    "CaseStatusEvent",
    "F0Case",
    "LoginThrottle",
    "Observation",
    "Station",
    "StreamTicket",
    "User",
]
