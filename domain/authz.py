"""Who may do what where: authority follows the administrative hierarchy.

Each level does its own job. A user reads everything at or below their unit, writes the
operational data of their own unit (and their own station when they belong to one), and acts
on lower units only through the workflows written for that (approve, assign, escalate).
Nobody reads across into a sibling: out of scope looks exactly like "not found".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from domain.errors import Forbidden, NotFound
from domain.models.enums import Role

# Roles that work in a ward: they write the ward's operational data.
FIELD_ROLES = frozenset({Role.station_staff, Role.care_team_member, Role.doctor,
                         Role.commune_officer})
# Roles that care for the person and so see personal fields of F0 cases in their unit (a
# care-team member only for the patients of their own teams).
CARE_ROLES = frozenset({Role.station_staff, Role.care_team_member, Role.doctor,
                        Role.commune_officer})
# Commune officers and above enrol devices and read the sync conflict log of their unit.
COORDINATOR_ROLES = frozenset({Role.commune_officer, Role.district_logistics,
                               Role.city_coordinator, Role.administrator})
# Roles allowed to read the audit trail of their unit (the rows whose unit lies in theirs):
# district logistics inspect their district's wards and warehouse, so they read it too.
AUDIT_ROLES = frozenset({Role.commune_officer, Role.district_logistics, Role.city_coordinator,
                         Role.administrator})


def within(path: str, scope: str) -> bool:
    """True when ``path`` is ``scope`` itself or lies below it ("VN.79.760" within "VN.79")."""
    return path == scope or path.startswith(scope + ".")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a person through a login, or a person through a device."""

    user_id: uuid.UUID
    username: str
    role: Role
    unit_code: str
    unit_path: str
    station_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    team_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    @property
    def via(self) -> str:
        return "device" if self.device_id else "login"

    @property
    def unit_level(self) -> int:
        """0 national, 1 province, 2 district, 3 commune."""
        return self.unit_path.count(".")

    def can_read(self, scope_path: str) -> bool:
        return within(scope_path, self.unit_path)

    def require_read(self, scope_path: str, what: str = "object") -> None:
        if not self.can_read(scope_path):
            raise NotFound(f"{what} not found")

    def can_write(self, scope_path: str, station_id: uuid.UUID | None = None) -> bool:
        """Operational writes: field roles, in their own unit, at their own station if any."""
        if self.role not in FIELD_ROLES or scope_path != self.unit_path:
            return False
        return self.station_id is None or station_id is None or station_id == self.station_id

    def require_write(
        self, scope_path: str, station_id: uuid.UUID | None = None, what: str = "object"
    ) -> None:
        """404 when the caller may not even see it, 403 when they see it but may not change it."""
        self.require_read(scope_path, what)
        if not self.can_write(scope_path, station_id):
            raise Forbidden(f"{self.role.value} of {self.unit_code} may not change this {what}")

    def require_role(self, roles: frozenset[Role] | set[Role], action: str) -> None:
        if self.role not in roles and self.role is not Role.administrator:
            raise Forbidden(f"a {self.role.value} may not {action}")

    def sees_personal_data(self, scope_path: str, team_id: uuid.UUID | None = None) -> bool:
        """Personal fields go only to those caring for the person: a care-team member sees
        the patients of their own teams (``team_id`` is the case's team), not the whole ward."""
        if self.role not in CARE_ROLES or not within(scope_path, self.unit_path):
            return False
        return self.role is not Role.care_team_member or team_id in self.team_ids
