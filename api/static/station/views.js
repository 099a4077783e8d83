// The three tabs of the station app (patients, worklist, stock) and the patient's page. Each
// view reads the WardModel and turns a user's action into edits queued through `app.queue`,
// one action = one store transaction; a bag or a loan is ONE `dispensing` mutation, which the
// server records on the case and issues from the station's stock in one transaction.
import { fmtTime, fold, formValues, h, localDate } from "./dom.js";
import { t } from "./i18n.js";
import { CASE_MOVES, isOpen } from "./model.js";

const uuid = () => crypto.randomUUID();
const VITALS = ["spo2", "pulse", "temperature", "respiratory_rate", "blood_pressure"];

function label(text, input) { return h("label", {}, h("span", {}, text), input); }

export function patientsView(app) {
  const m = app.model;
  const q = fold(app.ui.query);
  const list = m.cases.filter((c) => !q || [c.full_name, c.case_code, c.phone].some((v) => fold(v).includes(q)))
    .sort((a, b) => (isOpen(b) - isOpen(a)) || a.full_name.localeCompare(b.full_name, "vi"));
  const search = h("input", { id: "search", type: "search", placeholder: t("search"), value: app.ui.query,
    oninput: (e) => { app.ui.query = e.target.value; app.render({ keepFocus: "search" }); } });
  return h("section", { id: "patients", class: "split" },
    h("div", { class: "list-pane" },
      h("div", { class: "toolbar" }, search,
        h("button", { id: "register", type: "button", class: "primary", onclick: () => app.open("register") }, t("register"))),
      list.length === 0 ? h("p", { class: "empty" }, t("no_patients")) :
        h("ul", { class: "cards", dataset: { count: String(list.length) } }, list.slice(0, 300).map((c) => {
          const last = m.readings(c.id).find((o) => o.kind === "spo2");
          return h("li", { class: `card status-${c.status}`, dataset: { id: c.id, name: c.full_name },
            onclick: () => app.open("patient", c.id) },
          h("strong", {}, c.full_name),
          h("span", { class: "muted" }, ` ${c.case_code ?? ""} · ${t("age", { n: new Date().getFullYear() - c.year_of_birth })}`),
          h("span", { class: `badge ${c.status}` }, t(`status.${c.status}`)),
          last ? h("span", { class: "muted" }, ` SpO2 ${last.value}%`) : null);
        }))),
    h("div", { class: "detail-pane" }, app.ui.view === "register" ? registerView(app)
      : app.ui.view === "patient" ? patientView(app, app.ui.patientId) : null));
}

function registerView(app) {
  const form = h("form", { id: "register-form", class: "form",
    onsubmit: async (e) => {
      e.preventDefault();
      const v = formValues(form);
      const id = uuid();
      const fields = {
        station_id: app.device.station_id, full_name: (v.full_name ?? "").trim().normalize("NFC"), year_of_birth: Number(v.year_of_birth),
        sex: v.sex, test_date: v.test_date, test_type: v.test_type, vaccine_doses: Number(v.vaccine_doses ?? 0),
        pregnant: Boolean(v.pregnant), phone: v.phone ?? null, address: v.address ?? null, notes: v.notes ?? null,
        status: "home_monitoring", // where every new case starts: the app shows it so before the push
        registered_at: app.client.nowIso(), // when it was enrolled here, even if pushed later
      };
      if (await app.queue([{ entity: "f0_case", row_id: id, fields }])) app.open("patient", id);
    } },
  h("h2", {}, t("register")),
  label(t("full_name"), h("input", { name: "full_name", required: true, maxlength: 120 })),
  label(t("year_of_birth"), h("input", { name: "year_of_birth", type: "number", min: 1900, max: new Date().getFullYear(), required: true })),
  label(t("sex"), h("select", { name: "sex" }, ["female", "male", "other"].map((s) => h("option", { value: s }, t(`sex.${s}`))))),
  label(t("phone"), h("input", { name: "phone", type: "tel" })),
  label(t("address"), h("input", { name: "address" })),
  label(t("test_date"), h("input", { name: "test_date", type: "date", value: localDate(), max: localDate(), required: true })),
  label(t("test_type"), h("select", { name: "test_type" }, ["rapid_antigen", "pcr"].map((s) => h("option", { value: s }, t(`test.${s}`))))),
  label(t("vaccine_doses"), h("input", { name: "vaccine_doses", type: "number", min: 0, max: 10, value: "0" })),
  h("label", { class: "check" }, h("input", { name: "pregnant", type: "checkbox" }), t("pregnant")),
  label(t("notes"), h("textarea", { name: "notes", rows: 2 })),
  h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("save")),
    h("button", { type: "button", onclick: () => app.open(null) }, t("cancel"))));
  return form;
}

