/**
 * `btfkit modules check` and `modules report` on whole shipped trees (6.1: .ko, 6.12:
 * .ko.xz), through the CLI: every module fits its own vmlinux, (nearly) every module fails
 * on the other kernel's, and the report's split bytes equal each module's .BTF section
 * size as readelf sees it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "../helpers/paths.js";
import { SKIP, kernelPath, requirePaths, run, mapPool } from "./helpers.js";

const TREES = [
  { name: "6.1", other: "6.12" },
  { name: "6.12", other: "6.1" },
] as const;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await run(process.execPath, [CLI, ...args]);
  return { code: r.code, out: r.stdout.toString(), err: r.stderr };
}

/** .BTF size of an ELF file by readelf (decompressing .ko.xz first). */
function readelfBtfSize(path: string, tmp: string): number {
  let file = path;
  if (path.endsWith(".xz")) {
    file = join(tmp, "m.ko");
    writeFileSync(file, execFileSync("xz", ["-dc", path], { maxBuffer: 1 << 30 }));
  }
  const out = execFileSync("readelf", ["-S", "-W", file], { encoding: "utf8" });
  const line = out.split("\n").find((l) => /\s\.BTF\s/.test(l));
  if (!line) return -1;
  // [Nr] Name Type Address Off Size ...
  const cols = line.replace(/^\s*\[\s*\d+\]\s*/, "").trim().split(/\s+/);
  return parseInt(cols[4]!, 16);
}

for (const t of TREES) {
  test(`modules check: every ${t.name} module fits the ${t.name} vmlinux, (nearly) none fits ${t.other}'s`, { skip: SKIP }, async () => {
    const dir = kernelPath(t.name, "modules");
    requirePaths([dir, kernelPath(t.name, "vmlinux.btf"), kernelPath(t.other, "vmlinux.btf")]);
    const own = await cli(["modules", "check", dir, "--base", kernelPath(t.name, "vmlinux.btf"), "--json"]);
    const j = JSON.parse(own.out);
    assert.equal(own.code, 0, own.out.slice(0, 2000));
    assert.ok(j.modules > 1000, `${j.modules} modules`);
    assert.equal(j.failed, 0);
    const crossed = await cli(["modules", "check", dir, "--base", kernelPath(t.other, "vmlinux.btf"), "--json"]);
    const c = JSON.parse(crossed.out);
    assert.equal(crossed.code, 1);
    assert.ok(c.failed >= c.modules * 0.99, `only ${c.failed} of ${c.modules} failed on the wrong base`);
    console.log(`# modules check ${t.name}: ${j.modules} fit their vmlinux; on ${t.other}'s, ${c.failed}/${c.modules} rejected`);
  });

  test(`modules report on ${t.name}: split bytes equal every module's .BTF size (readelf)`, { skip: SKIP }, async () => {
    const dir = kernelPath(t.name, "modules");
    requirePaths([dir, kernelPath(t.name, "vmlinux.btf")]);
    const r = await cli(["modules", "report", dir, "--base", kernelPath(t.name, "vmlinux.btf"), "--json"]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.skipped.length, 0);
    const tmp = mkdtempSync(join(tmpdir(), "btfkit-trees-"));
    try {
      const sizes = await mapPool(j.modules as { name: string; splitBytes: number }[], 2, async (m) => {
        const sub = mkdtempSync(join(tmp, "m"));
        return [m, readelfBtfSize(join(dir, m.name), sub)] as const;
      });
      const bad = sizes.filter(([m, s]) => m.splitBytes !== s);
      assert.deepEqual(bad.slice(0, 5).map(([m, s]) => `${m.name}: report ${m.splitBytes}, readelf ${s}`), []);
      const sum = sizes.reduce((a, [, s]) => a + s, 0);
      assert.equal(j.totals.splitBytes, sum);
      assert.ok(j.totals.aloneBytes > j.totals.splitBytes * 10);
      console.log(`# modules report ${t.name}: ${j.totals.modules} modules, split ${j.totals.splitBytes} bytes == readelf; alone (closure) ${j.totals.aloneBytes} bytes, ${j.totals.ratio.toFixed(1)}x`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
