/**
 * V8 compiles typed-array accesses without a "was this buffer detached?" check for
 * as long as no ArrayBuffer in the isolate has ever been detached (its
 * `ArrayBufferDetaching` protector). The first transfer in `postMessage` detaches
 * one, and V8 then throws away every optimized function that relied on it: in an
 * encoder worker that is about 85 hot functions at once, each recompiled on a
 * background thread that competes with the two encoding threads (about 0.5 s of CPU
 * on the 6.1 vmlinux at `-j2`).
 *
 * A thread that will transfer buffers calls {@link detachEarly} before its hot code
 * runs: the protector is given up while nothing depends on it yet, so the code is
 * optimized once, with the (cheap) check in it.
 * @module
 */

/** Detach a throw-away ArrayBuffer, so that later transfers deoptimize nothing. */
export function detachEarly(): void {
  const b = new ArrayBuffer(8);
  structuredClone(b, { transfer: [b] });
}
