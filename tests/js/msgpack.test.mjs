// The vendored-by-hand MessagePack codec: every type the wire uses round-trips, and the
// timestamp extension the server sends for times decodes to RFC 3339 text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decode, encode } from "../../api/static/sync-client/msgpack.js";

test("values of every wire type round-trip", () => {
  const value = {
    nil: null, t: true, f: false, small: 7, neg: -3, byte: 200, short: -300, int: 70000,
    big: 2 ** 40, negbig: -(2 ** 40), float: 97.5, text: "Trần Thị Bích", long: "x".repeat(300),
    list: [1, "a", [null]], nested: { a: { b: [] } }, bin: new Uint8Array([1, 2, 3]),
    many: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
    arr: Array.from({ length: 70000 }, (_, i) => i % 3),
  };
  assert.deepEqual(decode(encode(value)), value);
});

test("the timestamp extension decodes to UTC text to the microsecond", () => {
  // timestamp 64: nsec 500000000 << 34 | sec 1700000000
  const sec = 1700000000, nsec = 123456000;
  const hi = (nsec * 4) + Math.floor(sec / 2 ** 32), lo = sec % 2 ** 32;
  const bytes = new Uint8Array([0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
  new DataView(bytes.buffer).setUint32(2, hi >>> 0);
  new DataView(bytes.buffer).setUint32(6, lo);
  assert.equal(decode(bytes), "2023-11-14T22:13:20.123456Z");
  const t32 = new Uint8Array([0xd6, 0xff, 0, 0, 0, 0]);
  new DataView(t32.buffer).setUint32(2, sec);
  assert.equal(decode(t32), "2023-11-14T22:13:20.000000Z");
});

test("truncated input is refused, not read past its end", () => {
  assert.throws(() => decode(encode("hello").slice(0, 3)));
});
