import { checkModules } from "../../modules/check.js";
import { inFile, openBtf } from "../../io/files.js";
import { moduleInputs } from "../../io/modules.js";
import { flag, opt, parseArgs, UsageError } from "../args.js";
import { writeOut } from "../output.js";
import { progressLine } from "../progress.js";

export const help = `usage: btfkit modules check DIR --base VMLINUX [--json]

Load every module under DIR (.ko, .ko.xz, .ko.zst, .ko.gz) as split BTF on VMLINUX
with the full validation, and list each module that does not fit (built for another
kernel, corrupt, no BTF) with the reason. Exit code 1 if any does not fit.

  -B, --base VMLINUX  the kernel's BTF (raw, vmlinux ELF, vmlinuz, /sys/kernel/btf/vmlinux)
  -j, --json          JSON: one object per module
`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "check") throw new UsageError(sub ? `unknown modules command '${sub}'` : "modules needs a command: check");
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