function patientView(app, id) {
  const m = app.model;
  const c = m.caseById(id);
  if (!c) return h("p", { class: "empty" }, t("no_patients"));
  const open = isOpen(c);
  const details = h("form", { id: "details-form", class: "form",
    onsubmit: async (e) => {
      e.preventDefault();
      const v = formValues(details);
      const changed = {};
      for (const k of ["phone", "address", "notes"]) if ((v[k] ?? null) !== (c[k] ?? null)) changed[k] = v[k] ?? null;
      if (Object.keys(changed).length) await app.queue([{ entity: "f0_case", row_id: id, fields: changed }]);
    } },
  h("h3", {}, t("details")),
  label(t("phone"), h("input", { name: "phone", type: "tel", value: c.phone ?? "" })),
  label(t("address"), h("input", { name: "address", value: c.address ?? "" })),
  label(t("notes"), h("textarea", { name: "notes", rows: 2 }, c.notes ?? "")),
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("save"))));

  const vitals = h("form", { id: "vitals-form", class: "form grid",
    onsubmit: async (e) => {
      e.preventDefault();
      const v = formValues(vitals);
      const at = app.client.nowIso();
      const edits = VITALS.filter((k) => v[k] !== undefined).map((kind) => ({
        entity: "observation", row_id: uuid(),
        fields: { case_id: id, kind, value: Number(v[kind]), measured_at: at, measured_by: app.author.id,
          ...(kind === "blood_pressure" && v.value2 ? { value2: Number(v.value2) } : {}) },
      }));
      if (edits.length && await app.queue(edits)) vitals.reset();
    } },
  h("h3", {}, t("vitals")),
  VITALS.map((k) => label(t(k), h("input", { name: k, type: "number", step: "any", inputmode: "decimal", disabled: !open }))),
  label(t("value2"), h("input", { name: "value2", type: "number", step: "any", disabled: !open })),
  h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", disabled: !open }, t("record"))));

  const bags = ["A", "B", "C"].map((bag) => {
    const given = m.bagGiven(c, bag);
    if (given) return h("p", { class: "bag given", dataset: { bag } }, t("bag_given", { bag, at: fmtTime(given) }));
    const item = m.itemByCode(`bag_${bag.toLowerCase()}`);
    const inStock = item ? m.lotFor(item) !== null : false;
    return h("button", { type: "button", class: "bag", dataset: { bag }, disabled: !open,
      title: inStock ? null : t("no_stock", { bag }),
      onclick: () => app.queue([{ entity: "dispensing", row_id: uuid(),
        fields: { case_id: id, kind: `bag_${bag.toLowerCase()}`, given_at: app.client.nowIso() } }]) },
    t("give_bag", { bag }));
  });

  // A loan names the device by the serial on its label and says when it is due back; the
  // server books it out of the station's shelf (one `dispensing` mutation, like a bag).
  const lend = h("form", { id: "lend-form", class: "form inline",
    onsubmit: async (e) => {
      e.preventDefault();
      const v = formValues(lend);
      if (!v.serial_no || !v.due_on) return;
      if (await app.queue([{ entity: "dispensing", row_id: uuid(), fields: {
        case_id: id, kind: "loan", given_at: app.client.nowIso(), serial_no: v.serial_no.trim(), due_on: v.due_on } }])) lend.reset();
    } },
  h("input", { name: "serial_no", placeholder: t("serial_no"), "aria-label": t("serial_no"), required: true, maxlength: 64 }),
  h("input", { name: "due_on", type: "date", "aria-label": t("due_on"), value: localDate(14), min: localDate(), required: true }),
  h("button", { type: "submit", disabled: !open }, t("lend_submit")));
  const loans = m.loans(id);

  const moves = CASE_MOVES[c.status] ?? [];
  const move = h("form", { id: "move-form", class: "form inline",
    onsubmit: async (e) => {
      e.preventDefault();
      const to = formValues(move).status;
      // The move's effective time is when the nurse made it, even if it is pushed hours later.
      if (to) await app.queue([{ entity: "f0_case", row_id: id, fields: { status: to, status_effective_at: app.client.nowIso() } }]);
    } },
  h("select", { name: "status", "aria-label": t("move") }, moves.map((s) => h("option", { value: s }, t(`status.${s}`)))),
  h("button", { type: "submit", disabled: moves.length === 0 }, t("move_submit")));

  const readings = m.readings(id).slice(0, 12);
  return h("article", { id: "patient", dataset: { id, status: c.status } },
    h("div", { class: "toolbar" }, h("button", { type: "button", class: "back", onclick: () => app.open(null) }, `← ${t("back")}`)),
    h("h2", {}, c.full_name),
    h("p", { class: "muted" }, `${c.case_code ?? ""} · ${t("age", { n: new Date().getFullYear() - c.year_of_birth })} · ${t(`sex.${c.sex}`)}`,
      c.risk_group ? ` · ${t("risk")} ${t(`risk.${c.risk_group}`)}` : ""),
    h("p", {}, h("span", { class: `badge ${c.status}`, id: "patient-status" }, t(`status.${c.status}`))),
    h("section", { class: "panel" }, h("h3", {}, t("bags")), h("div", { class: "bags" }, bags),
      h("h3", {}, t("lend")), lend,
      loans.length ? h("ul", { class: "loans" }, loans.map((l) => h("li", { dataset: { serial: l.serial_no } }, `${l.serial_no} · ${t("due_on")} ${l.due_on}`))) : null,
      h("h3", {}, t("move")), move),
    h("section", { class: "panel" }, vitals),
    h("section", { class: "panel" }, h("h3", {}, t("readings")), readings.length === 0 ? h("p", { class: "empty" }, t("no_readings")) :
      h("ul", { class: "readings" }, readings.map((o) => h("li", { dataset: { kind: o.kind } },
        h("span", {}, fmtTime(o.measured_at)), h("strong", {}, ` ${t(o.kind)} ${o.value ?? ""}${o.value2 ? `/${o.value2}` : ""}`))))),
    h("section", { class: "panel" }, details));
}

