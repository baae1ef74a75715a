/** `btfkit modules encode` on a small tree: a real gzip-compressed module with DWARF, and a broken one. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "fflate";
import { ElfFile } from "../../src/elf/elf.js";
import { encodeModules } from "../../src/io/modules-encode.js";
import { fixturePath } from "../helpers/fixtures.js";
import { runCli } from "../helpers/cli.js";

const BASE = fixturePath("real/vmlinux-6.1.btf.xz");
const GOLDEN = readFileSync(fixturePath("modules/crc7.pahole.btf"));

function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), "btfkit-menc-"));
  mkdirSync(join(dir, "lib"));
  copyFileSync(fixturePath("dwarf/obj/crc7.ko.gz"), join(dir, "lib", "crc7.ko.gz"));
  return dir;
}

test("encodeModules() writes detached split BTF equal to pahole 1.30's, from a .ko.gz", async () => {
  const dir = tree();
  const out = mkdtempSync(join(tmpdir(), "btfkit-menc-out-"));
  const seen: string[] = [];
  const res = await encodeModules(dir, { base: BASE, target: { kind: "detached", dir: out }, jobs: 1, onProgress: (p) => seen.push(p.name) });
  assert.deepEqual(res.map((r) => [r.name, r.ok]), [["lib/crc7.ko.gz", true]]);
  assert.deepEqual(seen, ["lib/crc7.ko.gz"]);
  assert.ok(Buffer.from(readFileSync(join(out, "lib", "crc7.btf"))).equals(GOLDEN));
  assert.equal(res[0]!.btfBytes, GOLDEN.length);
});

test("modules encode --out writes each module back compressed the same way, with the new .BTF", async () => {
  const dir = tree();
  const out = mkdtempSync(join(tmpdir(), "btfkit-menc-out-"));
  const r = await runCli(["modules", "encode", dir, "--base", BASE, "--out", out, "-j", "1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /^1 modules: 1 encoded/m);
  const elf = new ElfFile(gunzipSync(readFileSync(join(out, "lib", "crc7.ko.gz"))));
  assert.ok(Buffer.from(elf.sectionData(".BTF")).equals(GOLDEN));
});

test("modules encode reports a broken module, encodes the others, and exits 1", async () => {
  const dir = tree();
  writeFileSync(join(dir, "broken.ko"), readFileSync(fixturePath("real/dm-flakey.btf")).subarray(0, 64));
  const out = mkdtempSync(join(tmpdir(), "btfkit-menc-out-"));
  const r = await runCli(["modules", "encode", dir, "--base", BASE, "--detached", out, "-j", "2"]);
  assert.equal(r.code, 1);
  const lines = r.stdout.toString().trim().split("\n");
  assert.match(lines[0]!, /^broken\.ko: /);
  assert.match(lines[1]!, /2 modules: 1 encoded .* 1 failed/);
  assert.ok(existsSync(join(out, "lib", "crc7.btf")));
  assert.ok(!existsSync(join(out, "broken.btf")));
});

test("encodeModules() reports a module whose output cannot be written as failed, with the reason", async () => {
  const dir = tree();
  const out = mkdtempSync(join(tmpdir(), "btfkit-menc-out-"));
  writeFileSync(join(out, "lib"), "a file where the module's directory must go");
  const res = await encodeModules(dir, { base: BASE, target: { kind: "detached", dir: out }, jobs: 1 });
  assert.equal(res.length, 1);
  assert.equal(res[0]!.ok, false);
  assert.match(res[0]!.reason ?? "", /cannot write|EEXIST|ENOTDIR/);
  assert.equal(res[0]!.btfBytes, undefined);
});

test("modules encode needs a base and exactly one target", async () => {
  const dir = tree();
  assert.equal((await runCli(["modules", "encode", dir, "--detached", "/tmp/x"])).code, 2);
  assert.equal((await runCli(["modules", "encode", dir, "--base", BASE])).code, 2);
  assert.equal((await runCli(["modules", "encode", dir, "--base", BASE, "--in-place", "--detached", "/tmp/x"])).code, 2);
});
