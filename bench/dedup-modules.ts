/**
 * Split dedup of many modules in one process, the base parsed once (what a tool that
 * rebuilds all module BTF of a kernel would do):
 *
 *   node dist/bench/dedup-modules.js BASE MODULE_IN... [--keep-strings] [--fresh-base] [--out DIR]
 *   node dist/bench/dedup-modules.js BASE --list FILE [--keep-strings] [--fresh-base]
 *
 * Each MODULE_IN is parsed as split BTF on BASE and deduplicated (strings rebuilt, as
 * `btfref dedup` does on a file; --keep-strings treats them as pahole's writer-API
 * strings). --fresh-base parses the base again for every module, so that nothing
 * prepared for it is reused (what one process per module costs, minus process start).
 * --out writes each result to DIR/N.btf. Prints one JSON line: module count,
 * types in and out, wall ms, and the ms spent in dedup() alone.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dedup, parseBtf, writeBtf } from "../src/index.js";

const args = process.argv.slice(2);
const flagAt = (name: string): number => args.indexOf(name);
const keep = flagAt("--keep-strings") >= 0;
const fresh = flagAt("--fresh-base") >= 0;
let outDir: string | undefined;
if (flagAt("--out") >= 0) outDir = args.splice(flagAt("--out"), 2)[1];
let files = args.filter((a) => !a.startsWith("--"));
const basePath = files.shift();
if (flagAt("--list") >= 0) files = readFileSync(args[flagAt("--list") + 1]!, "utf8").split("\n").filter(Boolean);
if (!basePath || files.length === 0) {
  process.stderr.write("usage: dedup-modules.js BASE MODULE_IN... | BASE --list FILE [--keep-strings] [--out DIR]\n");
  process.exit(2);
}

const t0 = performance.now();
const baseBytes = new Uint8Array(readFileSync(basePath));
let base = parseBtf(baseBytes, { validate: false });
let typesIn = 0;
let typesOut = 0;
let dedupMs = 0;
files.forEach((f, i) => {
  if (fresh) base = parseBtf(baseBytes, { validate: false }); // nothing prepared for this base yet
  const btf = parseBtf(new Uint8Array(readFileSync(f)), { validate: false, base });
  typesIn += btf.nrTypes;
  const t = performance.now();
  dedup(btf, { stringsDeduped: keep || undefined, inPlace: true });
  dedupMs += performance.now() - t;
  typesOut += btf.nrTypes;
  if (outDir) writeFileSync(join(outDir, `${i}.btf`), writeBtf(btf));
  else writeBtf(btf);
});
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ modules: files.length, typesIn, typesOut, ms: Math.round(ms), dedupMs: Math.round(dedupMs) }) + "\n");
