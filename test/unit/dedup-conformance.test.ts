/**
 * A small, fixed sample of the dedup conformance suite (test/dedup/conformance.test.ts)
 * for the fast suite: 50 generated inputs per mode must deduplicate byte for byte as
 * libbpf 1.5 does. Skipped, with a message, when btfref is not installed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BTFREF, checkSeed, haveBtfref, scratch } from "../dedup/oracle.js";
import type { GenMode } from "../dedup/gen.js";

const have = haveBtfref();
const why = have ? false : `no ${BTFREF} (libbpf oracle): run ../shared/oracle/build.sh`;
if (!have) process.stderr.write(`dedup-conformance sample skipped: ${why}\n`);

for (const mode of ["plain", "split-raw", "split-deduped"] as GenMode[]) {
  test(`dedup of 50 generated ${mode} inputs matches libbpf byte for byte`, { skip: why }, () => {
    const s = scratch();
    const bad: string[] = [];
    try {
      for (let seed = 1; seed <= 50; seed++) {
        const d = checkSeed(s.dir, seed * 7919, mode);
        if (d) bad.push(d);
      }
    } finally {
      s.done();
    }
    assert.deepEqual(bad, []);
  });
}
