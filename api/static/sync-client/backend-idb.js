// The IndexedDB backend of the browser. A store transaction is one IndexedDB transaction over
// the three object stores, so a pulled page and its cursor, or an edit and its outbox entry,
// are committed together. Requests are awaited as promises: the transaction stays open across
// those awaits because nothing else is awaited inside it.

const STORES = ["rows", "outbox", "meta"];

const done = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

export class IdbBackend {
  /** @param {string} name database name, one per enrolled device */
  static async open(name, idb = globalThis.indexedDB) {
    const req = idb.open(name, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore("rows", { keyPath: "k" }).createIndex("entity", "entity");
      db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      db.createObjectStore("meta");
    };
    return new IdbBackend(await done(req));
  }

  constructor(db) { this.db = db; }

  close() { this.db.close(); }

  async transaction(fn) {
    const t = this.db.transaction(STORES, "readwrite", { durability: "strict" });
    const rows = t.objectStore("rows"), outbox = t.objectStore("outbox"), meta = t.objectStore("meta");
    const finished = new Promise((resolve, reject) => {
      t.oncomplete = () => resolve();
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error ?? new Error("IndexedDB transaction aborted"));
    });
    const tx = {
      getRow: (k) => done(rows.get(k)),
      putRow: (row) => { rows.put(row); },  // not awaited: requests of one transaction run in order
      deleteRow: (k) => { rows.delete(k); },
      clearRows: () => done(rows.clear()),
      outbox: () => done(outbox.getAll()),
      putOutbox: (e) => done(outbox.put(e)),
      deleteOutbox: (seq) => { outbox.delete(seq); },
      getMeta: (k) => done(meta.get(k)),
      setMeta: (k, v) => { meta.put(v, k); },
    };
    let out;
    try {
      out = await fn(tx);
    } catch (err) {
      try { t.abort(); } catch { /* already finished */ }
      finished.catch(() => {});
      throw err;
    }
    await finished;
    return out;
  }

  async rowsOf(entity) {
    return done(this.db.transaction("rows").objectStore("rows").index("entity").getAll(entity));
  }
  async getRow(k) { return done(this.db.transaction("rows").objectStore("rows").get(k)); }
  async outbox() { return done(this.db.transaction("outbox").objectStore("outbox").getAll()); }
  async getMeta(k) { return done(this.db.transaction("meta").objectStore("meta").get(k)); }
}
