// Shared set-up of the client's Node tests: the live server the pytest wrapper
// (tests/e2e/test_sync_client_node.py) started, demo logins, and enrolment of a fresh device.
import { MemoryBackend, SyncClient, SyncStore } from "../../api/static/sync-client/index.js";

export const BASE = process.env.FIELDOPS_BASE_URL;
const PASSWORD = process.env.FIELDOPS_DEMO_PASSWORD ?? "demo-2021";
if (!BASE) throw new Error("FIELDOPS_BASE_URL is not set: run these through pytest (tests/e2e/test_sync_client_node.py)");

const tokens = new Map();

export async function login(username) {
  if (!tokens.has(username)) {
    const r = await fetch(`${BASE}/api/auth/login`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    if (!r.ok) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
    tokens.set(username, (await r.json()).access_token);
  }
  return tokens.get(username);
}

/** An API call as a demo user; answers {status, body}. */
export async function api(username, method, path, body) {
  const r = await fetch(`${BASE}${path}`, {
    method, headers: { Authorization: `Bearer ${await login(username)}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

export async function stationId() {
  return (await api("demo.station", "GET", "/api/me")).body.station_id;
}

/** A new tablet of the demo station, enrolled by the ward's commune officer. */
export async function enrol(name = "node test tablet") {
  const r = await api("demo.commune", "POST", "/api/devices", { name, station_id: await stationId() });
  if (r.status !== 201) throw new Error(`enrol: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function device(opts = {}) {
  const d = await enrol();
  const store = new SyncStore(opts.backend ?? new MemoryBackend());
  const client = await new SyncClient({ baseUrl: BASE, deviceId: d.device_id, token: d.token, store, ...opts }).init();
  return { ...d, client, store };
}

/** The author every test edits as: the demo station's staff member, from the ward directory. */
export async function author(store) {
  const users = await store.rows("ward_user");
  const u = users.find((x) => x.active && x.full_name && x.role === "station_staff");
  if (!u) throw new Error("no active station staff in the ward directory");
  return u.id;
}

export const newCase = (station) => ({
  station_id: station, full_name: "Lê Thị Thu Test", year_of_birth: 1970, sex: "female",
  test_date: new Date(Date.now() - 86400000).toISOString().slice(0, 10), test_type: "rapid_antigen",
});
