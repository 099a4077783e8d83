"""The chain's coverage on the wire, and as a CSV table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import msgspec

from domain.repositories.chain_coverage import CoverageRow
from domain.services.chain_coverage import ChainCoverage

COLUMNS = ("communes", "connected", "reported_today", "with_directive", "acknowledged_latest")


class CoverageLine(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    name: str
    level: str
    parent_code: str | None
    lon: float
    lat: float
    communes: int
    connected: int
    reported_today: int
    with_directive: int
    acknowledged_latest: int

    @classmethod
    def of(cls, r: CoverageRow) -> CoverageLine:
        return cls(code=r.code, name=r.name, level=r.level, parent_code=r.parent_code,
                   lon=r.lon, lat=r.lat, communes=r.communes, connected=r.connected,
                   reported_today=r.reported_today, with_directive=r.with_directive,
                   acknowledged_latest=r.acknowledged_latest)


class CoverageTotals(msgspec.Struct, kw_only=True, frozen=True):
    communes: int
    connected: int
    reported_today: int
    with_directive: int
    acknowledged_latest: int


class ChainCoverageOut(msgspec.Struct, kw_only=True, frozen=True):
    unit_code: str
    unit_name: str
    report_date: date
    connected_since: datetime
    generated_at: datetime
    total: CoverageTotals
    rows: list[CoverageLine]

    @classmethod
    def of(cls, c: ChainCoverage) -> ChainCoverageOut:
        t = c.total
        return cls(unit_code=c.unit.code, unit_name=c.unit.name, report_date=c.day,
                   connected_since=c.connected_since, generated_at=c.generated_at,
                   total=CoverageTotals(**{f: getattr(t, f) for f in COLUMNS}),
                   rows=[CoverageLine.of(r) for r in c.rows])


def coverage_table(c: ChainCoverage) -> tuple[list[str], list[Sequence[Any]]]:
    """Header and rows of the CSV: the unit's total first, then each province and district."""
    header = ["code", "name", "level", "parent_code", *COLUMNS]
    rows: list[Sequence[Any]] = [[c.unit.code, c.unit.name, c.unit.level.value,
                                  c.unit.parent_code, *(getattr(c.total, f) for f in COLUMNS)]]
    rows += [[r.code, r.name, r.level, r.parent_code, *(getattr(r, f) for f in COLUMNS)]
             for r in c.rows]
    return header, rows