export function worklistView(app) {
  const m = app.model;
  const { alerts, overdue } = m.worklist(app.client.clock.wallMs());
  const caseName = (id) => m.caseById(id)?.full_name ?? "";
  return h("section", { id: "worklist" },
    h("h2", {}, t("alerts")),
    alerts.length === 0 ? h("p", { class: "empty" }, t("nothing")) : h("ul", { class: "cards", id: "alerts" }, alerts.map((a) =>
      h("li", { class: `card severity-${a.severity}`, dataset: { id: a.id, case: a.case_id, severity: a.severity } },
        h("span", { class: `badge ${a.severity}` }, t(`severity.${a.severity}`)),
        h("strong", { class: "link", onclick: () => { app.ui.tab = "patients"; app.open("patient", a.case_id); } }, ` ${caseName(a.case_id)}`),
        h("span", { class: "muted" }, ` ${(a.reasons ?? []).join(", ")} · ${fmtTime(a.opened_at)} · ${t(`alert.${a.status}`)}`),
        h("span", { class: "actions" },
          a.status === "open" ? h("button", { type: "button", onclick: () => app.queue([{ entity: "alert", row_id: a.id, fields: { status: "acknowledged" } }]) }, t("acknowledge")) : null,
          h("button", { type: "button", onclick: () => app.queue([{ entity: "alert", row_id: a.id, fields: { status: "resolved" } }]) }, t("resolve")))))),
    h("h2", {}, t("overdue")),
    overdue.length === 0 ? h("p", { class: "empty" }, t("nothing")) : h("ul", { class: "cards", id: "overdue" }, overdue.map(({ case: c, dueAt, lastAt }) =>
      h("li", { class: "card", dataset: { id: c.id }, onclick: () => { app.ui.tab = "patients"; app.open("patient", c.id); } },
        h("strong", {}, c.full_name), h("span", { class: "muted" }, ` ${t(`status.${c.status}`)} · ${t("due_since", { at: fmtTime(new Date(dueAt).toISOString()) })}`,
          lastAt ? ` · ${t("last_reading", { at: fmtTime(new Date(lastAt).toISOString()) })}` : "")))));
}

