// The device's replica and outbox, written once over a small storage backend (IndexedDB in a
// browser, memory or a JSON file in Node), as sync/client/store.py does over SQLite.
//
// Each row keeps the last state the server confirmed (`base`) and the view the app reads
// (`fields`/`deleted`): the base with the still-pending outbox edits laid over it, in outbox
// order. Deriving the view from (base, outbox) whenever either changes means a pull never
// hides unsent work and a refused edit simply disappears from the view. A pulled page and its
// cursor are written in one backend transaction, so a crash keeps both or neither: the page is
// pulled again (rows are whole, so applying it twice is harmless) and nothing is skipped.

/** @typedef {{id: string, entity: string, row_id: string, op: "upsert"|"delete", hlc: string,
 *   author_id: string, fields: Record<string, any>, clock_correction_ms?: number}} Mutation */
/** @typedef {{id: string|null, status: "applied"|"duplicate"|"merged"|"rejected",
 *   code?: string, message?: string, field?: string, current?: Record<string, any>}} MutationResult */
/** @typedef {{entity: string, row_id: string, op: "upsert"|"delete", fields: Record<string, any>}} Change */
/** @typedef {{k: string, entity: string, row_id: string, fields: Record<string, any>, deleted: boolean,
 *   same: boolean, base?: Record<string, any>|null, base_deleted?: boolean}} Row */
/** @typedef {{seq?: number, mutation: Mutation, seen_hlc: string|null, sent: boolean}} OutboxEntry */
/** @typedef {{at: string, status: string, entity: string, row_id: string, author_id: string,
 *   typed: Record<string, any>, kept: Record<string, any>|null, code: string|null,
 *   message: string|null, field: string|null}} Notice */

/**
 * What a backend's transaction offers; every method may return a promise.
 * @typedef {{
 *   getRow(k: string): Promise<Row|undefined>|Row|undefined,
 *   putRow(row: Row): any, deleteRow(k: string): any, clearRows(): any,
 *   outbox(): Promise<OutboxEntry[]>|OutboxEntry[], putOutbox(e: OutboxEntry): any,
 *   deleteOutbox(seq: number): any,
 *   getMeta(key: string): any, setMeta(key: string, value: any): any
 * }} Tx
 * @typedef {{ transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>,
 *   rowsOf(entity: string): Promise<Row[]>, getRow(k: string): Promise<Row|undefined>,
 *   outbox(): Promise<OutboxEntry[]>, getMeta(key: string): Promise<any>, close?(): any }} Backend
 */

export const RECORDED_TIME_FIELDS = new Set(["measured_at", "occurred_at", "given_at", "bag_a_given_at",
  "bag_b_given_at", "bag_c_given_at", "status_effective_at", "registered_at"]);
const MAX_NOTICES = 500;

export const rowKey = (entity, rowId) => `${entity}:${rowId}`;

/** The view of a row: its base with the pending edits over it, in outbox order. */
function overlay(base, baseDeleted, pending) {
  let fields = base ?? {};
  let deleted = base === null ? false : baseDeleted;
  for (const m of pending) {
    if (m.op === "delete") deleted = true;
    else { fields = { ...(deleted ? {} : fields), ...m.fields }; deleted = false; }
  }
  return { fields, deleted };
}

function groupPending(entries) {
  /** @type {Map<string, Mutation[]>} */
  const byKey = new Map();
  for (const e of entries) {
    const k = rowKey(e.mutation.entity, e.mutation.row_id);
    if (!byKey.has(k)) byKey.set(k, []);
    byKey.get(k).push(e.mutation);
  }
  return byKey;
}

/** Write a row with a new base (or null: the server has no such row) and its view. A row with
 * nothing pending (nearly all of a replica) stores its fields once, flagged `same`: the view
 * is the base, and a bootstrap writes half as much. */
async function writeRow(tx, entity, rowId, base, baseDeleted, pending) {
  const k = rowKey(entity, rowId);
  if (base === null && pending.length === 0) { await tx.deleteRow(k); return; }
  if (pending.length === 0) {
    await tx.putRow({ k, entity, row_id: rowId, fields: base, deleted: baseDeleted, same: true });
    return;
  }
  const { fields, deleted } = overlay(base, baseDeleted, pending);
  await tx.putRow({ k, entity, row_id: rowId, fields, deleted, base, base_deleted: baseDeleted, same: false });
}

