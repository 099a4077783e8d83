"""Supplies demo: the city warehouse, a warehouse per district and the stock of every station,
built as a ledger two weeks long (allocations down the hierarchy, a week of issues to F0,
physical counts, a lost cylinder, an offline issue gone below zero), requisitions in every
state, and SpO2 meters lent to F0 households. 110,000 medicine bags end up in circulation.

Runs after the operations demo (stations, users and cases exist), in the caller's
transaction, with bulk inserts; stock_balance is derived from the ledger at the end.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.demo.supplies_ledger import DemoLedger, Place, Stock
from domain.models.dispensing import Dispensing, DispensingKind
from domain.models.enums import Role
from domain.models.supply import (
    DiscrepancyStatus,
    EquipmentLoan,
    EquipmentUnit,
    ItemLot,
    LoanStatus,
    LocationKind,
    MovementKind,
    Requisition,
    RequisitionEvent,
    RequisitionLine,
    RequisitionStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StockDiscrepancy,
    StockLocation,
    StockMovement,
)
from domain.repositories.catalog import CatalogRepository
from domain.repositories.supply_seed import StationSeed, SupplySeedRepository
from domain.services.catalog import ensure_standard_catalog, lot_id
from domain.services.requisitions import requisition_code

M, S = MovementKind, RequisitionStatus
BAGS_IN_CIRCULATION = 110_000
BAG_SHARE = {"bag_a": 0.55, "bag_b": 0.15, "bag_c": 0.30}
# A station opened ten days ago with twice its minimum, plus two weeks of its caseload's use
# of consumables; a few got less of a key item, so the map has low and empty stations.
STOCKED = ("bag_a", "bag_b", "bag_c", "rapid_test", "ppe_set", "spo2_meter", "bp_meter",
           "o2_cylinder_8l", "o2_cylinder_40l")
OPENING_DAYS = 14
SHORT = {("bag_a",): (0.1, 0.45), ("spo2_meter",): (0.05, 0.3),
         ("o2_cylinder_8l", "o2_cylinder_40l"): (0.03, 0.0)}  # items: (share, factor)
DISTRICT_RESERVE, CITY_RESERVE = 0.15, 0.10
CONSUMED = ("bag_a", "bag_b", "bag_c", "rapid_test", "ppe_set")
# lot suffix -> days to expiry (the first lot is the one the expiring-soon list shows)
LOTS = {"2107": 25, "2108": 150, "2109": 400}
STATES = [S.submitted, S.forwarded, S.approved, S.rejected, S.shipped, S.received, S.cancelled]
ASKED = ("bag_a", "bag_c", "rapid_test", "ppe_set", "spo2_meter", "o2_cylinder_8l")


@dataclass
class Rows:
    """What the demo inserts, table by table, in foreign-key order."""

    lots: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    requisitions: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    shipment_lines: list[dict[str, Any]] = field(default_factory=list)
    loans: list[dict[str, Any]] = field(default_factory=list)
    discrepancies: list[dict[str, Any]] = field(default_factory=list)


class SuppliesDemo:
    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.ledger = DemoLedger(self.rng)
        self.rows = Rows()
        self.items: dict[str, Stock] = {}
        self.places: dict[uuid.UUID, Place] = {}

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def place(self, kind: LocationKind, code: str, name: str, unit: str, path: str,
              keeper: uuid.UUID | None, **extra: Any) -> Place:
        p = Place(self.ledger.new_id(), code, path, keeper)
        self.places[p.id] = p
        self.rows.locations.append({
            "id": p.id, "code": code, "name": name, "kind": kind, "unit_code": unit,
            "scope_path": path, "station_id": extra.get("station_id"),
            "case_id": extra.get("case_id")})
        return p

    def event(self, req: dict[str, Any], frm: RequisitionStatus | None, to: RequisitionStatus,
              actor: uuid.UUID | None, at: datetime, note: str | None = None,
              **detail: Any) -> None:
        self.rows.events.append({
            "id": self.ledger.new_id(), "requisition_id": req["id"], "from_status": frm,
            "to_status": to, "actor_id": actor, "at": at, "note": note, "detail": detail,
            "scope_path": req["scope_path"]})
        req.update(status=to, status_changed_at=at)


async def load_supplies_demo(
    session: AsyncSession, *, seed: int = 2021, progress: Callable[[int], None] | None = None
) -> None:
    """Load the supplies demo in the session's transaction; ``progress`` counts stations."""
    repo = SupplySeedRepository(session)
    stations = await repo.stations()
    if not stations:
        raise RuntimeError("load the operations demo first: there are no stations")
    await ensure_standard_catalog(session)
    d = SuppliesDemo(seed, datetime.now(UTC).replace(minute=0, second=0, microsecond=0))
    _catalog(d, await CatalogRepository(session).items())
    staff = {sid: uid for uid, _, sid in await repo.people(Role.station_staff) if sid}
    logistics = {unit: uid for uid, unit, _ in await repo.people(Role.district_logistics)}
    city_people = {unit: uid for uid, unit, _ in await repo.people(Role.city_coordinator)}
    cases = await repo.open_case_counts()
    districts = sorted({s.path.rsplit(".", 1)[0] for s in stations})
    provinces = sorted({p.rsplit(".", 1)[0] for p in districts})
    names = await repo.unit_names([p.rsplit(".", 1)[1] for p in districts + provinces])
    city = {p: d.place(LocationKind.city_warehouse, f"WH-{code}", f"Kho thành phố {names[code]}",
                       code, p, city_people.get(code))
            for p in provinces for code in [p.rsplit(".", 1)[1]]}
    district = {p: d.place(LocationKind.district_warehouse, f"WH-{code}", f"Kho {names[code]}",
                           code, p, logistics.get(code))
                for p in districts for code in [p.rsplit(".", 1)[1]]}
    at_station = {s.id: d.place(LocationKind.station, f"ST-{s.code}", s.name, s.commune_code,
                                s.path, staff.get(s.id), station_id=s.id) for s in stations}
    _allocate(d, stations, cases, city, district, at_station)
    _issues_and_counts(d, stations, cases, at_station)
    if progress:
        progress(len(stations) // 2)
    _requisitions(d, stations, cases, city, district, at_station)
    await _loans(d, repo, at_station)
    _bags_in_circulation(d, city.get("VN.79") or next(iter(city.values())))
    await _insert(d, repo)
    if progress:
        progress(len(stations) - len(stations) // 2)


def _catalog(d: SuppliesDemo, items: Any) -> None:
    for item in items:
        lots = []
        for suffix, days in LOTS.items() if item.lot_tracked else ():
            lid = lot_id(item.id, f"{item.code.upper()}-{suffix}")
            expires = (d.now + timedelta(days=days)).date()
            lots.append((lid, expires))
            d.rows.lots.append({"id": lid, "item_id": item.id, "scope_path": "VN",
                                "lot_no": f"{item.code.upper()}-{suffix}", "expires_on": expires})
        d.items[item.code] = Stock(item.id, item.code, item.durable, tuple(lots),
                                   item.daily_use_per_case, item.min_station_stock)


def _allocate(d: SuppliesDemo, stations: list[StationSeed], cases: dict[uuid.UUID, int],
              city: dict[str, Place], district: dict[str, Place],
              at_station: dict[uuid.UUID, Place]) -> None:
    """City receipts two weeks ago, down to the districts, then to every station."""
    need: dict[tuple[str, str], int] = {}
    start: dict[tuple[uuid.UUID, str], int] = {}
    for s in stations:
        factor = {code: f for codes, (share, f) in SHORT.items() if d.rng.random() < share
                  for code in codes}
        for code in STOCKED:
            item = d.items[code]
            use = 0.0 if item.durable else item.daily_use * OPENING_DAYS * cases.get(s.id, 0)
            q = round((2 * item.minimum + use) * factor.get(code, 1.0) * d.rng.uniform(0.8, 1.2))
            start[(s.id, code)] = q
            dkey = (s.path.rsplit(".", 1)[0], code)
            need[dkey] = need.get(dkey, 0) + q
    for dpath, wh in district.items():
        src = city[dpath.rsplit(".", 1)[0]]
        for code in STOCKED:
            item = d.items[code]
            q = round(need.get((dpath, code), 0) * (1 + DISTRICT_RESERVE)) + 20
            for lot, share in _lot_split(item, q):  # the city buys what the districts need
                d.ledger.book(src, item, lot, M.receipt, share, d.ago(14),
                              reason="Ministry of Health allocation")
            d.ledger.transfer(src, wh, item, q, d.ago(12), "district allocation")
    for src in city.values():  # and keeps a fifth more for what the districts will ask
        for code in STOCKED:
            reserve = round(sum(q for (_, c), q in need.items() if c == code) * CITY_RESERVE) + 50
            for lot, share in _lot_split(d.items[code], reserve):
                d.ledger.book(src, d.items[code], lot, M.receipt, share, d.ago(14),
                              reason="Ministry of Health allocation")
    for s in stations:
        wh = district[s.path.rsplit(".", 1)[0]]
        for code in STOCKED:
            d.ledger.transfer(wh, at_station[s.id], d.items[code], start[(s.id, code)],
                              d.ago(10), "opening stock of the station")


def _lot_split(item: Stock, q: int) -> list[tuple[uuid.UUID | None, int]]:
    if not item.lots:
        return [(None, q)]
    first = q * 2 // 5
    return [(item.lots[0][0], first), (item.lots[1][0], q - first)]


def _issues_and_counts(d: SuppliesDemo, stations: list[StationSeed],
                       cases: dict[uuid.UUID, int], at_station: dict[uuid.UUID, Place]) -> None:
    """A week of issues to F0 (first expiring lots first), a lost cylinder, a few counts."""
    for s in stations:
        loc, n = at_station[s.id], cases.get(s.id, 0)
        for day in range(7, 0, -1):
            for code in CONSUMED:
                item = d.items[code]
                want = round(n * item.daily_use * d.rng.uniform(0.5, 1.5))
                for lot, q in d.ledger.pick(loc, item, min(want, d.ledger.on_hand(loc, item))):
                    d.ledger.book(loc, item, lot, M.issue, q, d.ago(day - d.rng.random() / 2),
                                  reason="issued to F0 at home")
        if d.rng.random() < 0.05:
            d.ledger.book(loc, d.items["o2_cylinder_8l"], None, M.loss, 1, d.ago(3),
                          reason="valve damaged, sent for repair")
    for s in d.rng.sample(stations, max(1, len(stations) // 5)):
        loc, item = at_station[s.id], d.items["ppe_set"]
        counted = max(0, d.ledger.on_hand(loc, item) + d.rng.choice([-3, -2, -1, 0, 0, 1]))
        d.ledger.book(loc, item, None, M.physical_count, counted, d.ago(1),
                      reason="weekly stock take")
    first = at_station[stations[0].id]
    ppe = d.items["ppe_set"]
    short = d.ledger.on_hand(first, ppe) + 4
    mid = d.ledger.book(first, ppe, None, M.issue, short, d.ago(0.3), offline=True,
                        reason="issued offline during the network outage")
    d.rows.discrepancies.append({
        "id": d.ledger.new_id(), "scope_path": first.scope_path, "location_id": first.id,
        "item_id": ppe.id, "lot_id": None, "movement_id": mid, "balance_after": -4,
        "status": DiscrepancyStatus.open, "opened_at": d.ago(0.2)})


def _requisitions(d: SuppliesDemo, stations: list[StationSeed], cases: dict[uuid.UUID, int],
                  city: dict[str, Place], district: dict[str, Place],
                  at_station: dict[uuid.UUID, Place]) -> None:
    """Requisitions in every state, a quarter of the stations asking."""
    chosen = d.rng.sample(stations, min(len(stations), max(len(STATES), len(stations) // 4)))
    for i, s in enumerate(chosen):
        state, via_city = STATES[i % len(STATES)], (i // len(STATES)) % 3 == 1
        loc, dpath = at_station[s.id], s.path.rsplit(".", 1)[0]
        wh = district[dpath]
        supplier = city[dpath.rsplit(".", 1)[0]] if via_city else wh
        n, days = cases.get(s.id, 0), d.rng.choice([5, 7, 10, 14])
        rid, t = d.ledger.new_id(), d.ago(d.rng.uniform(1, 6))
        req: dict[str, Any] = {
            "id": rid, "code": requisition_code(rid), "location_id": loc.id,
            "supplier_location_id": None, "status": S.submitted, "submitted_at": t,
            "status_changed_at": t, "justification": f"{n} F0 under care; {days} days of cover",
            "f0_under_care": n, "days_of_cover": days, "requested_by": loc.keeper,
            "decision_note": None, "scope_path": loc.scope_path}
        d.rows.requisitions.append(req)
        asked = {code: d.rng.randint(2, 6) if d.items[code].durable
                 else max(5, round(n * 0.3 * days))
                 for code in d.rng.sample(ASKED, d.rng.randint(2, 4))}
        lines: dict[str, dict[str, Any]] = {
            code: {"id": d.ledger.new_id(), "requisition_id": rid, "item_id": d.items[code].id,
                   "requested_qty": q, "approved_qty": None, "shipped_qty": 0,
                   "accepted_qty": None, "rejected_qty": None, "lost_qty": None,
                   "scope_path": loc.scope_path}
            for code, q in asked.items()}
        d.rows.lines += lines.values()
        d.event(req, None, S.submitted, loc.keeper, t, requested={c: q for c, q in asked.items()})
        if state is S.cancelled:
            d.event(req, S.submitted, S.cancelled, loc.keeper, t + timedelta(hours=3),
                    "a neighbouring station lent us what we needed")
            continue
        if state is S.submitted:
            continue
        decider = wh.keeper
        if state is S.forwarded or via_city:
            d.event(req, S.submitted, S.forwarded, wh.keeper, t + timedelta(hours=2),
                    "district warehouse short, sent to the city")
            decider = supplier.keeper
            if state is S.forwarded:
                continue
        if state is S.rejected:
            d.event(req, req["status"], S.rejected, decider, t + timedelta(hours=4),
                    "stock on hand covers more than the days asked for")
            continue
        for code, line in lines.items():
            full = d.rng.random() < 0.7
            line["approved_qty"] = asked[code] if full else max(1, round(asked[code] * 0.7))
        partial = any(x["approved_qty"] < x["requested_qty"] for x in lines.values())
        req["supplier_location_id"], req["decision_note"] = supplier.id, None
        d.event(req, req["status"], S.approved, decider, t + timedelta(hours=5),
                supplier=supplier.code, partial=partial)
        if state is not S.approved:
            _ship(d, req, lines, supplier, loc, t + timedelta(hours=20), state is S.received)


def _ship(d: SuppliesDemo, req: dict[str, Any], lines: dict[str, dict[str, Any]],
          supplier: Place, loc: Place, at: datetime, received: bool) -> None:
    sid = d.ledger.new_id()
    shipped = []
    for code, line in lines.items():
        item = d.items[code]
        for lot, q, serials in d.ledger.transfer(supplier, None, item, line["approved_qty"], at,
                                                 f"shipment for {req['code']}", shipment_id=sid):
            line["shipped_qty"] += q
            shipped.append({"id": d.ledger.new_id(), "shipment_id": sid, "item_id": item.id,
                            "lot_id": lot, "quantity": q, "serials": serials,
                            "accepted_qty": None, "rejected_qty": None,
                            "rejection_reason": None, "lost_qty": 0, "loss_reason": None,
                            "scope_path": req["scope_path"]})
    d.rows.shipment_lines += shipped
    d.event(req, S.approved, S.shipped, supplier.keeper, at, shipment_id=str(sid))
    ship = {"id": sid, "requisition_id": req["id"], "from_location_id": supplier.id,
            "to_location_id": loc.id, "status": ShipmentStatus.in_transit, "shipped_at": at,
            "shipped_by": supplier.keeper, "carrier": "Youth union volunteers",
            "received_at": None, "received_by": None, "receipt_note": None,
            "scope_path": req["scope_path"]}
    d.rows.shipments.append(ship)
    if not received:
        return
    back = min(at + timedelta(hours=d.rng.uniform(3, 20)), d.ago(0.1))
    by_item = {line["item_id"]: line for line in lines.values()}
    for sl in shipped:
        item = next(x for x in d.items.values() if x.id == sl["item_id"])
        rejected = 1 if not item.durable and sl["quantity"] > 10 and d.rng.random() < 0.3 else 0
        sl.update(accepted_qty=sl["quantity"] - rejected, rejected_qty=rejected,
                  rejection_reason="packaging torn, contents wet" if rejected else None)
        d.ledger.deliver(sid, loc, item, sl["lot_id"], sl["accepted_qty"], back,
                         f"received for {req['code']}")
        if rejected:  # rejected goods go back to the sender's ledger, as Shipping.receive does
            d.ledger.deliver(sid, supplier, item, sl["lot_id"], rejected, back,
                             f"returned: rejected at {loc.code} for {req['code']}")
        line = by_item[sl["item_id"]]
        line["accepted_qty"] = (line["accepted_qty"] or 0) + sl["accepted_qty"]
        line["rejected_qty"] = (line["rejected_qty"] or 0) + rejected
        line["lost_qty"] = 0
    ship.update(status=ShipmentStatus.delivered, received_at=back, received_by=loc.keeper,
                receipt_note="checked and signed by the station nurse")
    d.event(req, S.shipped, S.received, loc.keeper, back)


async def _loans(d: SuppliesDemo, repo: SupplySeedRepository,
                 at_station: dict[uuid.UUID, Place]) -> None:
    """SpO2 meters lent to up to three open F0 households per station; some came back."""
    meter = d.items["spo2_meter"]
    for case in await repo.open_cases(per_station=3):
        station = at_station.get(case.station_id)
        if station is None or d.ledger.on_hand(station, meter) <= 0:
            continue
        home = d.place(LocationKind.household, f"HH-{case.code}", f"Household of F0 {case.code}",
                       case.commune_code, case.path, station.keeper, station_id=case.station_id,
                       case_id=case.id)
        loan_id, lent = d.ledger.new_id(), d.ago(d.rng.uniform(1, 14))
        [(_, _, [serial])] = d.ledger.transfer(station, home, meter, 1, lent,
                                               "lent to F0 household", loan_id=loan_id)
        back = lent + timedelta(days=d.rng.uniform(5, 9))
        returned = d.rng.random() < 0.3 and back < d.now
        if returned:
            d.ledger.transfer(home, station, meter, 1, back, "returned by F0 household",
                              loan_id=loan_id)
        d.rows.loans.append({
            "id": loan_id, "serial": serial, "item_id": meter.id, "case_id": case.id,
            "station_location_id": station.id, "household_location_id": home.id,
            "status": LoanStatus.returned if returned else LoanStatus.open, "lent_at": lent,
            "due_on": (lent + timedelta(days=10)).date(), "lent_by": station.keeper,
            "returned_at": back if returned else None,
            "returned_by": station.keeper if returned else None,
            "return_condition": "good" if returned else None, "note": None,
            "scope_path": station.scope_path})


def _bags_in_circulation(d: SuppliesDemo, city: Place) -> None:
    """A last consignment at the city brings the bags on hand everywhere to 110,000."""
    bags = {d.items[c].id for c in BAG_SHARE}
    total = sum(q for (_, item, _), q in d.ledger.balances.items() if item in bags)
    missing = BAGS_IN_CIRCULATION - total
    if missing < 0:
        raise RuntimeError(f"{total} bags already in circulation, more than the demo's target")
    for i, (code, share) in enumerate(BAG_SHARE.items()):
        q = missing - sum(round(missing * s) for s in list(BAG_SHARE.values())[1:]) if i == 0 \
            else round(missing * share)
        if q:
            d.ledger.book(city, d.items[code], d.items[code].lots[-1][0], M.receipt, q, d.ago(2),
                          reason="second Ministry of Health consignment")


async def _insert(d: SuppliesDemo, repo: SupplySeedRepository) -> None:
    rows = d.rows
    households = {x["id"] for x in rows.locations if x["kind"] is LocationKind.household}
    units = d.ledger.units({p.id: p.scope_path for p in d.places.values()}, households)
    unit_of = {u["serial_no"]: u["id"] for u in units}
    dispensings = []  # every loan is a dispensing of its case, as the service records it
    for loan in rows.loans:
        serial = loan.pop("serial")
        loan["unit_id"] = unit_of[serial]
        dispensings.append({
            "id": loan["id"], "case_id": loan["case_id"], "kind": DispensingKind.loan,
            "given_at": loan["lent_at"], "location_id": loan["station_location_id"],
            "item_id": loan["item_id"], "serial_no": serial, "due_on": loan["due_on"],
            "loan_id": loan["id"], "recorded_by": loan["lent_by"], "offline": False,
            "scope_path": loan["scope_path"]})
    for model, batch in ((ItemLot, rows.lots), (StockLocation, rows.locations),
                         (Requisition, rows.requisitions), (RequisitionLine, rows.lines),
                         (RequisitionEvent, rows.events), (Shipment, rows.shipments),
                         (ShipmentLine, rows.shipment_lines), (EquipmentUnit, units),
                         (EquipmentLoan, rows.loans), (Dispensing, dispensings),
                         (StockMovement, d.ledger.movements),
                         (StockDiscrepancy, rows.discrepancies)):
        if batch:
            await repo.insert(model, batch)
    await repo.rebuild_balances()
