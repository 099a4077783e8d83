// A minimal MessagePack codec (https://github.com/msgpack/msgpack/blob/master/spec.md) for the
// sync wire: nil, booleans, integers, float64, str, bin, array, map, and the timestamp
// extension (-1), which the server uses for every time and which decodes to RFC 3339 text so a
// row reads the same whether it came as JSON or MessagePack. Written here rather than vendored:
// the whole format the protocol needs is these ~150 lines, tested in tests/js/msgpack.test.mjs.

const te = new TextEncoder();
const td = new TextDecoder();

class Writer {
  constructor() { this.buf = new Uint8Array(1024); this.view = new DataView(this.buf.buffer); this.pos = 0; }
  ensure(n) {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next; this.view = new DataView(next.buffer);
  }
  u8(v) { this.ensure(1); this.buf[this.pos++] = v; }
  u16(v) { this.ensure(2); this.view.setUint16(this.pos, v); this.pos += 2; }
  u32(v) { this.ensure(4); this.view.setUint32(this.pos, v); this.pos += 4; }
  bytes(b) { this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length; }
}

function writeInt(w, v) {
  if (v >= 0) {
    if (v < 0x80) w.u8(v);
    else if (v < 0x100) { w.u8(0xcc); w.u8(v); }
    else if (v < 0x10000) { w.u8(0xcd); w.u16(v); }
    else if (v < 0x100000000) { w.u8(0xce); w.u32(v); }
    else { w.u8(0xcf); w.ensure(8); w.view.setBigUint64(w.pos, BigInt(v)); w.pos += 8; }
  } else if (v >= -32) w.u8(v & 0xff);
  else if (v >= -128) { w.u8(0xd0); w.ensure(1); w.view.setInt8(w.pos++, v); }
  else if (v >= -32768) { w.u8(0xd1); w.ensure(2); w.view.setInt16(w.pos, v); w.pos += 2; }
  else if (v >= -2147483648) { w.u8(0xd2); w.ensure(4); w.view.setInt32(w.pos, v); w.pos += 4; }
  else { w.u8(0xd3); w.ensure(8); w.view.setBigInt64(w.pos, BigInt(v)); w.pos += 8; }
}

function writeLen(w, n, fix, fixMax, c16, c32, c8) {
  if (n <= fixMax && fix !== null) w.u8(fix | n);
  else if (c8 !== undefined && n < 0x100) { w.u8(c8); w.u8(n); }
  else if (n < 0x10000) { w.u8(c16); w.u16(n); }
  else { w.u8(c32); w.u32(n); }
}

function write(w, v) {
  if (v === null || v === undefined) w.u8(0xc0);
  else if (v === false) w.u8(0xc2);
  else if (v === true) w.u8(0xc3);
  else if (typeof v === "number") {
    if (Number.isSafeInteger(v)) writeInt(w, v);
    else { w.u8(0xcb); w.ensure(8); w.view.setFloat64(w.pos, v); w.pos += 8; }
  } else if (typeof v === "bigint") writeInt(w, Number(v));
  else if (typeof v === "string") {
    const b = te.encode(v);
    writeLen(w, b.length, 0xa0, 31, 0xda, 0xdb, 0xd9);
    w.bytes(b);
  } else if (v instanceof Uint8Array) {
    writeLen(w, v.length, null, -1, 0xc5, 0xc6, 0xc4);
    w.bytes(v);
  } else if (v instanceof Date) write(w, v.toISOString());
  else if (Array.isArray(v)) {
    writeLen(w, v.length, 0x90, 15, 0xdc, 0xdd);
    for (const x of v) write(w, x);
  } else if (typeof v === "object") {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    writeLen(w, keys.length, 0x80, 15, 0xde, 0xdf);
    for (const k of keys) { write(w, k); write(w, v[k]); }
  } else throw new TypeError(`cannot encode ${typeof v} as MessagePack`);
}

/** @param {unknown} value @returns {Uint8Array} */
export function encode(value) {
  const w = new Writer();
  write(w, value);
  return w.buf.slice(0, w.pos);
}

