"""A batch whose commuting mutations the server groups (sync/grouping.py) ends exactly as the
same mutations pushed one by one in the device's order: the same results, rows, alerts,
conflict entries and audit entries (guarantee 2, PROTOCOL.md §6 "Order").

The same outbox is pushed in two wards by two identical set-ups: whole in one, one mutation per
push in the other; everything either ward stored is then compared with its ids replaced by the
names the outbox gave them."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec

from sync.hlc import HLC, system_ms
from tests.sync.conftest import HOME, NEIGHBOUR, Unit, World, make_unit, new_case

DROPPED = {"id", "created_at", "updated_at", "recorded_at", "status_changed_at", "opened_at",
           "acknowledged_at", "resolved_at", "changed_at", "effective_at", "care_since", "case_code",
           "scope_path", "commune_code",
           "sync_txid", "sync_version"}

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# The outbox, by name: ("case", name) creates a stored patient before the batch; in the batch,
# ("read", case, value) a reading, ("edit", case, fields) an upsert, ("new", case) a patient
# enrolled on the tablet, ("bad_new", case) one whose creation is refused, ("delete", case).
STORED = ["p1", "p2", "p3", "p4"]


def _outbox() -> list[tuple[Any, ...]]:
    steps: list[tuple[Any, ...]] = []
    for n, p in enumerate(STORED):  # a visit: readings, then an edit of the patient
        steps += [("read", p, 97.0 + (i % 3)) for i in range(4)]
        steps.append(("edit", p, {"phone": f"09111111{n}{n}", "notes": f"visit of {p}"}))
    steps += [("read", "p2", 93.0), ("read", "p2", 91.0)]  # past thresholds: an alert, twice
    steps.append(("edit", "p2", {"notes": "called the doctor"}))
    steps += [("read", "p1", 98.0), ("delete", "p3"), ("read", "p3", 97.0)]
    steps += [("new", "p5"), ("read", "p5", 98.0), ("edit", "p5", {"address": "12 Hai Bà Trưng"})]
    steps += [("bad_new", "p6"), ("read", "p6", 97.0), ("read", "p4", 99.0)]
    steps += [("edit", "p1", {"phone": "0922222222"}), ("read", "p1", 96.0)]
    steps.append(("reuse", "p4", 98.5))  # the id of an earlier reading of p4, other content
    return steps


class Outbox:
    """The named outbox as one unit's mutations, with the names of every id it made."""

    def __init__(self, unit: Unit, stored: dict[str, uuid.UUID], base_ms: int) -> None:
        self.unit = unit
        self.names: dict[str, str] = {str(v): k for k, v in stored.items()}
        self.cases = dict(stored)
        self.names.update({str(unit.station_id): "station", str(unit.device.id): "device",
                           str(unit.staff.id): "staff", str(unit.doctor.id): "doctor",
                           str(unit.officer.id): "officer"})
        self.mutations: list[dict[str, Any]] = []
        last_reading: dict[str, uuid.UUID] = {}
        measured = datetime.fromtimestamp(base_ms // 1000, UTC) - timedelta(hours=3)
        d = unit.device
        for n, step in enumerate(_outbox()):
            kind, case = step[0], step[1]
            hlc = HLC(base_ms + n).format()
            if kind in ("new", "bad_new"):
                self.cases[case] = uuid.uuid4()
                self.names[str(self.cases[case])] = case
            case_id = self.cases[case]
            if kind in ("read", "reuse"):
                row = last_reading[case] if kind == "reuse" else uuid.uuid4()
                last_reading[case] = row
                self.names[str(row)] = f"reading{n}" if kind == "read" else self.names[str(row)]
                m = d.mutation("observation", row, {
                    "case_id": str(case_id), "kind": "spo2", "value": step[2],
                    "measured_at": (measured + timedelta(minutes=n)).isoformat()}, hlc=hlc)
            elif kind == "edit":
                m = d.mutation("f0_case", case_id, step[2], hlc=hlc)
            elif kind == "new":
                m = d.mutation("f0_case", case_id, new_case(unit.station_id), hlc=hlc)
            elif kind == "bad_new":
                fields = new_case(unit.station_id)
                del fields["full_name"]
                m = d.mutation("f0_case", case_id, fields, hlc=hlc)
            else:
                m = d.mutation("f0_case", case_id, op="delete", hlc=hlc, author=unit.doctor.id)
            self.names[m["id"]] = f"mutation{n}"
            self.mutations.append(m)

    def named(self, value: Any) -> Any:
        """``value`` with every id replaced by its name and server-made values dropped."""
        if isinstance(value, dict):
            return {k: self.named(v) for k, v in sorted(value.items()) if k not in DROPPED}
        if isinstance(value, list):
            return [self.named(v) for v in value]
        if isinstance(value, uuid.UUID):
            value = str(value)
        if isinstance(value, str):  # a path into the batch: the index differs one by one
            value = re.sub(r"^mutations\[\d+\]", "mutations[i]", value)
            if value in self.names or _is_uuid(value):
                return self.names.get(value, "?")
            return _UUID.sub(lambda u: self.names.get(u[0], "?"), value)
        if isinstance(value, datetime):
            return value.isoformat()
        return value


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


async def _setup(world: World, http: httpx.AsyncClient, commune: str, base_ms: int) -> Outbox:
    unit = await make_unit(world, http, commune)
    stored = {p: uuid.uuid4() for p in STORED}
    d = unit.device
    results = await d.push_ok(*(d.mutation("f0_case", stored[p], new_case(unit.station_id),
                                           hlc=HLC(base_ms - 1000).format()) for p in STORED))
    assert {r["status"] for r in results} == {"applied"}
    return Outbox(unit, stored, base_ms)


async def _rows(world: World, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with world.engine.connect() as conn:
        from sqlalchemy import text

        return [dict(r._mapping) for r in await conn.execute(text(sql), params)]


async def _state(world: World, box: Outbox) -> dict[str, Any]:
    """Everything the outbox left in the unit's ward, by name, in an order of its own."""
    cases = [box.cases[p] for p in sorted(box.cases)]
    unit = box.unit.station_id
    sorted_by = msgspec.json.encode

    def bag(rows: list[dict[str, Any]]) -> list[Any]:
        return sorted((box.named(r) for r in rows), key=sorted_by)

    f0 = await _rows(world, "SELECT id, phone, address, notes, status, deleted, risk_group, "
                            "field_hlc FROM f0_case WHERE id = ANY(:ids)", ids=cases)
    obs = await _rows(world, "SELECT id, case_id, kind, value, measured_at, measured_by, "
                             "device_id FROM observation WHERE case_id = ANY(:ids)", ids=cases)
    alerts = await _rows(world, "SELECT case_id, status, severity, reasons, observation_id "
                                "FROM alert WHERE station_id = :s", s=unit)
    conflicts = await _rows(world, "SELECT entity, row_id, field, policy, mutation_id, "
                                   "kept_value, kept_hlc, lost_value, lost_hlc, code "
                                   "FROM sync_conflict WHERE lost_device = :d",
                            d=box.unit.device.id)
    audit = await _rows(world, "SELECT entity, row_id, action, actor_id, via, device_id, "
                               "before, after FROM audit_log WHERE device_id = :d",
                        d=box.unit.device.id)
    return {"f0_case": bag(f0), "observation": bag(obs), "alert": bag(alerts),
            "conflicts": bag(conflicts), "audit": bag(audit)}


async def test_a_grouped_batch_ends_as_the_same_mutations_pushed_one_by_one(
    world: World, http: httpx.AsyncClient
) -> None:
    base_ms = system_ms() - 60_000
    grouped = await _setup(world, http, HOME, base_ms)
    single = await _setup(world, http, NEIGHBOUR, base_ms)

    together = await grouped.unit.device.push_ok(*grouped.mutations)
    one_by_one = [r for m in single.mutations for r in await single.unit.device.push_ok(m)]

    assert grouped.named(together) == single.named(one_by_one)
    statuses = Counter(r["status"] for r in together)
    assert statuses["rejected"] >= 3 and statuses["applied"] > 20  # the outbox tests something
    codes = {grouped.named(r["id"]): r.get("code") for r in together}
    assert codes["mutation25"] == "deleted"  # a reading after its case's delete
    assert codes["mutation30"] == "parent_rejected"  # a reading of a patient never created
    assert codes["mutation27"] is None  # a reading of a patient created just before it
    mine, theirs = await _state(world, grouped), await _state(world, single)
    for what in mine:
        assert mine[what] == theirs[what], what
    assert len(mine["alert"]) == 1 and len(mine["conflicts"]) >= 2
    assert Counter(e["entity"] for e in mine["audit"])["observation"] > 15
