import { dumpJsonBytes } from "../../btf/dump/json.js";
import { dumpRawBytes } from "../../btf/dump/raw.js";
import { openBtf } from "../../io/files.js";
import { flag, opt, parseArgs, UsageError } from "../args.js";
import { writeOut } from "../output.js";

export const help = `usage: btfkit dump FILE [--base B] [--format raw|json] [--no-validate]

Print the types of FILE as bpftool prints them:
  raw    byte-identical to 'bpftool [-B B] btf dump file FILE format raw'
  json   equal to bpftool's '-j' output

FILE is raw BTF, an ELF file with .BTF (vmlinux, .ko, .o), a compressed module
(.ko.xz, .ko.zst, .ko.gz), a bzImage (vmlinuz), or /sys/kernel/btf/NAME.
For split BTF only its own types are printed, numbered after the base's.

  -B, --base B      base BTF for split BTF, checked as libbpf checks it (default for /sys/kernel/btf/MODULE:
                    /sys/kernel/btf/vmlinux)
  -f, --format F    raw (default) or json
  -j, --json        same as --format json
      --no-validate skip the kernel-style checks (libbpf's checks still run)
`;

export async function run(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: "base", short: ["B"], value: true },
    { name: "format", short: ["f"], value: true },
    { name: "json", short: ["j"] },
    { name: "no-validate" },
  ]);
  if (p.positionals.length !== 1) throw new UsageError("dump takes exactly one FILE");
  const format = flag(p, "json") ? "json" : opt(p, "format") ?? "raw";
  if (format !== "raw" && format !== "json") throw new UsageError(`unknown format '${format}' (raw or json)`);
  const btf = await openBtf(p.positionals[0]!, { base: opt(p, "base"), validate: !flag(p, "no-validate") });
  await writeOut(format === "raw" ? dumpRawBytes(btf) : dumpJsonBytes(btf));
  return 0;
}
