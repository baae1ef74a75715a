/** Module trees: check and report on the real 6.1 sample (two modules on the 6.1 vmlinux). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, copyFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeBtf } from "../../src/btf/write.js";
import { parseBtf } from "../../src/btf/parse.js";
import { dedup } from "../../src/btf/dedup/index.js";
import { openBtf } from "../../src/io/files.js";
import { moduleInputs } from "../../src/io/modules.js";
import { checkModules } from "../../src/modules/check.js";
import { baseClosure, standaloneBtf, standaloneSize } from "../../src/modules/closure.js";
import { formatReport, reportModules } from "../../src/modules/report.js";
import { fixturePath, readFixture } from "../helpers/fixtures.js";
import { runCli } from "../helpers/cli.js";

const BASE = fixturePath("real/vmlinux-6.1.btf.xz");
const MODS = ["dm-flakey", "nf_dup_netdev"];

/** A module tree: the two real modules, one of them nested, plus a file that is no module. */
function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), "btfkit-mods-"));
  mkdirSync(join(dir, "drivers", "md"), { recursive: true });
  copyFileSync(fixturePath("real/dm-flakey.btf"), join(dir, "drivers", "md", "dm-flakey.ko"));
  copyFileSync(fixturePath("real/nf_dup_netdev.btf"), join(dir, "nf_dup_netdev.ko"));
  writeFileSync(join(dir, "README"), "not a module");
  return dir;
}

test("moduleInputs() lists .ko files recursively, sorted, named relative to the tree", () => {
  const dir = tree();
  assert.deepEqual(moduleInputs(dir).map((m) => m.name), ["drivers/md/dm-flakey.ko", "nf_dup_netdev.ko"]);
});

test("checkModules() accepts modules on their own vmlinux and names the one that is corrupt", async () => {
  const dir = tree();
  const bad = readFixture("real/dm-flakey.btf").slice(0, 100);
  writeFileSync(join(dir, "broken.ko"), bad);
  const base = await openBtf(BASE);
  const seen: number[] = [];
  const res = await checkModules(base, moduleInputs(dir), { onProgress: (p) => seen.push(p.done) });
  assert.deepEqual(res.map((r) => [r.name, r.ok]), [["broken.ko", false], ["drivers/md/dm-flakey.ko", true], ["nf_dup_netdev.ko", true]]);
  assert.match(res[0]!.reason!, /past the end|truncated|malformed/i);
  assert.deepEqual(seen.sort((a, b) => a - b), [1, 2, 3]);
});

test("checkModules() rejects every module on a base it was not built for", async () => {
  const dir = tree();
  // The first module's own BTF as a stand-in for "another kernel": the modules reference ids and
  // strings far beyond it.
  const wrong = parseBtf(readFixture("handmade/split-base.btf"));
  const res = await checkModules(wrong, moduleInputs(dir));
  assert.equal(res.filter((r) => r.ok).length, 0);
  for (const r of res) assert.match(r.reason!, /does not fit this base/);
});

test("standaloneSize() equals the size of the deduplicated closure, computed or not", async () => {
  const base = await openBtf(BASE);
  for (const m of MODS) {
    const split = parseBtf(readFixture(`real/${m}.btf`), { base });
    const fast = standaloneSize(split);
    const full = writeBtf(standaloneBtf(split));
    assert.equal(fast.totalBytes, full.length, m);
    const ids = baseClosure(split);
    assert.ok(ids.length > 0 && ids.every((id, i) => id < split.startId && (i === 0 || ids[i - 1]! < id)));
  }
});

test("standaloneBtf() is a non-split BTF that dedup leaves unchanged and that contains every split type", async () => {
  const base = await openBtf(BASE);
  const split = parseBtf(readFixture("real/dm-flakey.btf"), { base });
  const alone = standaloneBtf(split);
  assert.equal(alone.base, undefined);
  const bytes = writeBtf(alone);
  const again = writeBtf(dedup(parseBtf(bytes)));
  assert.ok(Buffer.from(again).equals(Buffer.from(bytes)));
  assert.ok(alone.nrTypes >= split.nrTypes + baseClosure(split).length - 5);
});

test("reportModules() gives split bytes equal to each module's .BTF size and totals that add up", async () => {
  const dir = tree();
  const base = await openBtf(BASE);
  const r = await reportModules(base, moduleInputs(dir));
  assert.equal(r.modules.length, 2);
  for (const m of r.modules) {
    const file = m.name.includes("flakey") ? "real/dm-flakey.btf" : "real/nf_dup_netdev.btf";
    assert.equal(m.splitBytes, readFixture(file).length);
    assert.ok(m.aloneBytes > m.splitBytes);
  }
  assert.equal(r.totals.splitBytes, r.modules[0]!.splitBytes + r.modules[1]!.splitBytes);
  assert.equal(r.totals.aloneBytes, r.modules[0]!.aloneBytes + r.modules[1]!.aloneBytes);
  const text = formatReport(r);
  assert.match(text, /2 modules: .* MB deduplicated alone, .* MB split/);
  assert.match(text, /closure method/);
});

test("btfkit modules check exits 0 on a good tree and 1 with one line per bad module", async () => {
  const dir = tree();
  const ok = await runCli(["modules", "check", dir, "--base", BASE]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout.toString(), /^2 modules: 2 fit, 0 do not fit/m);
  writeFileSync(join(dir, "zz-empty.ko"), new Uint8Array(0));
  const bad = await runCli(["modules", "check", dir, "--base", BASE]);
  assert.equal(bad.code, 1);
  const lines = bad.stdout.toString().trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^zz-empty\.ko: empty file/);
  const json = await runCli(["modules", "check", dir, "--base", BASE, "--json"]);
  assert.equal(JSON.parse(json.stdout.toString()).failed, 1);
});

test("btfkit modules report prints a table and JSON with totals", async () => {
  const dir = tree();
  const res = await runCli(["modules", "report", dir, "--base", BASE, "--json"]);
  assert.equal(res.code, 0, res.stderr);
  const j = JSON.parse(res.stdout.toString());
  assert.equal(j.totals.modules, 2);
  assert.equal(j.modules[0].method, "closure");
  const usage = await runCli(["modules", "report", dir]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /needs --base/);
});
