// What the app reads from the replica: the ward's patients, the worklist, the station's stock
// on hand (summed from the synced ledger, as the server derives it) and the edits an action
// queues. Every rule the server applies is still judged by the server on push; the checks here
// only spare the nurse a refusal later (values against the published schema's constraints).

const OPEN = new Set(["home_monitoring", "needs_attention", "transfer_requested"]);
// The case pathway's moves (domain/rules/case_status.py); which role may make each is the
// server's to judge, and a refused move is explained in the sync bar.
export const CASE_MOVES = {
  home_monitoring: ["needs_attention", "transfer_requested", "recovered", "deceased"],
  needs_attention: ["home_monitoring", "transfer_requested", "recovered", "deceased"],
  transfer_requested: ["needs_attention", "home_monitoring", "hospitalized", "deceased"],
  hospitalized: ["home_monitoring", "recovered", "deceased"],
  recovered: [], deceased: [],
};
const SIGN = { receipt: 1, transfer_in: 1, adjustment: 1, issue: -1, transfer_out: -1, loss: -1, expiry: -1 };
const SEVERITY = { emergency: 0, attention: 1 };

export const isOpen = (c) => OPEN.has(c.status);

/** The change a movement made to stock: the server's `delta`, or ours while it is queued. */
export function movementDelta(m) {
  if (typeof m.delta === "number") return m.delta;
  return (SIGN[m.kind] ?? 0) * m.quantity;
}

export class WardModel {
  /** @param {import("/static/sync-client/store.js").SyncStore} store */
  constructor(store, stationId, schema) { this.store = store; this.stationId = stationId; this.schema = schema; }

  async load() {
    const [cases, observations, alerts, locations, movements, items, lots, users, stations, dispensings, followups] = await Promise.all(
      ["f0_case", "observation", "alert", "stock_location", "stock_movement", "catalog_item", "item_lot", "ward_user", "station", "dispensing", "case_followup"]
        .map((e) => this.store.rows(e)));
    this.cases = cases; this.alerts = alerts; this.items = items; this.lots = lots; this.users = users;
    this.station = stations.find((s) => s.id === this.stationId) ?? null;
    this.readingsByCase = new Map();
    for (const o of observations) {
      if (!this.readingsByCase.has(o.case_id)) this.readingsByCase.set(o.case_id, []);
      this.readingsByCase.get(o.case_id).push(o);
    }
    for (const list of this.readingsByCase.values()) list.sort((a, b) => (a.measured_at < b.measured_at ? 1 : -1));
    this.location = locations.find((l) => l.kind === "station" && l.station_id === this.stationId) ?? null;
    this.movements = this.location ? movements.filter((m) => m.location_id === this.location.id) : [];
    this.dispensings = dispensings;
    this.followups = new Map(followups.map((f) => [f.id, f]));
    return this;
  }

  caseById(id) { return this.cases.find((c) => c.id === id) ?? null; }
  userName(id) { return this.users.find((u) => u.id === id)?.full_name ?? ""; }
  readings(caseId) { return this.readingsByCase.get(caseId) ?? []; }
  itemByCode(code) { return this.items.find((i) => i.code === code) ?? null; }

  /** When the bag was given: the case's field, or a dispensing still on its way to the server. */
  bagGiven(c, bag) {
    const kind = `bag_${bag.toLowerCase()}`;
    return c[`${kind}_given_at`] ?? this.dispensings.find((d) => d.case_id === c.id && d.kind === kind)?.given_at ?? null;
  }

  loans(caseId) { return this.dispensings.filter((d) => d.case_id === caseId && d.kind === "loan"); }

  /** Stock on hand at the station per item and lot, from the ledger; a bag dispensed here and
   * not yet answered by the server (no `movement_id`) already counts as issued. */
  balances() {
    const byItem = new Map();
    for (const d of this.dispensings) {
      const item = d.kind.startsWith("bag_") && !d.movement_id ? this.itemByCode(d.kind) : null;
      if (!item) continue;
      const line = byItem.get(item.id) ?? { total: 0, lots: new Map() };
      line.total -= 1;
      byItem.set(item.id, line);
    }
    for (const m of this.movements) {
      const line = byItem.get(m.item_id) ?? { total: 0, lots: new Map() };
      const d = movementDelta(m);
      line.total += d;
      if (m.lot_id) line.lots.set(m.lot_id, (line.lots.get(m.lot_id) ?? 0) + d);
      byItem.set(m.item_id, line);
    }
    return byItem;
  }