export function stockView(app) {
  const m = app.model;
  if (!m.location) return h("section", { id: "stock" }, h("p", { class: "empty" }, t("no_location")));
  const lines = m.stockLines();
  const form = h("form", { id: "movement-form", class: "form inline",
    onsubmit: async (e) => {
      e.preventDefault();
      const v = formValues(form);
      const item = m.items.find((i) => i.id === v.item_id);
      if (!item) return;
      const fields = { location_id: m.location.id, item_id: item.id, kind: v.kind, quantity: Number(v.quantity),
        occurred_at: app.client.nowIso(), reason: v.reason ?? null,
        lot_id: item.lot_tracked ? (v.kind === "receipt" ? v.lot_id ?? null : m.lotFor(item)) : null };
      if (await app.queue([{ entity: "stock_movement", row_id: uuid(), fields }])) form.reset();
    } },
  h("select", { name: "kind", "aria-label": t("record_movement") }, h("option", { value: "receipt" }, t("receipt")), h("option", { value: "issue" }, t("issue"))),
  h("select", { name: "item_id", "aria-label": t("item") }, m.items.map((i) => h("option", { value: i.id }, i.name))),
  h("select", { name: "lot_id", "aria-label": t("lot") }, h("option", { value: "" }, `${t("lot")}…`),
    m.lots.map((l) => h("option", { value: l.id }, `${m.items.find((i) => i.id === l.item_id)?.code ?? ""} ${l.lot_no} (${l.expires_on ?? ""})`))),
  h("input", { name: "quantity", type: "number", min: 1, required: true, placeholder: t("quantity") }),
  h("input", { name: "reason", placeholder: t("reason") }),
  h("button", { type: "submit", class: "primary" }, t("record_movement")));
  return h("section", { id: "stock" },
    h("h2", {}, `${t("stock_title")} · ${m.location.name}`),
    h("table", { class: "stock" },
      h("thead", {}, h("tr", {}, h("th", {}, t("item")), h("th", {}, t("on_hand")), h("th", {}, t("cover")))),
      h("tbody", {}, lines.map((l) => h("tr", { class: l.low ? "low" : "", dataset: { code: l.item.code, onHand: String(l.onHand) } },
        h("td", {}, l.item.name), h("td", { class: "num" }, `${l.onHand} ${l.item.unit_of_issue}`),
        h("td", { class: "num" }, l.coverDays === null ? "—" : t("days", { n: l.coverDays })))))),
    h("h3", {}, t("record_movement")), form);
}
