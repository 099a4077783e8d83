// The JavaScript client against the real server: every answer of PROTOCOL.md handled as the
// document says. Run by tests/e2e/test_sync_client_node.py (`make test`), which starts the
// server on a seeded database and passes FIELDOPS_BASE_URL.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  BadBatch, MemoryBackend, SyncClient, SyncStore, Unauthorized, UnsupportedProtocol,
} from "../../api/static/sync-client/index.js";
import { FileBackend } from "../../api/static/sync-client/backend-file.js";
import { BASE, api, author, device, enrol, newCase, stationId } from "./helpers.mjs";

const uuid = () => crypto.randomUUID();

test("a new device bootstraps its ward, then a pushed patient and reading reach the API", async () => {
  const { client, store } = await device();
  await client.sync();
  assert.ok(await store.meta("cursor"), "the cursor is stored with the last page");
  const me = await author(store);
  const station = await stationId();
  const caseId = uuid(), obsId = uuid();
  await client.enqueue([
    { entity: "f0_case", row_id: caseId, fields: newCase(station) },
    { entity: "observation", row_id: obsId, fields: { case_id: caseId, kind: "spo2", value: 92, measured_at: client.nowIso() } },
  ], me);
  assert.equal((await store.get("f0_case", caseId)).full_name, "Lê Thị Thu Test", "shown before it is pushed");
  const report = await client.sync();
  assert.equal(report.applied, 2);
  assert.equal(await store.pendingCount(), 0);
  const online = await api("demo.station", "GET", `/api/cases/${caseId}`);
  assert.equal(online.status, 200);
  assert.equal(online.body.person.full_name, "Lê Thị Thu Test");
  const alerts = await api("demo.station", "GET", `/api/alerts?case_id=${caseId}`);
  assert.equal(alerts.body.items.length, 1, "SpO2 92 opens an alert");
  assert.ok((await store.rows("alert")).some((a) => a.case_id === caseId), "and the pull brings it");
});

test("an offline edit older than an online one is merged: the app gets the server's row and a notice", async () => {
  const { client, store } = await device();
  await client.sync();
  const me = await author(store);
  const target = (await store.rows("f0_case")).find((c) => c.status === "home_monitoring" || c.status === "needs_attention");
  await client.edit("f0_case", target.id, { phone: "0903000111" }, me);
  const online = await api("demo.station", "PATCH", `/api/cases/${target.id}`, { phone: "0903999222" });
  assert.equal(online.status, 200, JSON.stringify(online.body));
  const report = await client.sync();
  assert.equal(report.merged, 1);
  assert.equal((await store.get("f0_case", target.id)).phone, "0903999222", "the newer online value stays");
  const [notice] = (await store.notices()).slice(-1);
  assert.equal(notice.status, "merged");
  assert.equal(notice.typed.phone, "0903000111");
  assert.equal(notice.kept.phone, "0903999222");
  const log = await api("demo.commune", "GET", `/api/sync/conflicts?row_id=${target.id}`);
  assert.ok(log.body.items.some((c) => c.field === "phone"), JSON.stringify(log.body));
});

test("a refused mutation leaves the outbox, is explained, and does not block the ones behind it", async () => {
  const { client, store } = await device({ format: "json" });
  await client.sync();
  const me = await author(store);
  const target = (await store.rows("f0_case"))[0];
  await client.edit("f0_case", target.id, { year_of_birth: 1800 }, me);
  await client.edit("f0_case", target.id, { notes: "đã gọi điện" }, me);
  const report = await client.sync();
  assert.equal(report.rejected, 1);
  assert.equal(report.applied, 1);
  assert.equal(await store.pendingCount(), 0);
  const row = await store.get("f0_case", target.id);
  assert.equal(row.notes, "đã gọi điện");
  assert.notEqual(row.year_of_birth, 1800, "the refused value vanishes from the view");
  const notice = (await store.notices()).find((n) => n.status === "rejected");
  assert.equal(notice.code, "invalid_request");
  assert.match(notice.field, /year_of_birth/);
});

test("an answer lost after the commit is retried with the same ids and comes back duplicate", async () => {
  let drop = true;
  const lossy = async (url, init) => {
    const resp = await fetch(url, init);
    if (drop && url.endsWith("/sync/v1/push")) { drop = false; await resp.arrayBuffer(); throw new TypeError("network dropped the answer"); }
    return resp;
  };
  const { client, store } = await device({ fetch: lossy, backoffBaseMs: 10 });
  await client.sync();
  const me = await author(store);
  const caseId = (await store.rows("f0_case")).find((c) => c.status === "home_monitoring" || c.status === "needs_attention").id;
  const obsId = uuid();
  await client.edit("observation", obsId, { case_id: caseId, kind: "temperature", value: 37.2, measured_at: client.nowIso() }, me);
  const report = await client.sync();
  assert.equal(report.duplicate, 1);
  assert.equal(await store.pendingCount(), 0);
  const readings = await api("demo.station", "GET", `/api/cases/${caseId}/observations?limit=200`);
  assert.equal(readings.body.items.filter((o) => o.id === obsId).length, 1, "applied once");
});

