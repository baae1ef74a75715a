/**
 * Dedup conformance: thousands of generated inputs (test/dedup/gen.ts), deduplicated
 * by btfkit and by libbpf 1.5 (`btfref dedup`), must come out byte for byte the same:
 * non-split, split on a raw (not deduplicated) base, and split on a deduplicated base.
 *
 *   node --test dist/test/dedup/conformance.test.js
 *
 * BTFKIT_DEDUP_SEEDS (default 1000) seeds per mode, starting at BTFKIT_DEDUP_SEED0
 * (default 1), plus BTFKIT_DEDUP_LARGE (default 20) larger inputs per mode. Needs
 * btfref (../shared/oracle/build.sh); without it the suite fails, unless
 * BTFKIT_SKIP_CONFORMANCE=1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BTFREF, checkSeed, haveBtfref, scratch } from "./oracle.js";
import type { GenMode } from "./gen.js";

const SEEDS = Number(process.env.BTFKIT_DEDUP_SEEDS ?? 1000);
const SEED0 = Number(process.env.BTFKIT_DEDUP_SEED0 ?? 1);
const LARGE = Number(process.env.BTFKIT_DEDUP_LARGE ?? 20);
const skip = process.env.BTFKIT_SKIP_CONFORMANCE === "1";

if (!haveBtfref()) {
  if (skip) {
    process.stderr.write(`dedup conformance SKIPPED: no ${BTFREF} (BTFKIT_SKIP_CONFORMANCE=1)\n`);
  } else {
    test("btfref (libbpf 1.5 oracle) is available", () => {
      assert.fail(`no ${BTFREF}: run ../shared/oracle/modern.sh and build.sh, or set BTFKIT_SKIP_CONFORMANCE=1`);
    });
  }
} else {
  for (const mode of ["plain", "split-raw", "split-deduped"] as GenMode[]) {
    test(`dedup of ${SEEDS} generated ${mode} inputs is byte-identical to libbpf's`, { timeout: 30 * 60_000 }, () => {
      const s = scratch();
      const bad: string[] = [];
      try {
        for (let seed = SEED0; seed < SEED0 + SEEDS; seed++) {
          const d = checkSeed(s.dir, seed, mode);
          if (d) bad.push(d);
        }
      } finally {
        s.done();
      }
      assert.deepEqual(bad, [], `${bad.length} of ${SEEDS} differ; first: ${bad[0]}`);
    });
    test(`dedup of ${LARGE} large generated ${mode} inputs is byte-identical to libbpf's`, { timeout: 30 * 60_000 }, () => {
      const s = scratch();
      const bad: string[] = [];
      try {
        for (let i = 0; i < LARGE; i++) {
          const d = checkSeed(s.dir, 1_000_000 + SEED0 + i, mode, 600 + ((i * 397) % 1400));
          if (d) bad.push(d);
        }
      } finally {
        s.done();
      }
      assert.deepEqual(bad, [], `${bad.length} of ${LARGE} differ; first: ${bad[0]}`);
    });
  }
}
