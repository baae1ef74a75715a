/**
 * V8 tuning for `btfkit encode` on several threads.
 *
 * On a machine with as many cores as threads at work, V8's optimizing compiler
 * (TurboFan) compiles on background threads that take their CPU from those threads. A
 * kernel's encoding at `-j2` compiles ~550 functions (each thread its own copies; large
 * ones several times over, as code met only later deoptimizes them): ~2.5-2.8 s of CPU
 * beside ~15 s of work. Half the inlining budgets compile ~20 % less (~0.5 s of CPU)
 * and leave the encoder's code as fast (dedup's passes lose a few per cent): 2.7 % less
 * CPU over 12 interleaved rounds, wall time within the noise (BENCHMARKS.md, session 14).
 * @module
 */
import { setFlagsFromString } from "node:v8";

/**
 * Lower V8's inlining budgets for the rest of the process (all its threads), before the
 * work starts: cumulative 920 -> 460 bytecode bytes per function, single 460 -> 230.
 */
export function lessJitInlining(): void {
  setFlagsFromString("--max-inlined-bytecode-size-cumulative=460");
  setFlagsFromString("--max-inlined-bytecode-size=230");
}
