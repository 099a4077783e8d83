// The chain-of-command layers of the coordinators' map (issue 15): the epidemic level of each
// unit with its readiness gaps (GET /api/readiness/map), and the coverage of the chain per
// district (GET /api/chain-coverage). Both are overlays off by default, switched on in the
// layer control; they load after map.js signs in ("fieldops:map-ready").
(function () {
  "use strict";

  const LEVEL_COLOURS = { 1: "#2e7d32", 2: "#f9a825", 3: "#ef6c00", 4: "#c62828" };
  const NO_LEVEL = "#9e9e9e";
  const TEXT = {
    vi: {
      levels: "Cấp độ dịch và thiếu hụt", coverage: "Độ phủ hệ thống chỉ huy",
      level: "Cấp độ", none: "chưa xác định", gaps: "Còn thiếu", no_plan: "chưa có phương án",
      ready: "đủ", connected: "kết nối", reported: "đã báo cáo", acknowledged: "đã nhận chỉ đạo",
      communes: "xã/phường", 1: "1 – thấp (xanh)", 2: "2 – trung bình (vàng)",
      3: "3 – cao (cam)", 4: "4 – rất cao (đỏ)",
      staff: "nhân lực", stations: "trạm", home_beds: "giường tại nhà", oxygen: "ô-xy",
      teams: "tổ",
    },
    en: {
      levels: "Epidemic levels and gaps", coverage: "Coverage of the chain",
      level: "Level", none: "not set", gaps: "Gaps", no_plan: "no plan", ready: "ready",
      connected: "connected", reported: "reported today", acknowledged: "acknowledged directive",
      communes: "communes", 1: "1 – low (green)", 2: "2 – medium (yellow)",
      3: "3 – high (orange)", 4: "4 – very high (red)",
      staff: "staff", stations: "stations", home_beds: "beds at home", oxygen: "oxygen",
      teams: "teams",
    },
  };

  const hook = window.FIELDOPS_MAP;
  if (!hook) return;
  const t = (key) => (TEXT[hook.lang()] || TEXT.vi)[key] ?? key;
  const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  const levelLayer = L.layerGroup();
  const coverageLayer = L.layerGroup();
  const control = L.control.layers(null, {}, { collapsed: false, position: "topright" });
  control.addTo(hook.map);
  control.getContainer().id = "chain-layers";

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "chain-legend");
    div.id = "chain-legend";
    return div;
  };

  /** @param {Record<string, number>|null} gaps */
  function gapText(gaps) {
    if (!gaps) return t("no_plan");
    const short = Object.entries(gaps).filter(([, n]) => n > 0);
    if (!short.length) return t("ready");
    return short.map(([k, n]) => `${esc(t(k))} ${n}`).join(", ");
  }

  /** @param {SVGElement|null|undefined} el @param {Record<string, string>} data */
  function tag(el, data) {
    if (!el) return;
    for (const [k, v] of Object.entries(data)) el.setAttribute(`data-${k}`, v);
  }

  /** One unit: a filled dot for a commune, a ring for a district or province. */
  function levelMarker(unit) {
    const colour = unit.level ? LEVEL_COLOURS[unit.level] : NO_LEVEL;
    const commune = unit.level_of_unit === "commune";
    const short = unit.gaps && Object.values(unit.gaps).some((n) => n > 0);
    const marker = L.circleMarker([unit.lat, unit.lon], {
      radius: commune ? 6 : 16, color: commune ? (short ? "#000" : colour) : colour,
      weight: commune ? (short ? 2 : 1) : 4, fillColor: colour,
      fillOpacity: commune ? 0.8 : 0.05, className: `chain-level ${unit.level_of_unit}`,
    });
    marker.bindTooltip(
      `<strong>${esc(unit.name)}</strong><br>${esc(t("level"))}: ` +
      `${esc(unit.level ? t(unit.level) : t("none"))}` +
      (commune ? `<br>${esc(t("gaps"))}: ${gapText(unit.gaps)}` : ""));
    marker.on("add", () => tag(marker.getElement(), {
      code: unit.code, level: String(unit.level ?? ""), short: short ? "1" : "0",
    }));
    return marker;
  }

  function coverageMarker(row) {
    const share = row.communes ? row.connected / row.communes : 0;
    const marker = L.circleMarker([row.lat, row.lon], {
      radius: 8 + 10 * Math.sqrt(row.communes / 20), color: "#37474f", weight: 1,
      fillColor: `hsl(${Math.round(120 * share)}, 65%, 45%)`, fillOpacity: 0.75,
      className: "chain-coverage",
    });
    marker.bindTooltip(`${row.connected}/${row.communes}`, {
      permanent: true, direction: "center", className: "chain-coverage-label",
    });
    marker.bindPopup(
      `<strong>${esc(row.name)}</strong><br>${row.communes} ${esc(t("communes"))}<br>` +
      `${row.connected} ${esc(t("connected"))}<br>${row.reported_today} ${esc(t("reported"))}` +
      `<br>${row.acknowledged_latest}/${row.with_directive} ${esc(t("acknowledged"))}`);
    marker.on("add", () => tag(marker.getElement(), {
      code: row.code, connected: String(row.connected), communes: String(row.communes),
    }));
    return marker;
  }

  function renderLegend() {
    const div = document.getElementById("chain-legend");
    if (!div) return;
    div.innerHTML = `<strong>${esc(t("levels"))}</strong><ul>` +
      [1, 2, 3, 4].map((n) => `<li><i style="background:${LEVEL_COLOURS[n]}"></i>${esc(t(n))}</li>`)
        .join("") + `<li><i style="background:${NO_LEVEL}"></i>${esc(t("none"))}</li></ul>`;
  }

  async function load() {
    const [units, coverage] = await Promise.all([
      hook.api("/api/readiness/map"), hook.api("/api/chain-coverage"),
    ]);
    levelLayer.clearLayers();
    coverageLayer.clearLayers();
    units.forEach((u) => levelLayer.addLayer(levelMarker(u)));
    // The finest rows the caller has: districts (a city), else provinces (the nation).
    const districts = coverage.rows.filter((r) => r.level === "district");
    const rows = districts.length > 30 ? coverage.rows.filter((r) => r.level === "province")
      : districts;
    rows.forEach((r) => coverageLayer.addLayer(coverageMarker(r)));
    document.body.dataset.chainLevels = String(units.length);
    document.body.dataset.chainCoverage = String(rows.length);
  }

  let added = false;
  document.addEventListener("fieldops:map-ready", () => {
    if (!added) {
      control.addOverlay(levelLayer, `<span data-chain="levels">${esc(t("levels"))}</span>`);
      control.addOverlay(coverageLayer, `<span data-chain="coverage">${esc(t("coverage"))}</span>`);
      added = true;
    }
    load().catch((err) => console.error(err));
  });
  // map.js switches the language on this button; the layers follow it.
  document.getElementById("lang")?.addEventListener("click", () => {
    setTimeout(() => {
      document.querySelectorAll("[data-chain]").forEach((el) => {
        el.textContent = t(el.getAttribute("data-chain") || "");
      });
      renderLegend();
      if (added) load().catch((err) => console.error(err));
    });
  });
  hook.map.on("overlayadd", (e) => {
    if (e.layer === levelLayer) { legend.addTo(hook.map); renderLegend(); }
  });
  hook.map.on("overlayremove", (e) => {
    if (e.layer === levelLayer) legend.remove();
  });
})();
