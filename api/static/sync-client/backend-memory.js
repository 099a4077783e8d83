// The in-memory backend (Node, tests, benches): a transaction that throws leaves nothing
// behind, as an IndexedDB or SQLite transaction would, so the store's atomicity is the same.

const clone = (v) => (v === undefined ? undefined : structuredClone(v));

export class MemoryBackend {
  /** @param {{rows?: [string, any][], outbox?: any[], meta?: [string, any][], seq?: number}} [state] */
  constructor(state = {}) {
    this.rows = new Map(state.rows ?? []);
    this.outboxRows = new Map((state.outbox ?? []).map((e) => [e.seq, e]));
    this.meta = new Map(state.meta ?? []);
    this.seq = state.seq ?? 0;
    this._queue = Promise.resolve();
  }

  /** Plain data of the whole store (what the file backend writes). */
  dump() {
    return { rows: [...this.rows], outbox: [...this.outboxRows.values()], meta: [...this.meta], seq: this.seq };
  }

  /** Transactions run one at a time; a failed one is undone from its journal. */
  transaction(fn) {
    const run = this._queue.then(() => this._run(fn));
    this._queue = run.catch(() => {});
    return run;
  }

  async _run(fn) {
    const undo = { rows: new Map(), outbox: new Map(), meta: new Map(), seq: this.seq, cleared: null };
    const note = (map, store, k) => { if (!map.has(k)) map.set(k, clone(store.get(k))); };
    const tx = {
      getRow: (k) => clone(this.rows.get(k)),
      putRow: (row) => { note(undo.rows, this.rows, row.k); this.rows.set(row.k, clone(row)); },
      deleteRow: (k) => { note(undo.rows, this.rows, k); this.rows.delete(k); },
      clearRows: () => { if (!undo.cleared) undo.cleared = new Map(this.rows); this.rows.clear(); },
      outbox: () => [...this.outboxRows.values()].sort((a, b) => a.seq - b.seq).map(clone),
      putOutbox: (e) => {
        const seq = e.seq ?? ++this.seq;
        note(undo.outbox, this.outboxRows, seq);
        this.outboxRows.set(seq, clone({ ...e, seq }));
        return seq;
      },
      deleteOutbox: (seq) => { note(undo.outbox, this.outboxRows, seq); this.outboxRows.delete(seq); },
      getMeta: (k) => clone(this.meta.get(k)),
      setMeta: (k, v) => { note(undo.meta, this.meta, k); this.meta.set(k, clone(v)); },
    };
    try {
      const out = await fn(tx);
      await this.committed();
      return out;
    } catch (err) {
      if (undo.cleared) this.rows = undo.cleared;
      for (const [store, map] of [[this.rows, undo.rows], [this.outboxRows, undo.outbox], [this.meta, undo.meta]]) {
        for (const [k, v] of map) { if (v === undefined) store.delete(k); else store.set(k, v); }
      }
      this.seq = undo.seq;
      throw err;
    }
  }

  /** Called after each transaction's changes are in place (the file backend saves then). */
  async committed() {}

  async rowsOf(entity) { return [...this.rows.values()].filter((r) => r.entity === entity).map(clone); }
  async getRow(k) { return clone(this.rows.get(k)); }
  async outbox() { return [...this.outboxRows.values()].sort((a, b) => a.seq - b.seq).map(clone); }
  async getMeta(k) { return clone(this.meta.get(k)); }
}
