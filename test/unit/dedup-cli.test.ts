/**
 * `btfkit dedup` and `btfkit merge`: output equal to the library's, options, and failures
 * that print one line, exit 1 and write nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addBtf, dedup, dumpRaw, newBtf, parseBtf, writeBtf } from "../../src/index.js";
import { CLI } from "../helpers/paths.js";
import { genCase } from "../dedup/gen.js";
import { assemble, R } from "../dedup/raw.js";

const dir = mkdtempSync(join(tmpdir(), "btfkit-dedup-cli-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const path = (name: string): string => join(dir, name);
const put = (name: string, bytes: Uint8Array): string => {
  writeFileSync(path(name), bytes);
  return path(name);
};
const btfkit = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
const lines = (btf: ReturnType<typeof parseBtf>): string[] => dumpRaw(btf).split("\n").filter((l) => l.startsWith("["));
const parse = (bytes: Uint8Array, base?: Uint8Array) =>
  parseBtf(bytes, { validate: false, base: base ? parseBtf(base, { validate: false }) : undefined });

const plain = genCase(11, "plain");
const split = genCase(12, "split-raw");

test("dedup CLI: writes what the library's dedup gives", () => {
  const out = path("plain.out");
  const r = btfkit("dedup", put("plain.in", plain.input), "-o", out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout + r.stderr, "");
  assert.deepEqual(new Uint8Array(readFileSync(out)), writeBtf(dedup(parse(plain.input))));
});

test("dedup CLI: --base deduplicates split BTF against its base", () => {
  const out = path("split.out");
  const r = btfkit("dedup", put("split.in", split.input), "--base", put("split.base", split.base!), "-o", out);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(new Uint8Array(readFileSync(out)), writeBtf(dedup(parse(split.input, split.base))));
});

test("dedup CLI: --endian big writes big-endian BTF with the same types", () => {
  const out = path("big.out");
  const r = btfkit("dedup", put("big.in", plain.input), "-o", out, "--endian", "big");
  assert.equal(r.status, 0, r.stderr);
  const bytes = new Uint8Array(readFileSync(out));
  assert.deepEqual([bytes[0], bytes[1]], [0xeb, 0x9f]);
  assert.equal(dumpRaw(parse(bytes)), dumpRaw(dedup(parse(plain.input))));
});

test("dedup CLI: input that is not BTF: one line, exit 1, no output", () => {
  const out = path("never.out");
  const r = btfkit("dedup", put("junk.in", new TextEncoder().encode("hello, world\n")), "-o", out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^btfkit: .*junk\.in: .+\n$/);
  assert.equal(r.stderr.split("\n").length, 2, "exactly one line");
  assert.equal(existsSync(out), false);
});

test("dedup CLI: BTF libbpf cannot deduplicate: one line naming the input, exit 1, no output", () => {
  const out = path("never2.out");
  const loop = assemble([R.int(1, 4), R.konst(3), R.volatile(2)], "\0int");
  const r = btfkit("dedup", put("loop.in", loop), "-o", out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^btfkit: .*loop\.in: dedup: loop of reference types \(type \[\d+\]\)\n$/);
  assert.equal(existsSync(out), false);
});

test("dedup CLI: an existing output is left alone when dedup fails", () => {
  const out = put("keep.out", new Uint8Array([1, 2, 3]));
  const r = btfkit("dedup", path("does-not-exist.in"), "-o", out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^btfkit: .*does-not-exist\.in: no such file\n$/);
  assert.deepEqual(new Uint8Array(readFileSync(out)), new Uint8Array([1, 2, 3]));
});

test("dedup CLI: usage errors exit 2; --help prints the usage", () => {
  assert.equal(btfkit("dedup", put("u.in", plain.input)).status, 2, "no -o");
  assert.equal(btfkit("dedup", "-o", path("x")).status, 2, "no IN");
  assert.equal(btfkit("dedup", put("u2.in", plain.input), "-o", path("x"), "--endian", "middle").status, 2);
  const h = btfkit("dedup", "--help");
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^usage: btfkit dedup IN/);
});

test("merge CLI: appends the inputs in order, as addBtf does", () => {
  const a = genCase(21, "plain").input;
  const b = genCase(22, "plain").input;
  const out = path("merged.out");
  const r = btfkit("merge", "-o", out, put("a.in", a), put("b.in", b));
  assert.equal(r.status, 0, r.stderr);
  const want = newBtf();
  addBtf(want, parse(a));
  addBtf(want, parse(b));
  assert.deepEqual(new Uint8Array(readFileSync(out)), writeBtf(want));
});

test("merge CLI: --dedup deduplicates the merged BTF, keeping its merged strings", () => {
  const a = genCase(23, "plain").input;
  const out = path("merged-dedup.out");
  const r = btfkit("merge", "--dedup", "-o", out, put("c.in", a), put("d.in", a));
  assert.equal(r.status, 0, r.stderr);
  const want = newBtf();
  addBtf(want, parse(a));
  addBtf(want, parse(a));
  dedup(want);
  const got = new Uint8Array(readFileSync(out));
  assert.deepEqual(got, writeBtf(want));
  // Everything but VARs and DATASECs (never merged) exists once.
  const once = dedup(parse(a));
  const varsAndSecs = lines(once).filter((l) => / (VAR|DATASEC) /.test(l)).length;
  assert.equal(parse(got).nrTypes, once.nrTypes + varsAndSecs);
});

test("merge CLI: --base merges split inputs on one base into split BTF", () => {
  const s1 = genCase(31, "split-deduped");
  const out = path("merged-split.out");
  const base = put("ms.base", s1.base!);
  const r = btfkit("merge", "--base", base, "-o", out, put("ms1.in", s1.input), put("ms2.in", s1.input), "--dedup");
  assert.equal(r.status, 0, r.stderr);
  const base0 = parse(s1.base!);
  const want = newBtf({ base: base0 });
  addBtf(want, parseBtf(s1.input, { validate: false, base: base0 }));
  addBtf(want, parseBtf(s1.input, { validate: false, base: base0 }));
  dedup(want);
  assert.deepEqual(new Uint8Array(readFileSync(out)), writeBtf(want));
  const once = dedup(parse(s1.input, s1.base));
  const varsAndSecs = lines(once).filter((l) => / (VAR|DATASEC) /.test(l)).length;
  assert.equal(want.nrTypes, once.nrTypes + varsAndSecs, "the second copy adds only its VARs and DATASECs");
});

test("merge CLI: a bad input: one line, exit 1, no output", () => {
  const out = path("never3.out");
  const r = btfkit("merge", "-o", out, put("ok.in", plain.input), put("bad.in", new Uint8Array([0x9f, 0xeb, 1])));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^btfkit: .*bad\.in: .+\n$/);
  assert.equal(existsSync(out), false);
  assert.equal(btfkit("merge", "-o", out).status, 2, "no inputs");
});
