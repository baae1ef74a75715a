/**
 * Property tests (fast-check): generated BTF of every kind, valid by construction,
 * round-trips byte for byte, survives byte-order conversion with identical dumps, and
 * passes the checks it should; loosely generated BTF (only libbpf-valid) never makes
 * the library throw anything but what it documents.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkKernel, dumpJson, dumpRaw, parseBtf, writeBtf, btfStats, Kind, type Btf } from "../../src/btf/index.js";
import { isBtfError } from "../../src/internal/errors.js";
import { looseBtf, validBtf } from "../helpers/arb-btf.js";
import { swapEndian } from "../helpers/btf-asm.js";

const SEED = Number(process.env.BTFKIT_PROP_SEED ?? 20240601);
const runs = (n: number) => ({ seed: SEED, numRuns: Number(process.env.BTFKIT_PROP_RUNS ?? n) });
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const other = (e: "little" | "big") => (e === "little" ? "big" : "little");

test("generated valid BTF parses with the kernel-style checks on and has no problems", () => {
  fc.assert(
    fc.property(validBtf(), (g) => {
      const btf = parseBtf(g.bytes);
      assert.deepEqual(checkKernel(btf, 100), []);
      assert.equal(btf.nrTypes, g.asm.recs.length);
      assert.equal(btf.endian, g.endian);
    }),
    runs(300),
  );
});

test("writeBtf(parseBtf(x)) equals x byte for byte for generated BTF", () => {
  fc.assert(
    fc.property(validBtf(), (g) => {
      assert.ok(same(writeBtf(parseBtf(g.bytes)), g.bytes));
    }),
    runs(300),
  );
});

test("a byte-swapped write parses back to identical raw and JSON dumps", () => {
  fc.assert(
    fc.property(validBtf(), (g) => {
      const btf = parseBtf(g.bytes);
      const swapped = writeBtf(btf, { endian: other(g.endian) });
      assert.ok(same(swapped, swapEndian(g.bytes)), "matches the independent swapper");
      const back = parseBtf(swapped);
      assert.equal(back.endian, other(g.endian));
      assert.equal(dumpRaw(back), dumpRaw(btf));
      assert.equal(dumpJson(back), dumpJson(btf));
      assert.ok(same(writeBtf(back, { endian: g.endian }), g.bytes));
    }),
    runs(200),
  );
});

test("the JSON dump of generated BTF is valid JSON with one object per type, in id order", () => {
  fc.assert(
    fc.property(validBtf({ identOnly: true }), (g) => {
      const btf = parseBtf(g.bytes);
      const j = JSON.parse(dumpJson(btf)) as { types: { id: number; kind: string }[] };
      assert.deepEqual(j.types.map((t) => t.id), Array.from({ length: btf.nrTypes }, (_, i) => i + 1));
      assert.deepEqual(j.types.map((t) => t.kind), j.types.map((t) => Kind[btf.kind(t.id)]));
      const raw = dumpRaw(btf);
      assert.equal((raw.match(/^\[\d+\] /gm) ?? []).length, btf.nrTypes);
    }),
    runs(150),
  );
});

test("generated split BTF parses on its base, round-trips, and swaps with identical dumps", () => {
  fc.assert(
    fc.property(validBtf({ split: true, maxTypes: 25 }), (g) => {
      const base = parseBtf(g.base!.bytes);
      const split = parseBtf(g.bytes, { base });
      assert.equal(split.startId, base.typeCount);
      assert.equal(split.typeCount, base.typeCount + g.asm.recs.length);
      assert.deepEqual(checkKernel(split, 100), []);
      assert.ok(same(writeBtf(split), g.bytes));
      const back = parseBtf(writeBtf(split, { endian: other(g.endian) }), { base });
      assert.equal(dumpRaw(back), dumpRaw(split));
      assert.equal(dumpJson(back), dumpJson(split));
      assert.equal(btfStats(back).types, g.asm.recs.length);
    }),
    runs(150),
  );
});

test("type(id) and findByName() agree with the raw accessors on generated BTF, split included", () => {
  const check = (btf: Btf) => {
    for (let id = 1; id < btf.typeCount; id++) {
      const t = btf.type(id);
      assert.equal(t.kind, btf.kind(id));
      assert.equal(t.name, btf.name(id));
      assert.equal(t.vlen, btf.vlen(id));
      if (t.name) assert.ok(btf.findByName(t.name).includes(id), `${t.name} -> ${id}`);
      if (t.name) assert.ok(btf.findByName(t.name, t.kind).includes(id));
    }
  };
  fc.assert(
    fc.property(validBtf({ split: true, maxTypes: 20 }), (g) => {
      const base = parseBtf(g.base!.bytes);
      check(base);
      check(parseBtf(g.bytes, { base }));
    }),
    runs(100),
  );
});

test("loosely generated (libbpf-valid only) BTF parses without validation, round-trips, dumps, and checkKernel() only reports", () => {
  fc.assert(
    fc.property(looseBtf(), (g) => {
      const btf = parseBtf(g.bytes, { validate: false });
      assert.ok(same(writeBtf(btf), g.bytes));
      dumpRaw(btf);
      dumpJson(btf);
      btfStats(btf);
      const problems = checkKernel(btf, 1000);
      try {
        parseBtf(g.bytes);
        assert.deepEqual(problems, []);
      } catch (e) {
        assert.ok(isBtfError(e), String(e));
        assert.ok(problems.length > 0, "validation failed, so checkKernel() reports a problem");
      }
      for (let id = 0; id < btf.typeCount; id++) btf.type(id);
    }),
    runs(300),
  );
});
