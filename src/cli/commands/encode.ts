import { writeBtf } from "../../btf/write.js";
import { parseFeatures, type EncodeFeatures } from "../../encode/features.js";
import { encodeFile, defaultJobs } from "../../io/encode-workers.js";
import { writeElfSection } from "../../io/elf-write.js";
import { FileError, inFile, openBtf, writeAtomic } from "../../io/files.js";
import { BtfError } from "../../internal/errors.js";
import { flag, opt, parseArgs, UsageError } from "../args.js";
import { progressLine } from "../progress.js";

export const help = `usage: btfkit encode ELF [--base B] (-o OUT.btf | --in-place | --output NEW_ELF)
                     [-j N] [--features LIST] [--no-dedup]

Encode the DWARF of ELF (vmlinux, a .ko module, a .o) into BTF exactly as
'pahole -J --btf_features=default' (pahole 1.30) does: the same types, functions,
per-CPU variables and kfunc tags, deduplicated as libbpf 1.5 does.

  -B, --base B          make split BTF on B (pahole --btf_base): a vmlinux ELF
                        with .BTF, or raw BTF
  -o OUT.btf            write raw BTF to OUT.btf (pahole --btf_encode_detached)
      --in-place        put the BTF into ELF as its .BTF section (pahole -J)
      --output NEW_ELF  write a copy of ELF with the .BTF section to NEW_ELF
  -j, --jobs N          threads (default: the number of CPUs, at most 8); inputs
                        with less than 48 MiB of DWARF (modules) use one; the
                        output is the same for every N
      --features LIST   pahole's --btf_features: 'default' (the default), '+a,b'
                        (default plus a and b) or 'a,b' (only these); known:
                        encode_force, var, float, decl_tag, type_tag, enum64,
                        optimized_func, consistent_func, decl_tag_kfuncs,
                        global_var, reproducible_build
      --no-dedup        write the BTF before deduplication (what pahole hands
                        to libbpf's btf__dedup)

Every output is written atomically: on any error nothing is written.
`;

export async function run(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: "base", short: ["B"], value: true },
    { name: "raw-output", short: ["o"], value: true },
    { name: "in-place" },
    { name: "output", value: true },
    { name: "jobs", short: ["j"], value: true },
    { name: "features", value: true },
    { name: "no-dedup" },
  ]);
  if (p.positionals.length !== 1) throw new UsageError("encode takes exactly one ELF file");
  const input = p.positionals[0]!;
  const raw = opt(p, "raw-output");
  const outElf = opt(p, "output");
  const inPlace = flag(p, "in-place");
  const targets = (raw !== undefined ? 1 : 0) + (outElf !== undefined ? 1 : 0) + (inPlace ? 1 : 0);
  if (targets !== 1) throw new UsageError("encode needs exactly one of -o OUT.btf, --in-place, --output NEW_ELF");
  let jobs = defaultJobs();
  const j = opt(p, "jobs");
  if (j !== undefined) {
    jobs = Number(j);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`-j takes a whole number of threads, not '${j}'`);
  }
  let features: EncodeFeatures | undefined;
  const fl = opt(p, "features");
  if (fl !== undefined) {
    const parsed = parseFeatures(fl);
    for (const u of parsed.unknown) process.stderr.write(`btfkit: warning: unknown BTF feature '${u}' ignored\n`);
    features = parsed.features;
  }
  const basePath = opt(p, "base");
  // As pahole's btf__parse: libbpf's checks only (btfkit's kernel-style checks are for dumps).
  const base = basePath === undefined ? undefined : await openBtf(basePath, { validate: false });
  const progress = progressLine(process.stderr);
  const btf = await inFile(input, () =>
    encodeFile(input, {
      base,
      features,
      jobs,
      dedup: !flag(p, "no-dedup"),
      onProgress: (done, total) => {
        if (total >= 64) progress(`encoding ${input}: CU ${done}/${total}`);
      },
    }),
  ).finally(() => progress(undefined));
  // pahole writes nothing for an empty (non-split) result: neither do we, and say so.
  if (!base && btf.nrTypes === 0)
    throw new FileError(input, new BtfError("NOT_FOUND", "no types to encode (nothing written): the DWARF has no compile unit with types (split DWARF? encode the .dwo)"));
  const bytes = writeBtf(btf);
  if (raw !== undefined) await inFile(raw, () => writeAtomic(raw, bytes));
  else await inFile(outElf ?? input, () => writeElfSection(input, ".BTF", bytes, outElf === undefined ? {} : { output: outElf }));
  return 0;
}
