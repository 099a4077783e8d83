"""Unit dashboards on the wire: JSON, and the same figures as CSV, one row per unit."""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.services.dashboard import Dashboard, Rollup


class UnitRollup(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    name: str
    level: str
    cases_by_status: dict[str, int]
    active_by_risk: dict[str, int]
    open_alerts: int
    emergency_alerts: int
    attention_alerts: int
    acknowledged_alerts: int
    median_ack_s: float | None
    stations_by_status: dict[str, int]
    stations_by_load: dict[str, int]
    stock_states: dict[str, dict[str, int]]
    on_hand: dict[str, int]
    days_of_cover: dict[str, float | None]

    @classmethod
    def of(cls, r: Rollup) -> UnitRollup:
        return cls(
            code=r.code, name=r.name, level=r.level, cases_by_status=r.cases_by_status,
            active_by_risk=r.active_by_risk, open_alerts=r.open_alerts,
            emergency_alerts=r.emergency_alerts, attention_alerts=r.attention_alerts,
            acknowledged_alerts=r.acknowledged_alerts,
            median_ack_s=None if r.median_ack_s is None else round(r.median_ack_s, 1),
            stations_by_status=r.stations_by_status, stations_by_load=r.stations_by_load,
            stock_states=r.stock_states, on_hand=r.on_hand, days_of_cover=r.days_of_cover,
        )


class DashboardOut(msgspec.Struct, kw_only=True, frozen=True):
    """``unit`` is the whole unit; ``children`` its units one level down, in code order.

    ``open_alerts``: unresolved alerts, open or acknowledged (acknowledging an alert does not
    end it), split into ``emergency_alerts`` and ``attention_alerts`` by severity;
    ``acknowledged_alerts`` says how many of them someone has acknowledged.
    ``median_ack_s``: median seconds from an alert opening to its acknowledgement.
    ``stations_by_load``: normal (< 80 % of capacity), high (up to 100 %), over.
    ``stock_states``: the unit's stations counted by the state of each key supply (bags A, B
    and C, rapid tests, SpO2 and blood-pressure meters, oxygen cylinders, concentrators).
    ``on_hand``: what the unit holds of each, its stations and its own warehouse together
    (a district's warehouse counts in the district, the city's in the city).
    ``days_of_cover``: ``on_hand`` over the stations' daily need; null without a need.
    """

    unit: UnitRollup
    children: list[UnitRollup]
    generated_at: datetime

    @classmethod
    def of(cls, d: Dashboard) -> DashboardOut:
        return cls(
            unit=UnitRollup.of(d.unit), children=[UnitRollup.of(c) for c in d.children],
            generated_at=d.generated_at,
        )


def dashboard_table(d: Dashboard) -> tuple[list[str], list[list[object]]]:
    """The unit's row first, then one per child; nested figures become ``group_key`` columns."""
    rows = [("total", d.unit), *(("child", c) for c in d.children)]
    header = ["row", "code", "name", "level"]
    header += [f"cases_{k}" for k in d.unit.cases_by_status]
    header += [f"active_risk_{k}" for k in d.unit.active_by_risk]
    header += ["open_alerts", "emergency_alerts", "attention_alerts", "acknowledged_alerts",
               "median_ack_s"]
    header += [f"stations_{k}" for k in d.unit.stations_by_status]
    header += [f"load_{k}" for k in d.unit.stations_by_load]
    header += [f"{i}_{s}" for i, states in d.unit.stock_states.items() for s in states]
    header += [f"{i}_on_hand" for i in d.unit.on_hand]
    header += [f"{i}_days_of_cover" for i in d.unit.days_of_cover]
    table: list[list[object]] = []
    for kind, r in rows:
        median = "" if r.median_ack_s is None else f"{r.median_ack_s:.1f}"
        table.append([
            kind, r.code, r.name, r.level,
            *r.cases_by_status.values(), *r.active_by_risk.values(), r.open_alerts,
            r.emergency_alerts, r.attention_alerts, r.acknowledged_alerts, median,
            *r.stations_by_status.values(), *r.stations_by_load.values(),
            *(n for states in r.stock_states.values() for n in states.values()),
            *r.on_hand.values(),
            *("" if v is None else f"{v:.1f}" for v in r.days_of_cover.values()),
        ])
    return header, table
