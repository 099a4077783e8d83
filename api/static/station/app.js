// The station tablet app: enrolment, the author on a shared tablet, the tabs, and the sync bar.
// Everything it shows is read from the device's replica (IndexedDB) and every edit goes to the
// outbox first, so the app works the same with or without a link; the client syncs by itself
// (long-poll when idle, at once after an edit or when the link returns).
import { Unauthorized, UnsupportedProtocol, openDevice } from "/static/sync-client/index.js";
import { fmtTime, h } from "./dom.js";
import { getLang, setLang, t } from "./i18n.js";
import { WardModel } from "./model.js";
import { patientsView, stockView, worklistView } from "./views.js";

const DEVICE_KEY = "station.device";
const root = document.getElementById("app");
const app = {
  device: JSON.parse(localStorage.getItem(DEVICE_KEY) ?? "null"),
  client: null, model: null, author: null, schema: null, live: null,
  ui: { tab: "patients", view: null, patientId: null, query: "", showNotices: false },
  status: { online: navigator.onLine, syncing: false, pending: 0, lastSync: null, notices: [], fatal: null },
};

// -- enrolment ------------------------------------------------------------------------------

/** An enrolment code is `FO1.<device id>.<station id>.<token>`, what the commune officer's
 * `POST /api/devices` answer gives (a QR code of `/station#enrol=<code>` opens it here). */
export function parseCode(code) {
  const m = /^FO1\.([0-9a-f-]{36})\.([0-9a-f-]{36})\.(\S+)$/i.exec(String(code).trim());
  return m ? { device_id: m[1].toLowerCase(), station_id: m[2].toLowerCase(), token: m[3] } : null;
}

async function enrolWith(device) {
  const schema = await (await fetch("/sync/v1/schema")).json();
  localStorage.setItem("station.schema", JSON.stringify(schema));
  localStorage.setItem(DEVICE_KEY, JSON.stringify(device));
  app.device = device;
  await start();
}

function enrolScreen(error) {
  document.body.dataset.state = "enrol";
  const codeForm = h("form", { id: "enrol-form", class: "form",
    onsubmit: async (e) => {
      e.preventDefault();
      const device = parseCode(codeForm.elements.code.value);
      if (!device) { enrolScreen(t("enrol_bad")); return; }
      try { await enrolWith(device); } catch (err) { enrolScreen(t("enrol_failed", { why: err.message })); }
    } },
  h("label", {}, h("span", {}, t("enrol_code")), h("input", { name: "code", autocomplete: "off", required: true })),
  h("button", { type: "submit", class: "primary" }, t("enrol_submit")));
  const officer = h("form", { id: "officer-form", class: "form",
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        const el = officer.elements;
        const login = await fetch("/api/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ username: el.username.value, password: el.password.value }) });
        if (!login.ok) throw new Error(String(login.status));
        const auth = { Authorization: `Bearer ${(await login.json()).access_token}`, "Content-Type": "application/json" };
        const stations = (await (await fetch("/api/stations?limit=200", { headers: auth })).json()).items ?? [];
        const station = stations.find((s) => s.id === el.station.value) ?? (stations.length === 1 ? stations[0] : null);
        if (!station) {
          el.station.replaceChildren(...stations.map((s) => h("option", { value: s.id }, s.name)));
          el.station.hidden = false;
          return;
        }
        const forOther = e.submitter?.name === "other";
        const made = await fetch("/api/devices", { method: "POST", headers: auth, body: JSON.stringify({ name: `Tablet ${new Date().toISOString().slice(0, 10)}`, station_id: station.id }) });
        const body = await made.json();
        if (!made.ok) throw new Error(body.detail ?? String(made.status));
        const device = { device_id: body.device_id, station_id: station.id, token: body.token };
        if (forOther) await showCode(device, station); else await enrolWith(device);
      } catch (err) { enrolScreen(t("enrol_failed", { why: err.message })); }
    } },
  h("p", {}, t("enrol_officer")),
  h("input", { name: "username", placeholder: t("username"), autocomplete: "username" }),
  h("input", { name: "password", type: "password", placeholder: t("password"), autocomplete: "current-password" }),
  h("select", { name: "station", hidden: true, "aria-label": t("station") }),
  h("div", { class: "actions" }, h("button", { type: "submit", name: "this" }, t("sign_in")),
    h("button", { type: "submit", name: "other" }, t("code_for_other"))));
  root.replaceChildren(header(), h("main", { class: "narrow" }, h("h2", {}, t("enrol_title")), h("p", {}, t("enrol_help")),
    error ? h("p", { class: "error", role: "alert" }, error) : null, codeForm, h("hr"), officer));
}

