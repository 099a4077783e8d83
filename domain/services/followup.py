"""The daily vital-sign follow-up: which patients under home care are overdue a reading.

Rules decided here (the definition of "overdue" is domain/rules/followup.py):
- Scoped like every read: a ward sees its own patients, a district its wards, siblings
  nothing; ``station_id`` and ``team_id`` narrow it to one station's or one team's worklist.
- The worklist is read at one instant (``as_of``, default now), the same instant the device
  uses offline with the pulled ``case_followup`` rows.
- Beside the overdue patients go the unresolved (open or acknowledged) alerts of the same
  station or team, emergencies first: the two lists a station works from each morning.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import NotFound, ValidationFailed
from domain.models.observation import Alert
from domain.repositories.care_teams import CareTeamRepository
from domain.repositories.followup import FollowUpRepository, FollowUpRow, local_day
from domain.repositories.stations import StationRepository
from domain.services.alerts import AlertService
from domain.services.stations import StationService

MAX_ALERTS = 1000  # a ward's worklist holds far fewer; a district reads its alerts paged


class FollowUpService:
    """The follow-up worklist the principal reads, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def worklist(
        self, *, district: str | None = None, commune: str | None = None,
        station_id: uuid.UUID | None = None, team_id: uuid.UUID | None = None,
        as_of: datetime | None = None, limit: int = 100, offset: int = 0,
    ) -> tuple[datetime, list[FollowUpRow], int, list[Alert]]:
        """(as_of, a page of overdue cases, how many in all, the unresolved alerts)."""
        if as_of is not None and as_of.tzinfo is None:
            raise ValidationFailed("the instant needs its offset (Z or +07:00)", field="as_of")
        as_of = as_of or datetime.now(UTC)
        if station_id is not None:
            station = await StationRepository(self.session).get(station_id)
            if station is None or not self.principal.can_read(station.station.scope_path):
                raise NotFound("station not found", field="station_id")
        if team_id is not None:
            team = await CareTeamRepository(self.session).get(team_id)
            if team is None or not self.principal.can_read(team.scope_path):
                raise NotFound("care team not found", field="team_id")
        units = await StationService(self.session, self.principal).unit_paths(
            district=district, commune=commune)
        rows, total = await FollowUpRepository(self.session).page(
            units=units, day=local_day(as_of), overdue_at=as_of, station_id=station_id,
            team_id=team_id, limit=limit, offset=offset)
        alerts, _ = await AlertService(self.session, self.principal).search(
            district=district, commune=commune, unresolved=True, station_id=station_id,
            team_id=team_id, limit=MAX_ALERTS)
        return as_of, rows, total, alerts

    async def of_case(self, case_id: uuid.UUID) -> FollowUpRow:
        """The follow-up of one case in scope, now."""
        rows, _ = await FollowUpRepository(self.session).page(
            units=[self.principal.unit_path], day=local_day(datetime.now(UTC)),
            case_id=case_id, limit=1)
        if not rows:
            raise NotFound("case not found", field="case_id")
        return rows[0]
