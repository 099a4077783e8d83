// The CouchDB-protocol peer's server: express-pouchdb over PouchDB's in-memory adapter.
// It keeps documents in memory only, validates nothing, merges nothing (CouchDB's revision
// tree picks a deterministic winner and keeps conflicts), audits nothing.
// Counts requests and bytes both ways, and reports its own CPU at GET /_bench (POST resets).
'use strict';
const express = require('express');
const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));

const MemPouch = PouchDB.defaults({ adapter: 'memory' });
const stats = { requests: 0, bytes_in: 0, bytes_out: 0, cpu: process.cpuUsage() };

const app = express();
app.all('/_bench', (req, res) => {
  if (req.method === 'POST') {
    stats.requests = 0; stats.bytes_in = 0; stats.bytes_out = 0; stats.cpu = process.cpuUsage();
    res.json({ ok: true });
    return;
  }
  const cpu = process.cpuUsage(stats.cpu);
  res.json({ requests: stats.requests, bytes_in: stats.bytes_in, bytes_out: stats.bytes_out,
             cpu_s: (cpu.user + cpu.system) / 1e6 });
});
app.use((req, res, next) => {
  stats.requests += 1;
  // bodies only, as on our side (PouchDB sends every body with a Content-Length)
  stats.bytes_in += Number(req.headers['content-length'] || 0);
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  res.write = (chunk, ...rest) => {
    if (chunk) stats.bytes_out += Buffer.byteLength(chunk);
    return write(chunk, ...rest);
  };
  res.end = (chunk, ...rest) => {
    if (chunk && typeof chunk !== 'function') stats.bytes_out += Buffer.byteLength(chunk);
    return end(chunk, ...rest);
  };
  next();
});
app.use('/', require('express-pouchdb')(MemPouch, { mode: 'minimumForPouchDB', inMemoryConfig: true }));

const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
