/**
 * `modules encode`: split BTF for every module with DWARF under a tree, on one base,
 * in parallel — each worker thread loads the base once and encodes whole modules with
 * the same encoder as `btfkit encode --base` (so each output equals pahole 1.30's).
 * Compressed modules (.ko.xz, .ko.zst, .ko.gz) are unpacked, encoded and written back
 * compressed the same way. A failure in one module is reported; the others go on.
 */
import { listModules } from "./modules.js";
import { runModulePool, type ModuleJob } from "./module-pool.js";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { isBtfError } from "../internal/errors.js";
import { writeAtomic } from "./files.js";

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
  /** What to write, and where (the pool's thread writes it). */
  output?: Uint8Array;
  dest?: string;
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
  // Workers encode; this thread writes each output (atomically) while they go on.
  const writes: Promise<void>[] = [];
  const write = async (r: EncodeReply): Promise<void> => {
    try {
      await mkdir(dirname(r.dest!), { recursive: true });
      await writeAtomic(r.dest!, r.output!);
    } catch (e) {
      r.ok = false;
      r.reason = isBtfError(e) ? e.message : `cannot write: ${(e as Error)?.message ?? String(e)}`;
      delete r.types;
      delete r.btfBytes;
    }
  };
  const replies = await runModulePool<EncodeReply>(new URL("./modules-encode-worker.js", import.meta.url), dir, paths, {
    jobs: opts.jobs,
    workerData: () => ({ base: opts.base, target: opts.target, features: opts.features }),
    onProgress: (p, r) => {
      if (r.ok && r.output && r.dest) writes.push(write(r));
      opts.onProgress?.(p);
    },
  });
  await Promise.all(writes);
  return replies.map(({ path: _path, output: _output, dest: _dest, ...r }) => r);
}