/** RFC 3339 UTC text of a timestamp, to the microsecond (the server's precision). */
function timestampText(sec, nsec) {
  const iso = new Date(sec * 1000).toISOString(); // 2026-11-23T07:00:00.000Z
  return `${iso.slice(0, 19)}.${String(Math.floor(nsec / 1000)).padStart(6, "0")}Z`;
}

class Reader {
  constructor(bytes) {
    this.buf = bytes; this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength); this.pos = 0;
  }
  u8() { return this.view.getUint8(this.pos++); }
  take(n) {
    if (this.pos + n > this.buf.length) throw new RangeError("truncated MessagePack");
    const out = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return out;
  }
  num(kind, n) {
    const v = this.view[kind](this.pos); this.pos += n; return v;
  }
}

function readExt(r, type, n) {
  const data = r.take(n);
  if (type !== -1) return { type, data: data.slice() };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (n === 4) return timestampText(view.getUint32(0), 0);
  if (n === 8) {
    const hi = view.getUint32(0), lo = view.getUint32(4);
    return timestampText((hi & 0x3) * 2 ** 32 + lo, hi >>> 2);
  }
  if (n === 12) return timestampText(Number(view.getBigInt64(4)), view.getUint32(0));
  throw new RangeError("bad timestamp extension");
}

function read(r) {
  const b = r.u8();
  if (b < 0x80) return b;
  if (b < 0x90) return readMap(r, b & 0x0f);
  if (b < 0xa0) return readArray(r, b & 0x0f);
  if (b < 0xc0) return td.decode(r.take(b & 0x1f));
  if (b >= 0xe0) return b - 0x100;
  switch (b) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return r.take(r.u8()).slice();
    case 0xc5: return r.take(r.num("getUint16", 2)).slice();
    case 0xc6: return r.take(r.num("getUint32", 4)).slice();
    case 0xc7: { const n = r.u8(); return readExt(r, r.num("getInt8", 1), n); }
    case 0xc8: { const n = r.num("getUint16", 2); return readExt(r, r.num("getInt8", 1), n); }
    case 0xc9: { const n = r.num("getUint32", 4); return readExt(r, r.num("getInt8", 1), n); }
    case 0xca: return r.num("getFloat32", 4);
    case 0xcb: return r.num("getFloat64", 8);
    case 0xcc: return r.u8();
    case 0xcd: return r.num("getUint16", 2);
    case 0xce: return r.num("getUint32", 4);
    case 0xcf: return Number(r.num("getBigUint64", 8));
    case 0xd0: return r.num("getInt8", 1);
    case 0xd1: return r.num("getInt16", 2);
    case 0xd2: return r.num("getInt32", 4);
    case 0xd3: return Number(r.num("getBigInt64", 8));
    case 0xd4: return readExt(r, r.num("getInt8", 1), 1);
    case 0xd5: return readExt(r, r.num("getInt8", 1), 2);
    case 0xd6: return readExt(r, r.num("getInt8", 1), 4);
    case 0xd7: return readExt(r, r.num("getInt8", 1), 8);
    case 0xd8: return readExt(r, r.num("getInt8", 1), 16);
    case 0xd9: return td.decode(r.take(r.u8()));
    case 0xda: return td.decode(r.take(r.num("getUint16", 2)));
    case 0xdb: return td.decode(r.take(r.num("getUint32", 4)));
    case 0xdc: return readArray(r, r.num("getUint16", 2));
    case 0xdd: return readArray(r, r.num("getUint32", 4));
    case 0xde: return readMap(r, r.num("getUint16", 2));
    case 0xdf: return readMap(r, r.num("getUint32", 4));
    default: throw new RangeError(`invalid MessagePack byte 0x${b.toString(16)}`);
  }
}

function readArray(r, n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = read(r);
  return out;
}

function readMap(r, n) {
  const out = {};
  for (let i = 0; i < n; i++) { const k = read(r); out[String(k)] = read(r); }
  return out;
}

/** @param {Uint8Array} bytes @returns {any} */
export function decode(bytes) {
  const r = new Reader(bytes);
  const v = read(r);
  if (r.pos !== bytes.length) throw new RangeError("trailing bytes after MessagePack value");
  return v;
}
