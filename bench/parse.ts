/**
 * In-process measurements, printed as one JSON object (bench/run.ts runs this with
 * `node --expose-gc`):
 *
 *   node --expose-gc dist/bench/parse.js FILE [--base BASE] [--runs N]
 *
 * - parse: `parseBtf(bytes)` (libbpf's checks + kernel-style checks; the type offset
 *   index is built during the walk), best of N, ms; also with `validate: false`, and
 *   read + parse (what `btf__parse` measures, file reading included);
 * - name index: the first `findByName` on a fresh Btf (builds the name -> ids map);
 * - dump: `dumpRawBytes` and `dumpJsonBytes`, best of N;
 * - heap growth of read + parse, after a full GC, from `process.memoryUsage()`
 *   (heapUsed + external, so the file buffer and typed arrays count), in MB and as a
 *   multiple of the file size.
 */
import { readFileSync } from "node:fs";
import { dumpJsonBytes, dumpRawBytes, extractBtfBytes, parseBtf, type Btf } from "../src/index.js";

const gc = (globalThis as { gc?: () => void }).gc;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function best(n: number, f: () => unknown): number {
  let b = Infinity;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    f();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

/** Best time of the first findByName (which builds the name index) on a fresh Btf. */
function nameIndex(n: number, parse: () => Btf): number {
  let b = Infinity;
  for (let i = 0; i < n; i++) {
    const btf = parse();
    const t = performance.now();
    btf.findByName("task_struct");
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

/** Full GCs with pauses between, so freed ArrayBuffer memory is really returned. */
async function settle(gc: () => void): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The file's bytes as a view of the Buffer readFileSync returns (no copy). */
function readBytes(file: string): Uint8Array {
  const b = readFileSync(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const mem = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error("usage: parse.js FILE [--base BASE] [--runs N]");
  const runs = Number(argValue("--runs") ?? 20);
  const baseFile = argValue("--base");
  const raw = async (f: string) => (await extractBtfBytes(readBytes(f))).bytes;
  const base: Btf | undefined = baseFile ? parseBtf(await raw(baseFile)) : undefined;
  const bytes = await raw(file);
  const isRaw = bytes.byteLength === readFileSync(file).byteLength;
  const parse = () => parseBtf(bytes, { base });

  // Warm up the JIT on the whole path once, then measure heap growth of a fresh read + parse.
  let btf = parse();
  dumpRawBytes(btf);
  dumpJsonBytes(btf);
  btf.findByName("task_struct");
  let heap: { growthMB: number; ratio: number } | undefined;
  if (gc && isRaw) {
    const keep: unknown[] = [];
    await settle(gc);
    const m0 = mem();
    const b = readBytes(file);
    keep.push(parseBtf(b, { base }));
    await settle(gc);
    const grown = mem() - m0;
    heap = { growthMB: grown / 2 ** 20, ratio: grown / b.byteLength };
    keep.length = 0;
  }

  const result = {
    file,
    base: baseFile,
    fileBytes: readFileSync(file).byteLength,
    btfBytes: bytes.byteLength,
    types: btf.nrTypes,
    runs,
    parseMs: best(runs, parse),
    parseNoValidateMs: best(runs, () => parseBtf(bytes, { base, validate: false })),
    readParseMs: isRaw ? best(runs, () => parseBtf(readBytes(file), { base })) : undefined,
    nameIndexMs: nameIndex(Math.min(runs, 10), parse),
    dumpRawMs: best(runs, () => dumpRawBytes(btf)),
    dumpJsonMs: best(runs, () => dumpJsonBytes(btf)),
    heapGrowthMB: heap?.growthMB,
    heapRatio: heap?.ratio,
    gc: Boolean(gc),
  };
  btf = parse();
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/parse: ${(e as Error).message ?? e}\n`);
  process.exit(1);
});
