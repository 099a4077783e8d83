"""Readiness of each fortress: a commune's response plan per epidemic level, what it has
ready, its current level, and the gaps between them.

Rules decided here:
- The plan is the commune's own: its people (``is_reporter``: its field roles, an
  administrator of the commune) write what each of the four levels needs and what the commune
  has ready, online or on a tablet (every field last-writer-wins). Plans exist for communes
  only.
- The current level of a unit is set by the unit directly above it, which holds that
  authority: district logistics set their communes' levels, the city coordinator the
  districts', an administrator of the parent unit any of its children's. A unit never sets
  its own level.
- The gap of a resource at a level is what the level needs minus what is ready, never below
  zero; the current gaps are those of the current level.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.authz import Principal
from domain.errors import Forbidden, NotFound, ValidationFailed
from domain.models.enums import Role
from domain.models.readiness import (
    RESOURCES,
    EpidemicLevel,
    ReadinessNeed,
    ReadinessResources,
    UnitLevel,
    readiness_need_id,
    readiness_resources_id,
)
from domain.repositories.admin_units import AdminUnitRecord, AdminUnitRepository
from domain.repositories.readiness import ReadinessRepository, UnitReadinessRow
from domain.services.reports import is_reporter

LEVEL_SETTER_ROLES = frozenset({Role.district_logistics, Role.city_coordinator,
                                Role.administrator})
Counts = dict[str, int]


def gaps(needed: Counts | None, ready: Counts | None) -> Counts | None:
    """needed − ready per resource, never below zero (None without a plan for the level)."""
    if needed is None:
        return None
    have = ready or {}
    return {r: max(needed.get(r, 0) - have.get(r, 0), 0) for r in RESOURCES}


def _counts(row: ReadinessNeed | ReadinessResources | None) -> Counts | None:
    return None if row is None else {r: int(getattr(row, r)) for r in RESOURCES}


@dataclass(frozen=True, slots=True)
class ReadinessView:
    unit: AdminUnitRecord
    level: UnitLevel | None
    ready: Counts | None
    needs: dict[int, Counts]
    gaps: dict[int, Counts]

    @property
    def current_gaps(self) -> Counts | None:
        return None if self.level is None else self.gaps.get(self.level.level)


@dataclass(frozen=True, slots=True)
class MapUnit:
    row: UnitReadinessRow
    gaps: Counts | None


class ReadinessService:
    """Readiness plans and epidemic levels the principal reads and writes, in their session."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.repo = ReadinessRepository(session)
        self.units = AdminUnitRepository(session)

    async def _unit(self, code: str | None) -> AdminUnitRecord:
        code = code or self.principal.unit_code
        unit = await self.units.get(code)
        if unit is None or not self.principal.can_read(unit.path):
            raise NotFound(f"no administrative unit with code {code!r}", field="unit_code")
        return unit

    async def view(self, unit_code: str | None) -> ReadinessView:
        unit = await self._unit(unit_code)
        ready = _counts(await self.repo.resources(readiness_resources_id(unit.code)))
        needs = {n.level: c for n in await self.repo.needs(unit.code)
                 if (c := _counts(n)) is not None}
        return ReadinessView(
            unit=unit, level=await self.repo.level(unit.code), ready=ready, needs=needs,
            gaps={lv: g for lv, need in needs.items() if (g := gaps(need, ready)) is not None},
        )

    async def map(self, unit_code: str | None) -> list[MapUnit]:
        """The units below (two levels down) with their level and current gaps."""
        unit = await self._unit(unit_code)
        rows = await self.repo.map_rows(unit.path, depth=1)
        return [MapUnit(r, gaps(r.needed, r.ready)) for r in rows]

    # -- the commune's plan ---------------------------------------------------------------
    def _require_planner(self, commune: AdminUnitRecord) -> None:
        p = self.principal
        p.require_read(commune.path, "unit")
        if commune.path.count(".") != 3:
            raise ValidationFailed("readiness plans are kept by communes", field="unit_code")
        if p.unit_path != commune.path or not is_reporter(p):
            raise Forbidden(f"a {p.role.value} of {p.unit_code} may not change this "
                            "commune's plan", field="unit_code")

    @staticmethod
    def _check_counts(counts: dict[str, Any]) -> None:
        for name in counts:
            if name not in RESOURCES:
                raise ValidationFailed(f"{name} is not a resource of the plan", field=name)

    async def set_need(
        self, commune_code: str, level: int, counts: Counts, *, rid: uuid.UUID | None = None,
    ) -> ReadinessNeed:
        """Write what one level needs (creating the level's row on first write)."""
        commune = await self._unit(commune_code)
        self._require_planner(commune)
        if level not in {lv.value for lv in EpidemicLevel}:
            raise ValidationFailed("the level is 1 to 4", field="level")
        self._check_counts(counts)
        expected = readiness_need_id(commune.code, level)
        if rid is not None and rid != expected:
            raise ValidationFailed(f"level {level} of {commune.code} has id {expected}",
                                   field="id")
        row = await self.repo.need(expected, lock=True)
        if row is None:
            row = await self.repo.add(ReadinessNeed(
                id=expected, commune_code=commune.code, scope_path=commune.path, level=level,
                **counts))
        else:
            for name, value in counts.items():
                setattr(row, name, value)
            await self.session.flush()
        return row

    async def edit_need(self, rid: uuid.UUID, counts: Counts) -> ReadinessNeed:
        """A tablet's edit of an existing plan row (handed back unflushed)."""
        row = await self.repo.need(rid, lock=True)
        if row is None or not self.principal.can_read(row.scope_path):
            raise NotFound("plan row not found", field="id")
        self._require_planner(await self._unit(row.commune_code))
        self._check_counts(counts)
        for name, value in counts.items():
            setattr(row, name, value)
        return row

    async def set_resources(
        self, commune_code: str, counts: Counts, *, rid: uuid.UUID | None = None,
    ) -> ReadinessResources:
        """Write what the commune has ready."""
        commune = await self._unit(commune_code)
        self._require_planner(commune)
        self._check_counts(counts)
        expected = readiness_resources_id(commune.code)
        if rid is not None and rid != expected:
            raise ValidationFailed(f"the resources of {commune.code} have id {expected}",
                                   field="id")
        row = await self.repo.resources(expected, lock=True)
        if row is None:
            row = await self.repo.add(ReadinessResources(
                id=expected, commune_code=commune.code, scope_path=commune.path, **counts))
        else:
            for name, value in counts.items():
                setattr(row, name, value)
            await self.session.flush()
        return row

    async def edit_resources(self, rid: uuid.UUID, counts: Counts) -> ReadinessResources:
        row = await self.repo.resources(rid, lock=True)
        if row is None or not self.principal.can_read(row.scope_path):
            raise NotFound("resources row not found", field="id")
        self._require_planner(await self._unit(row.commune_code))
        self._check_counts(counts)
        for name, value in counts.items():
            setattr(row, name, value)
        return row

    # -- the level, set from above ---------------------------------------------------------
    async def set_level(self, unit_code: str, level: int, note: str | None) -> ReadinessView:
        unit = await self._unit(unit_code)
        p = self.principal
        if unit.parent_code is None or p.unit_path != unit.path.rsplit(".", 1)[0] \
                or p.role not in LEVEL_SETTER_ROLES:
            raise Forbidden("a unit's level is set by the level directly above it",
                            field="unit_code")
        if level not in {lv.value for lv in EpidemicLevel}:
            raise ValidationFailed("the level is 1 to 4", field="level")
        row = await self.repo.level(unit.code, lock=True)
        now = datetime.now(UTC)
        if row is None:
            await self.repo.add(UnitLevel(unit_code=unit.code, scope_path=unit.path, level=level,
                                          note=note, set_by=p.user_id, set_at=now))
        else:
            row.level, row.note, row.set_by, row.set_at = level, note, p.user_id, now
            await self.session.flush()
        return await self.view(unit.code)
