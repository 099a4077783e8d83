// The coordinator map: stations coloured by status and sized by load, kept live by
// server-sent events. Plain browser JavaScript over the vendored Leaflet; no build step.
(function () {
  "use strict";

  const TOKEN_KEY = "fieldops.token";
  const LANG_KEY = "fieldops.lang";
  const STATUS_COLOURS = { active: "#2e7d32", preparing: "#1565c0", suspended: "#ef6c00", closed: "#757575" };
  const ITEMS = ["oxygen", "spo2_meter", "bag_a"];

  const state = {
    lang: localStorage.getItem(LANG_KEY) || "vi",
    stations: new Map(), // id -> GeoJSON feature
    markers: new Map(), // id -> L.CircleMarker (only those passing the filters)
    units: [],
    selected: null,
    events: null,
  };

  const $ = (id) => document.getElementById(id);
  const t = (key) => (window.MAP_I18N[state.lang] || {})[key] ?? key;
  const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  // -- map ---------------------------------------------------------------------------------
  const map = L.map("map", { preferCanvas: false, zoomSnap: 0.25 }).setView([10.78, 106.7], 11);
  const tileUrl = document.querySelector('meta[name="tile-url"]').content;
  if (tileUrl && !tileUrl.startsWith("{{")) L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(map);
  const outlineLayer = L.layerGroup().addTo(map);
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => $("legend");
  legend.addTo(map);
  const stationLayer = L.layerGroup().addTo(map);
  // The hook of the other layers (chain.js): the map, the authenticated fetch, the language.
  window.FIELDOPS_MAP = { map, api: (path) => api(path), lang: () => state.lang };
  // Pans and zooms animate; scripts (and the browser test) wait for the map to settle.
  map.on("movestart", () => { document.body.dataset.moving = "1"; });
  map.on("moveend", () => { delete document.body.dataset.moving; });

  // -- language ----------------------------------------------------------------------------
  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.title = t("title");
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    fillDistricts();
    renderAttention();
    if (state.selected) showPanel(state.selected);
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
    const present = new Set([...state.stations.values()].map(districtOf));
    const districts = state.units.filter((u) => u.properties.level === "district" && present.has(u.properties.code));
    select.length = 1;
    for (const unit of districts) {
      const label = state.lang === "en" && unit.properties.name_en ? unit.properties.name_en : unit.properties.name;
      select.add(new Option(label, unit.properties.code));
    }
    select.value = chosen;
  }

  $("district-filter").addEventListener("change", () => { redraw(); zoomToShown(); });
  $("status-filter").addEventListener("change", redraw);

  // -- stations ----------------------------------------------------------------------------
  function radius(load) { return 4 + 9 * Math.sqrt(Math.min(load, 2)); }

  function style(p) {
    const attention = p.attention.length > 0;
    return {
      radius: radius(p.load),
      fillColor: STATUS_COLOURS[p.status] || "#000",
      fillOpacity: 0.8,
      color: attention ? "#d50000" : "#263238",
      weight: attention ? 3 : 1,
    };
  }

  function tag(marker, feature) {
    const el = marker.getElement();
    if (!el) return;
    el.dataset.id = feature.id;
    el.dataset.code = feature.properties.code;
    el.dataset.status = feature.properties.status;
    el.dataset.load = String(feature.properties.load);
    el.dataset.attention = feature.properties.attention.join(" ");
  }

  function place(feature) {
    const [lon, lat] = feature.geometry.coordinates;
    let marker = state.markers.get(feature.id);
    if (!passes(feature)) {
      if (marker) { stationLayer.removeLayer(marker); state.markers.delete(feature.id); }
      return;
    }
    if (!marker) {
      marker = L.circleMarker([lat, lon], { ...style(feature.properties), className: "station-marker" });
      marker.on("click", () => showPanel(feature.id));
      marker.addTo(stationLayer);
      state.markers.set(feature.id, marker);
    } else {
      marker.setLatLng([lat, lon]).setStyle(style(feature.properties)).setRadius(radius(feature.properties.load));
    }
    marker.bindTooltip(`${esc(feature.properties.name)} · ${Math.round(feature.properties.load * 100)}%`);
    tag(marker, feature);
  }

  function redraw() {
    for (const feature of state.stations.values()) place(feature);
    $("shown-count").textContent = String(state.markers.size);
    document.body.dataset.shown = String(state.markers.size);
    renderAttention();
  }

  function zoomToShown() {
    const points = [...state.markers.values()].map((m) => m.getLatLng());
    if (!points.length) return;
    document.body.dataset.moving = "1"; // at once: Leaflet starts the animation a frame later
    map.fitBounds(L.latLngBounds(points), { padding: [30, 30], maxZoom: 15 });
  }

  function urgency(p) {
    return p.emergency_alerts * 1000 + p.open_alerts * 10 + (p.attention.includes("stock_out") ? 5 : 0) + p.load;
  }

  function renderAttention() {
    const list = $("attention-list");
    const needing = [...state.stations.values()]
      .filter((f) => passes(f) && f.properties.attention.length)
      .sort((a, b) => urgency(b.properties) - urgency(a.properties));
    list.innerHTML = needing.length ? "" : `<li class="none">${esc(t("nothing_needs_attention"))}</li>`;
    for (const feature of needing) {
      const p = feature.properties;
      const item = document.createElement("li");
      item.dataset.id = feature.id;
      const badges = p.attention.map((r) => {
        const extra = r === "open_alerts" ? ` ${p.open_alerts}` : r === "overload" ? ` ${Math.round(p.load * 100)}%` : "";
        return `<span class="badge ${r}">${esc(t("reason." + r))}${extra}</span>`;
      });
      item.innerHTML = `<span class="name">${esc(p.name)}</span><br>${badges.join("")}`;
      item.addEventListener("click", () => {
        const [lon, lat] = feature.geometry.coordinates;
        map.setView([lat, lon], Math.max(map.getZoom(), 14));
        showPanel(feature.id);
      });
      list.appendChild(item);
    }
  }

  // -- the click panel ---------------------------------------------------------------------
  async function showPanel(id) {
    state.selected = id;
    const panel = $("panel");
    panel.hidden = false;
    panel.dataset.id = id;
    let detail;
    try { detail = await api(`/api/map/stations/${id}`); } catch (err) { return; }
    if (state.selected !== id) return;
    const p = detail.feature.properties;
    const rows = (pairs) => pairs.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join("");
    const cases = Object.entries(detail.cases_by_status).map(([s, n]) => [esc(t("case." + s)), n]);
    const stock = ITEMS.map((i) => [esc(t("item." + i)), `<span class="state-${p.stock[i]}">${esc(t("stock." + p.stock[i]))}</span>`]);
    const members = detail.staff.map((m) => `<li>${esc(m.full_name)} (${esc(m.role)})</li>`).join("");
    const reqs = detail.pending_requisitions.map((r) => `<li>${esc(r.code)} · ${esc(t("req." + r.status))}</li>`).join("");
    $("panel-body").innerHTML = `
      <h2>${esc(p.name)}</h2>
      <div>${esc(p.code)} · <strong data-field="status">${esc(t("station." + p.status))}</strong></div>
      <h3>${esc(t("load"))}</h3>
      <div data-field="load">${p.active_cases} / ${p.capacity} ${esc(t("capacity"))} (${Math.round(p.load * 100)}%)</div>
      <div>${esc(t("open_alerts"))}: ${p.open_alerts} (${p.emergency_alerts} ${esc(t("emergency_alerts"))})</div>
      <h3>${esc(t("staff"))}</h3>
      <table>${rows([[esc(t("doctors")), p.doctors], [esc(t("nurses")), p.nurses], [esc(t("volunteers")), p.volunteers]])}</table>
      ${members ? `<h3>${esc(t("members"))}</h3><ul>${members}</ul>` : ""}
      <h3>${esc(t("stock"))}</h3><table>${rows(stock)}</table>
      <h3>${esc(t("cases"))}</h3><table>${cases.length ? rows(cases) : `<tr><td>${esc(t("none"))}</td></tr>`}</table>
      <h3>${esc(t("requisitions"))}</h3>${reqs ? `<ul>${reqs}</ul>` : `<p>${esc(t("none"))}</p>`}`;
  }

  $("panel-close").addEventListener("click", () => { state.selected = null; $("panel").hidden = true; });

  // -- loading and live updates ------------------------------------------------------------
  async function loadStations() {
    const collection = await api("/api/map/stations");
    state.stations = new Map(collection.features.map((f) => [f.id, f]));
    for (const [id, marker] of state.markers) {
      if (!state.stations.has(id)) { stationLayer.removeLayer(marker); state.markers.delete(id); }
    }
    fillDistricts();
    redraw();
    document.body.dataset.stations = String(state.stations.size);
  }

  async function loadOutlines() {
    const collection = await api("/api/map/units");
    state.units = collection.features;
    outlineLayer.clearLayers();
    L.geoJSON(collection, {
      style: { color: "#5c6b7a", weight: 1, fill: true, fillOpacity: 0.03, className: "unit-outline" },
      onEachFeature: (feature, layer) => layer.bindTooltip(feature.properties.name, { sticky: true }),
    }).addTo(outlineLayer);
    const bounds = L.geoJSON(collection).getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
  }

  function setLive(on) {
    const el = $("live");
    el.className = `live ${on ? "on" : "off"}`;
    el.dataset.i18n = on ? "live_on" : "live_off";
    el.textContent = t(el.dataset.i18n);
    document.body.dataset.live = on ? "on" : "off";
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
      redraw();
      if (changed.some((f) => f.id === state.selected)) showPanel(state.selected);
    });
    source.addEventListener("resync", () => loadStations());
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
      document.dispatchEvent(new CustomEvent("fieldops:map-ready"));
    } catch (err) {
      console.error(err);
    }
  }

  applyLanguage();
  setLive(false);
  if (token()) start(); else askLogin();
})();
