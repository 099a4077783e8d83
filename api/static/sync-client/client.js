// The device side of sync protocol v1 (sync/PROTOCOL.md), in the browser and in Node >= 20.
// It follows the reference client (sync/client/client.py) answer by answer: push the outbox
// oldest first, then pull until `has_more` is false, storing each page with its cursor in one
// transaction; retry what is transient with the same mutation ids (the server is idempotent on
// them), and surface what repeating cannot fix (401, 426, a refused batch).

import { HybridClock, shiftHlc } from "./hlc.js";
import { decode as mpDecode, encode as mpEncode } from "./msgpack.js";

export const PROTOCOL = 1;
export const PUSH_PATH = "/sync/v1/push";
export const PULL_PATH = "/sync/v1/pull";
export const SCHEMA_PATH = "/sync/v1/schema";
const MSGPACK = "application/msgpack";
const JSON_TYPE = "application/json";
const CLOCK_CODES = new Set(["clock_skew", "clock_behind"]);
const CORRECTION_TOLERANCE_MS = 1000; // below this a measured offset is network delay
const MAX_RESETS_PER_PULL = 3;
export const LONG_POLL_MS = 25000; // below the idle timeout of most proxies and carriers

export class SyncError extends Error {}
/** The token is unknown or revoked: stop and ask for re-enrolment. */
export class Unauthorized extends SyncError {}
/** The server does not speak protocol 1 any more: the app needs an update. */
export class UnsupportedProtocol extends SyncError {
  constructor(supported) { super(`protocol ${PROTOCOL} unsupported; server speaks ${supported}`); this.supportedVersions = supported; }
}
/** A status with a problem body; `problem` is the decoded RFC 9457 body. */
export class HttpError extends SyncError {
  constructor(status, problem) { super(`HTTP ${status}: ${problem?.detail ?? JSON.stringify(problem)}`); this.status = status; this.problem = problem; }
}
/** The server refused the whole request (400/413/422): nothing of it was applied. */
export class BadBatch extends HttpError {}
/** Transient failures persisted (no link, 503...): the outbox is intact, sync again later. */
export class RetriesExhausted extends SyncError {
  constructor(message, retryAfterS) { super(message); this.retryAfterS = retryAfterS; }
}
/** The server answered something the contract does not allow. */
export class ProtocolViolation extends SyncError {}

const uuid4 = () => globalThis.crypto.randomUUID();
const sleepMs = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
});

