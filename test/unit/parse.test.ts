/** parseBtf() / parseHeader(): libbpf's header, string-section and type-section rules. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBtf, parseHeader, isRawBtf, dumpRaw, Kind, HOST_ENDIAN } from "../../src/btf/index.js";
import { BtfAsm, assemble, info, K } from "../helpers/btf-asm.js";
import { throwsBtf } from "../helpers/assert-btf.js";
import { handmade, splitBase } from "../helpers/handmade.js";

/** int, pointer, struct: a small valid BTF. */
function small(): BtfAsm {
  const a = new BtfAsm();
  const int = a.int("int", 4, 1);
  const p = a.ptr(int);
  a.struct("s", 16, [{ name: "i", type: int }, { name: "p", type: p, bitOff: 64 }]);
  return a;
}

test("parseBtf() reads a small BTF in both byte orders to the same types", () => {
  const a = small();
  const le = parseBtf(a.bytes({ endian: "little" }));
  const be = parseBtf(a.bytes({ endian: "big" }));
  assert.equal(le.endian, "little");
  assert.equal(be.endian, "big");
  assert.equal(le.typeCount, 4);
  assert.equal(le.nrTypes, 3);
  assert.equal(dumpRaw(be), dumpRaw(le));
  assert.equal(le.name(3), "s");
  assert.equal(be.kind(2), Kind.PTR);
  assert.equal(be.sizeOrType(2), 1);
});

test("parseBtf() rejects an empty buffer", () => {
  throwsBtf(() => parseBtf(new Uint8Array(0)), "MALFORMED", /empty/);
});

test("parseBtf() rejects a buffer too short to hold the magic", () => {
  throwsBtf(() => parseBtf(Uint8Array.of(0x9f)), "MALFORMED", /too short/);
});

test("parseBtf() rejects a wrong magic and says what it found", () => {
  const b = small().bytes();
  b[0] = 0x7f;
  b[1] = 0x45;
  const e = throwsBtf(() => parseBtf(b), "MALFORMED", /bad magic 0x7f45/);
  assert.equal(e.offset, 0);
});

test("parseBtf() rejects a header truncated below 24 bytes", () => {
  const b = small().bytes();
  for (const n of [2, 8, 23]) throwsBtf(() => parseBtf(b.subarray(0, n)), "MALFORMED", /truncated BTF header/);
});

test("parseBtf() rejects hdr_len below 24", () => {
  const b = small().bytes({ hdr: { hdrLen: 20 } });
  throwsBtf(() => parseBtf(b), "MALFORMED", /header length 20 is less than 24/);
});

test("parseBtf() rejects hdr_len past the end of the data", () => {
  const b = assemble([], [0], { hdr: { hdrLen: 1000 } });
  throwsBtf(() => parseBtf(b), "MALFORMED", /header length 1000 is past the end/);
});

test("parseBtf() accepts hdr_len > 24 with zero extra bytes, keeps them, and passes the kernel checks", () => {
  const b = small().bytes({ hdrExtra: new Uint8Array(8) });
  const btf = parseBtf(b);
  assert.equal(btf.hdrExtra.length, 8);
  assert.equal(btf.nrTypes, 3);
  assert.equal(dumpRaw(btf), dumpRaw(parseBtf(small().bytes())));
});

test("parseBtf() accepts non-zero extra header bytes as libbpf 1.5 does, but the kernel-style checks reject them", () => {
  const b = small().bytes({ hdrExtra: [0, 0, 0, 0, 1, 0, 0, 0] });
  const btf = parseBtf(b, { validate: false });
  assert.deepEqual([...btf.hdrExtra], [0, 0, 0, 0, 1, 0, 0, 0]);
  throwsBtf(() => parseBtf(b), "INVALID", /non-zero bytes past the first 24/);
});

test("parseBtf() rejects an opposite-endian header longer than 24 bytes (ENOTSUP in libbpf)", () => {
  const b = small().bytes({ endian: HOST_ENDIAN === "little" ? "big" : "little", hdrExtra: new Uint8Array(8) });
  throwsBtf(() => parseBtf(b), "UNSUPPORTED", /opposite-endian/);
});

test("parseBtf() reads a byte-swapped header length (big-endian hdr_len 24 is 0x18000000 read the wrong way)", () => {
  const b = small().bytes({ endian: "big" });
  assert.deepEqual([...b.subarray(4, 8)], [0, 0, 0, 24]);
  const h = parseHeader(b);
  assert.equal(h.hdrLen, 24);
  assert.equal(h.endian, "big");
});

