/**
 * `modules report`: what split BTF saves, module by module. For each module: its split
 * types and bytes, and what the same module's BTF costs deduplicated on its own
 * (non-split), obtained by one of two methods ({@link AloneMethod}):
 *
 * - `dwarf`: the module has DWARF and is encoded from it twice, on the base (split)
 *   and without a base (non-split), as `pahole -J` with and without `--btf_base`.
 *   Encoding needs Node (src/io/modules-report.ts); this file only carries the sizes.
 * - `closure`: the module has only split BTF; split is its `.BTF`, and non-split is
 *   its types plus every base type they reach, deduplicated ({@link standaloneSize}).
 *
 * Platform-neutral: {@link reportModules} measures by the closure method from bytes;
 * {@link summarizeReport} and {@link formatReport} serve both methods.
 */
import type { Btf } from "../btf/btf.js";
import { extractBtfBytes, parseIn } from "../btf/load.js";
import { isBtfError } from "../internal/errors.js";
import type { ModuleInput, Progress } from "./check.js";
import { standaloneSize } from "./closure.js";
import { mapModules } from "./pool.js";

/**
 * How a module was measured: `dwarf` (encoded from its DWARF with and without the
 * base) or `closure` (its split BTF plus the base types it reaches, deduplicated).
 */
export type AloneMethod = "closure" | "dwarf";

export interface ModuleSize {
  name: string;
  /** Own types of the split BTF. */
  splitTypes: number;
  /** Bytes of the split BTF: the module's .BTF (closure), or its encoding on the base (dwarf). */
  splitBytes: number;
  /** Types of the module's BTF deduplicated on its own. */
  aloneTypes: number;
  aloneBytes: number;
  method: AloneMethod;
}

/** The method of a whole report: one method, or `mixed` when modules used both. */
export type ReportMethod = AloneMethod | "mixed";

export interface ReportResult {
  modules: ModuleSize[];
  /**
   * Modules that could not be measured (no BTF, no DWARF for the DWARF method, corrupt,
   * wrong base), with the reason; `internal` marks a btfkit bug rather than bad input.
   */
  skipped: { name: string; reason: string; internal?: boolean }[];
  totals: {
    modules: number;
    splitBytes: number;
    aloneBytes: number;
    splitTypes: number;
    aloneTypes: number;
    ratio: number;
    /** The method of every module, or `mixed` (and `closure` for an empty report). */
    method: ReportMethod;
    /** Modules measured by each method. */
    methods: Record<AloneMethod, number>;
  };
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
 * Measure every module on `base` by the closure method (from its split BTF; no DWARF
 * needed, no Node). The Node side measures modules with DWARF by the DWARF method:
 * `reportModuleTree` in src/io/modules-report.ts.
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
  return summarizeReport(modules, skipped);
}

/** A report from measured modules (in the order given) and skipped ones: totals and methods. */
export function summarizeReport(modules: ModuleSize[], skipped: ReportResult["skipped"] = []): ReportResult {
  const sum = (f: (m: ModuleSize) => number) => modules.reduce((a, m) => a + f(m), 0);
  const splitBytes = sum((m) => m.splitBytes);
  const aloneBytes = sum((m) => m.aloneBytes);
  const methods: Record<AloneMethod, number> = { dwarf: 0, closure: 0 };
  for (const m of modules) methods[m.method]++;
  const method: ReportMethod = methods.dwarf && methods.closure ? "mixed" : methods.dwarf ? "dwarf" : "closure";
  return {
    modules,
    skipped,
    totals: {
      modules: modules.length,
      splitBytes,
      aloneBytes,
      splitTypes: sum((m) => m.splitTypes),
      aloneTypes: sum((m) => m.aloneTypes),
      ratio: splitBytes ? aloneBytes / splitBytes : 0,
      method,
      methods,
    },
  };
}

const MB = (n: number) => (n / 1e6).toFixed(2) + " MB";

const DWARF_TEXT = "DWARF method (each module encoded from its DWARF without a base, as pahole -J; split: encoded on the base, as pahole -J --btf_base)";
const CLOSURE_TEXT = "closure method (the module's split types plus the base types they reach, deduplicated; split: its .BTF)";

/** The report as a terminal table, largest split BTF first, with totals. `top`: rows shown (0: all). */
export function formatReport(r: ReportResult, top = 0): string {
  const rows = [...r.modules].sort((a, b) => b.splitBytes - a.splitBytes || a.name.localeCompare(b.name));
  const shown = top > 0 ? rows.slice(0, top) : rows;
  const w = Math.max(6, ...shown.map((m) => m.name.length));
  const line = (a: string, b: string, c: string, d: string, e: string, f: string, g: string) =>
    `${a.padEnd(w)} ${b.padStart(11)} ${c.padStart(12)} ${d.padStart(11)} ${e.padStart(12)} ${f.padStart(7)}  ${g}`.trimEnd() + "\n";
  let out = line("module", "split types", "split bytes", "alone types", "alone bytes", "ratio", "method");
  for (const m of shown) out += line(m.name, String(m.splitTypes), String(m.splitBytes), String(m.aloneTypes), String(m.aloneBytes), (m.aloneBytes / m.splitBytes).toFixed(1) + "x", m.method);
  if (shown.length < rows.length) out += `... ${rows.length - shown.length} more (--top 0 for all)\n`;
  const t = r.totals;
  out += line(`total (${t.modules} modules)`.padEnd(w), String(t.splitTypes), String(t.splitBytes), String(t.aloneTypes), String(t.aloneBytes), t.ratio.toFixed(1) + "x", t.method);
  const how = t.method === "mixed" ? `mixed methods: ${t.methods.dwarf} DWARF, ${t.methods.closure} closure` : `${t.method === "dwarf" ? "DWARF" : "closure"} method`;
  out += `${t.modules} modules: ${MB(t.aloneBytes)} deduplicated alone, ${MB(t.splitBytes)} split (${t.ratio.toFixed(1)}x smaller; ${how})\n`;
  if (t.methods.dwarf) out += `non-split sizes: ${t.method === "mixed" ? `${t.methods.dwarf} module${t.methods.dwarf === 1 ? "" : "s"} by the ` : ""}${DWARF_TEXT}\n`;
  if (t.methods.closure || !t.methods.dwarf) out += `non-split sizes: ${t.method === "mixed" ? `${t.methods.closure} module${t.methods.closure === 1 ? "" : "s"} by the ` : ""}${CLOSURE_TEXT}\n`;
  for (const s of r.skipped) out += `skipped ${s.name}: ${s.reason}\n`;
  return out;
}