test("503 with Retry-After is waited out and retried; 413 splits the batch", async () => {
  const waits = [];
  const encodings = [];
  let busy = true;
  const flaky = async (url, init) => {
    if (url.endsWith("/sync/v1/push")) encodings.push([init.headers["Content-Type"], init.headers["Content-Encoding"]]);
    if (busy && url.endsWith("/sync/v1/push")) {
      busy = false;
      return new Response(JSON.stringify({ status: 503, code: "unavailable" }), {
        status: 503, headers: { "Content-Type": "application/problem+json", "Retry-After": "2" },
      });
    }
    return fetch(url, init);
  };
  const { client, store } = await device({ fetch: flaky, batchSize: 1500, sleep: async (ms) => { waits.push(ms); } });
  await client.sync();
  const me = await author(store);
  const caseId = (await store.rows("f0_case")).find((c) => c.status === "home_monitoring" || c.status === "needs_attention").id;
  const t0 = Date.now() - 3_600_000;
  await client.enqueue(Array.from({ length: 1001 }, (_, i) => ({
    entity: "observation", row_id: uuid(),
    fields: { case_id: caseId, kind: "pulse", value: 80, measured_at: new Date(t0 + i * 1000).toISOString() },
  })), me);
  const report = await client.sync();
  assert.ok(waits.some((ms) => ms >= 2000), `waited Retry-After: ${waits}`);
  assert.equal(report.applied, 1001, "the 1,001 mutations went in halves after the 413");
  assert.deepEqual(encodings[0], ["application/msgpack", "gzip"], "large bodies go as gzipped MessagePack");
  assert.equal(await store.pendingCount(), 0);
});

test("a revoked token is 401 (Unauthorized) and a protocol the server does not speak is 426", async () => {
  const d = await enrol();
  const revoked = await api("demo.commune", "POST", `/api/devices/${d.device_id}/revoke`);
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  const client = await new SyncClient({ baseUrl: BASE, deviceId: d.device_id, token: d.token, store: new SyncStore(new MemoryBackend()) }).init();
  await assert.rejects(client.sync(), Unauthorized);
  const other = await enrol();
  const future = await new SyncClient({ baseUrl: BASE, deviceId: other.device_id, token: other.token, store: new SyncStore(new MemoryBackend()), protocol: 2 }).init();
  await assert.rejects(future.sync(), (err) => err instanceof UnsupportedProtocol && err.supportedVersions.includes(1));
});

test("a tablet an hour ahead is refused clock_skew, corrects itself and its queue, and gets through", async () => {
  const ahead = 3_600_000;
  const { client, store } = await device({ wall: () => Date.now() + ahead });
  await client.sync();
  const me = await author(store);
  const caseId = (await store.rows("f0_case")).find((c) => c.status === "home_monitoring" || c.status === "needs_attention").id;
  const obsId = uuid();
  await client.edit("observation", obsId, { case_id: caseId, kind: "temperature", value: 36.9, measured_at: client.nowIso() }, me);
  const report = await client.sync();
  assert.equal(report.applied, 1);
  assert.ok(Math.abs(client.clock.offsetMs + ahead) < 5000, `offset ${client.clock.offsetMs}`);
  const readings = await api("demo.station", "GET", `/api/cases/${caseId}/observations?limit=200`);
  const got = readings.body.items.find((o) => o.id === obsId);
  assert.ok(Math.abs(Date.parse(got.measured_at) - Date.now()) < 60_000, "the recorded time was corrected too");
});

test("a damaged cursor is refused and the device bootstraps again, keeping its outbox", async () => {
  const { client, store } = await device();
  await client.sync();
  const rows = (await store.rows("f0_case")).length;
  const me = await author(store);
  const target = (await store.rows("f0_case"))[0];
  await client.edit("f0_case", target.id, { notes: "kept across the reset" }, me);
  const cursor = await store.meta("cursor");
  await store.setMeta({ cursor: cursor.replace(/.$/, (c) => (c === "0" ? "1" : "0")) });
  await client.pull();
  assert.equal((await store.rows("f0_case")).length, rows);
  assert.equal((await store.get("f0_case", target.id)).notes, "kept across the reset");
  assert.equal(await store.pendingCount(), 1);
  assert.notEqual(await store.meta("cursor"), cursor.replace(/.$/, "x"));
});

test("a long-poll answers as soon as an online change commits", async () => {
  const { client, store } = await device();
  await client.sync();
  const target = (await store.rows("f0_case"))[0];
  const started = Date.now();
  const waiting = client.pull({ waitMs: 20000 });
  await new Promise((r) => setTimeout(r, 500));
  await api("demo.station", "PATCH", `/api/cases/${target.id}`, { notes: "long-poll news" });
  const applied = await waiting;
  assert.ok(applied >= 1);
  assert.ok(Date.now() - started < 10000, "it did not wait out the 20 s");
  assert.equal((await store.get("f0_case", target.id)).notes, "long-poll news");
});

