/** writeBtf(): byte-exact round trips, byte-order conversion, layout normalisation. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dumpJson, dumpRaw, parseBtf, parseHeader, writeBtf, HOST_ENDIAN, type Btf } from "../../src/btf/index.js";
import { BtfError } from "../../src/internal/errors.js";
import { BtfAsm, swapEndian } from "../helpers/btf-asm.js";
import { loadFixture, manifest, rawBlobs, readFixture } from "../helpers/fixtures.js";

const eq = (a: Uint8Array, b: Uint8Array, msg?: string) => assert.ok(Buffer.from(a).equals(Buffer.from(b)), msg ?? "bytes differ");

/** Canonical layout: type_off 0, str_off = type_len, nothing after the strings. */
function canonical(b: Uint8Array): boolean {
  const h = parseHeader(b);
  return h.typeOff === 0 && h.strOff === h.typeLen && h.hdrLen + h.strOff + h.strLen === b.length;
}

test("writeBtf(parseBtf(x)) equals x byte for byte for every canonical raw fixture, in its own byte order", async () => {
  let n = 0;
  for (const { file, base } of rawBlobs()) {
    const bytes = readFixture(file);
    if (!canonical(bytes)) continue;
    const btf = parseBtf(bytes, { base: base ? await loadFixture(base) : undefined, validate: false });
    eq(writeBtf(btf), bytes, file);
    n++;
  }
  assert.ok(n >= 40, `round-tripped ${n} fixtures`);
});

test("writeBtf(…, {endian}) converts every raw fixture to the other byte order exactly as an independent swapper does", async () => {
  for (const { file, base } of rawBlobs()) {
    const bytes = readFixture(file);
    if (!canonical(bytes) || parseHeader(bytes).hdrLen !== 24) continue;
    const btf = parseBtf(bytes, { base: base ? await loadFixture(base) : undefined, validate: false });
    const other = btf.endian === "little" ? "big" : "little";
    const swapped = writeBtf(btf, { endian: other });
    eq(swapped, swapEndian(bytes), file);
    eq(writeBtf(btf, { endian: btf.endian }), bytes);
    // and back
    const again = parseBtf(swapped, { base: btf.base, validate: false });
    assert.equal(again.endian, other);
    assert.equal(dumpRaw(again), dumpRaw(btf));
    eq(writeBtf(again, { endian: btf.endian }), bytes, `${file} back`);
  }
});

test("the vmlinux base round-trips byte for byte and swaps to big-endian and back", async () => {
  const btf = await loadFixture("real/vmlinux-6.1.btf.xz");
  const bytes = writeBtf(btf);
  const reparsed = parseBtf(bytes, { validate: false });
  eq(writeBtf(reparsed), bytes);
  const be = writeBtf(btf, { endian: "big" });
  assert.equal(be.length, bytes.length);
  eq(be, swapEndian(bytes));
  eq(writeBtf(parseBtf(be, { validate: false }), { endian: "little" }), bytes);
});

test("writeBtf() defaults to the byte order the BTF came in", () => {
  const a = new BtfAsm();
  a.int("int", 4, 1);
  const be = parseBtf(a.bytes({ endian: "big" }));
  assert.deepEqual([...writeBtf(be).subarray(0, 2)], [0xeb, 0x9f]);
  const le = parseBtf(a.bytes({ endian: "little" }));
  assert.deepEqual([...writeBtf(le).subarray(0, 2)], [0x9f, 0xeb]);
  assert.deepEqual([...writeBtf(le, { endian: "big" }).subarray(0, 2)], [0xeb, 0x9f]);
});

test("writeBtf() closes gaps and drops trailing bytes: type_off 0, str_off = type_len", () => {
  const a = new BtfAsm();
  const int = a.int("int", 4, 1);
  a.ptr(int);
  const gappy = parseBtf(a.bytes({ gapBeforeTypes: 8, gapBeforeStrs: 12, trailing: [9, 9, 9] }));
  const out = writeBtf(gappy);
  eq(out, a.bytes());
  const h = parseHeader(out);
  assert.equal(h.typeOff, 0);
  assert.equal(h.strOff, h.typeLen);
});

test("writeBtf() keeps extra header bytes, version and flags", () => {
  const a = new BtfAsm();
  a.int("int", 4, 1);
  const x = a.bytes({ hdrExtra: [0, 0, 0, 0, 5, 6, 7, 8], hdr: { version: 3, flags: 2 } });
  const btf = parseBtf(x, { validate: false });
  const out = writeBtf(btf);
  eq(out, x);
  assert.equal(parseHeader(out).hdrLen, 32);
  assert.equal(out[2], 3);
  assert.equal(out[3], 2);
});

test("writeBtf() of a split BTF writes only its own types and strings", async () => {
  const base = await loadFixture("handmade/split-base.btf");
  const bytes = readFixture("handmade/split-mod.btf");
  const mod = parseBtf(bytes, { base });
  const out = writeBtf(mod);
  eq(out, bytes);
  assert.ok(out.length < writeBtf(base).length + bytes.length);
  const empty = parseBtf(readFixture("handmade/split-empty.btf"), { base });
  assert.equal(writeBtf(empty).length, 24);
});

test("writeBtf() reads words from an unaligned, opposite-endian source without corrupting them", () => {
  const a = new BtfAsm();
  const int = a.int("int", 4, 1);
  a.enum64("e", 8, [["A", -2n], ["B", 0x1234567890n]], true);
  a.ptr(int);
  const other = HOST_ENDIAN === "little" ? "big" : "little";
  const src = a.bytes({ endian: other });
  const buf = new Uint8Array(src.length + 1);
  buf.set(src, 1);
  const btf: Btf = parseBtf(buf.subarray(1));
  eq(writeBtf(btf), src);
  eq(writeBtf(btf, { endian: HOST_ENDIAN }), a.bytes({ endian: HOST_ENDIAN }));
  assert.equal(dumpJson(parseBtf(writeBtf(btf, { endian: HOST_ENDIAN }))), dumpJson(btf));
});

test("every manifest fixture survives write → parse with an identical dump", async () => {
  for (const e of manifest().fixtures) {
    if (e.digest) continue;
    const btf = await loadFixture(e.file, e.base, e.validate);
    for (const endian of ["little", "big"] as const) {
      // libbpf (and parseBtf) read an opposite-endian header only when it is 24 bytes long
      if (btf.hdrExtra.length && endian !== HOST_ENDIAN) continue;
      const back = parseBtf(writeBtf(btf, { endian }), { base: btf.base, validate: e.validate });
      assert.equal(dumpRaw(back), dumpRaw(btf), `${e.file} via ${endian}`);
    }
  }
});

test("writeBtf() in the opposite byte order drops zero extra header bytes and refuses non-zero ones", () => {
  const other = HOST_ENDIAN === "little" ? "big" : "little";
  const a = new BtfAsm();
  a.int("int", 4, 1);
  const zero = parseBtf(a.bytes({ hdrExtra: [0, 0, 0, 0, 0, 0, 0, 0] }), { validate: false });
  const swapped = writeBtf(zero, { endian: other });
  const back = parseBtf(swapped);
  assert.equal(back.endian, other);
  assert.equal(parseHeader(writeBtf(back)).hdrLen, 24);
  const nonzero = parseBtf(a.bytes({ hdrExtra: [0, 0, 0, 0, 5, 0, 0, 0] }), { validate: false });
  assert.throws(() => writeBtf(nonzero, { endian: other }), (e: unknown) => e instanceof BtfError && e.code === "UNSUPPORTED");
});