/** The officer enrolled a tablet from here for another one: its code, and a QR code of the
 * link that enrols it (any camera app opens it). The token is shown this once. */
async function showCode(device, station) {
  const code = `FO1.${device.device_id}.${device.station_id}.${device.token}`;
  const link = `${location.origin}/station#enrol=${encodeURIComponent(code)}`;
  const { default: qrcode } = await import("/static/vendor/qrcode-generator/qrcode.mjs");
  const qr = qrcode(0, "M");
  qr.addData(link);
  qr.make();
  const img = h("img", { id: "enrol-qr", alt: t("enrol_code"), src: qr.createDataURL(6, 12), width: 280, height: 280 });
  root.replaceChildren(header(), h("main", { class: "narrow" }, h("h2", {}, `${t("code_for_other")} · ${station.name}`),
    h("p", {}, t("code_once")), img, h("p", {}, h("code", { id: "enrol-code" }, code)),
    h("button", { type: "button", onclick: () => enrolScreen() }, t("back"))));
}

// -- the author on a shared tablet ------------------------------------------------------------

// Each person's PIN is kept only as a salted PBKDF2 hash on this device: a shared tablet then
// names the right author without sending any credential, and works offline from the start.
const pinKey = () => `station.pins.${app.device.device_id}`;
async function pinHash(pin, salt) {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(pin), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: new TextEncoder().encode(salt), iterations: 100000 }, key, 256);
  return [...new Uint8Array(bits)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function authorScreen(error) {
  document.body.dataset.state = "author";
  const users = (await app.client.store.rows("ward_user")).filter((u) => u.active)
    .filter((u) => !u.station_id || u.station_id === app.device.station_id)
    .sort((a, b) => a.full_name.localeCompare(b.full_name, "vi"));
  const pins = JSON.parse(localStorage.getItem(pinKey()) ?? "{}");
  const choose = (u) => {
    const known = pins[u.id];
    const form = h("form", { id: "pin-form", class: "form",
      onsubmit: async (e) => {
        e.preventDefault();
        const pin = form.elements.pin.value;
        if (!/^\d{4,8}$/.test(pin)) { authorScreen(t("pin_bad")); return; }
        if (known) {
          if (await pinHash(pin, known.salt) !== known.hash) { authorScreen(t("pin_wrong")); return; }
        } else {
          const salt = crypto.randomUUID();
          pins[u.id] = { salt, hash: await pinHash(pin, salt) };
          localStorage.setItem(pinKey(), JSON.stringify(pins));
        }
        app.author = u;
        sessionStorage.setItem("station.author", u.id);
        await mainScreen();
      } },
    h("h3", {}, u.full_name), h("label", {}, h("span", {}, known ? t("pin") : t("pin_new")),
      h("input", { name: "pin", type: "password", inputmode: "numeric", autocomplete: "off", required: true })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("continue")),
      h("button", { type: "button", onclick: () => authorScreen() }, t("cancel"))));
    root.querySelector("#who").replaceChildren(form);
    form.elements.pin.focus();
  };
  root.replaceChildren(header(), syncBar(), h("main", { class: "narrow" }, h("h2", {}, t("who")),
    error ? h("p", { class: "error", role: "alert" }, error) : null,
    h("div", { id: "who" }, h("ul", { class: "cards", id: "authors" }, users.map((u) =>
      h("li", { class: "card", dataset: { id: u.id, role: u.role }, onclick: () => choose(u) },
        h("strong", {}, u.full_name), h("span", { class: "muted" }, ` ${u.role}`)))))));
}

// -- shell ----------------------------------------------------------------------------------

function header() {
  return h("header", {},
    h("h1", {}, app.model?.station?.name ?? t("title")),
    app.author ? h("span", { id: "author", class: "muted" }, app.author.full_name) : null,
    app.author ? h("button", { id: "switch-user", type: "button", onclick: () => { app.author = null; sessionStorage.removeItem("station.author"); authorScreen(); } }, t("switch_user")) : null,
    h("button", { id: "lang", type: "button", onclick: () => { setLang(getLang() === "vi" ? "en" : "vi"); rerender(); } }, t("language")));
}

