import { addBtf, newBtf } from "../../btf/builder.js";
import { dedup } from "../../btf/dedup/index.js";
import { writeBtf } from "../../btf/write.js";
import { inFile, openBtf, writeAtomic } from "../../io/files.js";
import { flag, opt, parseArgs, UsageError } from "../args.js";
import { parseEndian } from "./dedup.js";

export const help = `usage: btfkit merge [--base B] -o OUT [--dedup] IN...

Append the types of every IN, in order, to one new BTF (libbpf btf__add_btf: type
ids renumbered, strings merged) and write it to OUT as raw BTF. With --base, every
IN is split BTF on B and so is OUT. --dedup deduplicates the result as libbpf's
btf__dedup does (as for any BTF built this way, the string section is kept as it
was merged).

  -B, --base B        base BTF of the inputs and of OUT
  -o, --output OUT    where to write the result (required; atomic)
      --dedup         deduplicate the merged BTF
      --endian E      byte order of OUT: little or big (default: that of the base,
                      else of the host)
      --validate      also run the kernel-style checks on the inputs
`;

export async function run(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: "base", short: ["B"], value: true },
    { name: "output", short: ["o"], value: true },
    { name: "dedup" },
    { name: "endian", value: true },
    { name: "validate" },
  ]);
  if (p.positionals.length === 0) throw new UsageError("merge needs at least one IN file");
  const out = opt(p, "output");
  if (!out) throw new UsageError("merge needs -o OUT");
  const endian = parseEndian(opt(p, "endian"));
  const validate = flag(p, "validate");
  const base = opt(p, "base") === undefined ? undefined : await openBtf(opt(p, "base")!, { validate });
  const merged = newBtf({ base });
  for (const input of p.positionals) {
    const btf = await openBtf(input, { base, validate });
    await inFile(input, async () => addBtf(merged, btf));
  }
  if (flag(p, "dedup")) await inFile(p.positionals.join(", "), async () => dedup(merged));
  const bytes = writeBtf(merged, { endian });
  await inFile(out, () => writeAtomic(out, bytes));
  return 0;
}
