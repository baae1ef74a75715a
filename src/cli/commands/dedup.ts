import { open } from "node:fs/promises";
import type { Btf, Endian } from "../../btf/btf.js";
import { dedup } from "../../btf/dedup/index.js";
import { startStringPass } from "../../btf/dedup/parallel.js";
import { extractBtfBytes } from "../../btf/load.js";
import { parseBtf } from "../../btf/parse.js";
import { writeBtf } from "../../btf/write.js";
import { inFile, isSysfsModule, openBtf, writeAtomic } from "../../io/files.js";
import { flag, opt, parseArgs, UsageError } from "../args.js";

export const help = `usage: btfkit dedup IN [--base B] -o OUT [--endian little|big]

Deduplicate the BTF of IN exactly as libbpf 1.5's btf__dedup does, and write the
result to OUT as raw BTF. With --base, IN is split BTF on B: types equal to base
types are dropped in favour of them and only new types remain (B is not changed).

IN and B are raw BTF, ELF files with .BTF (vmlinux, .ko, .o), compressed modules,
a bzImage, or /sys/kernel/btf/NAME. OUT is written atomically (temp file + rename):
on any error nothing is written.

  -B, --base B        base BTF for split BTF
  -o, --output OUT    where to write the result (required)
      --endian E      byte order of OUT: little or big (default: that of IN)
      --validate      also run the kernel-style checks on IN (libbpf's checks
                      always run)
`;

export function parseEndian(v: string | undefined): Endian | undefined {
  if (v === undefined) return undefined;
  if (v !== "little" && v !== "big") throw new UsageError(`unknown byte order '${v}' (little or big)`);
  return v;
}

/** The whole file in a SharedArrayBuffer (so a worker can read it too), or undefined on any trouble. */
async function readShared(path: string): Promise<Uint8Array | undefined> {
  try {
    const fh = await open(path, "r");
    try {
      const { size } = await fh.stat();
      const bytes = new Uint8Array(new SharedArrayBuffer(size));
      let at = 0;
      while (at < size) {
        const { bytesRead } = await fh.read(bytes, at, size - at, at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return bytes.subarray(0, at);
    } finally {
      await fh.close();
    }
  } catch {
    return undefined; // openBtf reports it properly
  }
}

export async function run(argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: "base", short: ["B"], value: true },
    { name: "output", short: ["o"], value: true },
    { name: "endian", value: true },
    { name: "validate" },
  ]);
  if (p.positionals.length !== 1) throw new UsageError("dedup takes exactly one IN file");
  const out = opt(p, "output");
  if (!out) throw new UsageError("dedup needs -o OUT");
  const endian = parseEndian(opt(p, "endian"));
  const input = p.positionals[0]!;
  const validate = flag(p, "validate");
  const base = opt(p, "base") === undefined ? undefined : await openBtf(opt(p, "base")!, { validate });
  // Non-split input is read into shared memory: dedup may then rebuild its strings on a
  // worker thread while it deduplicates the types.
  let btf: Btf | undefined;
  if (!base && !isSysfsModule(input)) {
    const shared = await readShared(input);
    if (shared) btf = await inFile(input, async () => parseBtf((await extractBtfBytes(shared)).bytes, { validate }));
  }
  btf ??= await openBtf(input, { base, validate });
  const done = btf;
  // The input bytes are ours alone: dedup may work in them instead of a copy.
  const bytes = await inFile(input, async () => writeBtf(dedup(done, { inPlace: true, stringPass: startStringPass(done) }), { endian }));
  await inFile(out, () => writeAtomic(out, bytes));
  return 0;
}
