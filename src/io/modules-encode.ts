/**
 * `modules encode`: split BTF for every module with DWARF under a tree, on one base,
 * in parallel — each worker thread loads the base once and encodes whole modules with
 * the same encoder as `btfkit encode --base` (so each output equals pahole 1.30's).
 * Compressed modules (.ko.xz, .ko.zst, .ko.gz) are unpacked, encoded and written back
 * compressed the same way. A failure in one module is reported; the others go on.
 */
import { listModules } from "./modules.js";
import { runModulePool, type ModuleJob } from "./module-pool.js";

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
export type EncodeJob = ModuleJob;
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
  const replies = await runModulePool<EncodeReply>(new URL("./modules-encode-worker.js", import.meta.url), dir, paths, {
    jobs: opts.jobs,
    workerData: () => ({ base: opts.base, target: opts.target, features: opts.features }),
    onProgress: (p) => opts.onProgress?.(p),
  });
  return replies.map(({ path: _path, ...r }) => r);
}