async function gzip(bytes) {
  if (typeof CompressionStream === "undefined") return null;
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export class SyncClient {
  /**
   * @param {{baseUrl?: string, deviceId: string, token: string, store: import("./store.js").SyncStore,
   *   fetch?: typeof fetch, format?: "msgpack"|"json", gzip?: boolean, gzipMinBytes?: number,
   *   batchSize?: number, pullLimit?: number, bootstrapLimit?: number, maxRetries?: number,
   *   backoffBaseMs?: number, backoffCapMs?: number, timeoutMs?: number, wall?: () => number,
   *   sleep?: (ms: number, signal?: AbortSignal) => Promise<void>}} opts
   */
  constructor(opts) {
    this.baseUrl = (opts.baseUrl ?? "").replace(/\/$/, "");
    this.deviceId = opts.deviceId;
    this.token = opts.token;
    this.store = opts.store;
    this._fetch = opts.fetch ?? ((...a) => globalThis.fetch(...a));
    this.format = opts.format ?? "msgpack";
    this.gzip = opts.gzip ?? true;
    this.gzipMinBytes = opts.gzipMinBytes ?? 1024;
    this.batchSize = opts.batchSize ?? 200;
    this.pullLimit = opts.pullLimit ?? 500;
    this.bootstrapLimit = opts.bootstrapLimit ?? 5000;
    this.maxRetries = opts.maxRetries ?? 5;
    this.backoffBaseMs = opts.backoffBaseMs ?? 250;
    this.backoffCapMs = opts.backoffCapMs ?? 30000;
    this.timeoutMs = opts.timeoutMs ?? 30000;
    this._sleep = opts.sleep ?? sleepMs;
    this.protocol = opts.protocol ?? PROTOCOL; // another version only to test a 426
    this.clock = new HybridClock({ wall: opts.wall });
    this._listeners = new Set();
    this._lock = Promise.resolve();
    this._receivedMs = 0;
    this._live = null;
  }

  /** Load the clock from the store (a restarted device never issues an HLC below one it used
   * or saw) and bind the store to this device. Call once before anything else. */
  async init() {
    const owner = await this.store.meta("device_id");
    if (owner && owner !== this.deviceId) throw new Error(`store belongs to device ${owner}`);
    if (!owner) await this.store.setMeta({ device_id: this.deviceId });
    this.clock.offsetMs = (await this.store.meta("clock_offset_ms")) ?? 0;
    for (const key of ["server_hlc", "local_hlc"]) {
      const seen = await this.store.meta(key);
      if (seen) this.clock.observe(seen);
    }
    return this;
  }

  /** @param {(event: {type: string, [k: string]: any}) => void} fn */
  on(fn) { this._listeners.add(fn); return () => this._listeners.delete(fn); }
  _emit(type, detail = {}) { for (const fn of this._listeners) { try { fn({ type, ...detail }); } catch (e) { console.error(e); } } }

  /** The time to record readings and movements with: the wall clock as the server corrected it. */
  nowIso() { return new Date(this.clock.wallMs()).toISOString(); }

  // -- local edits -------------------------------------------------------------------------

  /** Queue an upsert of the changed fields only (the server merges per field). */
  async edit(entity, rowId, fields, authorId) {
    return (await this.enqueue([{ entity, row_id: rowId, op: "upsert", fields }], authorId))[0];
  }

  async remove(entity, rowId, authorId) {
    return (await this.enqueue([{ entity, row_id: rowId, op: "delete", fields: {} }], authorId))[0];
  }

  /** Queue several edits in one store transaction, in order, each with its own id and HLC: they
   * reach the outbox together or not at all, and are pushed in this order.
   * @param {{entity: string, row_id: string, op?: "upsert"|"delete", fields?: object}[]} edits */
  async enqueue(edits, authorId) {
    if (!authorId) throw new Error("every mutation names its author (a ward_user)");
    const mutations = edits.map((e) => ({
      id: uuid4(), entity: e.entity, row_id: e.row_id, op: e.op ?? "upsert",
      hlc: this.clock.now(), author_id: authorId, fields: { ...(e.fields ?? {}) },
    }));
    await this.store.enqueue(mutations);
    this._emit("outbox", { pending: await this.store.pendingCount() });
    this._live?.wake();
    return mutations;
  }

  // -- sync --------------------------------------------------------------------------------

  _exclusive(fn) {
    const run = this._lock.then(fn);
    this._lock = run.catch(() => {});
    return run;
  }

  /** Push first so that the pull already reflects (and cannot clobber) our own edits. */
  sync({ signal } = {}) {
    return this._exclusive(async () => {
      this._emit("sync", { phase: "start" });
      const pushed = await this._push(signal);
      const pulled = await this._pull(0, signal);
      await this.store.setMeta({ last_sync: new Date().toISOString() });
      const report = { ...pushed, pulled };
      this._emit("sync", { phase: "done", report, pending: await this.store.pendingCount() });
      return report;
    });
  }

  push({ signal } = {}) { return this._exclusive(() => this._push(signal)); }

  /** Pull until caught up; with `waitMs` and a cursor held, an empty first page waits on the
   * server for news (long-poll). Returns how many changes were applied. */
  pull({ waitMs = 0, signal } = {}) { return this._exclusive(() => this._pull(waitMs, signal)); }

  async schema() { return this._call("GET", SCHEMA_PATH, null); }

  async _push(signal) {
    const report = { pushed: 0, applied: 0, duplicate: 0, merged: 0, rejected: 0 };
    let size = this.batchSize;
    let corrected = false;
    for (;;) {
      const batch = await this.store.pending(size);
      if (batch.length === 0) break;
      await this.store.markSent(batch.map((m) => m.id));
      let resp;
      try {
        resp = await this._call("POST", PUSH_PATH,
          { protocol: this.protocol, device_id: this.deviceId, mutations: batch }, { signal });
      } catch (err) {
        if (err instanceof BadBatch && err.status === 413 && batch.length > 1) {
          size = Math.max(1, Math.floor(batch.length / 2)); // too big, not bad: split it
          continue;
        }
        throw err;
      }
      const results = resp.results;
      if (!Array.isArray(results) || results.length !== batch.length ||
          results.some((r, i) => r.id !== null && r.id !== batch[i].id)) {
        throw new ProtocolViolation("push results do not match the batch one-to-one");
      }
      const outcomes = [];
      const skewed = [];
      batch.forEach((m, i) => {
        const r = results[i];
        if (r.status === "rejected" && CLOCK_CODES.has(r.code)) skewed.push(m.id);
        else outcomes.push({ mutation: m, result: r });
      });
      await this.store.settle(outcomes);
      for (const { result: r } of outcomes) { report[r.status] = (report[r.status] ?? 0) + 1; report.pushed++; }
      const notices = outcomes.filter((o) => o.result.status === "merged" || o.result.status === "rejected");
      if (notices.length) this._emit("notice", { outcomes: notices });
      if (skewed.length === 0) continue;
      if (corrected) break; // still refused after one correction: the next sync tries again
      await this._correctClock(resp, skewed);
      corrected = true;
    }
    return report;
  }

  /** §4: measure our offset from the server's time and correct the clock and the queue. */
  async _correctClock(resp, refusedIds) {
    const offset = Date.parse(resp.server_time) - this._receivedMs;
    if (Math.abs(offset) > CORRECTION_TOLERANCE_MS) {
      this.clock.shift(offset, resp.server_hlc);
      await this.store.setMeta({ clock_offset_ms: this.clock.offsetMs });
      await this.store.shiftQueued(offset, shiftHlc);
      const local = await this.store.meta("local_hlc");
      if (local) this.clock.observe(local); // new edits sort after the corrected outbox
      return;
    }
    // Right now, but wrong when these were recorded, by an amount we cannot know: fresh HLCs
    // let them through; their recorded times stay (one in the future is accepted once past).
    this.clock.correct(resp.server_hlc);
    await this.store.setMeta({ clock_offset_ms: this.clock.offsetMs });
    await this.store.restamp(refusedIds, () => this.clock.now());
  }

  async _pull(waitMs, signal) {
    let applied = 0, resets = 0;
    for (;;) {
      const cursor = await this.store.meta("cursor");
      // Only a caught-up device long-polls: a bootstrap or a page with more behind it has
      // nothing to wait for.
      const wait = cursor !== null && applied === 0 ? waitMs : 0;
      let resp = null;
      try {
        resp = await this._call("POST", PULL_PATH, {
          protocol: this.protocol, device_id: this.deviceId, cursor,
          limit: cursor === null ? this.bootstrapLimit : this.pullLimit, wait_ms: wait,
        }, { waitMs: wait, signal });
      } catch (err) {
        // A cursor the server did not issue to us (secret rotated, storage damaged): bootstrap.
        if (!(err instanceof BadBatch) || cursor === null || err.problem?.field !== "cursor") throw err;
      }
      if (resp === null || resp.reset) {
        if (++resets > MAX_RESETS_PER_PULL) throw new ProtocolViolation("server keeps demanding a reset");
        await this.store.resetReplica();
        this._emit("reset");
        continue;
      }
      await this.store.applyPage(resp.changes, resp.cursor, resp.server_hlc);
      applied += resp.changes.length;
      if (resp.changes.length) this._emit("changes", { changes: resp.changes, bootstrap: cursor === null });
      if (!resp.has_more) return applied;
      if (!resp.changes.length && resp.cursor === cursor) throw new ProtocolViolation("has_more with no progress");
    }
  }

  // -- live --------------------------------------------------------------------------------

  /** Keep the replica live while the page runs: sync when there is something to push, else
   * long-poll for news; after a failure wait (Retry-After, or backoff) and try again. Returns
   * a handle with `stop()` and `wake()` (an edit or the link coming back syncs at once). */
  startLive({ waitMs = LONG_POLL_MS, onError } = {}) {
    if (this._live) return this._live;
    const ctrl = new AbortController();
    let wakeCtrl = new AbortController();
    let failures = 0;
    const handle = {
      stop: () => { ctrl.abort(); this._live = null; },
      wake: () => { wakeCtrl.abort(); },
      running: true,
    };
    this._live = handle;
    (async () => {
      while (!ctrl.signal.aborted) {
        const signal = AbortSignal.any([ctrl.signal, wakeCtrl.signal]);
        try {
          if ((await this.store.pendingCount()) > 0 || failures > 0 || (await this.store.meta("cursor")) === null) {
            await this.sync({ signal: ctrl.signal });
          } else {
            await this.pull({ waitMs, signal });
          }
          failures = 0;
          this._emit("online", { online: true });
        } catch (err) {
          if (ctrl.signal.aborted) break;
          if (wakeCtrl.signal.aborted && err.name === "AbortError") { wakeCtrl = new AbortController(); continue; }
          onError?.(err);
          this._emit("online", { online: false, error: err });
          if (err instanceof Unauthorized || err instanceof UnsupportedProtocol) { handle.running = false; break; }
          failures++;
          const backoff = Math.min(this.backoffCapMs, this.backoffBaseMs * 2 ** Math.min(failures, 8));
          const delay = Math.max(backoff * Math.random(), (err.retryAfterS ?? 0) * 1000);
          await this._sleep(delay, AbortSignal.any([ctrl.signal, wakeCtrl.signal]));
        }
        if (wakeCtrl.signal.aborted) wakeCtrl = new AbortController();
      }
      handle.running = false;
    })();
    return handle;
  }

  // -- transport ---------------------------------------------------------------------------

  async _call(method, path, payload, { waitMs = 0, signal } = {}) {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: this.format === "msgpack" ? MSGPACK : JSON_TYPE };
    let body = null;
    if (payload !== null) {
      const ctype = this.format === "msgpack" ? MSGPACK : JSON_TYPE;
      body = ctype === MSGPACK ? mpEncode(payload) : new TextEncoder().encode(JSON.stringify(payload));
      headers["Content-Type"] = ctype;
      if (this.gzip && body.length >= this.gzipMinBytes) {
        const packed = await gzip(body);
        if (packed) { body = packed; headers["Content-Encoding"] = "gzip"; }
      }
    }
    let last = null, retryAfter = null;
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (attempt) {
        const backoff = Math.random() * Math.min(this.backoffCapMs, this.backoffBaseMs * 2 ** (attempt - 1));
        await this._sleep(Math.max(backoff, Math.min((retryAfter ?? 0) * 1000, this.backoffCapMs)), signal);
      }
      if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
      const timeout = AbortSignal.timeout(this.timeoutMs + waitMs);
      let resp;
      try {
        resp = await this._fetch(this.baseUrl + path, {
          method, headers, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        last = err; retryAfter = null; // no link, a timeout, a dropped answer: same ids again
        continue;
      }
      this._receivedMs = this.clock.wallMs();
      let decoded;
      try {
        decoded = await this._decode(resp);
      } catch (err) {
        if (resp.ok) throw new ProtocolViolation(`undecodable ${path} answer: ${err}`);
        decoded = null;
      }
      if (decoded && typeof decoded.server_hlc === "string") {
        this.clock.observe(decoded.server_hlc); // every answer, errors included (§4)
        if (resp.ok) await this.store.setMeta({ server_hlc: decoded.server_hlc });
      }
      if (resp.ok) return decoded;
      const status = resp.status;
      if (status === 401) throw new Unauthorized(decoded?.detail ?? "device token refused");
      if (status === 426) throw new UnsupportedProtocol(decoded?.supported_versions ?? []);
      if (status === 400 || status === 413 || status === 422) throw new BadBatch(status, decoded);
      if (status === 429 || status >= 500) {
        last = new HttpError(status, decoded);
        const ra = Number(resp.headers.get("retry-after"));
        retryAfter = Number.isFinite(ra) && resp.headers.get("retry-after") !== null ? ra : null;
        continue;
      }
      throw new HttpError(status, decoded);
    }
    throw new RetriesExhausted(`${method} ${path} failed ${this.maxRetries + 1} times: ${last?.message ?? last}`, retryAfter);
  }

  async _decode(resp) {
    const ctype = resp.headers.get("content-type") ?? "";
    const bytes = new Uint8Array(await resp.arrayBuffer());
    if (ctype.includes("msgpack")) return mpDecode(bytes);
    const text = new TextDecoder().decode(bytes);
    return text ? JSON.parse(text) : null;
  }
}
