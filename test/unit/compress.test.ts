/** Compressed inputs: xz / zstd / gzip detection and decoding, bzImage payloads, damage -> BtfError. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "fflate";
import { bzImagePayload, decompress, detectCompression } from "../../src/compress.js";
import { dumpRaw, extractBtfBytes, loadBtf } from "../../src/btf/index.js";
import { readFixture } from "../helpers/fixtures.js";
import { rejectsBtf, throwsBtf } from "../helpers/assert-btf.js";
import { zstdStored } from "../helpers/elf-asm.js";

const KINDS = readFixture("c/kinds.btf");
const RECORDS_O = readFixture("c/records.o");
const eq = (a: Uint8Array, b: Uint8Array, msg?: string) => assert.ok(Buffer.from(a).equals(Buffer.from(b)), msg ?? "bytes differ");

const FILES = [
  ["compressed/kinds.btf.xz", "xz", KINDS],
  ["compressed/kinds.btf.zst", "zstd", KINDS],
  ["compressed/kinds.btf.gz", "gzip", KINDS],
  ["compressed/records.o.xz", "xz", RECORDS_O],
  ["compressed/records.o.zst", "zstd", RECORDS_O],
  ["compressed/records.o.gz", "gzip", RECORDS_O],
] as const;

test("detectCompression() recognises xz, zstd and gzip by magic and nothing else", () => {
  for (const [f, fmt] of FILES) assert.equal(detectCompression(readFixture(f)), fmt, f);
  assert.equal(detectCompression(KINDS), undefined);
  assert.equal(detectCompression(RECORDS_O), undefined);
  assert.equal(detectCompression(new Uint8Array(0)), undefined);
  assert.equal(detectCompression(Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a)), undefined, "xz magic is 6 bytes");
  assert.equal(detectCompression(Uint8Array.of(0x1f, 0x8b, 7)), undefined, "gzip needs method 8 (deflate)");
});

test("decompress() restores the exact bytes of every compressed fixture", async () => {
  for (const [f, fmt, want] of FILES) eq(await decompress(readFixture(f), fmt), want, f);
});

test("decompress() of zstd accepts a frame of stored blocks, with or without the expected size", async () => {
  const z = zstdStored(KINDS);
  eq(await decompress(z, "zstd"), KINDS);
  eq(await decompress(z, "zstd", KINDS.length), KINDS);
  eq(await decompress(zstdStored(new Uint8Array(300000).fill(3)), "zstd"), new Uint8Array(300000).fill(3));
});

test("decompress() of zstd with a wrong size hint falls back to the checked decoder", async () => {
  eq(await decompress(zstdStored(KINDS), "zstd", 5), KINDS);
  eq(await decompress(zstdStored(KINDS), "zstd", KINDS.length * 2), KINDS);
});

for (const [f, fmt] of FILES.slice(0, 3)) {
  test(`decompress() turns corrupt or truncated ${fmt} data into a BtfError`, async () => {
    const good = readFixture(f);
    const corrupt = good.slice();
    for (let i = 20; i < corrupt.length - 8; i += 7) corrupt[i] ^= 0x5a;
    await rejectsBtf(decompress(corrupt, fmt), "MALFORMED", new RegExp(`corrupt ${fmt} data`));
    await rejectsBtf(decompress(good.subarray(0, Math.floor(good.length / 2)), fmt), "MALFORMED", new RegExp(`corrupt ${fmt} data`));
    await rejectsBtf(decompress(good.subarray(0, 7), fmt), "MALFORMED");
  });
}

test("extractBtfBytes() says where the BTF came from: raw, elf, compressed-elf", async () => {
  assert.equal((await extractBtfBytes(KINDS)).source, "raw");
  assert.equal((await extractBtfBytes(RECORDS_O)).source, "elf");
  for (const f of ["compressed/records.o.xz", "compressed/records.o.zst", "compressed/records.o.gz"]) {
    const r = await extractBtfBytes(readFixture(f));
    assert.equal(r.source, "compressed-elf");
    eq(r.bytes, readFixture("c/records.btf"));
  }
  for (const f of ["compressed/kinds.btf.xz", "compressed/kinds.btf.zst", "compressed/kinds.btf.gz"]) {
    const r = await extractBtfBytes(readFixture(f));
    assert.equal(r.source, "raw");
    eq(r.bytes, KINDS);
  }
});

test("extractBtfBytes() rejects compressed data that is neither BTF nor ELF, empty files and unknown data", async () => {
  await rejectsBtf(extractBtfBytes(gzipSync(new TextEncoder().encode("hello world"))), "MALFORMED", /gzip-compressed data is neither BTF nor ELF/);
  await rejectsBtf(extractBtfBytes(new Uint8Array(0)), "MALFORMED", /empty file/);
  await rejectsBtf(extractBtfBytes(new TextEncoder().encode("#!/bin/sh\necho hi\n")), "MALFORMED", /not BTF, ELF, a compressed module or a bzImage/);
});

/**
 * A minimal x86 boot image: setup header with "HdrS", payload_offset/length. As the
 * kernel build does, non-gzip payloads end with the 4-byte uncompressed size.
 */
function bzImage(payload: Uint8Array, opts: { setupSects?: number; len?: number; size?: number } = {}): Uint8Array {
  if (opts.size !== undefined) {
    const p = new Uint8Array(payload.length + 4);
    p.set(payload);
    new DataView(p.buffer).setUint32(payload.length, opts.size, true);
    payload = p;
  }
  const setup = opts.setupSects ?? 1;
  const start = ((setup || 4) + 1) * 512;
  const out = new Uint8Array(start + 64 + payload.length);
  out[0x1f1] = setup;
  out.set([0x48, 0x64, 0x72, 0x53], 0x202);
  const dv = new DataView(out.buffer);
  dv.setUint32(0x248, 64, true);
  dv.setUint32(0x24c, opts.len ?? payload.length, true);
  out.set(payload, start + 64);
  return out;
}

test("a bzImage with a gzip- or zstd-compressed vmlinux ELF yields the ELF's .BTF", async () => {
  for (const [payload, size] of [[gzipSync(RECORDS_O), undefined], [zstdStored(RECORDS_O), RECORDS_O.length]] as const) {
    for (const setupSects of [1, 0]) {
      const img = bzImage(payload, { setupSects, size });
      const p = bzImagePayload(img)!;
      eq(p.data, payload);
      assert.equal(p.size, size);
      const r = await extractBtfBytes(img);
      assert.equal(r.source, "bzimage");
      eq(r.bytes, readFixture("c/records.btf"));
      assert.equal(dumpRaw(await loadBtf(img)), Buffer.from(readFixture("c/records.raw.txt")).toString("utf8"));
    }
  }
});

test("bzImage damage: payload past the end, unknown compression, a payload that is not ELF", async () => {
  const gz = gzipSync(RECORDS_O);
  throwsBtf(() => bzImagePayload(bzImage(gz, { len: gz.length + 100 })), "MALFORMED", /bzImage payload .* past the end/);
  throwsBtf(() => bzImagePayload(bzImage(gz, { len: 0 })), "MALFORMED", /bzImage payload/);
  await rejectsBtf(extractBtfBytes(bzImage(new Uint8Array(100).fill(7))), "UNSUPPORTED", /bzImage payload compression not recognised/);
  await rejectsBtf(extractBtfBytes(bzImage(gzipSync(KINDS))), "MALFORMED", /bzImage payload is not an ELF vmlinux/);
  assert.equal(bzImagePayload(new Uint8Array(0x300)), undefined);
  assert.equal(bzImagePayload(KINDS), undefined);
});