function noticeText(n) {
  const fields = Object.keys(n.typed ?? {});
  const name = n.entity === "f0_case" ? app.model?.caseById(n.row_id)?.full_name : null;
  return h("li", { class: `notice ${n.status}`, dataset: { status: n.status, entity: n.entity, row: n.row_id } },
    h("strong", {}, `${n.status === "merged" ? t("notice_merged") : t("notice_rejected")} · ${t(`entity.${n.entity}`)}${name ? ` ${name}` : ""}`),
    h("span", { class: "muted" }, ` ${fmtTime(n.at)}`),
    h("dl", {},
      h("dt", {}, t("you_typed")), h("dd", { class: "typed" }, fields.map((f) => `${f}: ${JSON.stringify(n.typed[f])}`).join(", ")),
      n.kept ? h("dt", {}, t("server_kept")) : null,
      n.kept ? h("dd", { class: "kept" }, fields.map((f) => `${f}: ${JSON.stringify(n.kept[f] ?? null)}`).join(", ")) : null,
      h("dt", {}, t("why")), h("dd", { class: "why" }, n.status === "merged" && !n.code ? t("why_merged") : `${n.message ?? n.code ?? ""}${n.field ? ` (${n.field})` : ""}`)));
}

function syncBar() {
  const s = app.status;
  document.body.dataset.online = s.online ? "on" : "off";
  document.body.dataset.pending = String(s.pending);
  return h("div", { id: "sync-bar", class: s.online ? "online" : "offline" },
    h("span", { id: "net", class: "dot" }, s.online ? t("online") : t("offline")),
    h("span", { id: "pending" }, t("pending", { n: s.pending })),
    h("span", { id: "last-sync" }, s.syncing ? t("syncing") : s.lastSync ? t("last_sync", { at: fmtTime(s.lastSync) }) : t("never_synced")),
    s.notices.length ? h("button", { id: "notices-toggle", type: "button", onclick: () => { app.ui.showNotices = !app.ui.showNotices; rerender(); } },
      `${t("notices")} (${s.notices.length})`) : null,
    h("button", { id: "sync-now", type: "button", onclick: () => app.live?.wake() }, t("sync_now")),
    s.fatal ? h("p", { class: "error", role: "alert" }, s.fatal) : null,
    app.ui.showNotices ? h("ul", { id: "notices" }, s.notices.slice().reverse().slice(0, 50).map(noticeText)) : null);
}

let toastTimer = null;
function toast(text, error = false) {
  const el = document.getElementById("toast");
  el.textContent = text; el.className = error ? "show error" : "show";
  clearTimeout(toastTimer); toastTimer = setTimeout(() => { el.className = ""; }, 2500);
}

/** Queue one user action (its edits go to the outbox in one transaction), after checking the
 * values against the server's published contract. Returns whether it was queued. */
app.queue = async (edits) => {
  for (const e of edits) {
    const bad = app.model.invalidField(e.entity, e.fields ?? {});
    if (bad) { toast(t("invalid", { field: t(bad) }), true); return false; }
  }
  await app.client.enqueue(edits, app.author.id);
  toast(t("saved"));
  await refresh();
  return true;
};

app.open = (view, id = null) => { app.ui.view = view; app.ui.patientId = id; rerender(); };
app.render = ({ keepFocus } = {}) => {
  const pos = keepFocus ? document.getElementById(keepFocus)?.selectionStart : null;
  rerender();
  if (keepFocus) { const el = document.getElementById(keepFocus); el?.focus(); if (pos !== null) el?.setSelectionRange(pos, pos); }
};

async function refresh() {
  await app.model.load();
  await refreshStatus();
  rerender();
}

async function refreshStatus() {
  app.status.pending = await app.client.store.pendingCount();
  app.status.notices = await app.client.store.notices();
  app.status.lastSync = await app.client.store.meta("last_sync");
}

/** Someone is typing in a form: a background re-render would wipe what they typed. */
function editing() {
  const el = document.activeElement;
  return Boolean(el && el.closest("main form") && el.id !== "search");
}

let stale = false;
document.addEventListener("focusout", () => setTimeout(() => {
  if (stale && !editing()) { stale = false; rerender(); }
}, 200));

/** News from the sync client: the sync bar always; the page only when data changed and no
 * one is typing (then as soon as they leave the form). */
async function onBackground(dataChanged) {
  if (dataChanged) await app.model.load();
  if (app.author && !app.model.users.some((u) => u.id === app.author.id && u.active)) {
    // Deactivated online: their next edits would be refused `forbidden`; ask who is here now.
    app.author = null;
    sessionStorage.removeItem("station.author");
    await authorScreen(t("author_gone"));
    return;
  }
  await refreshStatus();
  const bar = document.getElementById("sync-bar");
  if (dataChanged && app.author) {
    if (editing()) stale = true; else { rerender(); return; }
  }
  if (bar) bar.replaceWith(syncBar());
}

