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
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";

// `encode` on several threads: half V8's inlining budgets (cumulative 920 -> 460 bytecode
// bytes per function, single 460 -> 230). With every core busy, V8's optimizing compiler
// takes its CPU from the threads at work: a kernel's `encode -j2` spends ~2.2 s of CPU
// compiling (each thread compiles its own copies) beside ~8 s of work, and ~1.7 s with
// these budgets, for code as fast; BENCHMARKS.md, sessions 14 and 15. Not for the other
// commands (dedup's passes are 3-5 % slower with them) nor for one thread.
//
// They are set here, first, because V8 must not see them change while it optimizes: set
// later (session 14 did, from the encode command), a compile job under way could judge a
// function inlineable under the old budgets and inline it under the new ones, and V8
// aborts (`Check failed: inlineability == ...kHasOptimizationDisabled`; half the `encode`
// runs of a small file crashed). Nothing is optimized yet when this line runs (node
// --trace-opt shows the first optimized function well after the command's modules load).
if (encodesOnThreads(process.argv.slice(2))) {
  setFlagsFromString("--max-inlined-bytecode-size-cumulative=460");
  setFlagsFromString("--max-inlined-bytecode-size=230");
}

/**
 * Is this `btfkit encode ... [-j N]` with N (default: the CPUs, at most 8) above 1? As
 * src/cli/args.ts reads options: the first -j wins, `--` ends the options. A misreading
 * would only change this tuning.
 */
function encodesOnThreads(argv) {
  if (argv[0] !== "encode") return false;
  const takesValue = new Set(["-B", "--base", "-o", "--raw-output", "--output", "--features"]);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") break;
    if (takesValue.has(a)) i++;
    else if (a === "-j" || a === "--jobs") return Number(argv[i + 1]) > 1;
    else if (a.startsWith("--jobs=")) return Number(a.slice(7)) > 1;
    else if (a.startsWith("-j")) return Number(a.slice(2)) > 1;
  }
  return Math.min(8, availableParallelism()) > 1;
}

const bundle = new URL("../dist/cli/btfkit.js", import.meta.url);
const modules = new URL("../dist/src/cli/bin.js", import.meta.url);
const mtime = (u) => statSync(u, { throwIfNoEntry: false })?.mtimeMs ?? -1;
await import(mtime(bundle) >= mtime(modules) ? bundle.href : modules.href);
