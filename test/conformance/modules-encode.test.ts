/**
 * `btfkit modules encode` on the whole Debian 6.1 -dbg module tree (1121 modules with
 * DWARF), split on the shipped 6.1 vmlinux BTF, against pahole 1.30 run per module with
 * `-J --btf_features=default --btf_base vmlinux.btf`: byte for byte.
 *
 * BTFKIT_MENC_EVERY=N compares every N-th module with pahole (default 1: all; pahole
 * takes ~70 s for all on 2 cores). btfkit always encodes the whole tree in one run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { CLI, ORACLE_BIN } from "../helpers/paths.js";
import { listModules } from "../../src/io/modules.js";
import { SKIP, kernelPath, mapPool, requirePaths, run } from "./helpers.js";

const EVERY = Math.max(1, Number(process.env.BTFKIT_MENC_EVERY ?? 1));

test("modules encode on the 6.1 -dbg tree equals pahole 1.30 module by module", { skip: SKIP, timeout: 1800_000 }, async () => {
  const dir = kernelPath("6.1-dbg", "modules");
  const base = kernelPath("6.1", "vmlinux.btf");
  const pahole = join(ORACLE_BIN, "pahole");
  requirePaths([dir, base, pahole]);
  const out = mkdtempSync(join(tmpdir(), "btfkit-menc-conf-"));
  const want = mkdtempSync(join(tmpdir(), "btfkit-menc-pahole-"));
  try {
    const t0 = Date.now();
    const r = await run(process.execPath, [CLI, "modules", "encode", dir, "--base", base, "--detached", out]);
    const secs = (Date.now() - t0) / 1000;
    assert.equal(r.code, 0, r.stdout.toString() + r.stderr.slice(-2000));
    const mods = listModules(dir).filter((_, i) => i % EVERY === 0);
    const t1 = Date.now();
    const diffs = (
      await mapPool(mods, 2, async (m, i) => {
        const rel = relative(dir, m).replace(/\.ko$/, ".btf");
        const f = join(want, `${i}.btf`);
        const p = await run(pahole, ["-J", "--btf_features=default", "--btf_base", base, `--btf_encode_detached=${f}`, m]);
        if (p.code !== 0) return `${rel}: pahole failed: ${p.stderr.slice(0, 200)}`;
        const a = readFileSync(join(out, rel));
        const b = readFileSync(f);
        return Buffer.compare(a, b) === 0 ? undefined : `${rel}: btfkit ${a.length} bytes, pahole ${b.length} bytes`;
      })
    ).filter((d): d is string => d !== undefined);
    assert.deepEqual(diffs.slice(0, 10), []);
    console.log(`# modules encode: ${mods.length} modules identical to pahole 1.30 (btfkit whole tree ${secs.toFixed(1)} s; pahole on the compared ones, 2 at a time, ${((Date.now() - t1) / 1000).toFixed(1)} s)`);
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(want, { recursive: true, force: true });
  }
});
