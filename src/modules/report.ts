/**
 * `modules report`: what split BTF saves, module by module. For each module with BTF:
 * its split types and bytes (the size of its `.BTF`), and what the same module's BTF
 * costs deduplicated on its own (non-split). Modules with only split BTF are measured
 * by the closure method ({@link standaloneSize}): their types plus every base type they
 * reach, deduplicated.
 */
import type { Btf } from "../btf/btf.js";
import { extractBtfBytes, parseIn } from "../btf/load.js";
import { isBtfError } from "../internal/errors.js";
import type { ModuleInput, Progress } from "./check.js";
import { standaloneSize } from "./closure.js";
import { mapModules } from "./pool.js";

/** How the non-split size was obtained. */
export type AloneMethod = "closure";

export interface ModuleSize {
  name: string;
  /** Own types of the split BTF. */
  splitTypes: number;
  /** Bytes of the module's split BTF (its .BTF section). */
  splitBytes: number;
  /** Types of the module's BTF deduplicated on its own. */
  aloneTypes: number;
  aloneBytes: number;
  method: AloneMethod;
}

export interface ReportResult {
  modules: ModuleSize[];
  /** Modules that could not be measured (no BTF, corrupt, wrong base), with the reason. */
  skipped: { name: string; reason: string }[];
  totals: { modules: number; splitBytes: number; aloneBytes: number; splitTypes: number; aloneTypes: number; ratio: number };
}

export interface ReportOptions {
  onProgress?: (p: Progress) => void;
  concurrency?: number;
}

/** Measure one module (bytes of a .ko/.ko.xz/raw split BTF) on `base`. */
export async function measureModule(base: Btf, name: string, bytes: Uint8Array): Promise<ModuleSize> {
  const { bytes: raw, source } = await extractBtfBytes(bytes);
  const split = parseIn(raw, source, { base });
  const alone = standaloneSize(split);
  return { name, splitTypes: split.nrTypes, splitBytes: raw.length, aloneTypes: alone.types, aloneBytes: alone.totalBytes, method: "closure" };
}

/**
 * Measure every module on `base`.
 * @example
 * ```ts
 * const r = await reportModules(vmlinux, inputs);
 * console.log(`${r.totals.aloneBytes} bytes alone, ${r.totals.splitBytes} split`);
 * ```
 */
export async function reportModules(base: Btf, inputs: readonly ModuleInput[], opts: ReportOptions = {}): Promise<ReportResult> {
  const sizes = await mapModules<ModuleSize | { name: string; reason: string }>(
    inputs,
    async (m) => {
      try {
        return await measureModule(base, m.name, await m.read());
      } catch (e) {
        if (!isBtfError(e)) throw e;
        return { name: m.name, reason: e.message };
      }
    },
    opts,
  );
  const modules = sizes.filter((s): s is ModuleSize => "splitBytes" in s);
  const skipped = sizes.filter((s): s is { name: string; reason: string } => "reason" in s);
  const sum = (f: (m: ModuleSize) => number) => modules.reduce((a, m) => a + f(m), 0);
  const splitBytes = sum((m) => m.splitBytes);
  const aloneBytes = sum((m) => m.aloneBytes);
  return {
    modules,
    skipped,
    totals: { modules: modules.length, splitBytes, aloneBytes, splitTypes: sum((m) => m.splitTypes), aloneTypes: sum((m) => m.aloneTypes), ratio: splitBytes ? aloneBytes / splitBytes : 0 },
  };
}

const MB = (n: number) => (n / 1e6).toFixed(2) + " MB";

/** The report as a terminal table, largest split BTF first, with totals. `top`: rows shown (0: all). */
export function formatReport(r: ReportResult, top = 0): string {
  const rows = [...r.modules].sort((a, b) => b.splitBytes - a.splitBytes || a.name.localeCompare(b.name));
  const shown = top > 0 ? rows.slice(0, top) : rows;
  const w = Math.max(6, ...shown.map((m) => m.name.length));
  const line = (a: string, b: string, c: string, d: string, e: string, f: string) =>
    `${a.padEnd(w)} ${b.padStart(11)} ${c.padStart(12)} ${d.padStart(11)} ${e.padStart(12)} ${f.padStart(7)}\n`;
  let out = line("module", "split types", "split bytes", "alone types", "alone bytes", "ratio");
  for (const m of shown) out += line(m.name, String(m.splitTypes), String(m.splitBytes), String(m.aloneTypes), String(m.aloneBytes), (m.aloneBytes / m.splitBytes).toFixed(1) + "x");
  if (shown.length < rows.length) out += `... ${rows.length - shown.length} more (--top 0 for all)\n`;
  const t = r.totals;
  out += line(`total (${t.modules} modules)`.padEnd(w), String(t.splitTypes), String(t.splitBytes), String(t.aloneTypes), String(t.aloneBytes), t.ratio.toFixed(1) + "x");
  out += `${t.modules} modules: ${MB(t.aloneBytes)} deduplicated alone, ${MB(t.splitBytes)} split (${t.ratio.toFixed(1)}x smaller)\n`;
  out += `non-split sizes: closure method (the module's split types plus the base types they reach, deduplicated)\n`;
  for (const s of r.skipped) out += `skipped ${s.name}: ${s.reason}\n`;
  return out;
}
