/**
 * Shared machinery of the conformance suite: where the kernels and oracles are, running
 * the oracles as subprocesses (a small pool, to use both cores), byte and JSON comparison
 * with a readable first difference, and the tally printed at the end of each file.
 *
 * The suite FAILS when its data or oracles are missing; only BTFKIT_SKIP_CONFORMANCE=1
 * turns it into skips.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { KERNELS, ORACLE_BIN } from "../helpers/paths.js";

/** Set BTFKIT_SKIP_CONFORMANCE=1 to skip (not fail) the whole suite. */
export const SKIP: string | false = process.env.BTFKIT_SKIP_CONFORMANCE === "1" ? "BTFKIT_SKIP_CONFORMANCE=1" : false;

export const BPFTOOL75 = join(ORACLE_BIN, "bpftool");
export const BPFTOOL71 = process.env.BTFKIT_BPFTOOL71 ?? "/usr/sbin/bpftool";

export interface Oracle {
  /** Short label used in messages and the summary: "bpftool 7.5". */
  label: string;
  path: string;
  /** First line of `bpftool version` must contain this (bpftool prints its argv[0] first). */
  version: string;
}
export const ORACLES: readonly Oracle[] = [
  { label: "bpftool 7.5", path: BPFTOOL75, version: " v7.5." },
  { label: "bpftool 7.1", path: BPFTOOL71, version: " v7.1." },
];

export const kernelPath = (...p: string[]): string => join(KERNELS, ...p);

const HOWTO =
  "run scripts/fetch-kernels.sh 6.1 6.12, and ../shared/oracle/modern.sh then build.sh for the oracles " +
  "(or set BTFKIT_SKIP_CONFORMANCE=1 to skip this suite)";

/** Throw (fail the test) when any of `paths` is missing. */
export function requirePaths(paths: string[]): void {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length) throw new Error(`conformance data missing: ${missing.join(", ")}; ${HOWTO}`);
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Run a program, collecting stdout as bytes. Never rejects for a non-zero exit. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (b: Buffer) => out.push(b));
    p.stderr.on("data", (b: Buffer) => err.push(b));
    p.on("error", reject);
    p.on("close", (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }),
    );
  });
}

