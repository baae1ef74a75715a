/**
 * Mutation fuzz of the loaders, starting from the committed fixtures: bit flips, byte
 * sets, truncation, header field edits, splices, duplicated/deleted/inserted ranges.
 * Every case must load, dump, check and write cleanly or fail with a BtfError; a case
 * that throws anything else, breaks the write/re-parse invariant, or runs longer than
 * CASE_LIMIT_MS is saved under test/fixtures/fuzz/<hash>.bin (+ .json with its base and
 * origin) and fails the test. Saved cases form a regression corpus run every time.
 *
 * Time-bounded: BTFKIT_FUZZ_SECONDS (default 15), BTFKIT_FUZZ_SEED (default fixed, so a
 * run is reproducible), BTFKIT_FUZZ_CASES (cap, default 200000).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { FIXTURES } from "../helpers/paths.js";
import { manifest, readFixture } from "../helpers/fixtures.js";
import { hashName, makeCase, type FuzzInput } from "../helpers/fuzz-core.js";
import type { WorkerData } from "../helpers/fuzz-worker.js";

const SECONDS = Number(process.env.BTFKIT_FUZZ_SECONDS ?? 15);
const SEED = Number(process.env.BTFKIT_FUZZ_SEED ?? 0x5eed);
const MAX_CASES = Number(process.env.BTFKIT_FUZZ_CASES ?? 200000);
const CASE_LIMIT_MS = 5000;
const STARTUP_LIMIT_MS = 60000;
const CORPUS = join(FIXTURES, "fuzz");
const WORKER = fileURLToPath(new URL("../helpers/fuzz-worker.js", import.meta.url));

const BASES = ["handmade/split-base.btf", "real/vmlinux-6.1.btf.xz"];

/** Seeds: every raw blob, ELF object and compressed file among the fixtures (not the vmlinux base). */
function pool(): FuzzInput[] {
  const out: FuzzInput[] = [];
  const seen = new Set<string>();
  for (const e of manifest().fixtures) {
    if (e.digest) continue;
    for (const f of [{ file: e.file, base: e.base }, ...e.variants.map((v) => ({ file: v.file, base: v.base ?? e.base }))]) {
      const key = `${f.file}|${f.base ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const base = f.base === undefined ? undefined : BASES.indexOf(f.base);
      if (base === -1) continue; // a split on a base not loaded in the worker (e.g. the big-endian base copy)
      out.push({ file: f.file, bytes: readFixture(f.file), base });
    }
  }
  out.push({ file: "elf/nobtf.o", bytes: readFixture("elf/nobtf.o") });
  return out;
}

interface Meta {
  base?: string;
  seed?: number;
  case?: number;
  from?: string;
  ops?: string[];
  message?: string;
}

function corpus(): { name: string; input: FuzzInput }[] {
  if (!existsSync(CORPUS)) return [];
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith(".bin"))
    .sort()
    .map((f) => {
      const metaPath = join(CORPUS, f.replace(/\.bin$/, ".json"));
      const meta: Meta = existsSync(metaPath) ? JSON.parse(readFileSync(metaPath, "utf8")) : {};
      const base = meta.base === undefined ? undefined : BASES.indexOf(meta.base);
      const b = readFileSync(join(CORPUS, f));
      return { name: f, input: { file: f, bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength), base: base === -1 ? undefined : base } };
    });
}

function save(bytes: Uint8Array, meta: Meta): string {
  mkdirSync(CORPUS, { recursive: true });
  const name = hashName(bytes);
  writeFileSync(join(CORPUS, `${name}.bin`), bytes);
  writeFileSync(join(CORPUS, `${name}.json`), JSON.stringify(meta, null, 2) + "\n");
  return `${name}.bin`;
}

test(`mutated fixtures load, dump and write cleanly or fail with a BtfError (${SECONDS} s, seed ${SEED}), regression corpus included`, { timeout: (SECONDS + 120) * 1000 }, async (t) => {
  const seeds = pool();
  const saved = corpus();
  assert.ok(seeds.length > 50, `${seeds.length} seed inputs`);
  const data: WorkerData = { seed: SEED, seconds: SECONDS, maxCases: MAX_CASES, bases: BASES.map((b) => readFixture(b)), pool: seeds, corpus: saved.map((c) => c.input) };
  const failures: string[] = [];
  const describe = (i: number) => (i < 0 ? `corpus ${saved[-i - 1]!.name}` : `case ${i}`);
  const record = (i: number, message: string, ops: string[]) => {
    if (i < 0) {
      failures.push(`${describe(i)}: ${message}`);
      return;
    }
    const c = makeCase(SEED, i, seeds);
    const file = save(c.bytes, { base: c.input.base === undefined ? undefined : BASES[c.input.base], seed: SEED, case: i, from: c.input.file, ops: ops.length ? ops : c.ops, message: message.split("\n")[0] });
    failures.push(`${describe(i)} (${c.input.file}, ${c.ops.join(" ")}) saved as fuzz/${file}: ${message}`);
  };

  const cases = await new Promise<number>((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: data, resourceLimits: { maxOldGenerationSizeMb: 4096 } });
    let current: number | undefined;
    let since = Date.now();
    let started = false;
    let finished = false;
    const watchdog = setInterval(() => {
      const limit = started ? CASE_LIMIT_MS : STARTUP_LIMIT_MS;
      if (Date.now() - since <= limit) return;
      clearInterval(watchdog);
      if (current !== undefined) record(current, `no result after ${limit} ms (hang?)`, []);
      else failures.push(`worker did not start within ${limit} ms`);
      finished = true;
      void w.terminate().then(() => resolve(current ?? 0));
    }, 250);
    w.on("message", (m: { t: string; i: number; message: string; ops: string[]; cases: number }) => {
      if (m.t === "case") {
        current = m.i;
        since = Date.now();
        started = true;
      } else if (m.t === "crash") {
        record(m.i, m.message, m.ops);
      } else if (m.t === "done") {
        finished = true;
        clearInterval(watchdog);
        void w.terminate().then(() => resolve(m.cases));
      } else if (m.t === "fatal") {
        finished = true;
        clearInterval(watchdog);
        reject(new Error(m.message));
      }
    });
    w.on("error", (e) => {
      clearInterval(watchdog);
      if (current !== undefined) record(current, `worker died: ${e.message}`, []);
      finished = true;
      resolve(current ?? 0);
    });
    w.on("exit", (code) => {
      clearInterval(watchdog);
      if (!finished) {
        if (current !== undefined) record(current, `worker exited with ${code}`, []);
        resolve(current ?? 0);
      }
    });
  });

  t.diagnostic(`${cases} cases from ${seeds.length} seed inputs, ${saved.length} corpus entries`);
  if (failures.length) assert.fail(`${failures.length} fuzz failure(s):\n${failures.slice(0, 20).join("\n")}`);
  if (SECONDS >= 5) assert.ok(cases >= 200, `only ${cases} cases ran`);
});