/** The server's version of a stored row: [fields or null, deleted]. */
function baseOf(row) {
  if (!row) return [null, false];
  return row.same ? [row.fields, row.deleted] : [row.base ?? null, Boolean(row.base_deleted)];
}

async function refresh(tx, keys, byKey) {
  for (const k of new Set(keys)) {
    const row = await tx.getRow(k);
    const [entity, rowId] = row ? [row.entity, row.row_id] : splitKey(k);
    const [base, baseDeleted] = baseOf(row);
    await writeRow(tx, entity, rowId, base, baseDeleted, byKey.get(k) ?? []);
  }
}

function splitKey(k) {
  const i = k.indexOf(":");
  return [k.slice(0, i), k.slice(i + 1)];
}

function shiftTime(value, ms) {
  if (typeof value !== "string") return value;
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : new Date(t + ms).toISOString();
}

export class SyncStore {
  /** @param {Backend} backend */
  constructor(backend) { this.backend = backend; }

  async close() { await this.backend.close?.(); }

  /** Device metadata: device_id, cursor, server_hlc, local_hlc, clock_offset_ms, last_sync. */
  async meta(key) { return (await this.backend.getMeta(key)) ?? null; }

  async setMeta(values) {
    await this.backend.transaction(async (tx) => {
      for (const [k, v] of Object.entries(values)) await tx.setMeta(k, v);
    });
  }

  /** Apply a pulled page and move the cursor in one transaction (§7, §10). */
  async applyPage(changes, cursor, serverHlc) {
    await this.backend.transaction(async (tx) => {
      const byKey = groupPending(await tx.outbox());
      for (const c of changes) {
        const k = rowKey(c.entity, c.row_id);
        await writeRow(tx, c.entity, c.row_id, c.op === "delete" ? {} : c.fields,
          c.op === "delete", byKey.get(k) ?? []);
      }
      if (cursor !== undefined) await tx.setMeta("cursor", cursor);
      if (serverHlc) await tx.setMeta("server_hlc", serverHlc);
    });
  }

  /** Drop every row and the cursor but keep the outbox (reset, or a refused cursor): the
   * pending edits are laid over nothing, so the user still sees unsent work. */
  async resetReplica() {
    await this.backend.transaction(async (tx) => {
      await tx.clearRows();
      await tx.setMeta("cursor", null);
      const byKey = groupPending(await tx.outbox());
      for (const [k, pending] of byKey) {
        const [entity, rowId] = splitKey(k);
        await writeRow(tx, entity, rowId, null, false, pending);
      }
    });
  }

  /** Queue local edits and show them in the view, all in one transaction: a bag given with
   * its stock issue is queued together or not at all. @param {Mutation[]} mutations */
  async enqueue(mutations) {
    await this.backend.transaction(async (tx) => {
      const seen = (await tx.getMeta("server_hlc")) ?? null;
      let local = (await tx.getMeta("local_hlc")) ?? "";
      for (const m of mutations) {
        await tx.putOutbox({ mutation: m, seen_hlc: seen, sent: false });
        if (m.hlc > local) local = m.hlc;
      }
      await tx.setMeta("local_hlc", local);
      const byKey = groupPending(await tx.outbox());
      await refresh(tx, mutations.map((m) => rowKey(m.entity, m.row_id)), byKey);
    });
  }

  /** Queued mutations, oldest first. @returns {Promise<Mutation[]>} */
  async pending(limit = Infinity) {
    return (await this.backend.outbox()).slice(0, limit).map((e) => e.mutation);
  }

  async pendingCount() { return (await this.backend.outbox()).length; }

  /** Flag mutations as sent at least once (a retry of theirs may come back `duplicate`). */
  async markSent(ids) {
    const wanted = new Set(ids);
    await this.backend.transaction(async (tx) => {
      for (const e of await tx.outbox()) {
        if (wanted.has(e.mutation.id) && !e.sent) await tx.putOutbox({ ...e, sent: true });
      }
    });
  }

