/**
 * `modules report` on a module tree, in parallel: each worker thread loads the base
 * once and measures whole modules (src/io/modules-report-worker.ts). A module with
 * DWARF (`.debug_info`) is measured by the DWARF method: encoded from its DWARF on the
 * base (split) and without a base (non-split), as `pahole -J` with and without
 * `--btf_base` (the same encoder as `btfkit encode`, byte for byte pahole 1.30's); a
 * module with only split BTF by the closure method (src/modules/report.ts). The
 * DWARF is read and decoded once per module for both encodings.
 * @module
 */
import { tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { runModulePool, type ModuleJob } from "./module-pool.js";
import { summarizeReport, type ModuleSize, type ReportResult } from "../modules/report.js";
import { listModules } from "./modules.js";

/**
 * Which method measures a module: `auto` (default) the DWARF method where the module
 * has DWARF, else the closure method; `dwarf` only the DWARF method (modules without
 * DWARF are skipped); `closure` only the closure method (modules without BTF are skipped).
 */
export type MethodChoice = "auto" | "dwarf" | "closure";

export interface ModulesReportOptions {
  /** The base: a vmlinux ELF with .BTF, or raw BTF (path). */
  base: string;
  method?: MethodChoice;
  /** Worker threads (default: CPUs, at most 8). */
  jobs?: number;
  /** pahole's --btf_features text for the DWARF method (default "default"). */
  features?: string;
  /** Called after each module; `bytes`/`totalBytes` are file sizes (for an ETA). */
  onProgress?: (p: { done: number; total: number; name: string; bytes: number; totalBytes: number }) => void;
}

/** Messages between the pool and its workers. */
export interface ReportWorkerInit {
  base: string;
  method: MethodChoice;
  features?: string;
  /** A directory for unpacked compressed modules, and the worker's number (file names). */
  scratch: string;
  id: number;
}
export type ReportJob = ModuleJob;
export type ReportReply = { path: string; size: ModuleSize } | { path: string; name: string; reason: string; internal?: boolean };

/**
 * Measure every module under `dir` (.ko, .ko.xz, .ko.zst, .ko.gz) on the base; modules
 * in path order, each with the method used. Modules that cannot be measured (no BTF
 * nor DWARF, corrupt, wrong base) are listed in `skipped` with the reason; `internal:
 * true` marks a failure that is a btfkit bug.
 * @example
 * ```ts
 * const r = await reportModuleTree("/usr/lib/debug/lib/modules/6.1.0-56-cloud-amd64/kernel", { base: "vmlinux.btf", jobs: 2 });
 * console.log(r.totals.method, r.totals.aloneBytes, r.totals.splitBytes);
 * ```
 */
export async function reportModuleTree(dir: string, opts: ModulesReportOptions): Promise<ReportResult> {
  const paths = listModules(dir);
  const scratch = mkdtempSync(join(tmpdir(), "btfkit-mrep-"));
  let replies: ReportReply[];
  try {
    replies = await runModulePool<ReportReply>(new URL("./modules-report-worker.js", import.meta.url), dir, paths, {
      jobs: opts.jobs,
      workerData: (id): ReportWorkerInit => ({ base: opts.base, method: opts.method ?? "auto", features: opts.features, scratch, id }),
      onProgress: (p) => opts.onProgress?.(p),
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const modules: ModuleSize[] = [];
  const skipped: { name: string; reason: string; internal?: boolean }[] = [];
  for (const r of replies) {
    if ("size" in r) modules.push(r.size);
    else skipped.push(r.internal ? { name: r.name, reason: r.reason, internal: true } : { name: r.name, reason: r.reason });
  }
  return summarizeReport(modules, skipped);
}
