import { btfStats, formatStats } from "../../btf/stats.js";
import { openBtf } from "../../io/files.js";
import { flag, opt, parseArgs, UsageError } from "../args.js";
import { writeOut } from "../output.js";

export const help = `usage: btfkit stats FILE [--base B] [--json] [--no-validate]

Type counts and bytes per kind, and the type and string section sizes, of FILE's
own types (for split BTF: without the base's).

  -B, --base B      base BTF for split BTF
  -j, --json        JSON output
      --no-validate skip the kernel-style checks
`;

export async function run(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: "base", short: ["B"], value: true },
    { name: "json", short: ["j"] },
    { name: "no-validate" },
  ]);
  if (p.positionals.length !== 1) throw new UsageError("stats takes exactly one FILE");
  const btf = await openBtf(p.positionals[0]!, { base: opt(p, "base"), validate: !flag(p, "no-validate") });
  const s = btfStats(btf);
  await writeOut(flag(p, "json") ? JSON.stringify(s, null, 2) + "\n" : formatStats(s));
  return 0;
}