  /** Rows of the stock view: on hand and days of cover at the ward's current caseload. */
  stockLines() {
    const open = this.cases.filter(isOpen).length;
    const bal = this.balances();
    return this.items.map((item) => {
      const onHand = bal.get(item.id)?.total ?? 0;
      const perDay = item.daily_use_per_case * open;
      return { item, onHand, coverDays: perDay > 0 ? Math.floor(onHand / perDay) : null,
        low: onHand < item.min_station_stock };
    }).filter((l) => l.onHand !== 0 || l.item.min_station_stock > 0)
      .sort((a, b) => a.item.code.localeCompare(b.item.code));
  }

  /** The lot to give from: first to expire among those with stock (FEFO), or null. */
  lotFor(item) {
    const lots = this.balances().get(item.id)?.lots ?? new Map();
    const expiry = new Map(this.lots.map((l) => [l.id, l.expires_on ?? "9999"]));
    return [...lots].filter(([, q]) => q > 0).sort((a, b) => (expiry.get(a[0]) < expiry.get(b[0]) ? -1 : 1))[0]?.[0] ?? null;
  }

  /** Open alerts, emergencies first, and the cases whose vital signs are due (PROTOCOL.md,
   * `case_followup`): under care and `now >= max(last reading, care since) + 12 h`, the last
   * reading taken from the readings the tablet holds, its own unpushed ones included, so the
   * case leaves the list the moment the nurse records it, online or not. @param {number} nowMs */
  worklist(nowMs = Date.now()) {
    const names = new Map(this.cases.map((c) => [c.id, c]));
    const alerts = this.alerts.filter((a) => a.status !== "resolved" && names.has(a.case_id))
      .sort((a, b) => (SEVERITY[a.severity] ?? 9) - (SEVERITY[b.severity] ?? 9) || (a.opened_at < b.opened_at ? -1 : 1));
    const rules = this.schema?.entities.find((e) => e.name === "case_followup")?.rules;
    const intervalMs = (rules?.reading_interval_s ?? 43200) * 1000;
    const overdue = [];
    for (const c of this.cases) {
      const f = this.followups.get(c.id);
      if (!(f ? f.under_care && isOpen(c) : isOpen(c))) continue;
      const vital = this.readings(c.id).find((o) => o.kind !== "symptoms");
      const last = Date.parse(vital?.measured_at ?? "") || 0;
      const since = Date.parse(f?.care_since ?? c.status_changed_at ?? "") || 0;
      const dueAt = Math.max(last, since) + intervalMs;
      if (nowMs >= dueAt) overdue.push({ case: c, dueAt, lastAt: last || null });
    }
    overdue.sort((a, b) => a.dueAt - b.dueAt);
    return { alerts, overdue };
  }

  // -- checks against the published contract (GET /sync/v1/schema) -------------------------

  field(entity, name) {
    return this.schema?.entities.find((e) => e.name === entity)?.fields.find((f) => f.name === name);
  }

  /** The first field whose value the server's contract refuses, or null. */
  invalidField(entity, fields) {
    for (const [name, v] of Object.entries(fields)) {
      const c = this.field(entity, name)?.constraints ?? {};
      if (v === null) continue;
      if (typeof v === "string") {
        if (c.pattern && !new RegExp(c.pattern, "u").test(v)) return name;
        if (c.max_length !== undefined && v.length > c.max_length) return name;
        if (c.min_length !== undefined && v.length < c.min_length) return name;
      }
      if (typeof v === "number" && ((c.ge !== undefined && v < c.ge) || (c.le !== undefined && v > c.le))) return name;
    }
    if (entity === "observation" && typeof fields.value === "number") {
      const range = this.schema?.entities.find((e) => e.name === "observation")?.rules?.value_ranges?.[fields.kind];
      if (range && (fields.value < range.minimum || fields.value > range.maximum)) return fields.kind;
    }
    return null;
  }
}