function rerender() {
  if (!app.device) return enrolScreen();
  if (!app.author) {
    const bar = document.getElementById("sync-bar");
    if (bar) bar.replaceWith(syncBar());
    return undefined;
  }
  const tabs = ["patients", "worklist", "stock"];
  const view = { patients: patientsView, worklist: worklistView, stock: stockView }[app.ui.tab](app);
  root.replaceChildren(header(), syncBar(),
    h("nav", { class: "tabs" }, tabs.map((tab) => h("button", { type: "button", id: `tab-${tab}`,
      class: app.ui.tab === tab ? "active" : "", onclick: () => { app.ui.tab = tab; app.ui.view = null; rerender(); } }, t(`tab_${tab}`)))),
    h("main", { class: app.ui.view ? "with-detail" : "" }, view));
  document.body.dataset.state = "ready";
  document.body.dataset.view = app.ui.view ?? app.ui.tab;
  return undefined;
}

async function mainScreen() {
  await refresh();
}

// -- start ----------------------------------------------------------------------------------

let refreshTimer = null;
let dataChanged = false;
const refreshSoon = (changed = false) => {
  dataChanged ||= changed;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { const c = dataChanged; dataChanged = false; onBackground(c).catch(console.error); }, 100);
};

async function start() {
  app.schema = JSON.parse(localStorage.getItem("station.schema") ?? "null");
  app.client = await openDevice({ deviceId: app.device.device_id, token: app.device.token, maxRetries: 2, backoffCapMs: 15000 });
  app.model = new WardModel(app.client.store, app.device.station_id, app.schema);
  app.client.on((e) => {
    if (e.type === "sync") { app.status.syncing = e.phase === "start"; }
    if (e.type === "online") {
      app.status.online = e.online;
      if (e.error instanceof Unauthorized) app.status.fatal = t("reauth");
      if (e.error instanceof UnsupportedProtocol) app.status.fatal = t("update");
    }
    refreshSoon(e.type === "changes" || e.type === "reset" || e.type === "notice");
  });
  if ((await app.client.store.meta("cursor")) === null) {
    document.body.dataset.state = "bootstrap";
    let n = 0;
    const off = app.client.on((e) => { if (e.type === "changes") { n += e.changes.length; root.replaceChildren(header(), h("main", { class: "narrow" }, h("p", { id: "bootstrap" }, t("bootstrapping", { n })))); } });
    root.replaceChildren(header(), h("main", { class: "narrow" }, h("p", { id: "bootstrap" }, t("bootstrapping", { n: 0 }))));
    try { await app.client.sync(); } finally { off(); }
    if (!app.schema) {
      app.schema = await (await fetch("/sync/v1/schema")).json();
      localStorage.setItem("station.schema", JSON.stringify(app.schema));
      app.model.schema = app.schema;
    }
  }
  app.live = app.client.startLive();
  window.addEventListener("online", () => { app.status.online = true; app.live?.wake(); refreshSoon(); });
  window.addEventListener("offline", () => { app.status.online = false; refreshSoon(); });
  await app.model.load();
  const remembered = sessionStorage.getItem("station.author");
  app.author = remembered ? (await app.client.store.rows("ward_user")).find((u) => u.id === remembered && u.active) ?? null : null;
  if (app.author) await mainScreen(); else await authorScreen();
}

/** A `#enrol=<code>` link opened on a tablet not yet enrolled (or pasted into its address bar). */
async function enrolFromLink() {
  const fromLink = /#enrol=(.+)$/.exec(location.hash);
  if (!fromLink || app.device) return false;
  const device = parseCode(decodeURIComponent(fromLink[1]));
  history.replaceState(null, "", location.pathname);
  if (!device) { enrolScreen(t("enrol_bad")); return true; }
  try { await enrolWith(device); } catch (err) { enrolScreen(t("enrol_failed", { why: err.message })); }
  return true;
}

async function boot() {
  setLang(getLang());
  window.addEventListener("hashchange", () => { enrolFromLink().catch(console.error); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/station/sw.js", { scope: "/station" }).catch((err) => console.warn("no service worker", err));
  }
  if (await enrolFromLink()) return;
  if (!app.device) { enrolScreen(); return; }
  await start();
}

boot().catch((err) => { console.error(err); root.replaceChildren(h("p", { class: "error" }, String(err))); });
