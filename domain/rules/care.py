"""Who may act on a patient's care (edit the case, record readings, handle alerts, give
medicine bags, move the status): the ward's field roles at the case's station, a care-team
member only for the cases of their own teams, a district-level doctor anywhere in their
district (they supervise home care)."""

from __future__ import annotations

import uuid

from domain.authz import Principal
from domain.errors import Forbidden
from domain.models.enums import Role


def require_care(
    principal: Principal, *, scope_path: str, station_id: uuid.UUID | None,
    team_id: uuid.UUID | None, what: str = "case",
) -> None:
    """May the caller act on this patient's care? 404 out of scope, 403 when not theirs."""
    principal.require_read(scope_path, what)
    if principal.role is Role.doctor and principal.unit_level == 2:
        return
    principal.require_write(scope_path, station_id, what)
    if principal.role is Role.care_team_member and (
        team_id is None or team_id not in principal.team_ids
    ):
        raise Forbidden(f"only the patient's own care team may change this {what}")
