#!/usr/bin/env -S node --initial-old-space-size=64
// The V8 flag on the line above: the JS heap's old generation starts with a 64 MB limit
// instead of growing from a few MB. btfkit keeps its bulk data in typed arrays, so its JS
// heap stays small (~15-25 MB while encoding a kernel) and, from the default start, V8
// runs a full GC every few hundred ms just below the limit (16-22 on the main thread of a
// vmlinux `encode -j2`, 7 with this flag; workers 3 -> 1): 4-6 % of the wall time, for
// ~20 MB more peak RSS (BENCHMARKS.md, session 10). Run as `node bin/btfkit.js` the flag
// is not given and nothing else changes.
//
// The CLI runs from its bundle (dist/cli/btfkit.js, `npm run build`; see src/cli/bin.ts),
// or from its modules when there is no bundle or tsc has rebuilt them since it was made.
import { statSync } from "node:fs";

const bundle = new URL("../dist/cli/btfkit.js", import.meta.url);
const modules = new URL("../dist/src/cli/bin.js", import.meta.url);
const mtime = (u) => statSync(u, { throwIfNoEntry: false })?.mtimeMs ?? -1;
await import(mtime(bundle) >= mtime(modules) ? bundle.href : modules.href);
