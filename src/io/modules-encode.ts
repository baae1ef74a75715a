/**
 * `modules encode`: split BTF for every module with DWARF under a tree, on one base,
 * in parallel — each worker thread loads the base once and encodes whole modules with
 * the same encoder as `btfkit encode --base` (so each output equals pahole 1.30's).
 * Compressed modules (.ko.xz, .ko.zst, .ko.gz) are unpacked, encoded and written back
 * compressed the same way. A failure in one module is reported; the others go on.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { listModules } from "./modules.js";
import { relative } from "node:path";
import { statSync } from "node:fs";

/** Where the BTF goes. */
export type EncodeTarget =
  | { kind: "in-place" }
  | { kind: "out"; dir: string } // a copy of each module, with .BTF, under dir (same relative path)
  | { kind: "detached"; dir: string }; // raw split BTF, dir/REL.btf

export interface ModulesEncodeOptions {
  /** The base: a vmlinux ELF with .BTF, or raw BTF (path). */
  base: string;
  target: EncodeTarget;
  /** Worker threads (default: CPUs, at most 8). */
  jobs?: number;
  /** pahole's --btf_features text (default "default"). */
  features?: string;
  onProgress?: (p: { done: number; total: number; name: string; bytes: number; totalBytes: number }) => void;
}

export interface ModuleEncodeResult {
  name: string;
  ok: boolean;
  reason?: string;
  /** Own types of the split BTF written. */
  types?: number;
  /** Bytes of the split BTF written. */
  btfBytes?: number;
}

/** Messages between the pool and its workers (see modules-encode-worker.ts). */
export interface EncodeJob {
  path: string;
  rel: string;
}
export interface EncodeReply extends ModuleEncodeResult {
  path: string;
}

/**
 * Encode every module under `dir`.
 * @example
 * ```ts
 * const res = await encodeModules("/lib/modules/6.1/kernel", { base: "vmlinux", target: { kind: "detached", dir: "out" } });
 * ```
 */
export async function encodeModules(dir: string, opts: ModulesEncodeOptions): Promise<ModuleEncodeResult[]> {
  const paths = listModules(dir);
  const sizes = paths.map((p) => statSync(p).size);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const jobs = Math.max(1, Math.min(opts.jobs ?? Math.min(8, availableParallelism()), paths.length || 1));
  const results: ModuleEncodeResult[] = new Array(paths.length);
  // Largest first: the long poles start early, the small ones fill the gaps.
  const order = paths.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  let next = 0;
  let done = 0;
  let bytesDone = 0;
  const url = new URL("./modules-encode-worker.js", import.meta.url);
  // Each worker has up to two modules queued, so it never waits for this thread
  // between modules.
  await Promise.all(
    Array.from({ length: jobs }, () => {
      if (next >= order.length) return Promise.resolve();
      const w = new Worker(url, { workerData: { base: opts.base, target: opts.target, features: opts.features } });
      return new Promise<void>((resolve, reject) => {
        const sent: number[] = [];
        const send = (): boolean => {
          const i = order[next];
          if (i === undefined) return false;
          next++;
          sent.push(i);
          w.postMessage({ path: paths[i]!, rel: relative(dir, paths[i]!) } satisfies EncodeJob);
          return true;
        };
        w.on("message", (reply: EncodeReply) => {
          const at = sent.findIndex((k) => paths[k] === reply.path);
          const i = sent.splice(at < 0 ? 0 : at, 1)[0]!;
          const { path: _path, ...r } = reply;
          results[i] = r;
          done++;
          bytesDone += sizes[i]!;
          opts.onProgress?.({ done, total: paths.length, name: r.name, bytes: bytesDone, totalBytes });
          send();
          if (sent.length === 0) void w.terminate().then(() => resolve(), reject);
        });
        w.on("error", reject);
        send();
        send();
      });
    }),
  );
  return results;
}
