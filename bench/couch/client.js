// The CouchDB-protocol peer's device: PouchDB 9 with an in-memory local database, replicating
// with the server by PouchDB's own replication protocol (changes feed, revs_diff, bulk_docs /
// bulk_get, checkpoints in _local documents). One JSON command per stdin line, one JSON answer
// per stdout line; each answer carries the seconds and the client CPU the command took.
'use strict';
const fs = require('fs');
const readline = require('readline');
const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));

const locals = new Map(); // name -> local PouchDB

function local(name) {
  if (!locals.has(name)) locals.set(name, new PouchDB(`local-${name}`, { adapter: 'memory' }));
  return locals.get(name);
}

async function timed(work) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const extra = await work();
  const cpu = process.cpuUsage(cpu0);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9,
           client_cpu_s: (cpu.user + cpu.system) / 1e6, ...extra };
}

async function replicate(from, to, batch, docIds) {
  const options = { batch_size: batch }; // PouchDB's other defaults, as apps run it
  if (docIds) options.doc_ids = docIds;
  const info = await PouchDB.replicate(from, to, options);
  return { docs_written: info.docs_written, docs_read: info.docs_read };
}

// The outbox applied on the device before it syncs (not timed): readings are new documents;
// an edit changes a field of the patient's document, whose current revision it reads first.
async function applyOutbox(db, outbox) {
  for (const m of outbox) {
    if (m.edit) {
      const doc = await db.get(m._id);
      await db.put({ ...doc, ...m.fields });
    } else {
      await db.put({ _id: m._id, ...m.fields });
    }
  }
}

const commands = {
  // local <- remote, from the local database's last checkpoint (a fresh name: a bootstrap)
  async pull({ remote, name, batch, doc_ids }) {
    return timed(() => replicate(remote, local(name), batch, doc_ids));
  },
  // the outbox written locally (untimed), then local -> remote
  async push({ remote, name, outbox_file, batch }) {
    const db = local(name);
    await applyOutbox(db, JSON.parse(fs.readFileSync(outbox_file, 'utf8')));
    return timed(() => replicate(db, remote, batch));
  },
  // several devices at once: each its outbox written locally, then all push together
  async push_many({ remote, names, outbox_files, batch }) {
    await Promise.all(names.map((n, i) => applyOutbox(local(n), JSON.parse(
      fs.readFileSync(outbox_files[i], 'utf8')))));
    return timed(async () => {
      const infos = await Promise.all(names.map((n) => replicate(local(n), remote, batch)));
      return { docs_written: infos.reduce((a, i) => a + i.docs_written, 0) };
    });
  },
};

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const cmd = JSON.parse(line);
  try {
    const answer = await commands[cmd.op](cmd);
    process.stdout.write(JSON.stringify({ ok: true, ...answer }) + '\n');
  } catch (err) {
    process.stdout.write(JSON.stringify({ ok: false, error: String(err && err.stack || err) }) + '\n');
  }
});
