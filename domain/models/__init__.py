"""All mapped models, imported here so Alembic and the mappers see every table."""

import domain.models.device
import domain.models.supply  # noqa: F401  (supply tables)
from domain.models.admin_unit import AdminLevel, AdminUnit
from domain.models.audit import AuditEntry
from domain.models.case import CaseAssignment, CaseFollowUp, CaseStatusEvent, F0Case
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
    "CaseFollowUp",
    "CaseStatusEvent",
    "F0Case",
    "LoginThrottle",
    "Observation",
    "Station",
    "StreamTicket",
    "User",
]
