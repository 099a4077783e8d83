// The device clock of PROTOCOL.md §4, without a server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HybridClock, formatHlc, parseHlc } from "../../api/static/sync-client/hlc.js";
import { shiftHlc } from "../../api/static/sync-client/hlc.js";

test("a tick takes the wall clock's millisecond, or the successor when the wall did not move", () => {
  let wall = 1_732_300_000_000;
  const c = new HybridClock({ wall: () => wall });
  assert.equal(c.now(), "001732300000000-00000");
  assert.equal(c.now(), "001732300000000-00001");
  wall += 5;
  assert.equal(c.now(), "001732300000005-00000");
});

test("observing a server HLC ahead of the wall keeps every later tick above it", () => {
  const c = new HybridClock({ wall: () => 1000 });
  c.observe("000000000005000-00000");
  const next = c.now();
  assert.ok(next > "000000000005000-00000", next);
  assert.equal(next, "000000000005000-00002");
});

test("a full counter spills into the next millisecond, never six digits", () => {
  const c = new HybridClock({ wall: () => 0, last: "000000000000007-99999" });
  assert.equal(c.now(), "000000000000008-00000");
  assert.deepEqual(parseHlc(formatHlc({ ms: 12, counter: 3 })), { ms: 12, counter: 3 });
  assert.throws(() => parseHlc("12-3"));
});

test("a shifted HLC stays above what the device knew and above the one before it", () => {
  assert.equal(shiftHlc("000000000010000-00000", -9000, ["000000000005000-00000", null]), "000000000005000-00001");
  assert.equal(shiftHlc("000000000010000-00000", -1000, [null, null]), "000000000009000-00000");
});
