/** Node file helpers: openBtf() with bases, errors tagged with the file at fault, atomic writes. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileError, inFile, isSysfsModule, openBtf, writeAtomic } from "../../src/io/files.js";
import { BtfError } from "../../src/internal/errors.js";
import { dumpRaw } from "../../src/btf/index.js";
import { fixturePath, loadFixture } from "../helpers/fixtures.js";

const TMP = mkdtempSync(join(tmpdir(), "btfkit-io-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

async function fileError(p: Promise<unknown>): Promise<FileError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FileError, `a FileError, got ${String(e)}`);
    assert.ok(e.error instanceof BtfError);
    return e;
  }
  assert.fail("expected a FileError");
}

test("openBtf() opens raw, ELF and compressed files", async () => {
  const want = readFileSync(fixturePath("c/kinds.raw.txt"), "utf8");
  for (const f of ["c/kinds.btf", "c/kinds.o", "compressed/kinds.btf.gz", "elf/kinds.zlib.o"]) assert.equal(dumpRaw(await openBtf(fixturePath(f))), want, f);
});

test("openBtf() opens split BTF on a base given as a path or as a Btf", async () => {
  const want = readFileSync(fixturePath("handmade/split-mod.raw.txt"), "utf8");
  const mod = fixturePath("handmade/split-mod.btf");
  assert.equal(dumpRaw(await openBtf(mod, { base: fixturePath("handmade/split-base.btf") })), want);
  assert.equal(dumpRaw(await openBtf(mod, { base: await loadFixture("handmade/split-base.btf") })), want);
});

test("openBtf() errors name the file at fault: the module, or the base", async () => {
  const missing = join(TMP, "missing.btf");
  const e1 = await fileError(openBtf(missing));
  assert.equal(e1.file, missing);
  assert.equal(e1.error.code, "IO");
  assert.equal(e1.error.message, "no such file");
  const e2 = await fileError(openBtf(TMP));
  assert.equal(e2.error.message, "is a directory");
  const garbage = join(TMP, "garbage.btf");
  writeFileSync(garbage, "garbage");
  const e3 = await fileError(openBtf(fixturePath("handmade/split-mod.btf"), { base: garbage }));
  assert.equal(e3.file, garbage);
  const e4 = await fileError(openBtf(fixturePath("handmade/split-mod.btf")));
  assert.equal(e4.file, fixturePath("handmade/split-mod.btf"));
  assert.match(e4.message, /split-mod\.btf: .*base/);
  const e5 = await fileError(openBtf(fixturePath("handmade/ints-unknown.btf")));
  assert.equal(e5.error.code, "INVALID");
  await openBtf(fixturePath("handmade/ints-unknown.btf"), { validate: false });
});

test("inFile() tags BtfErrors with the file and lets other errors through", async () => {
  const e = await fileError(inFile("x.btf", async () => { throw new BtfError("MALFORMED", "bad"); }));
  assert.equal(e.message, "x.btf: bad");
  await assert.rejects(inFile("x.btf", async () => { throw new TypeError("boom"); }), TypeError);
  assert.equal(await inFile("x.btf", async () => 5), 5);
});

test("isSysfsModule() is true only for files directly in /sys/kernel/btf other than vmlinux", () => {
  assert.ok(isSysfsModule("/sys/kernel/btf/nf_tables"));
  assert.ok(!isSysfsModule("/sys/kernel/btf/vmlinux"));
  assert.ok(!isSysfsModule("/sys/kernel/btf/sub/mod"));
  assert.ok(!isSysfsModule("/sys/kernel/btfx/mod"));
  assert.ok(!isSysfsModule("/tmp/nf_tables"));
});

test("writeAtomic() writes the data, replaces an existing file, and leaves no temp file", async () => {
  const p = join(TMP, "out.btf");
  await writeAtomic(p, Uint8Array.of(1, 2, 3));
  assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
  await writeAtomic(p, Uint8Array.of(4));
  assert.deepEqual([...readFileSync(p)], [4]);
  assert.deepEqual(readdirSync(TMP).filter((f) => f.endsWith(".tmp")), []);
});

test("writeAtomic() into a missing directory throws BtfError IO and leaves the target alone", async () => {
  await assert.rejects(writeAtomic(join(TMP, "no", "such", "dir.btf"), Uint8Array.of(1)), (e: unknown) => e instanceof BtfError && e.code === "IO" && /cannot write/.test(e.message));
  const p = join(TMP, "keep.btf");
  writeFileSync(p, "old");
  await assert.rejects(writeAtomic(join(p, "child"), Uint8Array.of(1)), BtfError);
  assert.equal(readFileSync(p, "utf8"), "old");
});