test("a page and its cursor are stored together: a failure while storing keeps the old cursor", async () => {
  const backend = new MemoryBackend();
  const store = new SyncStore(backend);
  await store.applyPage([{ entity: "f0_case", row_id: "a", op: "upsert", fields: { n: 1 } }], "c1", null);
  const put = backend.transaction.bind(backend);
  backend.transaction = (fn) => put(async (tx) => {
    const realPut = tx.putRow;
    let n = 0;
    tx.putRow = (row) => { if (++n === 2) throw new Error("disk full"); return realPut(row); };
    return fn(tx);
  });
  await assert.rejects(store.applyPage([
    { entity: "f0_case", row_id: "a", op: "upsert", fields: { n: 2 } },
    { entity: "f0_case", row_id: "b", op: "upsert", fields: { n: 3 } },
  ], "c2", null));
  assert.equal(await store.meta("cursor"), "c1");
  assert.equal((await store.get("f0_case", "a")).n, 1);
  assert.equal(await store.get("f0_case", "b"), null);
});

test("a Node device on a JSON file keeps its outbox and clock across a restart", async () => {
  const path = join(await mkdtemp(join(tmpdir(), "sync-client-")), "device.json");
  const d = await enrol();
  const open = async () => new SyncClient({ baseUrl: BASE, deviceId: d.device_id, token: d.token,
    store: new SyncStore(await FileBackend.open(path)) }).init();
  const first = await open();
  await first.sync();
  const me = await author(first.store);
  const target = (await first.store.rows("f0_case"))[0];
  const [m] = await first.edit("f0_case", target.id, { notes: "after restart" }, me).then((x) => [x]);
  const second = await open();
  assert.equal(await second.store.pendingCount(), 1);
  assert.ok(second.clock.now() > m.hlc, "never an HLC below one already used");
  await second.sync();
  assert.equal((await api("demo.station", "GET", `/api/cases/${target.id}`)).body.person.notes, "after restart");
});

test("a batch the server refuses whole surfaces as BadBatch, nothing applied", async () => {
  const { client, store } = await device();
  await client.sync();
  client.deviceId = crypto.randomUUID(); // not the token's device
  const me = await author(store);
  await client.edit("f0_case", (await store.rows("f0_case"))[0].id, { notes: "x" }, me);
  await assert.rejects(client.push(), (err) => err instanceof BadBatch && err.status === 400);
  assert.equal(await store.pendingCount(), 1, "kept for a later push");
});

test("a device moved to another ward is answered reset: it bootstraps the new ward and keeps its outbox", async () => {
  const { client, store, device_id } = await device();
  await client.sync();
  const me = await author(store);
  const home = await stationId();
  const target = (await store.rows("f0_case"))[0];
  await client.edit("f0_case", target.id, { notes: "recorded before the move" }, me);
  const stations = (await api("demo.admin", "GET", "/api/stations?limit=50")).body.items;
  const homeWard = stations.find((s) => s.id === home).commune_code;
  const elsewhere = stations.find((s) => s.commune_code !== homeWard);
  const moved = await api("demo.admin", "PATCH", `/api/devices/${device_id}`, { station_id: elsewhere.id });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  let resets = 0;
  client.on((e) => { if (e.type === "reset") resets++; });
  const report = await client.sync();
  assert.equal(resets, 1);
  assert.equal(report.applied, 1, "the edit stamped before the move is judged against the old ward");
  assert.equal(await store.get("f0_case", target.id), null, "the old ward's patients are gone");
  assert.ok((await store.rows("station")).some((s) => s.id === elsewhere.id));
  assert.equal((await api("demo.station", "GET", `/api/cases/${target.id}`)).body.person.notes, "recorded before the move");
});

test("a bag given offline is one dispensing mutation: the case records it and the station's stock issues it", async () => {
  const { client, store } = await device();
  await client.sync();
  const me = await author(store);
  const station = await stationId();
  const caseId = uuid();
  await client.enqueue([
    { entity: "f0_case", row_id: caseId, fields: newCase(station) },
    { entity: "dispensing", row_id: uuid(), fields: { case_id: caseId, kind: "bag_a", given_at: client.nowIso() } },
  ], me);
  const report = await client.sync();
  assert.equal(report.applied, 2);
  const online = (await api("demo.station", "GET", `/api/cases/${caseId}`)).body;
  assert.ok(online.medicine_bags.a_given_at, "the case side is recorded");
  const issued = (await store.rows("stock_movement")).filter((m) => m.case_id === caseId);
  assert.equal(issued.length, 1, "one bag issued from the station, pulled back to the tablet");
  assert.equal(issued[0].kind, "issue");
  assert.ok((await store.rows("dispensing")).some((d) => d.case_id === caseId && d.movement_id === issued[0].id));
});