test("parseBtf() accepts gaps before the type section and between the sections", () => {
  const a = small();
  const btf = parseBtf(a.bytes({ gapBeforeTypes: 16, gapBeforeStrs: 7 }));
  assert.equal(dumpRaw(btf), dumpRaw(parseBtf(a.bytes())));
  const h = parseHeader(a.bytes({ gapBeforeTypes: 16, gapBeforeStrs: 7 }));
  assert.equal(h.typeOff, 16);
  assert.equal(h.strOff, 16 + h.typeLen + 7);
});

test("parseBtf() rejects a type section offset that is not 4-byte aligned", () => {
  throwsBtf(() => parseBtf(small().bytes({ gapBeforeTypes: 2 })), "MALFORMED", /not 4-byte aligned/);
});

test("parseBtf() rejects a type section that overlaps the string section", () => {
  const a = small();
  const h = parseHeader(a.bytes());
  throwsBtf(() => parseBtf(a.bytes({ hdr: { strOff: h.typeLen - 4 } })), "MALFORMED", /overlaps or follows the string section/);
});

test("parseBtf() rejects a string section that runs past the end", () => {
  const a = small();
  const h = parseHeader(a.bytes());
  throwsBtf(() => parseBtf(a.bytes({ hdr: { strLen: h.strLen + 1 } })), "MALFORMED", /string section .* runs past the end/);
  throwsBtf(() => parseBtf(a.bytes({ hdr: { strOff: 0xfffffff0 } })), "MALFORMED", /runs past the end/);
});

test("parseBtf() rejects an empty string section in non-split BTF", () => {
  throwsBtf(() => parseBtf(assemble([], [])), "MALFORMED", /empty string section/);
});

test("parseBtf() rejects a string section that is not NUL-terminated", () => {
  throwsBtf(() => parseBtf(assemble([], [0, 0x61])), "MALFORMED", /not NUL-terminated/);
});

test("parseBtf() rejects a non-split string section that does not start with NUL, pointing at --base", () => {
  throwsBtf(() => parseBtf(assemble([], [0x61, 0])), "MALFORMED", /does not start with NUL.*base/);
});

test("parseBtf() of split BTF without its base fails with a hint to give the base", () => {
  const mod = handmade().find((h) => h.name === "split-mod")!;
  throwsBtf(() => parseBtf(mod.bytes), "MALFORMED", /split BTF needs its base/);
  const base = parseBtf(splitBase().bytes());
  assert.equal(parseBtf(mod.bytes, { base }).startId, 8);
});

test("parseBtf() accepts a split BTF with an empty string section, and an empty one", () => {
  const base = parseBtf(splitBase().bytes());
  const s = new BtfAsm(splitBase());
  s.ptr(1);
  const split = parseBtf(s.bytes(), { base });
  assert.equal(split.strLen, 0);
  assert.equal(split.nrTypes, 1);
  const empty = parseBtf(assemble([], []), { base });
  assert.equal(empty.nrTypes, 0);
  assert.equal(empty.typeCount, base.typeCount);
});

for (const kind of [0, 20, 31]) {
  test(`parseBtf() rejects unknown kind ${kind} and names the type`, () => {
    const a = small();
    a.raw(0, info(kind), 0);
    const e = throwsBtf(() => parseBtf(a.bytes()), "MALFORMED", new RegExp(`unknown BTF kind ${kind}`));
    assert.equal(e.typeId, 4);
    assert.equal(e.offset, 24 + 16 + 12 + 36);
  });
}

test("parseBtf() rejects a record that runs past the end of the type section (vlen too large)", () => {
  const a = small();
  a.patch(3, 1, info(K.STRUCT, 3));
  const e = throwsBtf(() => parseBtf(a.bytes()), "MALFORMED", /runs past the end of the type section/);
  assert.equal(e.typeId, 3);
});

test("parseBtf() rejects trailing bytes in the type section (type_len not a record boundary)", () => {
  const a = small();
  const h = parseHeader(a.bytes());
  // 8 extra zero bytes: too short for a record header, but covered by type_len
  const words = [...a.words, 0, 0];
  throwsBtf(() => parseBtf(assemble(words, a.strBytes)), "MALFORMED", /8 trailing bytes/);
  // type_len not a multiple of 4
  const odd = assemble(a.words, a.strBytes, { gapBeforeStrs: 4, hdr: { typeLen: h.typeLen + 2 } });
  throwsBtf(() => parseBtf(odd), "MALFORMED", /2 trailing bytes/);
});

test("parseBtf() ignores bytes after the string section (the header decides what is BTF)", () => {
  const btf = parseBtf(small().bytes({ trailing: [1, 2, 3, 4, 5] }));
  assert.equal(btf.nrTypes, 3);
});

