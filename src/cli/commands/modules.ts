import { checkModules } from "../../modules/check.js";
import { formatReport } from "../../modules/report.js";
import { inFile, openBtf } from "../../io/files.js";
import { listModules, moduleInputs } from "../../io/modules.js";
import { encodeModules, type EncodeTarget } from "../../io/modules-encode.js";
import { reportModuleTree } from "../../io/modules-report.js";
import { flag, opt, parseArgs, UsageError, type Parsed } from "../args.js";
import { writeOut } from "../output.js";
import { etaSeconds, progressLine } from "../progress.js";
import { defaultWorkerHeaps } from "../heap.js";

export const help = `usage: btfkit modules encode DIR --base VMLINUX (--detached DIR2 | --out DIR2 | --in-place)
                              [-j N] [--features LIST]
       btfkit modules check DIR --base VMLINUX [--json]
       btfkit modules report DIR --base VMLINUX [--method auto|dwarf|closure] [-j N]
                              [--json] [--top N] [--features LIST]

encode: split BTF for every module with DWARF under DIR (.ko, .ko.xz, .ko.zst,
.ko.gz), on VMLINUX, each exactly as 'btfkit encode --base' (and pahole 1.30 -J
--btf_base) makes it: --detached writes raw BTF to DIR2/PATH.btf, --out a copy of
each module with its new .BTF to DIR2/PATH (compressed as it was), --in-place
rewrites the modules. A failing module is reported and the others go on; exit code
1 if any failed.

check: load every module under DIR (.ko, .ko.xz, .ko.zst, .ko.gz) as split BTF on VMLINUX
with the full validation, and list each module that does not fit (built for another
kernel, corrupt, no BTF) with the reason. Exit code 1 if any does not fit.

report: for every module under DIR, its split BTF (types, bytes) and what the same
module's BTF costs deduplicated on its own (non-split); totals and the ratio, largest
first. Each module is measured by one of two methods, named per module and in the
totals (a tree may mix them):
  dwarf    the module has DWARF (.debug_info, as in a -dbg package): it is encoded
           from it as 'btfkit encode' does (pahole 1.30), without a base for the
           non-split size (pahole -J) and on VMLINUX for the split size (pahole -J
           --btf_base VMLINUX; that encoding's size, not the module's own .BTF).
  closure  the module has only split BTF: split is its .BTF; non-split is its own
           types plus the base types they reach, deduplicated.
--method auto (default): dwarf where the module has DWARF, closure otherwise; dwarf:
skip modules without DWARF; closure: ignore DWARF. Modules that cannot be measured
are listed as skipped. JSON: each module's "method"; totals.method (dwarf, closure
or mixed) and totals.methods (modules per method).

  -B, --base VMLINUX  the kernel's BTF (raw, vmlinux ELF, vmlinuz, /sys/kernel/btf/vmlinux)
  -j, --jobs N        encode, report: worker threads (default: CPUs, at most 8)
      --json          check, report: JSON output (check: also -j)
      --features LIST encode, report: pahole's --btf_features (default: default)
      --method M      report: auto, dwarf or closure (see above)
      --top N         report: show the N largest modules (default 25; 0: all)
`;

export async function run(argv: string[]): Promise<number> {
  defaultWorkerHeaps();
  const [sub, ...rest] = argv;
  if (sub === "report") return report(rest);
  if (sub === "encode") return encode(rest);
  if (sub !== "check") throw new UsageError(sub ? `unknown modules command '${sub}'` : "modules needs a command: encode, check or report");
  const p = parseArgs(rest, [
    { name: "base", short: ["B"], value: true },
    { name: "json", short: ["j"] },
  ]);
  if (p.positionals.length !== 1) throw new UsageError("modules check takes exactly one DIR");
  const basePath = opt(p, "base");
  if (!basePath) throw new UsageError("modules check needs --base VMLINUX");
  const dir = p.positionals[0]!;
  const base = await openBtf(basePath);
  const inputs = await inFile(dir, async () => moduleInputs(dir));
  const progress = progressLine(process.stderr);
  const results = await checkModules(base, inputs, { onProgress: (pr) => progress(`checked ${pr.done}/${pr.total} ${pr.name}`) });
  progress(undefined);
  const bad = results.filter((r) => !r.ok);
  if (flag(p, "json")) {
    await writeOut(JSON.stringify({ base: basePath, modules: results.length, failed: bad.length, results }, null, 2) + "\n");
  } else {
    let text = "";
    for (const r of bad) text += `${r.name}: ${r.reason}\n`;
    text += `${results.length} modules: ${results.length - bad.length} fit, ${bad.length} do not fit ${basePath}\n`;
    await writeOut(text);
  }
  return bad.length ? 1 : 0;
}