  /** Drop answered mutations from the outbox and move the base forward, in push order, in one
   * transaction; a `merged` or `rejected` answer is also kept as a notice for the user.
   * `current` (the server's row) wins when present; else only `applied` folds the edit into
   * the base: for `duplicate`/`merged` the next pull brings the row.
   * @param {{mutation: Mutation, result: MutationResult}[]} outcomes */
  async settle(outcomes) {
    await this.backend.transaction(async (tx) => {
      const entries = await tx.outbox();
      const seqOf = new Map(entries.map((e) => [e.mutation.id, e.seq]));
      const answered = new Set(outcomes.map((o) => o.mutation.id));
      const byKey = groupPending(entries.filter((e) => !answered.has(e.mutation.id)));
      const notices = (await tx.getMeta("notices")) ?? [];
      for (const { mutation: m, result: r } of outcomes) {
        const seq = seqOf.get(m.id);
        if (seq !== undefined) await tx.deleteOutbox(seq);
        const k = rowKey(m.entity, m.row_id);
        let [base, baseDeleted] = baseOf(await tx.getRow(k));
        if (r.current) { base = r.current; baseDeleted = false; }
        else if (r.status === "applied") {
          if (m.op === "delete") { base = base ?? {}; baseDeleted = true; }
          else { base = { ...(baseDeleted || !base ? {} : base), ...m.fields }; baseDeleted = false; }
        }
        await writeRow(tx, m.entity, m.row_id, base, baseDeleted, byKey.get(k) ?? []);
        if (r.status === "merged" || r.status === "rejected") {
          notices.push({
            at: new Date().toISOString(), status: r.status, entity: m.entity, row_id: m.row_id,
            author_id: m.author_id, typed: m.fields, kept: r.current ?? null,
            code: r.code ?? null, message: r.message ?? null, field: r.field ?? null,
          });
        }
      }
      await tx.setMeta("notices", notices.slice(-MAX_NOTICES));
    });
  }

  /** Every queued mutation was recorded under a clock off by `shiftMs` (§4): move its HLC (kept
   * above what the device knew then, and above the one before it) and its recorded times. */
  async shiftQueued(shiftMs, shiftHlc) {
    await this.backend.transaction(async (tx) => {
      let prev = null;
      const entries = await tx.outbox();
      for (const e of entries) {
        const m = { ...e.mutation };
        m.hlc = shiftHlc(m.hlc, shiftMs, [e.seen_hlc, prev]);
        m.fields = Object.fromEntries(Object.entries(m.fields).map(
          ([k, v]) => [k, RECORDED_TIME_FIELDS.has(k) ? shiftTime(v, shiftMs) : v]));
        m.clock_correction_ms = (m.clock_correction_ms ?? 0) + shiftMs;
        await tx.putOutbox({ ...e, mutation: m });
        prev = m.hlc;
      }
      if (prev) await tx.setMeta("local_hlc", prev);
      const byKey = groupPending(await tx.outbox());
      await refresh(tx, [...byKey.keys()], byKey);
    });
  }

  /** New HLCs for the named queued mutations (ids kept), in outbox order. */
  async restamp(ids, stamp) {
    const wanted = new Set(ids);
    await this.backend.transaction(async (tx) => {
      let last = null;
      for (const e of await tx.outbox()) {
        if (!wanted.has(e.mutation.id)) continue;
        last = stamp();
        await tx.putOutbox({ ...e, mutation: { ...e.mutation, hlc: last } });
      }
      if (last) await tx.setMeta("local_hlc", last);
    });
  }

  /** A row as the app sees it, or null when absent or deleted. */
  async get(entity, rowId) {
    const row = await this.backend.getRow(rowKey(entity, rowId));
    return row && !row.deleted ? { id: row.row_id, ...row.fields } : null;
  }

  /** The live rows of one entity as the app sees them, each with its `id`. */
  async rows(entity) {
    return (await this.backend.rowsOf(entity)).filter((r) => !r.deleted)
      .map((r) => ({ id: r.row_id, ...r.fields }));
  }

  /** Merged and refused changes, newest last, for the sync bar. @returns {Promise<Notice[]>} */
  async notices() { return (await this.backend.getMeta("notices")) ?? []; }
}
