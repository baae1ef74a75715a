/**
 * `modules report` by the DWARF method (src/io/modules-report.ts) on a small tree: a real
 * module with DWARF (crc7.ko.gz, Debian 6.1 cloud, from the -dbg package) and a module
 * with split BTF only (dm-flakey), on the 6.1 vmlinux BTF.
 *
 * Golden sizes of crc7, from pahole 1.30 (~/.cache/btf-oracle/bin/pahole):
 *
 *     gunzip -c test/fixtures/dwarf/obj/crc7.ko.gz > crc7.ko
 *     xz -dc test/fixtures/real/vmlinux-6.1.btf.xz > vmlinux-6.1.btf
 *     pahole -J --btf_features=default --btf_encode_detached=alone.btf crc7.ko
 *     pahole -J --btf_features=default --btf_base vmlinux-6.1.btf --btf_encode_detached=split.btf crc7.ko
 *
 * alone.btf: 45167 bytes, 748 types (bpftool btf dump: last id 748); split.btf: 128
 * bytes, 5 types (ids 95247..95251), the same bytes as test/fixtures/modules/crc7.pahole.btf.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openBtf } from "../../src/io/files.js";
import { reportModuleTree } from "../../src/io/modules-report.js";
import { formatReport, measureModule, summarizeReport, type ModuleSize } from "../../src/modules/report.js";
import { fixturePath, readFixture } from "../helpers/fixtures.js";
import { runCli } from "../helpers/cli.js";

const BASE = fixturePath("real/vmlinux-6.1.btf.xz");
const CRC7 = { name: "lib/crc7.ko.gz", splitTypes: 5, splitBytes: 128, aloneTypes: 748, aloneBytes: 45167, method: "dwarf" } as const;

const trees: string[] = [];
after(() => {
  for (const d of trees) rmSync(d, { recursive: true, force: true });
});

/** lib/crc7.ko.gz (DWARF and .BTF) and dm-flakey.ko (raw split BTF, no DWARF). */
function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), "btfkit-mrep-test-"));
  trees.push(dir);
  mkdirSync(join(dir, "lib"));
  copyFileSync(fixturePath("dwarf/obj/crc7.ko.gz"), join(dir, "lib", "crc7.ko.gz"));
  copyFileSync(fixturePath("real/dm-flakey.btf"), join(dir, "dm-flakey.ko"));
  return dir;
}

test("reportModuleTree(): DWARF method where there is DWARF (sizes equal pahole 1.30's), closure otherwise", async () => {
  const dir = tree();
  const seen: string[] = [];
  const r = await reportModuleTree(dir, { base: BASE, jobs: 1, onProgress: (p) => seen.push(`${p.done}/${p.total} ${p.name}`) });
  assert.equal(readFileSync(fixturePath("modules/crc7.pahole.btf")).length, CRC7.splitBytes);
  const flakey = await measureModule(await openBtf(BASE), "dm-flakey.ko", readFixture("real/dm-flakey.btf"));
  assert.deepEqual(r.modules, [flakey, CRC7]);
  assert.equal(flakey.method, "closure");
  assert.deepEqual(r.skipped, []);
  assert.equal(r.totals.method, "mixed");
  assert.deepEqual(r.totals.methods, { dwarf: 1, closure: 1 });
  assert.equal(r.totals.aloneBytes, CRC7.aloneBytes + flakey.aloneBytes);
  assert.equal(r.totals.splitBytes, CRC7.splitBytes + flakey.splitBytes);
  assert.deepEqual(seen.sort(), ["1/2 lib/crc7.ko.gz", "2/2 dm-flakey.ko"].sort());
});

test("reportModuleTree(): --method dwarf skips split-only modules, --method closure ignores DWARF", async () => {
  const dir = tree();
  const d = await reportModuleTree(dir, { base: BASE, jobs: 2, method: "dwarf" });
  assert.deepEqual(d.modules, [CRC7]);
  assert.deepEqual(d.skipped.map((s) => s.name), ["dm-flakey.ko"]);
  assert.match(d.skipped[0]!.reason, /no DWARF/);
  assert.equal(d.totals.method, "dwarf");
  const c = await reportModuleTree(dir, { base: BASE, jobs: 2, method: "closure" });
  assert.deepEqual(c.modules.map((m) => [m.name, m.method, m.splitBytes]), [
    ["dm-flakey.ko", "closure", 4279],
    ["lib/crc7.ko.gz", "closure", 128], // crc7's own .BTF, which pahole 1.30 reproduces
  ]);
  assert.equal(c.totals.method, "closure");
});

test("formatReport() names the method per module and in the totals, and says when they are mixed", () => {
  const flakey: ModuleSize = { name: "dm-flakey.ko", splitTypes: 112, splitBytes: 4279, aloneTypes: 7172, aloneBytes: 479752, method: "closure" };
  const mixed = formatReport(summarizeReport([flakey, { ...CRC7 }]));
  assert.match(mixed, /^lib\/crc7\.ko\.gz +5 +128 +748 +45167 +352\.9x +dwarf$/m);
  assert.match(mixed, /^dm-flakey\.ko .* closure$/m);
  assert.match(mixed, /^2 modules: 0\.52 MB deduplicated alone, 0\.00 MB split \(119\.1x smaller; mixed methods: 1 DWARF, 1 closure\)$/m);
  assert.match(mixed, /^non-split sizes: 1 module by the DWARF method \(.*without a base/m);
  assert.match(mixed, /^non-split sizes: 1 module by the closure method/m);
  const dwarf = formatReport(summarizeReport([{ ...CRC7 }]));
  assert.match(dwarf, /\(352\.9x smaller; DWARF method\)$/m);
  assert.match(dwarf, /^non-split sizes: DWARF method/m);
  assert.doesNotMatch(dwarf, /closure/);
  const empty = summarizeReport([]);
  assert.equal(empty.totals.method, "closure");
  assert.equal(empty.totals.ratio, 0);
});

test("btfkit modules report: JSON with each module's method and the totals' methods; text with the method line", async () => {
  const dir = tree();
  const res = await runCli(["modules", "report", dir, "--base", BASE, "--json", "-j", "2"]);
  assert.equal(res.code, 0, res.stderr);
  const j = JSON.parse(res.stdout.toString());
  assert.equal(j.method, "auto");
  assert.deepEqual(j.modules.map((m: ModuleSize) => [m.name, m.method]), [["dm-flakey.ko", "closure"], ["lib/crc7.ko.gz", "dwarf"]]);
  assert.deepEqual(j.modules[1], CRC7);
  assert.equal(j.totals.method, "mixed");
  assert.deepEqual(j.totals.methods, { dwarf: 1, closure: 1 });
  const text = await runCli(["modules", "report", dir, "--base", BASE, "--method", "dwarf"]);
  assert.equal(text.code, 0, text.stderr);
  const out = text.stdout.toString();
  assert.match(out, /^1 modules: 0\.05 MB deduplicated alone, 0\.00 MB split \(352\.9x smaller; DWARF method\)$/m);
  assert.match(out, /^non-split sizes: DWARF method/m);
  assert.match(out, /^skipped dm-flakey\.ko: no DWARF/m);
  assert.equal((await runCli(["modules", "report", dir, "--base", BASE, "--method", "pahole"])).code, 2);
  assert.equal((await runCli(["modules", "report", dir, "--base", BASE, "-j", "0"])).code, 2);
});
