// The JavaScript client of sync protocol v1: `import { openDevice } from "/static/sync-client/index.js"`.
export { SyncClient, Unauthorized, UnsupportedProtocol, BadBatch, HttpError, RetriesExhausted,
  ProtocolViolation, SyncError, PROTOCOL, LONG_POLL_MS } from "./client.js";
export { SyncStore, RECORDED_TIME_FIELDS } from "./store.js";
export { HybridClock, parseHlc, formatHlc } from "./hlc.js";
export { MemoryBackend } from "./backend-memory.js";
export { IdbBackend } from "./backend-idb.js";
import { SyncClient } from "./client.js";
import { SyncStore } from "./store.js";
import { IdbBackend } from "./backend-idb.js";
import { MemoryBackend } from "./backend-memory.js";

/** A ready client for an enrolled device: IndexedDB in a browser (one database per device),
 * memory elsewhere (Node: pass `backend`, e.g. `await FileBackend.open(path)` from
 * ./backend-file.js). */
export async function openDevice({ baseUrl = "", deviceId, token, backend, ...opts }) {
  const b = backend ?? (globalThis.indexedDB ? await IdbBackend.open(`fieldops-sync-${deviceId}`) : new MemoryBackend());
  return new SyncClient({ baseUrl, deviceId, token, store: new SyncStore(b), ...opts }).init();
}
