/**
 * Where one cold `btfkit dump` process spends its time, as the CLI does it (a fresh
 * process per run, so JIT warm-up is included). bench/run.ts starts this N times and
 * keeps the minimum of each phase.
 *
 *   node dist/bench/phases.js FILE [BASE] [--json] [--no-validate]
 *
 * Prints to stderr one JSON object, in ms: `boot` (process start to the first line of
 * this module: Node's own start-up), `imports` (loading btfkit's modules), `open` (read
 * + extract + parse + checks, base included), `dump` (raw or JSON text), `write`.
 * The dump itself goes to stdout.
 */
const t0 = performance.now();
const { openBtf } = await import("../src/io/files.js");
const { dumpRawBytes } = await import("../src/btf/dump/raw.js");
const { dumpJsonBytes } = await import("../src/btf/dump/json.js");
const { writeSync } = await import("node:fs");
const t1 = performance.now();

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const json = process.argv.includes("--json");
const validate = !process.argv.includes("--no-validate");
const [file, base] = args;
if (!file) throw new Error("usage: phases.js FILE [BASE] [--json] [--no-validate]");
const btf = await openBtf(file, { base, validate });
const t2 = performance.now();
const out = json ? dumpJsonBytes(btf) : dumpRawBytes(btf);
const t3 = performance.now();
for (let off = 0; off < out.length; ) off += writeSync(1, out, off);
const t4 = performance.now();
process.stderr.write(JSON.stringify({ boot: t0, imports: t1 - t0, open: t2 - t1, dump: t3 - t2, write: t4 - t3, total: t4 }) + "\n");
