// Type declarations of the JavaScript sync client (the modules themselves carry JSDoc types).

export type Fields = Record<string, unknown>;
export interface Mutation {
  id: string; entity: string; row_id: string; op: "upsert" | "delete"; hlc: string;
  author_id: string; fields: Fields; clock_correction_ms?: number;
}
export interface MutationResult {
  id: string | null; status: "applied" | "duplicate" | "merged" | "rejected";
  code?: string; message?: string; field?: string; current?: Fields;
}
export interface Change { entity: string; row_id: string; op: "upsert" | "delete"; fields: Fields; }
/** A change the server merged or refused, kept on the device to explain to its user. */
export interface Notice {
  at: string; status: "merged" | "rejected"; entity: string; row_id: string; author_id: string;
  typed: Fields; kept: Fields | null; code: string | null; message: string | null; field: string | null;
}
export interface Edit { entity: string; row_id: string; op?: "upsert" | "delete"; fields?: Fields; }
export interface PushReport { pushed: number; applied: number; duplicate: number; merged: number; rejected: number; }
export type SyncEvent =
  | { type: "outbox"; pending: number }
  | { type: "sync"; phase: "start" | "done"; report?: PushReport & { pulled: number }; pending?: number }
  | { type: "changes"; changes: Change[]; bootstrap: boolean }
  | { type: "notice"; outcomes: { mutation: Mutation; result: MutationResult }[] }
  | { type: "reset" }
  | { type: "online"; online: boolean; error?: unknown };

export interface Backend {}
export class MemoryBackend implements Backend { constructor(state?: object); dump(): object; }
export class IdbBackend implements Backend { static open(name: string, idb?: IDBFactory): Promise<IdbBackend>; close(): void; }

export class SyncStore {
  constructor(backend: Backend);
  meta(key: string): Promise<any>; // device_id, cursor, server_hlc, local_hlc, clock_offset_ms, last_sync
  setMeta(values: Record<string, unknown>): Promise<void>;
  get(entity: string, rowId: string): Promise<(Fields & { id: string }) | null>;
  rows(entity: string): Promise<(Fields & { id: string })[]>;
  pending(limit?: number): Promise<Mutation[]>;
  pendingCount(): Promise<number>;
  notices(): Promise<Notice[]>;
  applyPage(changes: Change[], cursor: string | null, serverHlc: string | null): Promise<void>;
  resetReplica(): Promise<void>;
  close(): Promise<void>;
}

export interface ClientOptions {
  baseUrl?: string; deviceId: string; token: string; store: SyncStore;
  fetch?: typeof fetch; format?: "msgpack" | "json"; gzip?: boolean; gzipMinBytes?: number;
  batchSize?: number; pullLimit?: number; bootstrapLimit?: number; maxRetries?: number;
  backoffBaseMs?: number; backoffCapMs?: number; timeoutMs?: number; wall?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>; protocol?: number;
}
export interface LiveHandle { stop(): void; wake(): void; running: boolean; }

export class HybridClock {
  constructor(opts?: { wall?: () => number; last?: string | null; offsetMs?: number });
  offsetMs: number; wallMs(): number; now(): string; observe(remoteHlc: string): string;
}

export class SyncClient {
  constructor(opts: ClientOptions);
  readonly store: SyncStore; readonly clock: HybridClock; deviceId: string;
  init(): Promise<SyncClient>;
  on(listener: (event: SyncEvent) => void): () => void;
  nowIso(): string;
  edit(entity: string, rowId: string, fields: Fields, authorId: string): Promise<Mutation>;
  remove(entity: string, rowId: string, authorId: string): Promise<Mutation>;
  /** One user action: its mutations reach the outbox together, in order, or not at all. */
  enqueue(edits: Edit[], authorId: string): Promise<Mutation[]>;
  sync(opts?: { signal?: AbortSignal }): Promise<PushReport & { pulled: number }>;
  push(opts?: { signal?: AbortSignal }): Promise<PushReport>;
  pull(opts?: { waitMs?: number; signal?: AbortSignal }): Promise<number>;
  schema(): Promise<any>;
  /** While live, call `wake()` rather than `sync()`: a long-poll holds the client for up to 25 s. */
  startLive(opts?: { waitMs?: number; onError?: (err: unknown) => void }): LiveHandle;
}

export class SyncError extends Error {}
export class Unauthorized extends SyncError {}
export class UnsupportedProtocol extends SyncError { supportedVersions: number[]; }
export class HttpError extends SyncError { status: number; problem: any; }
export class BadBatch extends HttpError {}
export class RetriesExhausted extends SyncError { retryAfterS: number | null; }
export class ProtocolViolation extends SyncError {}
export const PROTOCOL: 1;
export const LONG_POLL_MS: number;
export const RECORDED_TIME_FIELDS: Set<string>;
export function parseHlc(s: string): { ms: number; counter: number };
export function formatHlc(h: { ms: number; counter: number }): string;

/** A ready client: IndexedDB in a browser (one database per device), memory elsewhere. */
export function openDevice(opts: Omit<ClientOptions, "store"> & { backend?: Backend }): Promise<SyncClient>;