async function report(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: "base", short: ["B"], value: true },
    { name: "json" },
    { name: "top", value: true },
    { name: "method", value: true },
    { name: "jobs", short: ["j"], value: true },
    { name: "features", value: true },
  ]);
  if (p.positionals.length !== 1) throw new UsageError("modules report takes exactly one DIR");
  const basePath = opt(p, "base");
  if (!basePath) throw new UsageError("modules report needs --base VMLINUX");
  const top = Number(opt(p, "top") ?? 25);
  if (!Number.isInteger(top) || top < 0) throw new UsageError("--top takes a whole number");
  const method = opt(p, "method") ?? "auto";
  if (method !== "auto" && method !== "dwarf" && method !== "closure") throw new UsageError(`--method takes auto, dwarf or closure, not '${method}'`);
  const jobs = jobsOpt(p);
  const dir = p.positionals[0]!;
  await checkTree(basePath, dir, true);
  const progress = progressLine(process.stderr);
  const t0 = Date.now();
  const r = await reportModuleTree(dir, {
    base: basePath,
    method,
    jobs,
    features: opt(p, "features"),
    onProgress: (pr) => progress(`measured ${pr.done}/${pr.total} modules, ETA ${etaSeconds(t0, pr.bytes, pr.totalBytes).toFixed(0)} s: ${pr.name}`),
  });
  progress(undefined);
  await writeOut(flag(p, "json") ? JSON.stringify({ base: basePath, method, ...r }, null, 2) + "\n" : formatReport(r, top));
  return r.skipped.some((s) => s.internal) ? 1 : 0;
}

/**
 * A bad base or an unreadable tree: one clear error before any work (the workers load
 * the base unvalidated). `validate`: the base gets btfkit's kernel-style checks too.
 */
async function checkTree(basePath: string, dir: string, validate: boolean): Promise<void> {
  await openBtf(basePath, validate ? {} : { validate: false });
  await inFile(dir, async () => listModules(dir));
}

/** `-j N`: a whole number of worker threads, or undefined (the default). */
function jobsOpt(p: Parsed): number | undefined {
  const j = opt(p, "jobs");
  if (j === undefined) return undefined;
  const jobs = Number(j);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`-j takes a whole number of threads, not '${j}'`);
  return jobs;
}

async function encode(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: "base", short: ["B"], value: true },
    { name: "detached", value: true },
    { name: "out", value: true },
    { name: "in-place" },
    { name: "jobs", short: ["j"], value: true },
    { name: "features", value: true },
  ]);
  if (p.positionals.length !== 1) throw new UsageError("modules encode takes exactly one DIR");
  const basePath = opt(p, "base");
  if (!basePath) throw new UsageError("modules encode needs --base VMLINUX");
  const detached = opt(p, "detached");
  const out = opt(p, "out");
  const inPlace = flag(p, "in-place");
  if ((detached !== undefined ? 1 : 0) + (out !== undefined ? 1 : 0) + (inPlace ? 1 : 0) !== 1)
    throw new UsageError("modules encode needs exactly one of --detached DIR2, --out DIR2, --in-place");
  const target: EncodeTarget = detached !== undefined ? { kind: "detached", dir: detached } : out !== undefined ? { kind: "out", dir: out } : { kind: "in-place" };
  const jobs = jobsOpt(p);
  const dir = p.positionals[0]!;
  await checkTree(basePath, dir, false);
  const tty = process.stderr.isTTY;
  const progress = progressLine(process.stderr);
  const t0 = Date.now();
  const results = await encodeModules(dir, {
    base: basePath,
    target,
    jobs,
    features: opt(p, "features"),
    onProgress: (pr) => {
      if (tty) {
        const eta = etaSeconds(t0, pr.bytes, pr.totalBytes);
        progress(`encoded ${pr.done}/${pr.total} modules, ${(pr.bytes / 1e6).toFixed(0)}/${(pr.totalBytes / 1e6).toFixed(0)} MB, ETA ${eta.toFixed(0)} s: ${pr.name}`);
      } else process.stderr.write(`[${pr.done}/${pr.total}] ${pr.name}\n`);
    },
  });
  progress(undefined);
  const bad = results.filter((r) => !r.ok);
  let text = "";
  for (const r of bad) text += `${r.name}: ${r.reason}\n`;
  const btfBytes = results.reduce((a, r) => a + (r.btfBytes ?? 0), 0);
  text += `${results.length} modules: ${results.length - bad.length} encoded (${(btfBytes / 1e6).toFixed(2)} MB of split BTF), ${bad.length} failed, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`;
  await writeOut(text);
  return bad.length ? 1 : 0;
}
