import { checkModules } from "../../modules/check.js";
import { formatReport, reportModules } from "../../modules/report.js";
import { inFile, openBtf } from "../../io/files.js";
import { listModules, moduleInputs } from "../../io/modules.js";
import { encodeModules, type EncodeTarget } from "../../io/modules-encode.js";
import { flag, opt, parseArgs, UsageError } from "../args.js";
import { writeOut } from "../output.js";
import { progressLine } from "../progress.js";

export const help = `usage: btfkit modules encode DIR --base VMLINUX (--detached DIR2 | --out DIR2 | --in-place)
                              [-j N] [--features LIST]
       btfkit modules check DIR --base VMLINUX [--json]
       btfkit modules report DIR --base VMLINUX [--json] [--top N]

encode: split BTF for every module with DWARF under DIR (.ko, .ko.xz, .ko.zst,
.ko.gz), on VMLINUX, each exactly as 'btfkit encode --base' (and pahole 1.30 -J
--btf_base) makes it: --detached writes raw BTF to DIR2/PATH.btf, --out a copy of
each module with its new .BTF to DIR2/PATH (compressed as it was), --in-place
rewrites the modules. A failing module is reported and the others go on; exit code
1 if any failed. -j N: worker threads (default: CPUs, at most 8).

check: load every module under DIR (.ko, .ko.xz, .ko.zst, .ko.gz) as split BTF on VMLINUX
with the full validation, and list each module that does not fit (built for another
kernel, corrupt, no BTF) with the reason. Exit code 1 if any does not fit.

report: for every module with BTF, its split types and bytes (its .BTF) and what the
same module's BTF costs deduplicated on its own (non-split: the module's types plus
the base types they reach, deduplicated); totals and the ratio. Sorted by size.

  -B, --base VMLINUX  the kernel's BTF (raw, vmlinux ELF, vmlinuz, /sys/kernel/btf/vmlinux)
  -j, --json          JSON output
      --top N         report: show the N largest modules (default 25; 0: all)
`;

export async function run(argv: string[]): Promise<number> {
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
    { name: "json", short: ["j"] },
    { name: "top", value: true },
  ]);
  if (p.positionals.length !== 1) throw new UsageError("modules report takes exactly one DIR");
  const basePath = opt(p, "base");
  if (!basePath) throw new UsageError("modules report needs --base VMLINUX");
  const top = Number(opt(p, "top") ?? 25);
  if (!Number.isInteger(top) || top < 0) throw new UsageError("--top takes a whole number");
  const dir = p.positionals[0]!;
  const base = await openBtf(basePath);
  const inputs = await inFile(dir, async () => moduleInputs(dir));
  const progress = progressLine(process.stderr);
  const r = await reportModules(base, inputs, { onProgress: (pr) => progress(`measured ${pr.done}/${pr.total} ${pr.name}`) });
  progress(undefined);
  await writeOut(flag(p, "json") ? JSON.stringify({ base: basePath, ...r }, null, 2) + "\n" : formatReport(r, top));
  return 0;
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
  let jobs: number | undefined;
  const j = opt(p, "jobs");
  if (j !== undefined) {
    jobs = Number(j);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`-j takes a whole number of threads, not '${j}'`);
  }
  const dir = p.positionals[0]!;
  await openBtf(basePath, { validate: false }); // a bad base: one clear error before any work
  await inFile(dir, async () => listModules(dir));
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
        const el = (Date.now() - t0) / 1000;
        const eta = pr.bytes ? (el * (pr.totalBytes - pr.bytes)) / pr.bytes : 0;
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
