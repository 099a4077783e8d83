// The coordinator map: stations coloured by status and sized by load, grouped into clusters
// when zoomed out, over an offline base layer, kept live by server-sent events. Plain browser
// JavaScript over the vendored Leaflet; no build step.
//
// Other layers plug in through window.FieldOpsMap (for instance a readiness layer in a file
// of its own, loaded after this one):
//   FieldOpsMap.map                      the Leaflet map; FieldOpsMap.L is Leaflet
//   FieldOpsMap.addOverlay(id, layer, {label, on})  list a layer in the layers control (shown
//                                        unless on === false); label is an i18n key or text
//   FieldOpsMap.removeOverlay(id)
//   FieldOpsMap.stations()               the station features shown (after the filters)
//   FieldOpsMap.onStations(fn)           fn(features) after every load, live change or filter
//   FieldOpsMap.onLanguage(fn)           fn(lang) when the language changes
//   FieldOpsMap.addLabels({vi: {...}, en: {...}}), FieldOpsMap.t(key), FieldOpsMap.lang()
//   FieldOpsMap.api(path)                GET with the signed-in user's token
// A "fieldops:ready" event is dispatched on window once FieldOpsMap exists.
(function () {
  "use strict";

  const TOKEN_KEY = "fieldops.token";
  const LANG_KEY = "fieldops.lang";
  const STATUS_COLOURS = { active: "#2e7d32", preparing: "#1565c0", suspended: "#ef6c00", closed: "#757575" };
  const ITEMS = ["bag_a", "bag_b", "bag_c", "rapid_test", "spo2_meter", "bp_meter", "oxygen", "o2_concentrator"];
  // Below this zoom, markers closer than CLUSTER_PX on screen are drawn as one cluster; a
  // cluster is drawn where its first station is, and no wider than CLUSTER_PX, so no two
  // clusters or markers cover each other.
  const CLUSTER_BELOW_ZOOM = 14;
  const CLUSTER_PX = 48;
  const SEVERITY = { ok: 0, attention: 1, emergency: 2 };
  const BASEMAP_URL = "/static/vendor/basemap/vietnam-50m.geojson";

  const state = {
    lang: localStorage.getItem(LANG_KEY) || "vi",
    stations: new Map(), // id -> GeoJSON feature
    markers: new Map(), // id -> L.CircleMarker of a station drawn on its own
    units: [],
    resyncs: 0, // resyncs begun: only the latest draws its answers
    selected: null,
    events: null,
    stationListeners: [],
    languageListeners: [],
  };

  const $ = (id) => document.getElementById(id);
  const t = (key) => (window.MAP_I18N[state.lang] || {})[key] ?? key;
  const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const locale = () => (state.lang === "vi" ? "vi-VN" : "en-GB");
  const number = (n, digits = 0) => new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);

  // -- map and layers ----------------------------------------------------------------------
  const map = L.map("map", { preferCanvas: false, zoomSnap: 0.25 }).setView([10.78, 106.7], 11);
  map.attributionControl.setPrefix(false);
  map.createPane("basemap").style.zIndex = 250;
  const tileUrl = document.querySelector('meta[name="tile-url"]').content;
  if (tileUrl && !tileUrl.startsWith("{{")) L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(map);
  const basemapLayer = L.layerGroup().addTo(map);
  const outlineLayer = L.layerGroup().addTo(map);
  const stationLayer = L.layerGroup().addTo(map);
  const overlays = new Map(); // id -> {layer, label}
  const layersControl = L.control.layers(null, {}, { position: "topright", collapsed: true }).addTo(map);
  // Pans and zooms animate; scripts (and the browser test) wait for the map to settle.
  map.on("movestart", () => { document.body.dataset.moving = "1"; });
  map.on("moveend", () => { delete document.body.dataset.moving; });
  map.on("zoomend", () => render());
  window.addEventListener("resize", () => map.invalidateSize());

  function addOverlay(id, layer, options = {}) {
    removeOverlay(id);
    overlays.set(id, { layer, label: options.label || id });
    if (options.on !== false) layer.addTo(map);
    relabelOverlays();
  }

  function removeOverlay(id) {
    const known = overlays.get(id);
    if (!known) return;
    map.removeLayer(known.layer);
    overlays.delete(id);
    relabelOverlays();
  }

  function relabelOverlays() {
    for (const { layer } of overlays.values()) layersControl.removeLayer(layer);
    for (const { layer, label } of overlays.values()) layersControl.addOverlay(layer, esc(t(label)));
  }

  addOverlay("basemap", basemapLayer, { label: "layer_basemap" });
  addOverlay("outlines", outlineLayer, { label: "layer_outlines" });

  // The offline base layer: Viet Nam's land, its coastline and national borders (Natural
  // Earth 1:50m, vendored by `make web`), so the map means something without a tile server.
  async function loadBasemap() {
    const response = await fetch(BASEMAP_URL);
    if (!response.ok) return;
    const collection = await response.json();
    const styles = {
      neighbours: { pane: "basemap", stroke: false, fillColor: "#e4e1d6", fillOpacity: 1, interactive: false, className: "basemap-neighbours" },
      land: { pane: "basemap", stroke: false, fillColor: "#f6f3ea", fillOpacity: 1, interactive: false, className: "basemap-land" },
      coastline: { pane: "basemap", color: "#4f7fa8", weight: 1.2, interactive: false, className: "basemap-coast" },
      border: { pane: "basemap", color: "#8d6e63", weight: 1.2, dashArray: "4 3", interactive: false, className: "basemap-border" },
    };
    basemapLayer.clearLayers();
    L.geoJSON(collection, { style: (f) => styles[f.properties.kind] || {}, interactive: false }).addTo(basemapLayer);
    map.attributionControl.addAttribution("Natural Earth");
    document.body.dataset.basemap = "on";
  }

  // -- language ----------------------------------------------------------------------------
  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.title = t("title");
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    fillDistricts();
    relabelOutlines();
    relabelOverlays();
    render();
    if (state.selected) showPanel(state.selected);
    for (const fn of state.languageListeners) fn(state.lang);
  }

  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "vi" ? "en" : "vi";
    localStorage.setItem(LANG_KEY, state.lang);
    applyLanguage();
  });

  // -- authentication ----------------------------------------------------------------------
  const token = () => sessionStorage.getItem(TOKEN_KEY);

  function askLogin() {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.events) { state.events.close(); state.events = null; }
    $("logout").hidden = true;
    $("login").hidden = false;
    document.querySelector("#login input[name=username]").focus();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const response = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
    });
    if (!response.ok) { $("login-error").hidden = false; return; }
    sessionStorage.setItem(TOKEN_KEY, (await response.json()).access_token);
    $("login-error").hidden = true;
    $("login").hidden = true;
    start();
  });

  $("logout").addEventListener("click", askLogin);

  async function api(path, method = "GET") {
    const response = await fetch(path, { method, headers: { Authorization: `Bearer ${token()}` } });
    if (response.status === 401) { askLogin(); throw new Error("not signed in"); }
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  // -- names -------------------------------------------------------------------------------
  // A station is named with its ward and district: ten districts have a "Phường 11".
  function placeOf(p) {
    const en = state.lang === "en";
    const ward = en ? p.commune_name_en || p.commune_name : p.commune_name;
    const district = en ? p.district_name_en || p.district_name : p.district_name;
    return [ward, district].filter(Boolean).join(", ");
  }

  // A station's name is data, but "Trạm Y tế lưu động số 3 Phường 11" is the common noun of
  // every mobile station plus its ward: in English it reads "Mobile health station no. 3, Ward
  // 11". Any other name is shown as it was written.
  const STATION_NAME = /^Trạm [Yy] tế lưu động(?: số (\d+))?\s*(.*)$/u;
  function stationLabel(p) {
    const m = state.lang === "en" ? STATION_NAME.exec(p.name) : null;
    if (!m) return p.name;
    const [, n, rest] = m;
    const ward = rest && rest === p.commune_name ? p.commune_name_en || rest : rest;
    return `${t("station_noun")}${n ? ` ${t("station_number")} ${n}` : ""}${ward ? `, ${ward}` : ""}`;
  }

  function unitLabel(props) {
    return state.lang === "en" ? props.label_en || props.name_en || props.name : props.name;
  }

  // -- filters -----------------------------------------------------------------------------
  function districtOf(feature) { return feature.properties.district_code; }

  function passes(feature) {
    const district = $("district-filter").value;
    const status = $("status-filter").value;
    return (!district || districtOf(feature) === district) && (!status || feature.properties.status === status);
  }

  function fillDistricts() {
    const select = $("district-filter");
    const chosen = select.value;
    const names = new Map();
    for (const f of state.stations.values()) {
      const p = f.properties;
      names.set(p.district_code, state.lang === "en" ? p.district_name_en || p.district_name : p.district_name);
    }
    for (const u of state.units) {
      if (u.properties.level === "district" && names.has(u.properties.code)) names.set(u.properties.code, unitLabel(u.properties));
    }
    select.length = 1;
    const sorted = [...names.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    for (const [code, label] of sorted) select.add(new Option(label || code, code));
    select.value = chosen;
  }

  $("district-filter").addEventListener("change", () => { render(); zoomToShown(); });
  $("status-filter").addEventListener("change", () => render());

  // -- stations and clusters ---------------------------------------------------------------
  function radius(load) { return 4 + 9 * Math.sqrt(Math.min(load, 2)); }

  function severity(p) {
    if (p.emergency_alerts > 0) return "emergency";
    return p.attention.length > 0 ? "attention" : "ok";
  }

  function style(p) {
    const worst = severity(p);
    return {
      radius: radius(p.load),
      fillColor: STATUS_COLOURS[p.status] || "#000",
      fillOpacity: 0.85,
      color: worst === "emergency" ? "#b71c1c" : worst === "attention" ? "#f9a825" : "#263238",
      weight: worst === "emergency" ? 4 : worst === "attention" ? 3 : 1,
    };
  }

  function tag(el, feature) {
    if (!el) return;
    const p = feature.properties;
    el.dataset.id = feature.id;
    el.dataset.code = p.code;
    el.dataset.status = p.status;
    el.dataset.load = String(p.load);
    el.dataset.attention = p.attention.join(" ");
    el.dataset.worst = severity(p);
    el.dataset.district = p.district_code;
  }

  function stationMarker(feature) {
    const p = feature.properties;
    const [lon, lat] = feature.geometry.coordinates;
    const marker = L.circleMarker([lat, lon], { ...style(p), className: "station-marker" });
    marker.on("click", () => showPanel(feature.id));
    marker.bindTooltip(`${esc(stationLabel(p))}<br>${esc(placeOf(p))} · ${Math.round(p.load * 100)}%`);
    marker.addTo(stationLayer);
    tag(marker.getElement(), feature);
    return marker;
  }

  // Greedy clustering in screen pixels: each station, in code order, joins the first cluster
  // whose first member lies within CLUSTER_PX, so the grouping is the same on every redraw
  // and the first members (where clusters are drawn) lie at least CLUSTER_PX apart.
  function clusters(features) {
    const groups = [];
    for (const f of features) {
      const [lon, lat] = f.geometry.coordinates;
      const point = map.project([lat, lon], map.getZoom());
      const near = groups.find((g) => g.point.distanceTo(point) < CLUSTER_PX);
      if (near) near.members.push(f); else groups.push({ point, latlng: [lat, lon], members: [f] });
    }
    return groups;
  }

  function clusterMarker(group) {
    const members = group.members;
    const worst = members.map((f) => severity(f.properties))
      .reduce((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a), "ok");
    const bounds = L.latLngBounds(members.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]]));
    const size = Math.min(CLUSTER_PX - 4, Math.round(22 + 4 * Math.log2(members.length)));
    const emergencies = members.filter((f) => severity(f.properties) === "emergency").length;
    const attention = members.filter((f) => severity(f.properties) === "attention").length;
    const codes = members.map((f) => f.properties.code).join(" ");
    const icon = L.divIcon({
      className: "cluster-icon marker-cluster",
      iconSize: [size, size],
      html: `<div class="station-cluster worst-${worst}" data-count="${members.length}" data-worst="${worst}" data-codes="${esc(codes)}">${members.length}</div>`,
    });
    const marker = L.marker(group.latlng, { icon, title: t("cluster_title").replace("{n}", members.length).replace("{e}", emergencies).replace("{a}", attention) });
    marker.on("click", () => {
      document.body.dataset.moving = "1";
      const zoom = map.getBoundsZoom(bounds, false, L.point(40, 40));
      if (zoom > map.getZoom() + 0.5) map.fitBounds(bounds, { padding: [40, 40], maxZoom: CLUSTER_BELOW_ZOOM + 1 });
      else map.setView(bounds.getCenter(), Math.min(map.getZoom() + 2, CLUSTER_BELOW_ZOOM + 1));
    });
    marker.addTo(stationLayer);
    return marker;
  }

  function shownFeatures() {
    return [...state.stations.values()].filter(passes).sort((a, b) => a.properties.code.localeCompare(b.properties.code));
  }

  function render() {
    const shown = shownFeatures();
    stationLayer.clearLayers();
    state.markers.clear();
    let clustered = 0;
    if (map.getZoom() < CLUSTER_BELOW_ZOOM) {
      for (const group of clusters(shown)) {
        if (group.members.length === 1) state.markers.set(group.members[0].id, stationMarker(group.members[0]));
        else { clusterMarker(group); clustered += 1; }
      }
    } else {
      for (const f of shown) state.markers.set(f.id, stationMarker(f));
    }
    $("shown-count").textContent = String(shown.length);
    document.body.dataset.shown = String(shown.length);
    document.body.dataset.clusters = String(clustered);
    renderAttention();
    for (const fn of state.stationListeners) fn(shown);
  }

  function zoomToShown() {
    const points = shownFeatures().map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]]);
    if (!points.length) return;
    document.body.dataset.moving = "1"; // at once: Leaflet starts the animation a frame later
    map.fitBounds(L.latLngBounds(points), { padding: [30, 30], maxZoom: 15 });
  }

  function urgency(p) {
    return p.emergency_alerts * 1000 + p.open_alerts * 10 + (p.attention.includes("stock_out") ? 5 : 0) + p.load;
  }

  function badges(p) {
    const out = [];
    if (p.emergency_alerts) out.push(`<span class="badge emergency">${esc(t("reason.emergency"))} ${p.emergency_alerts}</span>`);
    for (const r of p.attention) {
      if (r === "open_alerts") {
        if (p.attention_alerts) out.push(`<span class="badge open_alerts">${esc(t("reason.open_alerts"))} ${p.attention_alerts}</span>`);
      } else {
        const extra = r === "overload" ? ` ${Math.round(p.load * 100)}%` : "";
        out.push(`<span class="badge ${r}">${esc(t("reason." + r))}${extra}</span>`);
      }
    }
    return out.join("");
  }

  function renderAttention() {
    const list = $("attention-list");
    const needing = shownFeatures()
      .filter((f) => f.properties.attention.length)
      .sort((a, b) => urgency(b.properties) - urgency(a.properties));
    list.innerHTML = needing.length ? "" : `<li class="none">${esc(t("nothing_needs_attention"))}</li>`;
    for (const feature of needing) {
      const p = feature.properties;
      const item = document.createElement("li");
      item.dataset.id = feature.id;
      item.dataset.code = p.code;
      item.innerHTML = `<span class="name">${esc(stationLabel(p))}</span> <span class="place">${esc(placeOf(p))}</span><br>${badges(p)}`;
      item.addEventListener("click", () => {
        const [lon, lat] = feature.geometry.coordinates;
        document.body.dataset.moving = "1";
        map.setView([lat, lon], Math.max(map.getZoom(), CLUSTER_BELOW_ZOOM));
        showPanel(feature.id);
      });
      list.appendChild(item);
    }
  }

  // -- the click panel ---------------------------------------------------------------------
  function supplyRows(supplies) {
    const byKey = new Map(supplies.map((s) => [s.key, s]));
    return ITEMS.filter((k) => byKey.has(k)).map((k) => {
      const s = byKey.get(k);
      // Below zero on hand covers no day at all; the quantity beside it shows how far below.
      const cover = s.days_of_cover == null ? "—" : `${number(Math.max(0, s.days_of_cover), 1)} ${esc(t("days"))}`;
      return `<tr data-item="${k}"><td>${esc(t("item." + k))}</td>`
        + `<td class="num${s.on_hand < 0 ? " negative" : ""}" data-field="on_hand" data-on-hand="${s.on_hand}">${number(s.on_hand)}</td>`
        + `<td class="num" data-field="cover">${cover}</td>`
        + `<td><span class="state-${s.state}">${esc(t("stock." + s.state))}</span></td></tr>`;
    }).join("");
  }

  async function showPanel(id) {
    state.selected = id;
    const panel = $("panel");
    panel.hidden = false;
    panel.dataset.id = id;
    let detail;
    try { detail = await api(`/api/map/stations/${id}`); } catch (err) { return; }
    if (state.selected !== id) return;
    const p = detail.feature.properties;
    const rows = (pairs) => pairs.map(([k, v]) => `<tr><td>${k}</td><td class="num">${v}</td></tr>`).join("");
    const cases = Object.entries(detail.cases_by_status).map(([s, n]) => [esc(t("case." + s)), number(n)]);
    const members = detail.staff.map((m) => `<li data-role="${esc(m.role)}">${esc(m.full_name)} (${esc(t("role." + m.role))})</li>`).join("");
    const reqs = detail.pending_requisitions.map((r) => `<li>${esc(r.code)} · ${esc(t("req." + r.status))}</li>`).join("");
    const supplies = detail.supplies.length
      ? `<table class="supplies"><tr><th>${esc(t("stock_item"))}</th><th>${esc(t("stock_on_hand"))}</th><th>${esc(t("stock_cover"))}</th><th>${esc(t("stock_state"))}</th></tr>${supplyRows(detail.supplies)}</table>`
      : `<p>${esc(t("no_stock_record"))}</p>`;
    $("panel-body").innerHTML = `
      <h2 data-name="${esc(p.name)}">${esc(stationLabel(p))}</h2>
      <div class="place" data-field="place">${esc(placeOf(p))}</div>
      <div>${esc(p.code)} · <strong data-field="status">${esc(t("station." + p.status))}</strong></div>
      <h3>${esc(t("load"))}</h3>
      <div data-field="load">${number(p.active_cases)} / ${number(p.capacity)} ${esc(t("capacity"))} (${Math.round(p.load * 100)}%)</div>
      <h3>${esc(t("alerts"))}</h3>
      <div data-field="alerts" data-emergency="${p.emergency_alerts}" data-attention="${p.attention_alerts}">
        ${p.emergency_alerts ? `<span class="badge emergency">${esc(t("alerts_emergency"))} ${p.emergency_alerts}</span>` : `${esc(t("alerts_emergency"))}: 0`}
        · ${esc(t("alerts_attention"))}: ${p.attention_alerts}
        ${p.acknowledged_alerts ? ` (${p.acknowledged_alerts} ${esc(t("alerts_acknowledged"))})` : ""}
      </div>
      <h3>${esc(t("stock"))}</h3>${supplies}
      <h3>${esc(t("staff"))}</h3>
      <table>${rows([[esc(t("doctors")), p.doctors], [esc(t("nurses")), p.nurses], [esc(t("volunteers")), p.volunteers]])}</table>
      ${members ? `<h3>${esc(t("members"))}</h3><ul class="members">${members}</ul>` : ""}
      <h3>${esc(t("cases"))}</h3><table>${cases.length ? rows(cases) : `<tr><td>${esc(t("none"))}</td></tr>`}</table>
      <h3>${esc(t("requisitions"))}</h3>${reqs ? `<ul>${reqs}</ul>` : `<p>${esc(t("none"))}</p>`}`;
    panel.dataset.loaded = id;
  }

  $("panel-close").addEventListener("click", () => { state.selected = null; $("panel").hidden = true; });

  // -- loading and live updates ------------------------------------------------------------
  async function loadStations() {
    drawStations(await api("/api/map/stations"));
  }

  function drawStations(collection) {
    state.stations = new Map(collection.features.map((f) => [f.id, f]));
    fillDistricts();
    render();
    document.body.dataset.stations = String(state.stations.size);
  }

  function relabelOutlines() {
    outlineLayer.eachLayer((group) => group.eachLayer && group.eachLayer((layer) => {
      if (layer.feature) layer.setTooltipContent(esc(unitLabel(layer.feature.properties)));
    }));
  }

  async function loadOutlines() {
    drawOutlines(await api("/api/map/units"), true);
  }

  // On a resync the outlines are drawn again for their names, and the view stays where the
  // coordinator put it; only the first load fits the map to them.
  function drawOutlines(collection, fit) {
    state.units = collection.features;
    outlineLayer.clearLayers();
    L.geoJSON(collection, {
      style: { color: "#5c6b7a", weight: 1, fill: true, fillOpacity: 0.03, dashArray: "2 3", className: "unit-outline" },
      onEachFeature: (feature, layer) => layer.bindTooltip(esc(unitLabel(feature.properties)), { sticky: true }),
    }).addTo(outlineLayer);
    const bounds = L.geoJSON(collection).getBounds();
    if (fit && bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
  }

  function setLive(on) {
    const el = $("live");
    el.className = `live ${on ? "on" : "off"}`;
    el.dataset.i18n = on ? "live_on" : "live_off";
    el.textContent = t(el.dataset.i18n);
    el.title = el.textContent;
    document.body.dataset.live = on ? "on" : "off";
  }

  // Every station changed at once (the catalog, a unit's name): the units and the stations
  // are read again, together. Only the latest resync draws (an earlier one's answers may come
  // last), the units first so the district filter takes their new names; the stations are
  // drawn even when the units could not be read.
  async function resync() {
    const mine = ++state.resyncs;
    const [units, stations] = await Promise.all([
      api("/api/map/units").catch((err) => { console.error(err); return null; }),
      api("/api/map/stations"),
    ]);
    if (mine !== state.resyncs) return;
    if (units) drawOutlines(units, false);
    drawStations(stations);
  }

  // The API token never goes in a URL (URLs end up in logs): each stream opens with a
  // single-use ticket valid for a minute, asked for with the token in a header.
  async function listen() {
    if (state.events) state.events.close();
    const { ticket } = await api("/api/map/stream-ticket", "POST");
    const source = new EventSource(`/api/map/events?ticket=${encodeURIComponent(ticket)}`);
    state.events = source;
    source.addEventListener("ready", () => setLive(true));
    source.addEventListener("stations", (event) => {
      const changed = JSON.parse(event.data);
      for (const feature of changed) state.stations.set(feature.id, feature);
      render();
      if (changed.some((f) => f.id === state.selected)) showPanel(state.selected);
    });
    source.addEventListener("resync", () => resync().catch((err) => console.error(err)));
    source.onerror = () => {
      setLive(false);
      // A refused ticket closes the stream for good (a reconnect reuses the spent one): while
      // still signed in, open a new stream with a new ticket.
      if (source.readyState === EventSource.CLOSED && state.events === source) {
        api("/api/me").then(() => listen(), () => {}).catch(() => {});
      }
    };
  }

  async function start() {
    $("logout").hidden = false;
    try {
      await loadOutlines();
      await loadStations();
      listen();
    } catch (err) {
      console.error(err);
    }
  }

  window.FieldOpsMap = {
    map,
    L,
    addOverlay,
    removeOverlay,
    stations: () => shownFeatures(),
    onStations: (fn) => { state.stationListeners.push(fn); },
    onLanguage: (fn) => { state.languageListeners.push(fn); },
    addLabels: (labels) => {
      for (const [lang, entries] of Object.entries(labels)) Object.assign(window.MAP_I18N[lang] ||= {}, entries);
    },
    t,
    lang: () => state.lang,
    api: (path) => api(path),
  };
  window.dispatchEvent(new Event("fieldops:ready"));

  if (window.matchMedia("(max-width: 760px)").matches) $("legend").open = false; // a phone: the map first
  loadBasemap().catch((err) => console.error(err));
  applyLanguage();
  setLive(false);
  if (token()) start(); else askLogin();
})();
