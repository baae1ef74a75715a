/**
 * Dedup of real kernel BTF: what pahole 1.30 handed to libbpf's btf__dedup for the
 * Debian 6.1 kernel (captured by scripts/spy-capture.sh), deduplicated by btfkit, must
 * equal what libbpf returned, byte for byte.
 *
 *   scripts/spy-capture.sh            # once: vmlinux + all 1121 modules (~3 min)
 *   node --test dist/test/dedup/real.test.js
 *
 * pahole builds its BTF with libbpf's writer API, so libbpf keeps its string section
 * as it is (the "strings deduplicated" flag); the captured input, read back from a
 * file, needs dedup's `stringsDeduped` option to be treated the same. With btfref
 * present, a sample is also deduplicated the ordinary way (strings rebuilt) and
 * compared with `btfref dedup` on the same file.
 *
 * BTFKIT_REAL_MODULES: how many modules, evenly spread over the sorted list (default
 * 150; "all" for every captured module). BTFKIT_REAL_BTFREF: how many of those are also
 * checked against btfref (default 20). Without a capture the suite fails, unless
 * BTFKIT_SKIP_CONFORMANCE=1 or BTFKIT_SKIP_REAL=1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import type { Btf } from "../../src/btf/btf.js";
import { dedup } from "../../src/btf/dedup/index.js";
import { startStringPass } from "../../src/btf/dedup/parallel.js";
import { parseBtf } from "../../src/btf/parse.js";
import { writeBtf } from "../../src/btf/write.js";
import { btfrefDedup, firstDifference, haveBtfref, scratch } from "./oracle.js";

export const SPY = process.env.BTFKIT_SPY ?? join(homedir(), ".cache", "btfkit", "spy");
const skip = process.env.BTFKIT_SKIP_CONFORMANCE === "1" || process.env.BTFKIT_SKIP_REAL === "1";

/** Captured module directories (with in.btf and out.btf), sorted by path. */
export function capturedModules(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const d = join(dir, e.name);
      if (existsSync(join(d, ".done"))) out.push(d);
      else walk(d);
    }
  };
  if (existsSync(join(SPY, "modules"))) walk(join(SPY, "modules"));
  return out.sort();
}

/** `n` entries of `all`, evenly spread (all of them when n >= length). */
export function spread<T>(all: T[], n: number): T[] {
  if (n >= all.length) return all;
  return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
}

const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

function missing(what: string): void {
  if (skip) process.stderr.write(`real-data dedup SKIPPED: ${what}\n`);
  else test(`captured real inputs are available (${what})`, () => assert.fail(`${what}: run scripts/spy-capture.sh, or set BTFKIT_SKIP_REAL=1`));
}

const vmlinuxDir = join(SPY, "vmlinux");
if (!existsSync(join(vmlinuxDir, ".done"))) {
  missing(`no capture in ${vmlinuxDir}`);
} else {
  test("vmlinux: dedup of pahole's 3.4 M types equals libbpf's result byte for byte", { timeout: 10 * 60_000 }, () => {
    const want = read(join(vmlinuxDir, "out.btf"));
    const btf = dedup(parseBtf(read(join(vmlinuxDir, "in.btf")), { validate: false }), { stringsDeduped: true });
    const mine = writeBtf(btf);
    assert.ok(Buffer.compare(Buffer.from(mine), Buffer.from(want)) === 0, firstDifference(mine, want));
  });
  test("vmlinux: dedup of the captured file, strings rebuilt (also on a worker thread), equals btfref's", { timeout: 10 * 60_000, skip: haveBtfref() ? false : "no btfref" }, () => {
    const input = read(join(vmlinuxDir, "in.btf"));
    const s = scratch();
    try {
      const want = btfrefDedup(s.dir, input)!;
      const mine = writeBtf(dedup(parseBtf(input, { validate: false })));
      assert.ok(Buffer.compare(Buffer.from(mine), Buffer.from(want)) === 0, firstDifference(mine, want));
      // As the CLI does it: bytes in shared memory, strings rebuilt on a worker thread.
      const shared = new Uint8Array(new SharedArrayBuffer(input.length));
      shared.set(input);
      const btf = parseBtf(shared, { validate: false });
      const viaWorker = writeBtf(dedup(btf, { inPlace: true, stringPass: startStringPass(btf) }));
      assert.ok(Buffer.compare(Buffer.from(viaWorker), Buffer.from(want)) === 0, firstDifference(viaWorker, want));
    } finally {
      s.done();
    }
  });
}

const mods = capturedModules();
const basePath = join(SPY, "modules", "base.btf");
if (!mods.length || !existsSync(basePath)) {
  missing(`no module capture in ${join(SPY, "modules")}`);
} else {
  const env = process.env.BTFKIT_REAL_MODULES ?? "150";
  const pick = spread(mods, env === "all" ? mods.length : Number(env));
  const viaBtfref = haveBtfref() ? spread(pick, Number(process.env.BTFKIT_REAL_BTFREF ?? 20)) : [];
  let base: Btf | undefined;
  const getBase = (): Btf => (base ??= parseBtf(read(basePath), { validate: false }));

  test(`modules: split dedup of ${pick.length} of ${mods.length} captured modules equals libbpf's, byte for byte`, { timeout: 30 * 60_000 }, () => {
    const bad: string[] = [];
    let types = 0;
    for (const dir of pick) {
      const btf = parseBtf(read(join(dir, "in.btf")), { validate: false, base: getBase() });
      types += btf.nrTypes;
      const mine = writeBtf(dedup(btf, { stringsDeduped: true }));
      const want = read(join(dir, "out.btf"));
      if (Buffer.compare(Buffer.from(mine), Buffer.from(want)) !== 0) bad.push(`${relative(SPY, dir)}: ${firstDifference(mine, want, read(basePath))}`);
    }
    assert.deepEqual(bad, [], `${bad.length} of ${pick.length} differ`);
    assert.ok(types > 0);
  });

  test(`modules: ${viaBtfref.length} captured modules, strings rebuilt, equal btfref's split dedup`, { timeout: 30 * 60_000, skip: viaBtfref.length ? false : "no btfref" }, () => {
    const s = scratch();
    const bad: string[] = [];
    const baseBytes = read(basePath);
    try {
      for (const dir of viaBtfref) {
        const input = read(join(dir, "in.btf"));
        const want = btfrefDedup(s.dir, input, baseBytes);
        const mine = writeBtf(dedup(parseBtf(input, { validate: false, base: getBase() })));
        if (!want) bad.push(`${relative(SPY, dir)}: btfref failed`);
        else if (Buffer.compare(Buffer.from(mine), Buffer.from(want)) !== 0) bad.push(`${relative(SPY, dir)}: ${firstDifference(mine, want, baseBytes)}`);
      }
    } finally {
      s.done();
    }
    assert.deepEqual(bad, []);
  });
}

