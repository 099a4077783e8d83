"""Readiness plans and epidemic levels on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from domain.contract import Level, LevelNote, ReadinessCount
from domain.models.readiness import EpidemicLevel
from domain.services.readiness import Counts, MapUnit, ReadinessView


class Resources(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Counts of a plan: what a level needs, or what the commune has ready."""

    staff: ReadinessCount = 0
    stations: ReadinessCount = 0
    home_beds: ReadinessCount = 0
    oxygen: ReadinessCount = 0  # cylinders and concentrators
    teams: ReadinessCount = 0


class LevelSet(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    level: Level
    note: LevelNote | None = None


class CurrentLevel(msgspec.Struct, kw_only=True, frozen=True):
    level: int
    colour: str
    note: str | None
    set_by: str | None
    set_at: datetime


class LevelPlan(msgspec.Struct, kw_only=True, frozen=True):
    level: int
    colour: str
    needed: dict[str, int]
    gaps: Annotated[dict[str, int], Meta(description="needed − ready, never below zero")]


class Readiness(msgspec.Struct, kw_only=True, frozen=True):
    unit_code: str
    unit_name: str
    path: str
    current: CurrentLevel | None
    ready: dict[str, int] | None
    plan: list[LevelPlan]
    current_gaps: dict[str, int] | None

    @classmethod
    def of(cls, v: ReadinessView) -> Readiness:
        lv = v.level
        return cls(
            unit_code=v.unit.code, unit_name=v.unit.name, path=v.unit.path,
            current=None if lv is None else CurrentLevel(
                level=lv.level, colour=EpidemicLevel(lv.level).colour, note=lv.note,
                set_by=str(lv.set_by) if lv.set_by else None, set_at=lv.set_at),
            ready=v.ready, current_gaps=v.current_gaps,
            plan=[LevelPlan(level=n, colour=EpidemicLevel(n).colour, needed=need,
                            gaps=v.gaps.get(n, {})) for n, need in sorted(v.needs.items())],
        )


class ReadinessMapUnit(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    name: str
    level_of_unit: str
    parent_code: str | None
    lon: float
    lat: float
    level: int | None
    colour: str | None
    ready: dict[str, int] | None
    needed: dict[str, int] | None
    gaps: dict[str, int] | None

    @classmethod
    def of(cls, m: MapUnit) -> ReadinessMapUnit:
        r = m.row
        return cls(code=r.code, name=r.name, level_of_unit=r.level_of_unit,
                   parent_code=r.parent_code, lon=r.lon, lat=r.lat, level=r.level,
                   colour=EpidemicLevel(r.level).colour if r.level else None, ready=r.ready,
                   needed=r.needed, gaps=m.gaps)


def counts_of(data: Resources) -> Counts:
    return {name: int(getattr(data, name)) for name in data.__struct_fields__}
