/**
 * The suite's own comparators must see the differences they exist to find; these checks
 * need no kernel data or oracle, so they run even with BTFKIT_SKIP_CONFORMANCE=1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Failures, firstDiff, jsonDiff, mapPool, parseJsonExact, sameBytes } from "./helpers.js";

const b = (s: string) => new TextEncoder().encode(s);

test("firstDiff reports nothing for equal bytes and the line of a one-byte change", () => {
  assert.equal(firstDiff(b("[1] INT 'int'\n[2] PTR\n"), b("[1] INT 'int'\n[2] PTR\n")), undefined);
  const d = firstDiff(b("[1] INT 'int'\n[2] PTR '(anon)' type_id=1\n"), b("[1] INT 'int'\n[2] PTR '(anon)' type_id=2\n"), "mine", "theirs");
  assert.ok(d);
  assert.match(d, /line 2/);
  assert.match(d, /mine: "\[2\] PTR '\(anon\)' type_id=1"/);
  assert.match(d, /theirs: "\[2\] PTR '\(anon\)' type_id=2"/);
});

test("firstDiff notices a missing trailing line", () => {
  const d = firstDiff(b("a\nb\n"), b("a\nb\nc\n"));
  assert.ok(d);
  assert.match(d, /line 3/);
  assert.match(d, /<end of output>/);
});

test("sameBytes compares contents of views, not their buffers", () => {
  const x = b("xxabcxx");
  assert.ok(sameBytes(x.subarray(2, 5), b("abc")));
  assert.ok(!sameBytes(x.subarray(2, 5), b("abd")));
  assert.ok(!sameBytes(b("ab"), b("abc")));
});

test("parseJsonExact keeps 64-bit integers exact and leaves strings alone", () => {
  const v = parseJsonExact('{"a":18446744073709551615,"b":-9223372036854775808,"c":"1234567890123456789","d":12}') as Record<string, unknown>;
  assert.equal(v.a, 18446744073709551615n);
  assert.equal(v.b, -9223372036854775808n);
  assert.equal(v.c, "1234567890123456789");
  assert.equal(v.d, 12);
  // a string containing an escaped quote followed by digits is not a number
  assert.deepEqual(parseJsonExact('["x\\"12345678901234567890",1]'), ['x"12345678901234567890', 1]);
});

test("jsonDiff ignores formatting but sees a difference JSON.parse would round away", () => {
  const a = b('{"types":[{"id":1,"kind":"ENUM64","values":[{"name":"A","val":18446744073709551615}]}]}\n');
  const pretty = b('{\n    "types": [{\n        "id": 1, "kind": "ENUM64", "values": [{"name": "A", "val": 18446744073709551615}]}]}\n');
  const off = b('{"types":[{"id":1,"kind":"ENUM64","values":[{"name":"A","val":18446744073709551614}]}]}\n');
  assert.equal(jsonDiff(a, pretty), undefined);
  const d = jsonDiff(a, off);
  assert.ok(d);
  assert.match(d, /types\[0\] differ/);
  assert.match(jsonDiff(a, b('{"types":[]}')) ?? "", /type count differs: btfkit 1 vs oracle 0/);
});

test("mapPool keeps input order and never runs more than n at once", async () => {
  let running = 0;
  let peak = 0;
  const out = await mapPool([5, 1, 4, 2, 3], 2, async (x) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, x));
    running--;
    return x * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(peak, 2);
});

test("Failures.report shows the count and at most eight items", () => {
  const f = new Failures();
  for (let i = 0; i < 10; i++) f.add(`m${i}: bad`);
  const r = f.report("modules differ", 100);
  assert.match(r, /^10 of 100 modules differ:/);
  assert.match(r, /m7: bad/);
  assert.doesNotMatch(r, /m8: bad/);
  assert.match(r, /and 2 more/);
});
