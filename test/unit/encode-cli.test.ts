/**
 * `btfkit encode`: the three outputs (raw BTF, a new ELF, in place), --base,
 * --no-dedup, --features, -j, and failures that print one line, exit 1 and write
 * nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ElfFile } from "../../src/index.js";
import { CLI, FIXTURES } from "../helpers/paths.js";

const dir = mkdtempSync(join(tmpdir(), "btfkit-encode-cli-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const OBJ = join(FIXTURES, "encode", "obj");
const GOLD = join(FIXTURES, "encode", "golden");
const btfkit = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const out = (name: string): string => join(dir, name);

test("encode CLI: -o writes pahole's raw BTF", () => {
  for (const j of ["1", "2"]) {
    const o = out(`funcs.${j}.btf`);
    const r = btfkit("encode", join(OBJ, "funcs-gcc-O2-dw5.o"), "-o", o, "-j", j);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout + r.stderr, "");
    assert.deepEqual(bytes(o), bytes(join(GOLD, "funcs-gcc-O2-dw5.btf")));
  }
});

test("encode CLI: -j2 runs one after another never abort V8 (bin/btfkit.js sets its JIT flags first)", () => {
  // Set once the command had started, V8's inlining budgets aborted 1 to 4 of this
  // file's encode runs (a compile job saw them change): 12 runs, each with its checks.
  for (let i = 0; i < 12; i++) {
    const o = out(`again.${i}.btf`);
    const r = btfkit("encode", join(OBJ, "funcs-gcc-O2-dw5.o"), "--base", join(GOLD, "funcs-gcc-O0-dw5.btf"), "-o", o, "-j", "2");
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(bytes(o), bytes(join(GOLD, "split-funcs-gcc-O2-dw5.btf")));
  }
});

test("encode CLI: --no-dedup writes the BTF pahole hands to btf__dedup", () => {
  const o = out("pre.btf");
  const r = btfkit("encode", join(OBJ, "types-clang-O2-dw5.o"), "--no-dedup", "-o", o);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(bytes(o), bytes(join(GOLD, "types-clang-O2-dw5.in.btf")));
});

test("encode CLI: --base makes split BTF, --features selects pahole features", () => {
  const o = out("split.btf");
  let r = btfkit("encode", join(OBJ, "funcs-gcc-O2-dw5.o"), "--base", join(GOLD, "funcs-gcc-O0-dw5.btf"), "-o", o);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(bytes(o), bytes(join(GOLD, "split-funcs-gcc-O2-dw5.btf")));
  const f = out("features.btf");
  r = btfkit("encode", join(OBJ, "funcs-gcc-O2-dw5.o"), "--features", "+global_var", "-o", f);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(bytes(f), bytes(join(GOLD, "funcs-gcc-O2-dw5@+global_var.btf")));
  r = btfkit("encode", join(OBJ, "funcs-gcc-O2-dw5.o"), "--features", "var,nonsense", "-o", f);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /unknown BTF feature 'nonsense'/);
});

test("encode CLI: --output writes a copy of the ELF with .BTF; --in-place replaces the file", () => {
  const src = join(OBJ, "types-gcc-O0-dw5.o");
  const copy = out("copy.o");
  let r = btfkit("encode", src, "--output", copy);
  assert.equal(r.status, 0, r.stderr);
  const want = bytes(join(GOLD, "types-gcc-O0-dw5.btf"));
  assert.deepEqual(new ElfFile(bytes(copy)).sectionData(".BTF"), want);
  const inPlace = out("inplace.o");
  copyFileSync(src, inPlace);
  r = btfkit("encode", inPlace, "--in-place");
  assert.equal(r.status, 0, r.stderr);
  const elf = new ElfFile(bytes(inPlace));
  assert.deepEqual(elf.sectionData(".BTF"), want);
  // The DWARF is untouched: encoding the result again gives the same BTF.
  r = btfkit("encode", inPlace, "--in-place");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(new ElfFile(bytes(inPlace)).sectionData(".BTF"), want);
});

test("encode CLI: failures print one line, exit 1 and write nothing", () => {
  const before = readdirSync(dir).length;
  const cases: [string[], RegExp][] = [
    [["encode", join(dir, "missing.o"), "-o", out("x.btf")], /^btfkit: .*missing\.o: .*\n$/],
    [["encode", join(FIXTURES, "elf", "nobtf.o"), "-o", out("x.btf")], /^btfkit: .*nobtf\.o: no DWARF debug information.*\n$/],
    [["encode", join(OBJ, "atomic-gcc.o"), "-o", out("x.btf")], /^btfkit: .*atomic-gcc\.o: unsupported DW_TAG 0x47.*\n$/],
    [["encode", join(GOLD, "pahole.rc"), "-o", out("x.btf")], /^btfkit: .*pahole\.rc: not an ELF file.*\n$/],
    [["encode", join(OBJ, "skeleton-gcc.o"), "-o", out("x.btf")], /^btfkit: .*skeleton-gcc\.o: no types to encode.*\n$/],
  ];
  for (const [args, msg] of cases) {
    const r = btfkit(...args);
    assert.equal(r.status, 1, args.join(" "));
    assert.equal(r.stdout, "");
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  assert.equal(readdirSync(dir).length, before);
  assert.ok(!existsSync(out("x.btf")));
});

test("encode CLI: usage errors exit 2", () => {
  for (const args of [
    ["encode", join(OBJ, "types-gcc-O0-dw5.o")],
    ["encode", join(OBJ, "types-gcc-O0-dw5.o"), "-o", out("a"), "--in-place"],
    ["encode", join(OBJ, "types-gcc-O0-dw5.o"), "-o", out("a"), "-j", "0"],
    ["encode", "-o", out("a")],
  ]) {
    const r = btfkit(...args);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, /^btfkit: /);
  }
  const r = btfkit("encode", "--help");
  assert.equal(r.status, 0);
  assert.match(r.stdout, /usage: btfkit encode ELF/);
});
