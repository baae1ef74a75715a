/**
 * KeyIndex (src/encode/key-index.ts): the encoder's map from name keys (integers up to
 * 2^42, negative ones too) to non-negative values, against a Map.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KeyIndex } from "../../src/encode/key-index.js";

/** Keys as the loader makes them: .debug_str offsets + 1, -(position + 1), 2^41 + i. */
const keyArb = fc.oneof(
  fc.integer({ min: 1, max: 2 ** 31 }),
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.integer({ min: 0, max: 2 ** 20 }).map((i) => 2 ** 41 + i),
);

test("KeyIndex: agrees with a Map through sets, gets, growth and clears", () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.tuple(keyArb, fc.nat()), { maxLength: 300 }), { maxLength: 5 }), (rounds) => {
      const k = new KeyIndex(4); // small: grows several times
      for (const round of rounds) {
        const m = new Map<number, number>();
        for (const [key, value] of round) {
          if (m.has(key)) continue; // set() takes new keys only, as the encoder uses it
          m.set(key, value);
          k.set(key, value);
        }
        assert.equal(k.size, m.size);
        for (const [key, value] of m) assert.equal(k.get(key), value);
        for (const [key] of round) if (!m.has(key + 1)) assert.equal(k.get(key + 1), -1);
        k.clear();
        for (const [key] of m) assert.equal(k.get(key), -1, "cleared");
        assert.equal(k.size, 0);
      }
    }),
    { numRuns: 200 },
  );
});

test("KeyIndex: keys that differ only above 32 bits are told apart", () => {
  const k = new KeyIndex();
  const a = 2 ** 41 + 5;
  const b = 2 ** 40 + 5;
  k.set(a, 1);
  k.set(b, 2);
  k.set(5, 3);
  assert.deepEqual([k.get(a), k.get(b), k.get(5), k.get(2 ** 39 + 5)], [1, 2, 3, -1]);
});

test("KeyIndex: slots of older generations stay empty when the generation wraps around", () => {
  const k = new KeyIndex(4, 3); // zeroed after every third clear
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 20; i++) k.set(round * 1000 + i, i);
    for (let i = 0; i < 20; i++) assert.equal(k.get(round * 1000 + i), i);
    if (round > 0) assert.equal(k.get((round - 1) * 1000 + 3), -1, "previous round's keys");
    k.clear();
  }
});

test("KeyIndex: clear(expected) sizes the table for the next keys, and it still grows past them", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat({ max: 3000 }), fc.uniqueArray(keyArb, { maxLength: 400 })), { maxLength: 6 }), (rounds) => {
      const k = new KeyIndex(4);
      for (const [expected, keys] of rounds) {
        k.clear(expected);
        keys.forEach((key, i) => k.set(key, i));
        assert.equal(k.size, keys.length);
        keys.forEach((key, i) => assert.equal(k.get(key), i));
      }
    }),
    { numRuns: 200 },
  );
});