/** Run and insist on exit 0; returns stdout. */
export async function runOk(cmd: string, args: string[]): Promise<Buffer> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${errorLines(r.stderr)}`);
  return r.stdout;
}

/** The telling lines of a tool's stderr: the first few, and any naming an error. */
function errorLines(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.trim());
  const pick = lines.slice(0, 4).concat(lines.slice(4).filter((l) => /error/i.test(l)).slice(0, 3));
  return pick.join(" | ").slice(0, 1500) || "(no stderr)";
}

/** `bpftool [-j] [-B base] btf dump file F format raw`. */
export function bpftoolDump(oracle: Oracle, file: string, opts: { base?: string; json?: boolean } = {}): Promise<Buffer> {
  const args: string[] = [];
  if (opts.json) args.push("-j");
  if (opts.base) args.push("-B", opts.base);
  args.push("btf", "dump", "file", file, "format", "raw");
  return runOk(oracle.path, args);
}

/** `items` through `fn`, at most `n` at a time; results in input order. */
export async function mapPool<T, R>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** Equal bytes? */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/**
 * Where two texts first differ: line number and both lines (clipped), or undefined
 * when the bytes are equal.
 */
export function firstDiff(actual: Uint8Array, expected: Uint8Array, aName = "btfkit", eName = "oracle"): string | undefined {
  if (sameBytes(actual, expected)) return undefined;
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  let ls = i;
  while (ls > 0 && actual[ls - 1] !== 10) ls--;
  let line = 1;
  for (let k = 0; k < ls; k++) if (actual[k] === 10) line++;
  const lineAt = (b: Uint8Array) => {
    let e = b.indexOf(10, ls);
    if (e < 0) e = b.length;
    const s = Buffer.from(b.buffer, b.byteOffset + ls, Math.min(e, ls + 200) - ls).toString("latin1");
    return ls >= b.length ? "<end of output>" : JSON.stringify(s);
  };
  return `first difference at byte ${i}, line ${line} (sizes ${actual.length} vs ${expected.length}):\n    ${aName}: ${lineAt(actual)}\n    ${eName}: ${lineAt(expected)}`;
}

/**
 * JSON.parse that keeps integers beyond 2^53 exact: every number token of 16 or more
 * digits is turned into a `BigInt` (so 18446744073709551615 and 18446744073709551614
 * stay different, as they would not with plain JSON.parse).
 */
export function parseJsonExact(text: string): unknown {
  let out = "";
  let from = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 92) i++;
      else if (c === 34) inStr = false;
      continue;
    }
    if (c === 34) {
      inStr = true;
      continue;
    }
    if (c === 45 || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if ((d >= 48 && d <= 57) || d === 45 || d === 43 || d === 46 || d === 101 || d === 69) j++;
        else break;
      }
      if (j - i >= 16 && /^-?\d+$/.test(text.slice(i, j))) {
        out += text.slice(from, i) + `"\\u0000big:${text.slice(i, j)}"`;
        from = j;
      }
      i = j - 1;
    }
  }
  out += text.slice(from);
  return JSON.parse(out, (_k, v) => (typeof v === "string" && v.startsWith("\u0000big:") ? BigInt(v.slice(5)) : v));
}

/**
 * Compare two bpftool-style JSON documents `{"types":[...]}` as parsed values.
 * Returns undefined when equal, else a description of the first different type.
 */
export function jsonDiff(actual: Uint8Array, expected: Uint8Array): string | undefined {
  const dec = new TextDecoder();
  const a = parseJsonExact(dec.decode(actual)) as { types?: unknown[] };
  const e = parseJsonExact(dec.decode(expected)) as { types?: unknown[] };
  const ka = Object.keys(a ?? {}).join(","), ke = Object.keys(e ?? {}).join(",");
  if (ka !== ke) return `top-level keys differ: btfkit {${ka}} vs oracle {${ke}}`;
  const ta = a.types ?? [], te = e.types ?? [];
  const n = Math.min(ta.length, te.length);
  const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x)).slice(0, 300);
  for (let i = 0; i < n; i++) {
    if (!isDeepStrictEqual(ta[i], te[i])) return `types[${i}] differ:\n    btfkit: ${show(ta[i])}\n    oracle: ${show(te[i])}`;
  }
  if (ta.length !== te.length) return `type count differs: btfkit ${ta.length} vs oracle ${te.length}`;
  return undefined;
}

/** Files under `dir` (recursively) whose name ends with `suffix`, sorted. */
export function listFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(suffix) && (e.isFile() || (e.isSymbolicLink() && statSync(p).isFile()))) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Count of comparisons per oracle and check, printed at the end of a file for the CI log. */
export class Tally {
  private counts = new Map<string, number>();
  add(what: string, n = 1): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + n);
  }
  get(what: string): number {
    return this.counts.get(what) ?? 0;
  }
  lines(title: string): string {
    const rows = [...this.counts].map(([k, v]) => `  ${String(v).padStart(6)}  ${k}`);
    return `${title}\n${rows.join("\n")}`;
  }
}

/** A list of failures, shown a few at a time. */
export class Failures {
  readonly items: string[] = [];
  add(s: string): void {
    this.items.push(s);
  }
  /** Message for assert: how many, and the first few in full. */
  report(what: string, of: number): string {
    const head = [...this.items].sort().slice(0, 8).join("\n  ");
    return `${this.items.length} of ${of} ${what}:\n  ${head}${this.items.length > 8 ? `\n  ... and ${this.items.length - 8} more` : ""}`;
  }
}

/** Check the oracle is the version we think it is (a wrong tool gives meaningless passes). */
export async function oracleVersion(o: Oracle): Promise<string> {
  requirePaths([o.path]);
  const out = (await runOk(o.path, ["version"])).toString("utf8");
  const first = out.split("\n")[0] ?? "";
  if (!first.includes(o.version)) throw new Error(`${o.path} reports '${first}', expected${o.version}x`);
  return out.trim().replace(/^\S*bpftool/, "bpftool").replace(/\n/g, ", ");
}
