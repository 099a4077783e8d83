// The chain-of-command layers of the coordinators' map (issue 15), plugged in through
// window.FieldOpsMap (map.js): the epidemic level of each unit with its readiness gaps
// (GET /api/readiness/map), and the coverage of the chain per district, or per province for
// the nation (GET /api/chain-coverage). Both are listed in the layers control, off at first;
// they load once the user is signed in (the first station load) and follow the language.
(function () {
  "use strict";

  const LEVEL_COLOURS = { 1: "#2e7d32", 2: "#f9a825", 3: "#ef6c00", 4: "#c62828" };
  const NO_LEVEL = "#9e9e9e";
  const LABELS = {
    vi: {
      chain_levels: "Cấp độ dịch và thiếu hụt", chain_coverage: "Độ phủ hệ thống chỉ huy",
      chain_level: "Cấp độ", chain_none: "chưa xác định", chain_gaps: "Còn thiếu",
      chain_no_plan: "chưa có phương án", chain_ready: "đủ", chain_connected: "kết nối",
      chain_reported: "đã báo cáo hôm nay", chain_acknowledged: "đã nhận chỉ đạo mới nhất",
      chain_communes: "xã/phường", chain_1: "1 – thấp (xanh)", chain_2: "2 – trung bình (vàng)",
      chain_3: "3 – cao (cam)", chain_4: "4 – rất cao (đỏ)", chain_staff: "nhân lực",
      chain_stations: "trạm", chain_home_beds: "giường tại nhà", chain_oxygen: "ô-xy",
      chain_teams: "tổ",
    },
    en: {
      chain_levels: "Epidemic levels and gaps", chain_coverage: "Coverage of the chain",
      chain_level: "Level", chain_none: "not set", chain_gaps: "Gaps",
      chain_no_plan: "no plan", chain_ready: "ready", chain_connected: "connected",
      chain_reported: "reported today", chain_acknowledged: "acknowledged the latest directive",
      chain_communes: "communes", chain_1: "1 – low (green)", chain_2: "2 – medium (yellow)",
      chain_3: "3 – high (orange)", chain_4: "4 – very high (red)", chain_staff: "staff",
      chain_stations: "stations", chain_home_beds: "beds at home", chain_oxygen: "oxygen",
      chain_teams: "teams",
    },
  };

  function plugIn(hook) {
    const { L, map } = hook;
    hook.addLabels(LABELS);
    const t = (key) => hook.t(`chain_${key}`);
    const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const levelLayer = L.layerGroup();
    const coverageLayer = L.layerGroup();
    hook.addOverlay("chain-levels", levelLayer, { label: "chain_levels", on: false });
    hook.addOverlay("chain-coverage", coverageLayer, { label: "chain_coverage", on: false });
    const legend = L.control({ position: "bottomright" });
    legend.onAdd = () => {
      const div = L.DomUtil.create("div", "chain-legend");
      div.id = "chain-legend";
      return div;
    };
    let data = null;

    /** @param {Record<string, number>|null} gaps */
    function gapText(gaps) {
      if (!gaps) return esc(t("no_plan"));
      const short = Object.entries(gaps).filter(([, n]) => n > 0);
      if (!short.length) return esc(t("ready"));
      return short.map(([k, n]) => `${esc(t(k))} ${n}`).join(", ");
    }

    /** @param {Element|undefined} el @param {Record<string, string>} attrs */
    function tag(el, attrs) {
      if (!el) return;
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(`data-${k}`, v);
    }

    /** A commune is a filled dot (outlined black when short of something), a district or
     * province a ring, each in the colour of its level. */
    function levelMarker(unit) {
      const colour = unit.level ? LEVEL_COLOURS[unit.level] : NO_LEVEL;
      const commune = unit.level_of_unit === "commune";
      const short = Boolean(unit.gaps && Object.values(unit.gaps).some((n) => n > 0));
      const marker = L.circleMarker([unit.lat, unit.lon], {
        radius: commune ? 6 : 16, color: commune ? (short ? "#000" : colour) : colour,
        weight: commune ? (short ? 2 : 1) : 4, fillColor: colour,
        fillOpacity: commune ? 0.8 : 0.05, className: `chain-level ${unit.level_of_unit}`,
      });
      marker.bindTooltip(
        `<strong>${esc(unit.name)}</strong><br>${esc(t("level"))}: ` +
        `${esc(unit.level ? t(String(unit.level)) : t("none"))}` +
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
        fillColor: `hsl(${Math.round(120 * share)}, 65%, 40%)`, fillOpacity: 0.8,
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
        [1, 2, 3, 4].map((n) => `<li><i style="background:${LEVEL_COLOURS[n]}"></i>` +
          `${esc(t(String(n)))}</li>`).join("") +
        `<li><i style="background:${NO_LEVEL}"></i>${esc(t("none"))}</li></ul>`;
    }

    function draw() {
      if (!data) return;
      levelLayer.clearLayers();
      coverageLayer.clearLayers();
      data.units.forEach((u) => levelLayer.addLayer(levelMarker(u)));
      // The finest rows the caller has: districts (a city), provinces (the nation).
      const districts = data.coverage.rows.filter((r) => r.level === "district");
      const rows = districts.length > 30
        ? data.coverage.rows.filter((r) => r.level === "province") : districts;
      rows.forEach((r) => coverageLayer.addLayer(coverageMarker(r)));
      document.body.dataset.chainLevels = String(data.units.length);
      document.body.dataset.chainCoverage = String(rows.length);
      renderLegend();
    }

    let loading = null;
    hook.onStations(() => {  // the first load after signing in
      if (loading) return;
      loading = Promise.all([hook.api("/api/readiness/map"), hook.api("/api/chain-coverage")])
        .then(([units, coverage]) => { data = { units, coverage }; draw(); })
        .catch((err) => { loading = null; console.error(err); });
    });
    hook.onLanguage(() => draw());
    map.on("overlayadd", (e) => {
      if (e.layer === levelLayer) { legend.addTo(map); renderLegend(); }
    });
    map.on("overlayremove", (e) => {
      if (e.layer === levelLayer) legend.remove();
    });
  }

  if (window.FieldOpsMap) plugIn(window.FieldOpsMap);
  else window.addEventListener("fieldops:ready", () => plugIn(window.FieldOpsMap), { once: true });
})();