test("parseBtf() rejects a name offset outside the string section", () => {
  const a = small();
  a.patch(1, 0, 1000);
  const e = throwsBtf(() => parseBtf(a.bytes()), "MALFORMED", /invalid string offset 1000 for the name/);
  assert.equal(e.typeId, 1);
});

test("parseBtf() rejects a member name offset outside the string section", () => {
  const a = small();
  a.patch(3, 6, a.strBytes.length);
  throwsBtf(() => parseBtf(a.bytes()), "MALFORMED", /invalid string offset/);
});

test("parseBtf() accepts a name offset into the middle of a string (libbpf does)", () => {
  const a = small();
  a.patch(1, 0, 2); // "nt" inside "int"
  assert.equal(parseBtf(a.bytes()).name(1), "nt");
});

test("parseBtf() rejects dangling type ids", () => {
  const a = small();
  a.patch(2, 2, 4);
  const e = throwsBtf(() => parseBtf(a.bytes()), "MALFORMED", /reference to type \[4\] past the last type \[3\]/);
  assert.equal(e.typeId, 2);
});

test("parseBtf() rejects a FUNC whose type is not a FUNC_PROTO", () => {
  const a = small();
  a.func("f", 1);
  throwsBtf(() => parseBtf(a.bytes()), "MALFORMED", /FUNC refers to type \[1\], which is not a FUNC_PROTO/);
});

test("parseBtf() with validate:false skips only the kernel-style checks", () => {
  const a = small();
  a.ptr(a.func("f", a.funcProto(1))); // PTR to FUNC: kernel rejects, libbpf accepts
  assert.equal(parseBtf(a.bytes(), { validate: false }).nrTypes, 6);
  throwsBtf(() => parseBtf(a.bytes()), "INVALID", /PTR refers to \[5\], a FUNC/);
  const bad = small();
  bad.patch(2, 2, 99);
  throwsBtf(() => parseBtf(bad.bytes(), { validate: false }), "MALFORMED", /past the last type/);
});

test("parseBtf() keeps version and flags; the kernel-style checks reject unknown ones", () => {
  const v2 = small().bytes({ hdr: { version: 2 } });
  assert.equal(parseBtf(v2, { validate: false }).version, 2);
  throwsBtf(() => parseBtf(v2), "INVALID", /unsupported BTF version 2/);
  const f1 = small().bytes({ hdr: { flags: 1 } });
  assert.equal(parseBtf(f1, { validate: false }).flags, 1);
  throwsBtf(() => parseBtf(f1), "INVALID", /flags/);
});

test("parseBtf() works on an unaligned view into a larger buffer, in both byte orders", () => {
  for (const endian of ["little", "big"] as const) {
    const b = small().bytes({ endian });
    const big = new Uint8Array(b.length + 3);
    big.set(b, 1);
    const btf = parseBtf(big.subarray(1, 1 + b.length));
    assert.equal(dumpRaw(btf), dumpRaw(parseBtf(small().bytes())));
  }
});

test("parseBtf() does not read past the view it was given", () => {
  const b = small().bytes();
  const big = new Uint8Array(b.length + 64).fill(0xff);
  big.set(b, 0);
  const btf = parseBtf(big.subarray(0, b.length));
  assert.equal(btf.strLen, parseHeader(b).strLen);
  throwsBtf(() => parseBtf(big.subarray(0, b.length - 1)), "MALFORMED", /runs past the end/);
});

test("parseHeader() returns the fields as stored; isRawBtf() knows both magics", () => {
  const b = small().bytes();
  const h = parseHeader(b);
  assert.deepEqual({ ...h }, { endian: "little", magic: 0xeb9f, version: 1, flags: 0, hdrLen: 24, typeOff: 0, typeLen: 64, strOff: 64, strLen: 11 });
  assert.ok(isRawBtf(b));
  assert.ok(isRawBtf(small().bytes({ endian: "big" })));
  assert.ok(!isRawBtf(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46)));
  assert.ok(!isRawBtf(Uint8Array.of(0x9f)));
});

test("parseBtf() handles a type section with many records (offset table growth)", () => {
  const a = new BtfAsm();
  const int = a.int("int", 4, 1);
  for (let i = 0; i < 5000; i++) a.ptr(int + (i % 7 === 0 ? 0 : 0));
  const btf = parseBtf(a.bytes());
  assert.equal(btf.nrTypes, 5001);
  assert.equal(btf.kind(5001), Kind.PTR);
  assert.equal(btf.offsetOf(5001), 4 + 3 * 4999);
});
