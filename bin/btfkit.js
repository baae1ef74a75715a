#!/usr/bin/env -S node --initial-old-space-size=64
// The V8 flag on the line above: the JS heap's old generation starts with a 64 MB limit
// instead of growing from a few MB. btfkit keeps its bulk data in typed arrays, so its JS
// heap stays small (~15-25 MB while encoding a kernel) and, from the default start, V8
// runs a full GC every few hundred ms just below the limit (16-22 on the main thread of a
// vmlinux `encode -j2`, 7 with this flag; workers 3 -> 1): 4-6 % of the wall time, for
// ~20 MB more peak RSS (BENCHMARKS.md, session 10). Run as `node bin/btfkit.js` the flag
// is not given and nothing else changes.
import { main } from "../dist/src/cli/main.js";

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write(`btfkit: internal error: ${e?.message ?? e}\n`); process.exitCode = 1; },
);
