// Hybrid logical clock of a device, as sync/PROTOCOL.md §4 specifies (and sync/hlc.py does).
// Wire form `<15-digit ms>-<5-digit counter>`: fixed width, so string order is (ms, counter)
// order. 10^15 ms fits a JS number exactly (below 2^53), so no BigInt is needed.

export const MAX_MS = 10 ** 15 - 1;
export const MAX_COUNTER = 99999;
const HLC_RE = /^\d{15}-\d{5}$/;

/** @typedef {{ms: number, counter: number}} Hlc */

/** @param {string} s @returns {Hlc} */
export function parseHlc(s) {
  if (typeof s !== "string" || !HLC_RE.test(s)) throw new Error(`malformed HLC: ${s}`);
  return { ms: Number(s.slice(0, 15)), counter: Number(s.slice(16)) };
}

/** @param {Hlc} h @returns {string} */
export function formatHlc(h) {
  return `${String(h.ms).padStart(15, "0")}-${String(h.counter).padStart(5, "0")}`;
}

/** The smallest HLC above `h`: a full counter spills into the millisecond (never 6 digits).
 * @param {Hlc} h @returns {Hlc} */
export function successor(h) {
  return h.counter < MAX_COUNTER ? { ms: h.ms, counter: h.counter + 1 } : { ms: h.ms + 1, counter: 0 };
}

/** @param {Hlc} a @param {Hlc} b */
function cmp(a, b) { return a.ms - b.ms || a.counter - b.counter; }

/** One device's clock. The wall clock is injectable (tests model skewed tablets); `offsetMs`
 * is the correction the server's time taught us (§4 "What a device does on clock_skew"). */
export class HybridClock {
  /** @param {{wall?: () => number, last?: string|null, offsetMs?: number}} [opts] */
  constructor({ wall = () => Date.now(), last = null, offsetMs = 0 } = {}) {
    this._wall = wall;
    this.offsetMs = offsetMs;
    /** @type {Hlc} */
    this.last = last ? parseHlc(last) : { ms: 0, counter: 0 };
  }

  /** The wall clock as corrected: what recorded times (measured_at, occurred_at) use. */
  wallMs() { return this._wall() + this.offsetMs; }

  /** Tick for a local edit. @returns {string} */
  now() {
    const pt = this.wallMs();
    this.last = pt > this.last.ms ? { ms: Math.min(pt, MAX_MS), counter: 0 } : successor(this.last);
    return formatHlc(this.last);
  }

  /** Observe a received HLC: the next tick sorts above it and above everything before.
   * @param {string} remoteHlc @returns {string} */
  observe(remoteHlc) {
    const r = parseHlc(remoteHlc);
    const l = this.last;
    const ms = Math.max(l.ms, r.ms, this.wallMs());
    let next;
    if (ms === l.ms && ms === r.ms) next = successor({ ms, counter: Math.max(l.counter, r.counter) });
    else if (ms === l.ms) next = successor(l);
    else if (ms === r.ms) next = successor(r);
    else next = { ms: Math.min(ms, MAX_MS), counter: 0 };
    this.last = next;
    return formatHlc(next);
  }

  /** The server found the wall clock off by `deltaMs`: correct it; a clock that was ahead
   * restarts from `serverHlc` (the values above it were refused, never stored). */
  shift(deltaMs, serverHlc, toleranceMs = 1000) {
    const r = parseHlc(serverHlc);
    this.offsetMs += deltaMs;
    if (this.last.ms - r.ms > toleranceMs) this.last = r;
  }

  /** The wall clock is right now but our HLCs ran ahead of the server: restart from it. */
  correct(serverHlc, toleranceMs = 1000) {
    const r = parseHlc(serverHlc);
    const pt = this.wallMs();
    if (pt - r.ms > toleranceMs) this.offsetMs += r.ms - pt;
    if (this.last.ms - r.ms > toleranceMs) this.last = r;
  }
}

/** Shift an HLC string by `deltaMs`, kept above each of `floors` (outbox order, §4 step 2).
 * @param {string} hlc @param {number} deltaMs @param {(string|null|undefined)[]} floors */
export function shiftHlc(hlc, deltaMs, floors) {
  const old = parseHlc(hlc);
  let next = { ms: Math.min(Math.max(old.ms + deltaMs, 0), MAX_MS), counter: old.counter };
  for (const f of floors) {
    if (!f) continue;
    const floor = parseHlc(f);
    if (cmp(next, floor) <= 0) next = successor(floor);
  }
  return formatHlc(next);
}
