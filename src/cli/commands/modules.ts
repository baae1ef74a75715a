import { checkModules } from "../../modules/check.js";
import { formatReport, reportModules } from "../../modules/report.js";
import { inFile, openBtf } from "../../io/files.js";
import { moduleInputs } from "../../io/modules.js";
import { flag, opt, parseArgs, UsageError } from "../args.js";
import { writeOut } from "../output.js";
import { progressLine } from "../progress.js";

export const help = `usage: btfkit modules check DIR --base VMLINUX [--json]
       btfkit modules report DIR --base VMLINUX [--json] [--top N]

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
  if (sub !== "check") throw new UsageError(sub ? `unknown modules command '${sub}'` : "modules needs a command: check or report");
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
