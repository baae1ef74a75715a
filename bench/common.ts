/**
 * What the side-by-side benches share: their options, the tool checks, a scratch
 * directory, hyperfine on whole commands and peak RSS from `/usr/bin/time -v`.
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The value after `--name` on the command line. */
export const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
export const log = (s: string): void => void process.stderr.write(s + "\n");
export const loadavg = (): string => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
/** A shell word. */
export const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The argv that runs the CLI file `cli` as the installed `btfkit` command runs it: this
 * process's node, with the V8 flags of the file's `#!/usr/bin/env -S node ...` line.
 */
export function cliArgv(cli: string): string[] {
  const first = readFileSync(cli, "utf8").split("\n", 1)[0] ?? "";
  const m = /^#!\/usr\/bin\/env\s+(?:-S\s+)?node((?:\s+--\S+)*)\s*$/.exec(first);
  return [process.execPath, ...(m?.[1]?.trim().split(/\s+/).filter(Boolean) ?? []), cli];
}

/**
 * What `bin/btfkit.js` under `root` runs, decided as it decides: its bundle
 * (`dist/cli/`), or the modules (`dist/src/`) when the bundle is missing or older.
 */
export function cliBuild(root: string): "bundle" | "modules" {
  const mtime = (p: string): number => statSync(join(root, p), { throwIfNoEntry: false })?.mtimeMs ?? -1;
  return mtime("dist/cli/btfkit.js") >= mtime("dist/src/cli/bin.js") ? "bundle" : "modules";
}

/** {@link cliArgv} as one shell command. */
export const cliCommand = (cli: string): string => cliArgv(cli).map(sh).join(" ");

/** Exit 2 with a message unless every path exists and hyperfine is installed. */
export function requireInputs(bench: string, paths: readonly (readonly [string, string])[]): void {
  for (const [p, what] of paths) {
    if (!existsSync(p)) {
      log(`bench/${bench}: ${what} missing (${p})`);
      process.exit(2);
    }
  }
  if (spawnSync("sh", ["-c", "command -v hyperfine"]).status !== 0) {
    log(`bench/${bench}: hyperfine is needed (apt-get install hyperfine)`);
    process.exit(2);
  }
}

/** A scratch directory, removed when the process exits. */
export function scratchDir(bench: string): string {
  const tmp = mkdtempSync(join(tmpdir(), `btfkit-bench-${bench}-`));
  process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
  return tmp;
}

export interface Timing {
  mean: number;
  /** null for a single run */
  stddev: number | null;
  min: number;
}

/** hyperfine on several commands (each preceded by its `prepare`); seconds per command. */
export function hyperfine(tmp: string, cmds: readonly { cmd: string; prepare: string }[], runs: number, warmup = 1): Timing[] {
  const json = join(tmp, "hf.json");
  const args = ["--runs", String(runs), "--warmup", String(warmup), "--export-json", json];
  for (const c of cmds) args.push("--prepare", c.prepare);
  args.push(...cmds.map((c) => c.cmd));
  execFileSync("hyperfine", args, { stdio: ["ignore", "ignore", "inherit"] });
  const r = JSON.parse(readFileSync(json, "utf8")) as { results: Timing[] };
  return r.results.map((x) => ({ mean: x.mean, stddev: x.stddev, min: x.min }));
}

/**
 * {@link hyperfine} with the commands' runs interleaved: `warmup` rounds, then `runs`
 * rounds in each of which hyperfine times every command once, in turn. On a machine
 * whose speed drifts over minutes (a shared VM), commands timed in the same round met
 * the same machine: compare them round by round (`runs` holds each round's time).
 */
export function hyperfineInterleaved(tmp: string, cmds: readonly { cmd: string; prepare: string }[], runs: number, warmup = 1): (Timing & { runs: number[] })[] {
  const json = join(tmp, "hf.json");
  const all: number[][] = cmds.map(() => []);
  for (let r = -warmup; r < runs; r++) {
    cmds.forEach((c, i) => {
      execFileSync("hyperfine", ["--runs", "1", "--warmup", "0", "--export-json", json, "--prepare", c.prepare, c.cmd], { stdio: ["ignore", "ignore", "inherit"] });
      const t = (JSON.parse(readFileSync(json, "utf8")) as { results: { mean: number }[] }).results[0]!.mean;
      if (r >= 0) all[i]!.push(t);
    });
  }
  return all.map((ts) => {
    const mean = ts.reduce((a, b) => a + b, 0) / ts.length;
    const stddev = ts.length > 1 ? Math.sqrt(ts.reduce((a, b) => a + (b - mean) ** 2, 0) / (ts.length - 1)) : null;
    return { mean, stddev, min: Math.min(...ts), runs: ts };
  });
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Peak RSS in MB of a shell command (best of n), from /usr/bin/time -v. */
export function peakRss(cmd: string, prepare: string, n = 1): number {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    spawnSync("sh", ["-c", prepare]);
    const r = spawnSync("/usr/bin/time", ["-v", "sh", "-c", `exec ${cmd}`], { encoding: "utf8", maxBuffer: 1 << 26 });
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    if (m) best = Math.min(best, Number(m[1]) / 1024);
  }
  return best;
}
