/**
 * OffsetIndex (src/internal/offset-index.ts): section offset -> value, against a Map;
 * and the shared string lists the encoder hands its workers (src/io/shared-strings.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { OffsetIndex } from "../../src/internal/offset-index.js";
import { shareStrings, type SharedStrings } from "../../src/io/shared-strings.js";
import { FunctionNameTable } from "../../src/encode/elf-info.js";

/** The strings back, as a worker reads its function table (FunctionNameTable over the bytes). */
const readBack = (sh: SharedStrings): string[] => {
  const t = new FunctionNameTable(sh.bytes, FunctionNameTable.startsOf(sh.bytes, sh.count), new Int32Array(sh.count), 0);
  return Array.from({ length: t.count }, (_, i) => t.name(i));
};

test("OffsetIndex: agrees with a Map through sets, replacements, gets and growth", () => {
  const offset = fc.oneof(fc.nat({ max: 64 }), fc.nat({ max: 2 ** 31 - 2 }));
  fc.assert(
    fc.property(fc.array(fc.tuple(offset, fc.nat()), { maxLength: 400 }), fc.nat({ max: 64 }), (ops, expected) => {
      const ix = new OffsetIndex(expected); // from tiny: grows several times
      const m = new Map<number, number>();
      for (const [k, v] of ops) {
        ix.set(k, v);
        m.set(k, v);
        assert.equal(ix.get(k), v);
      }
      assert.equal(ix.size, m.size);
      for (const [k, v] of m) assert.equal(ix.get(k), v);
      for (const [k] of ops) if (!m.has(k + 1) && k + 1 < 2 ** 31 - 1) assert.equal(ix.get(k + 1), -1);
    }),
    { numRuns: 300 },
  );
});

test("OffsetIndex: offset 0 is a key like any other; negative offsets are never present", () => {
  const ix = new OffsetIndex(1);
  assert.equal(ix.get(0), -1);
  ix.set(0, 5);
  assert.equal(ix.get(0), 5);
  assert.equal(ix.get(-1), -1, "-1 + 1 is the empty-slot marker: must not match an empty slot");
  assert.equal(ix.get(-7), -1);
});

test("OffsetIndex: refuses keys it cannot store", () => {
  const ix = new OffsetIndex();
  assert.throws(() => ix.set(-1, 0), RangeError);
  assert.throws(() => ix.set(2 ** 31 - 1, 0), RangeError);
  assert.throws(() => ix.set(1.5, 0), RangeError);
  assert.equal(ix.size, 0);
});

test("shareStrings: a worker gets back the same strings (non-ASCII, empty, long, none)", () => {
  const long = "x".repeat(5000) + "é";
  const cases: string[][] = [[], [""], ["", ""], ["a", "", "b"], ["memcpy", "ñandú_probe", "日本", "😀.cold", long, "x".repeat(9000)], ["3:jiffies", "0:"]];
  for (const list of cases) {
    const sh = shareStrings(list);
    assert.ok(sh.bytes.buffer instanceof SharedArrayBuffer, "in shared memory: not copied by postMessage");
    assert.deepEqual(readBack(sh), list);
  }
  fc.assert(
    fc.property(fc.array(fc.string({ unit: "grapheme" }).filter((s) => !s.includes("\0"))), (list) => {
      assert.deepEqual(readBack(shareStrings(list)), list);
    }),
    { numRuns: 200 },
  );
});
