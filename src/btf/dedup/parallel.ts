/**
 * Node only: the string pass of a large non-split BTF on a worker thread, while dedup's
 * type passes run (`dedup(btf, { stringPass: startStringPass(btf) })`).
 *
 * The type passes only ever compare names for equality. When no two referenced
 * offsets hold the same string, the old offsets compare exactly as the new ones would,
 * so the passes need not wait for the new section; the worker says whether that holds,
 * and dedup falls back to its ordinary string pass when it does not. The BTF's bytes must
 * be in a SharedArrayBuffer (read the file into one); otherwise nothing is started.
 */
import { Worker } from "node:worker_threads";
import type { Btf } from "../btf.js";
import type { StringPass } from "./index.js";

/** Below this many types a thread costs more than it saves. */
const MIN_TYPES = 200_000;

/**
 * Start the string pass of `btf` on a worker, or return undefined when it cannot (split
 * BTF, bytes not shared) or should not be (fewer than `minTypes` types).
 */
export function startStringPass(btf: Btf, minTypes = MIN_TYPES): StringPass | undefined {
  const buf = btf.types.buffer;
  if (btf.base || btf.nrTypes < minTypes || !(buf instanceof SharedArrayBuffer) || btf.strs.buffer !== buf) return undefined;
  const strLen = btf.strLen;
  const remap = new SharedArrayBuffer(4 * (strLen + 1));
  // The new section holds each referenced string once; strings reached by an offset
  // inside another one get their own copy, so allow for some growth.
  const out = new SharedArrayBuffer(2 * strLen + 16);
  const status = new SharedArrayBuffer(8);
  let worker: Worker;
  try {
    worker = new Worker(new URL("./strings-worker.js", import.meta.url), {
      workerData: { buf, typesAt: btf.types.byteOffset, words: btf.typeWords, strsAt: btf.strs.byteOffset, strLen, remap, out, status },
    });
  } catch {
    return undefined;
  }
  worker.unref();
  worker.on("error", () => undefined); // reported through `status`
  const st = new Int32Array(status);
  return {
    result() {
      // Wait for the worker (bounded: on a stuck worker, dedup runs its own pass).
      for (let waited = 0; Atomics.load(st, 0) === 0 && waited < 600; waited++) Atomics.wait(st, 0, 0, 100);
      const state = Atomics.load(st, 0);
      void worker.terminate();
      if (state !== 1) return undefined;
      return { remap: new Int32Array(remap), bytes: new Uint8Array(out, 0, st[1]!).slice() };
    },
  };
}
