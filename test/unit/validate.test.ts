/**
 * Kernel-style checks (checkKernel / assertKernelValid): each one fires on a minimal
 * bad example, its good twin passes, and no committed fixture trips any of them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkKernel, guessPointerSize, parseBtf, sizeOf, type Btf } from "../../src/btf/index.js";
import { BtfAsm, info, K } from "../helpers/btf-asm.js";
import { throwsBtf } from "../helpers/assert-btf.js";
import { loadFixture, manifest } from "../helpers/fixtures.js";
import { handmade, splitBase, wrongBase } from "../helpers/handmade.js";

/** A BTF with `int` as type 1, then whatever `build` adds. */
function make(build: (a: BtfAsm, int: number) => void): Btf {
  const a = new BtfAsm();
  const int = a.int("int", 4, 1);
  build(a, int);
  return parseBtf(a.bytes(), { validate: false });
}

interface Case {
  name: string;
  bad: (a: BtfAsm, int: number) => void;
  /** A close variant that must pass. */
  good?: (a: BtfAsm, int: number) => void;
  re: RegExp;
  id: number;
}

const cases: Case[] = [
  // ---- pointers and modifiers ----
  { name: "PTR to FUNC", bad: (a, i) => void a.ptr(a.func("f", a.funcProto(i))), good: (a, i) => void a.ptr(a.funcProto(i)), re: /PTR refers to \[3\], a FUNC/, id: 4 },
  { name: "PTR to VAR (a VAR used outside a DATASEC)", bad: (a, i) => void a.ptr(a.var("v", i)), good: (a, i) => void a.ptr(i), re: /PTR refers to \[2\], a VAR/, id: 3 },
  { name: "CONST to DATASEC", bad: (a, i) => void a.const(a.datasec(".data", 4, [{ type: a.var("v", i), offset: 0, size: 4 }])), re: /CONST refers to \[3\], a DATASEC/, id: 4 },
  { name: "VOLATILE to DECL_TAG", bad: (a, i) => void a.volatile(a.declTag("t", a.typedef("td", i))), re: /VOLATILE refers to \[3\], a DECL_TAG/, id: 4 },
  { name: "PTR with a name", bad: (a, i) => void a.raw(a.str("p"), info(K.PTR), i), good: (a, i) => void a.raw(0, info(K.PTR), i), re: /PTR has a name/, id: 2 },
  { name: "RESTRICT with kind_flag", bad: (a, i) => void a.raw(0, info(K.RESTRICT, 0, 1), i), re: /RESTRICT with vlen or kind_flag set/, id: 2 },
  { name: "CONST with vlen", bad: (a, i) => void a.raw(0, info(K.CONST, 1), i), re: /CONST with vlen or kind_flag set/, id: 2 },
  { name: "TYPEDEF without a name", bad: (a, i) => void a.raw(0, info(K.TYPEDEF), i), good: (a, i) => void a.typedef("t", i), re: /TYPEDEF has no name/, id: 2 },
  { name: "TYPEDEF with kind_flag", bad: (a, i) => void a.raw(a.str("t"), info(K.TYPEDEF, 0, 1), i), re: /TYPEDEF with vlen or kind_flag set/, id: 2 },
  { name: "TYPE_TAG without a name", bad: (a, i) => void a.raw(0, info(K.TYPE_TAG), i), good: (a, i) => void a.typeTag("attr", i, 1), re: /TYPE_TAG has no name/, id: 2 },
  { name: "TYPEDEF to FUNC", bad: (a, i) => void a.typedef("t", a.func("f", a.funcProto(i))), re: /TYPEDEF refers to \[3\], a FUNC/, id: 4 },
  { name: "unused info bits", bad: (a) => void a.raw(a.str("x"), info(K.INT) | 0x00010000, 4, 32), re: /INT has unused info bits set \(0x1010000\)/, id: 2 },
  // ---- INT ----
  { name: "INT without a name", bad: (a) => void a.raw(0, info(K.INT), 4, 32), re: /INT has no name/, id: 2 },
  { name: "INT with an empty name", bad: (a) => void a.raw(a.strBytes.length - 1, info(K.INT), 4, 32), re: /INT has no name/, id: 2 },
  { name: "INT with kind_flag", bad: (a) => void a.raw(a.str("x"), info(K.INT, 0, 1), 4, 32), re: /INT with vlen or kind_flag set/, id: 2 },
  { name: "INT of size 3", bad: (a) => void a.int("x", 3, 0, 24), good: (a) => void a.int("x", 16, 0, 128), re: /INT has invalid size 3/, id: 2 },
  { name: "INT bits beyond its size", bad: (a) => void a.int("x", 1, 0, 5, 4), good: (a) => void a.int("x", 1, 0, 4, 4), re: /INT bits 4\+5 do not fit size 1/, id: 2 },
  { name: "INT wider than 128 bits", bad: (a) => void a.int("x", 16, 0, 129 & 0xff), re: /INT bits 0\+129 do not fit/, id: 2 },
  { name: "INT with reserved encoding bits", bad: (a) => void a.raw(a.str("x"), info(K.INT), 4, 0x10000020), re: /INT bits/, id: 2 },
  { name: "INT encoding SIGNED|CHAR", bad: (a) => void a.int("x", 1, 3), good: (a) => void a.int("x", 1, 2), re: /INT has invalid encoding 3/, id: 2 },
  // ---- ARRAY ----
  { name: "ARRAY with a name", bad: (a, i) => void a.raw(a.str("arr"), info(K.ARRAY), 0, i, i, 2), re: /ARRAY with a name, vlen, kind_flag or size set/, id: 2 },
  { name: "ARRAY with a size", bad: (a, i) => void a.raw(0, info(K.ARRAY), 8, i, i, 2), re: /ARRAY with a name/, id: 2 },
  { name: "ARRAY of void", bad: (a, i) => void a.array(0, i, 2), good: (a, i) => void a.array(i, i, 0), re: /ARRAY of void/, id: 2 },
  { name: "ARRAY of FUNC", bad: (a, i) => void a.array(a.func("f", a.funcProto(i)), i, 2), re: /ARRAY element refers to \[3\], a FUNC/, id: 4 },
  {
    name: "ARRAY indexed by a STRUCT", bad: (a, i) => void a.array(i, a.struct("s", 4, [{ name: "x", type: i }]), 2),
    good: (a, i) => void a.array(i, a.const(a.typedef("idx_t", i)), 2), re: /ARRAY index type \[2\] is a STRUCT, not an INT/, id: 3,
  },
  // ---- STRUCT / UNION ----
  {
    name: "member beyond the struct size", bad: (a, i) => void a.struct("s", 4, [{ name: "x", type: i }, { name: "y", type: i, bitOff: 32 }]),
    good: (a, i) => void a.struct("s", 8, [{ name: "x", type: i }, { name: "y", type: i, bitOff: 32 }]), re: /STRUCT member #1 'y' ends at bit 64, beyond the size 4/, id: 2,
  },
  {
    name: "bitfield beyond the struct size", bad: (a, i) => void a.struct("s", 4, [{ name: "b", type: i, bitOff: 30, bitSize: 3 }]),
    good: (a, i) => void a.struct("s", 4, [{ name: "b", type: i, bitOff: 29, bitSize: 3 }]), re: /ends at bit 33, beyond the size 4/, id: 2,
  },
  { name: "struct member of void", bad: (a) => void a.struct("s", 4, [{ name: "v", type: 0 }]), re: /STRUCT member #0 'v' is void/, id: 2 },
  { name: "struct member of FUNC type", bad: (a, i) => void a.struct("s", 8, [{ name: "f", type: a.func("f", a.funcProto(i)) }]), re: /STRUCT member #0 'f' refers to \[3\], a FUNC/, id: 4 },
  { name: "struct member of VAR type (a VAR outside a DATASEC)", bad: (a, i) => void a.struct("s", 8, [{ type: a.var("v", i) }]), re: /STRUCT member #0 refers to \[2\], a VAR/, id: 3 },
  {
    name: "struct member of an incomplete type", bad: (a) => void a.struct("s", 8, [{ name: "x", type: a.fwd("opaque") }]),
    good: (a) => void a.struct("s", 8, [{ name: "x", type: a.ptr(a.fwd("opaque")) }]), re: /STRUCT member #0 'x' has incomplete type \[2\]/, id: 3,
  },
  {
    name: "union member at a non-zero offset", bad: (a, i) => void a.union("u", 8, [{ name: "x", type: i, bitOff: 32 }]),
    good: (a, i) => void a.union("u", 4, [{ name: "x", type: i }, { name: "y", type: i }]), re: /UNION member #0 'x' at non-zero bit offset 32/, id: 2,
  },
  // ---- ENUM / ENUM64 / FWD / FLOAT ----
  { name: "ENUM of size 3", bad: (a) => void a.enum("e", 3, [["A", 1]]), good: (a) => void a.enum("e", 8, [["A", 1]]), re: /ENUM has invalid size 3/, id: 2 },
  { name: "ENUM64 of size 16", bad: (a) => void a.enum64("e", 16, [["A", 1n]]), re: /ENUM64 has invalid size 16/, id: 2 },
  { name: "FWD without a name", bad: (a) => void a.raw(0, info(K.FWD), 0), good: (a) => void a.fwd("f", true), re: /FWD has no name/, id: 2 },
  { name: "FWD with a type", bad: (a) => void a.raw(a.str("f"), info(K.FWD), 1), re: /FWD with vlen or type set/, id: 2 },
  { name: "FLOAT without a name", bad: (a) => void a.raw(0, info(K.FLOAT), 4), re: /FLOAT has no name/, id: 2 },
  { name: "FLOAT of size 3", bad: (a) => void a.float("f", 3), good: (a) => void a.float("f", 12), re: /FLOAT has invalid size 3/, id: 2 },
  // ---- FUNC / FUNC_PROTO ----
  { name: "FUNC without a name", bad: (a, i) => void a.raw(0, info(K.FUNC, 1), a.funcProto(i)), re: /FUNC has no name/, id: 3 },
  { name: "FUNC with linkage 3", bad: (a, i) => void a.func("f", a.funcProto(i), 3), good: (a, i) => void a.func("f", a.funcProto(i), 2), re: /FUNC has invalid linkage 3/, id: 3 },
  { name: "FUNC with kind_flag", bad: (a, i) => void a.raw(a.str("f"), info(K.FUNC, 0, 1), a.funcProto(i)), re: /FUNC has invalid linkage/, id: 3 },
  { name: "FUNC_PROTO with a name", bad: (a, i) => void a.raw(a.str("p"), info(K.FUNC_PROTO), i), re: /FUNC_PROTO with a name or kind_flag set/, id: 2 },
  {
    name: "FUNC_PROTO returning a FUNC", bad: (a, i) => { const f = a.func("f", a.funcProto(i)); a.funcProto(f); },
    re: /FUNC_PROTO return type refers to \[3\], a FUNC/, id: 4,
  },
  {
    name: "FUNC_PROTO with a void parameter before the last", bad: (a, i) => void a.funcProto(i, [{ type: 0 }, { name: "x", type: i }]),
    good: (a, i) => void a.funcProto(i, [{ name: "x", type: i }, { type: 0 }]), re: /FUNC_PROTO param #0 is void/, id: 2,
  },
  { name: "FUNC_PROTO with a named void last parameter", bad: (a, i) => void a.funcProto(i, [{ name: "rest", type: 0 }]), re: /FUNC_PROTO param #0 is void/, id: 2 },
  { name: "FUNC_PROTO with a VAR parameter", bad: (a, i) => void a.funcProto(i, [{ name: "x", type: a.var("v", i) }]), re: /FUNC_PROTO param #0 refers to \[2\], a VAR/, id: 3 },
  // ---- VAR / DATASEC ----
  { name: "VAR without a name", bad: (a, i) => void a.raw(0, info(K.VAR), i, 1), re: /VAR has no name/, id: 2 },
  { name: "VAR with linkage 3", bad: (a, i) => void a.var("v", i, 3), good: (a, i) => void a.var("v", i, 2), re: /VAR with vlen, kind_flag or invalid linkage/, id: 2 },
  { name: "VAR of void", bad: (a) => void a.var("v", 0), re: /VAR refers to \[0\], a void/, id: 2 },
  { name: "VAR of FUNC type", bad: (a, i) => void a.var("v", a.func("f", a.funcProto(i))), re: /VAR refers to \[3\], a FUNC/, id: 4 },
  { name: "DATASEC without a name", bad: (a, i) => void a.raw(0, info(K.DATASEC, 1), 4, a.var("v", i), 0, 4), re: /DATASEC has no name/, id: 3 },
  {
    name: "DATASEC entry that is not a VAR", bad: (a, i) => void a.datasec(".data", 4, [{ type: i, offset: 0, size: 4 }]),
    good: (a, i) => void a.datasec(".data", 4, [{ type: a.var("v", i), offset: 0, size: 4 }]), re: /DATASEC entry #0 refers to \[1\], a INT, not a VAR/, id: 2,
  },
  {
    name: "DATASEC entry beyond the section size", bad: (a, i) => void a.datasec(".data", 4, [{ type: a.var("v", i), offset: 2, size: 4 }]),
    good: (a, i) => void a.datasec(".data", 0, [{ type: a.var("v", i), offset: 2, size: 4 }]), re: /DATASEC entry #0 \[2, \+4\) is beyond the section size 4/, id: 3,
  },
  // ---- DECL_TAG ----
  { name: "DECL_TAG without a value", bad: (a, i) => void a.raw(0, info(K.DECL_TAG), a.typedef("t", i), 0xffffffff), re: /DECL_TAG has no value/, id: 3 },
  { name: "DECL_TAG with component_idx -2", bad: (a, i) => void a.declTag("x", a.typedef("t", i), -2), re: /DECL_TAG has invalid component index -2/, id: 3 },
  { name: "DECL_TAG on an INT", bad: (a, i) => void a.declTag("x", i), good: (a, i) => void a.declTag("x", a.typedef("t", i)), re: /DECL_TAG refers to \[1\], a INT/, id: 2 },
  {
    name: "DECL_TAG component index past the members", bad: (a, i) => void a.declTag("x", a.struct("s", 4, [{ name: "m", type: i }]), 1),
    good: (a, i) => void a.declTag("x", a.struct("s", 4, [{ name: "m", type: i }]), 0), re: /DECL_TAG component index 1 out of range for \[2\]/, id: 3,
  },
  {
    name: "DECL_TAG component index past the parameters", bad: (a, i) => void a.declTag("x", a.func("f", a.funcProto(i, [{ name: "p", type: i }])), 1),
    good: (a, i) => void a.declTag("x", a.func("f", a.funcProto(i, [{ name: "p", type: i }])), 0), re: /DECL_TAG component index 1 out of range/, id: 4,
  },
  { name: "DECL_TAG component index on a VAR", bad: (a, i) => void a.declTag("x", a.var("v", i), 0), good: (a, i) => void a.declTag("x", a.var("v", i), -1), re: /component index 0 out of range/, id: 3 },
  // ---- cycles ----
  {
    name: "struct containing itself (cycle without a pointer)", bad: (a, i) => { const s = a.struct("s", 8, [{ name: "x", type: i }, { name: "self", type: 0 }]); a.patch(s, 7, s); },
    good: (a, i) => { const s = a.struct("s", 16, [{ name: "x", type: i }, { name: "next", type: 0, bitOff: 64 }]); a.patch(s, 7, a.ptr(s)); },
    re: /reference cycle not broken by a pointer/, id: 2,
  },
  {
    name: "typedef cycle", bad: (a) => { const t1 = a.typedef("a", 0); const t2 = a.typedef("b", t1); a.patch(t1, 2, t2); },
    good: (a, i) => { const t1 = a.typedef("a", i); a.typedef("b", t1); }, re: /reference cycle/, id: 2,
  },
  { name: "const/volatile cycle", bad: (a) => { const c = a.const(0); const v = a.volatile(c); a.patch(c, 2, v); }, re: /reference cycle/, id: 2 },
  { name: "array of itself", bad: (a, i) => { const arr = a.array(0, i, 2); a.patch(arr, 3, arr); }, re: /reference cycle not broken by a pointer/, id: 2 },
  {
    name: "typedef/const cycle (a FUNC_PROTO referring to itself through a pointer is fine)", bad: (a, i) => { const t = a.typedef("t", 0); const c = a.const(t); a.patch(t, 2, c); void i; },
    good: (a) => { const p = a.funcProto(0, [{ name: "x", type: 0 }]); const pp = a.ptr(p); a.patch(p, 2, pp); a.patch(p, 4, pp); }, re: /reference cycle/, id: 2,
  },
];

for (const c of cases) {
  test(`checkKernel() flags ${c.name}`, () => {
    const btf = make(c.bad);
    const problems = checkKernel(btf, 1);
    assert.equal(problems.length, 1, "one problem reported");
    assert.match(problems[0]!.message, c.re);
    assert.equal(problems[0]!.typeId, c.id);
    throwsBtf(() => parseBtf(rebuild(c.bad)), "INVALID", c.re);
  });
  if (c.good) {
    test(`checkKernel() accepts the valid counterpart of ${c.name}`, () => {
      assert.deepEqual(checkKernel(make(c.good!), 100), []);
      parseBtf(rebuild(c.good!));
    });
  }
}

function rebuild(build: (a: BtfAsm, int: number) => void): Uint8Array {
  const a = new BtfAsm();
  build(a, a.int("int", 4, 1));
  return a.bytes();
}

test("checkKernel() flags a bad header: version, flags, non-zero extra bytes", () => {
  const a = new BtfAsm();
  a.int("int", 4, 1);
  const p = (o: Parameters<BtfAsm["bytes"]>[0]) => checkKernel(parseBtf(a.bytes(o), { validate: false }), 5).map((x) => x.message);
  assert.deepEqual(p({ hdr: { version: 0 } }), ["unsupported BTF version 0"]);
  assert.deepEqual(p({ hdr: { flags: 0x80 } }), ["unsupported BTF header flags 0x80"]);
  assert.deepEqual(p({ hdrExtra: [0, 0, 0, 7] }), ["unsupported BTF header: non-zero bytes past the first 24"]);
  assert.deepEqual(p({ hdrExtra: [0, 0, 0, 0] }), []);
});

test("checkKernel() collects up to `max` problems", () => {
  const btf = make((a, i) => {
    a.int("bad1", 3);
    a.int("bad2", 5);
    a.ptr(a.var("v", i));
  });
  assert.equal(checkKernel(btf, 1).length, 1);
  const all = checkKernel(btf, 100);
  assert.deepEqual(all.map((p) => p.typeId), [2, 3, 5]);
});

test("no committed fixture trips a kernel-style check", async () => {
  for (const e of manifest().fixtures) {
    if (!e.validate) continue;
    const btf = await loadFixture(e.file, e.base, false);
    assert.deepEqual(checkKernel(btf, 10), [], e.file);
  }
});

test("a split BTF on the wrong base is reported as MISMATCH with a hint", () => {
  const mod = handmade().find((h) => h.name === "split-mod")!.bytes;
  const wrong = wrongBase();
  const base = parseBtf(wrong.bytes());
  assert.equal(base.typeCount, splitBase().nextId);
  const e = throwsBtf(() => parseBtf(mod, { base }), "MISMATCH", /split BTF does not fit this base\?/);
  assert.ok(e.typeId! >= base.typeCount);
  // the right base works
  assert.equal(parseBtf(mod, { base: parseBtf(splitBase().bytes()) }).nrTypes, 8);
});

test("guessPointerSize() finds 8 for x86-64, 4 for i386, 8 when no long is known", async () => {
  assert.equal(guessPointerSize(await loadFixture("c/kinds.btf")), 8);
  assert.equal(guessPointerSize(await loadFixture("c/kinds.m32.btf")), 4);
  assert.equal(guessPointerSize(make(() => {})), 8);
  const m32 = await loadFixture("c/kinds.m32.btf");
  const split = parseBtf(new BtfAsm({ typeCount: m32.typeCount, strEnd: m32.strLen }).bytes(), { base: m32 });
  assert.equal(guessPointerSize(split), 4, "a split takes its base's pointer size");
});

test("sizeOf() resolves sizes through typedefs, modifiers, arrays and pointers", () => {
  const btf = make((a, i) => {
    const c = a.const(a.typedef("t", i)); // 2 t, 3 const
    const arr = a.array(c, i, 5); // 4
    a.array(arr, i, 3); // 5
    a.ptr(0); // 6
    a.fwd("f"); // 7
    a.struct("s", 24, []); // 8
    a.var("v", 5); // 9
  });
  assert.equal(sizeOf(btf, 1), 4);
  assert.equal(sizeOf(btf, 3), 4);
  assert.equal(sizeOf(btf, 4), 20);
  assert.equal(sizeOf(btf, 5), 60);
  assert.equal(sizeOf(btf, 6), 8);
  assert.equal(sizeOf(btf, 6, 4), 4);
  assert.equal(sizeOf(btf, 7), -1);
  assert.equal(sizeOf(btf, 0), -1);
  assert.equal(sizeOf(btf, 8), 24);
  assert.equal(sizeOf(btf, 9), 60);
});

test("sizeOf() gives up (-1) on a chain deeper than 32 instead of looping", () => {
  const btf = make((a, i) => {
    let t = i;
    for (let k = 0; k < 40; k++) t = a.const(t);
  });
  assert.equal(sizeOf(btf, 32), 4, "31 modifiers, then the INT: 32 steps");
  assert.equal(sizeOf(btf, 33), -1, "32 modifiers: too deep, as libbpf's btf__resolve_size");
  assert.equal(sizeOf(btf, 41), -1);
});
