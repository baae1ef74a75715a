/**
 * `btfkit modules report` on whole Debian 6.1 cloud trees, through the CLI:
 *
 * - the -dbg tree (1121 modules with DWARF), `--method dwarf`: every module's split and
 *   non-split sizes (bytes and types) equal pahole 1.30's outputs for it, and the
 *   totals are the issue's figures (168.2 MB non-split, 8.71 MB split);
 * - the shipped tree (split BTF only, no DWARF), default method: every module by the
 *   closure method, with the same figures as the in-process `reportModules`, split
 *   bytes equal to each module's .BTF section (trees.test.ts checks them with readelf).
 *
 * pahole references (cached; scripts/test-all.sh makes both):
 *   split      ~/.cache/btfkit/spy/modules/REL/out.btf (scripts/spy-capture.sh modules:
 *              pahole -J --btf_features=default --btf_base 6.1/vmlinux.btf MODULE.ko)
 *   non-split  ~/.cache/btfkit/pahole-1.30/modules-alone/REL.btf
 *              (scripts/pahole-alone-cache.sh: the same without --btf_base)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import { parseBtf } from "../../src/btf/parse.js";
import { ElfFile } from "../../src/elf/elf.js";
import { readElfSections } from "../../src/io/elf-sparse.js";
import { openBtf } from "../../src/io/files.js";
import { listModules, moduleInputs } from "../../src/io/modules.js";
import { reportModules, type ModuleSize } from "../../src/modules/report.js";
import { CLI } from "../helpers/paths.js";
import { Failures, SKIP, kernelPath, requirePaths, run } from "./helpers.js";

const SPY = process.env.BTFKIT_SPY ?? join(homedir(), ".cache", "btfkit", "spy");
const ALONE = join(process.env.BTFKIT_PAHOLE_CACHE ?? join(homedir(), ".cache", "btfkit", "pahole-1.30"), "modules-alone");
const BASE = kernelPath("6.1", "vmlinux.btf");

interface ReportJson {
  base: string;
  method: string;
  modules: ModuleSize[];
  skipped: { name: string; reason: string }[];
  totals: { modules: number; splitBytes: number; aloneBytes: number; splitTypes: number; aloneTypes: number; method: string; methods: { dwarf: number; closure: number } };
}

async function report(args: string[]): Promise<{ j: ReportJson; secs: number }> {
  const t0 = Date.now();
  const r = await run(process.execPath, [CLI, "modules", "report", ...args, "--json"]);
  const secs = (Date.now() - t0) / 1000;
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  return { j: JSON.parse(r.stdout.toString()) as ReportJson, secs };
}

const within = (x: number, want: number, rel: number) => Math.abs(x - want) <= want * rel;

test("modules report --method dwarf on the 6.1 -dbg tree: every module's sizes equal pahole 1.30's, with and without --btf_base", { skip: SKIP, timeout: 1800_000 }, async () => {
  const dir = kernelPath("6.1-dbg", "modules");
  requirePaths([dir, BASE]);
  const mods = listModules(dir).map((p) => relative(dir, p).replace(/\.ko$/, ""));
  const missing = mods.filter((m) => !existsSync(join(SPY, "modules", m, "out.btf")) || !existsSync(join(ALONE, `${m}.btf`)));
  if (missing.length)
    throw new Error(
      `pahole references missing for ${missing.length} modules (e.g. ${missing[0]}): run scripts/spy-capture.sh modules and scripts/pahole-alone-cache.sh (scripts/test-all.sh runs both)`,
    );
  const { j, secs } = await report([dir, "--base", BASE, "--method", "dwarf", "-j", "2"]);
  assert.deepEqual(j.skipped, []);
  assert.equal(j.method, "dwarf");
  const base = await openBtf(BASE, { validate: false });
  const byName = new Map(j.modules.map((m) => [m.name.replace(/\.ko$/, ""), m]));
  const fails = new Failures();
  for (const m of mods) {
    const r = byName.get(m);
    if (!r) {
      fails.add(`${m}: not in the report`);
      continue;
    }
    const split = readFileSync(join(SPY, "modules", m, "out.btf"));
    const alone = readFileSync(join(ALONE, `${m}.btf`));
    const want = { method: "dwarf", splitBytes: split.length, splitTypes: parseBtf(split, { base, validate: false }).nrTypes, aloneBytes: alone.length, aloneTypes: parseBtf(alone, { validate: false }).nrTypes };
    const got = { method: r.method, splitBytes: r.splitBytes, splitTypes: r.splitTypes, aloneBytes: r.aloneBytes, aloneTypes: r.aloneTypes };
    if (JSON.stringify(got) !== JSON.stringify(want)) fails.add(`${m}: btfkit ${JSON.stringify(got)}, pahole ${JSON.stringify(want)}`);
  }
  assert.equal(fails.items.length, 0, fails.report("modules differ from pahole 1.30", mods.length));
  const t = j.totals;
  assert.equal(t.modules, 1121);
  assert.equal(t.method, "dwarf");
  assert.deepEqual(t.methods, { dwarf: 1121, closure: 0 });
  assert.ok(within(t.aloneBytes, 168.2e6, 0.01), `non-split ${t.aloneBytes} bytes, want 168.2 MB ± 1%`);
  assert.ok(within(t.splitBytes, 8.71e6, 0.01), `split ${t.splitBytes} bytes, want 8.71 MB ± 1%`);
  console.log(
    `# modules report 6.1-dbg (dwarf, -j 2, ${secs.toFixed(1)} s): ${t.modules} modules, non-split ${t.aloneBytes} bytes (${(t.aloneBytes / 1e6).toFixed(1)} MB), split ${t.splitBytes} bytes (${(t.splitBytes / 1e6).toFixed(2)} MB); each equal to pahole 1.30's`,
  );
});

test("modules report on the shipped 6.1 tree (split BTF only): the closure method, split bytes = .BTF sizes, as reportModules()", { skip: SKIP, timeout: 600_000 }, async () => {
  const dir = kernelPath("6.1", "modules");
  requirePaths([dir, BASE]);
  const { j, secs } = await report([dir, "--base", BASE]);
  assert.deepEqual(j.skipped, []);
  assert.equal(j.totals.method, "closure");
  assert.deepEqual(j.totals.methods, { dwarf: 0, closure: j.totals.modules });
  assert.ok(j.totals.modules > 1000);
  const fails = new Failures();
  for (const m of j.modules) {
    const elf = new ElfFile(await readElfSections(join(dir, m.name), (s) => s.name === ".BTF"));
    const size = elf.section(".BTF")?.size ?? -1;
    if (m.method !== "closure" || m.splitBytes !== size) fails.add(`${m.name}: ${m.method}, split ${m.splitBytes} bytes, .BTF ${size}`);
  }
  assert.equal(fails.items.length, 0, fails.report("modules", j.modules.length));
  // The worker pool gives what the platform-neutral closure report gives.
  const lib = await reportModules(await openBtf(BASE), moduleInputs(dir));
  assert.deepEqual(j.modules, lib.modules);
  assert.deepEqual(j.totals, lib.totals);
  console.log(`# modules report 6.1 (closure, ${secs.toFixed(1)} s): ${j.totals.modules} modules, split ${j.totals.splitBytes} bytes == .BTF sizes, alone ${j.totals.aloneBytes} bytes`);
});
