/**
 * Dedup benchmark: btfkit against libbpf 1.5 (`btfref dedup`), on what pahole 1.30
 * hands to btf__dedup for the Debian 6.1 kernel (scripts/spy-capture.sh).
 *
 *   node dist/bench/dedup.js [--runs N] [--modules N|all]
 *
 * 1. vmlinux, 3.41 M types -> 95.5 k: whole process, `btfkit dedup IN -o OUT` vs
 *    `btfref dedup IN OUT`, wall time with hyperfine (N runs, 1 warm-up), peak RSS with
 *    /usr/bin/time -v (best of 3), and btfkit's time per pass (in-process, one run).
 * 2. modules: split dedup of every captured module (or a spread sample) on the vmlinux
 *    base: one btfkit process for all (bench/dedup-modules.ts, base parsed once) vs one
 *    btfref process per module; wall time with hyperfine.
 * Both deduplicate the captured files the same way (strings rebuilt), so their outputs
 * are byte-identical (test/dedup/real.test.ts checks it). Prints a Markdown report and
 * the ratios; asserts nothing. The load average is printed: other work on the machine
 * skews wall times.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cliArgv } from "./common.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "bin", "btfkit.js");
const BATCH = join(ROOT, "dist", "bench", "dedup-modules.js");
const SPY = process.env.BTFKIT_SPY ?? join(homedir(), ".cache", "btfkit", "spy");
const BTFREF = join(process.env.BTF_ORACLE_DIR ?? join(homedir(), ".cache", "btf-oracle"), "bin", "btfref");

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg("--runs") ?? 5);
const MODULES = arg("--modules") ?? "all";
const log = (s: string): void => void process.stderr.write(s + "\n");
const loadavg = (): string => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

function need(path: string, what: string): void {
  if (!existsSync(path)) {
    log(`bench/dedup: ${what} missing (${path})`);
    process.exit(2);
  }
}
need(join(SPY, "vmlinux", "in.btf"), "the spy capture (scripts/spy-capture.sh)");
need(BTFREF, "btfref (../shared/oracle/build.sh)");
need(BATCH, "dist (npm run build)");
if (spawnSync("sh", ["-c", "command -v hyperfine"]).status !== 0) {
  log("bench/dedup: hyperfine is needed (apt-get install hyperfine)");
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), "btfkit-bench-dedup-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface Timing {
  mean: number;
  stddev: number;
  min: number;
}

/** hyperfine on several commands; mean/stddev/min seconds per command. */
function hyperfine(cmds: string[], runs: number, warmup = 1): Timing[] {
  const json = join(tmp, "hf.json");
  execFileSync("hyperfine", ["-N", "--runs", String(runs), "--warmup", String(warmup), "--export-json", json, ...cmds], { stdio: ["ignore", "ignore", "inherit"] });
  const r = JSON.parse(readFileSync(json, "utf8")) as { results: { mean: number; stddev: number; min: number }[] };
  return r.results.map((x) => ({ mean: x.mean, stddev: x.stddev, min: x.min }));
}

/** Peak RSS in MB of a command (best of n), from /usr/bin/time -v. */
function peakRss(argv: string[], n = 3): number {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const r = spawnSync("/usr/bin/time", ["-v", ...argv], { encoding: "utf8" });
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    if (m) best = Math.min(best, Number(m[1]) / 1024);
  }
  return best;
}

const fmt = (t: Timing): string => `${(t.mean * 1000).toFixed(0)} ± ${(t.stddev * 1000).toFixed(0)} ms (min ${(t.min * 1000).toFixed(0)})`;
const lines: string[] = [];
const out = (s = ""): void => void lines.push(s);

out("## Dedup: btfkit vs libbpf 1.5");
out();
out(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}; load average at start ${loadavg()}.`);
out();

// 1. vmlinux
const vin = join(SPY, "vmlinux", "in.btf");
const vout = join(tmp, "vmlinux.btf");
log("bench/dedup: vmlinux ...");
const kit = [...cliArgv(CLI), "dedup", vin, "-o", vout];
const ref = [BTFREF, "dedup", vin, join(tmp, "vmlinux.ref.btf")];
const [tk, tr] = hyperfine([kit.map(sh).join(" "), ref.map(sh).join(" ")], RUNS);
const rk = peakRss(kit);
const rr = peakRss(ref);
const phases = execFileSync(process.execPath, [
  "--input-type=module",
  "-e",
  `import { readFileSync } from "node:fs"; import { parseBtf, dedup } from ${JSON.stringify(join(ROOT, "dist", "src", "index.js"))};
   const t0 = performance.now(); const b = parseBtf(new Uint8Array(readFileSync(${JSON.stringify(vin)})), { validate: false });
   const t1 = performance.now(); const tm = {}; dedup(b, { timings: tm, inPlace: true });
   console.log(JSON.stringify({ read_parse: t1 - t0, ...tm }));`,
]).toString();
const ph = JSON.parse(phases) as Record<string, number>;
const same = Buffer.compare(readFileSync(vout), readFileSync(join(tmp, "vmlinux.ref.btf"))) === 0;
out(`### vmlinux: 3.41 M pre-dedup types (pahole 1.30) -> 95.5 k`);
out();
out("| | wall (hyperfine, " + RUNS + " runs) | peak RSS |");
out("|---|---|---|");
out(`| btfkit \`dedup\` (whole process) | ${fmt(tk!)} | ${rk.toFixed(0)} MB |`);
out(`| libbpf \`btfref dedup\` | ${fmt(tr!)} | ${rr.toFixed(0)} MB |`);
out(`| ratio btfkit / libbpf | ${(tk!.mean / tr!.mean).toFixed(2)} | ${(rk / rr).toFixed(2)} |`);
out();
out(`Outputs byte-identical: ${same ? "yes" : "NO"}. btfkit in-process, ms: ` + Object.entries(ph).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ") + ".");
out();

// 2. modules
const mods: string[] = [];
const walk = (d: string): void => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = join(d, e.name);
    if (existsSync(join(p, ".done"))) mods.push(join(p, "in.btf"));
    else walk(p);
  }
};
if (existsSync(join(SPY, "modules"))) walk(join(SPY, "modules"));
mods.sort();
const base = join(SPY, "modules", "base.btf");
if (mods.length && existsSync(base)) {
  const n = MODULES === "all" ? mods.length : Math.min(mods.length, Number(MODULES));
  const pick = Array.from({ length: n }, (_, i) => mods[Math.floor((i * mods.length) / n)]!);
  log(`bench/dedup: ${n} modules ...`);
  const list = join(tmp, "modules.txt");
  writeFileSync(list, pick.join("\n") + "\n");
  const script = join(tmp, "btfref-all.sh");
  const dms = join(tmp, "dedup_ms.txt");
  writeFileSync(script, pick.map((p, i) => `${sh(BTFREF)} dedup ${sh(p)} ${sh(join(tmp, `m${i}.ref`))} ${sh(base)} 2>>${sh(dms)}`).join("\n") + "\n");
  const mk = ["node", BATCH, base, "--list", list];
  const runs = Math.max(2, Math.min(RUNS, 3));
  const [bk, br] = hyperfine([mk.map(sh).join(" "), `sh ${sh(script)}`], runs, 0);
  const info = JSON.parse(execFileSync("node", [BATCH, base, "--list", list]).toString()) as { typesIn: number; typesOut: number; dedupMs: number };
  // libbpf's own dedup time (btfref prints it per call), averaged over the hyperfine runs.
  const refDedupMs = readFileSync(dms, "utf8").split("\n").reduce((a, l) => a + (Number(/^dedup_ms ([\d.]+)/.exec(l)?.[1]) || 0), 0) / runs;
  out(`### modules: split dedup of ${n} modules on the vmlinux base`);
  out();
  out(`${info.typesIn} pre-dedup types -> ${info.typesOut}.`);
  out();
  out("| | wall (hyperfine, " + runs + " runs) | per module |");
  out("|---|---|---|");
  out(`| btfkit, one process, base parsed once | ${fmt(bk!)} | ${((bk!.mean * 1000) / n).toFixed(1)} ms |`);
  out(`| libbpf, one \`btfref dedup\` per module | ${fmt(br!)} | ${((br!.mean * 1000) / n).toFixed(1)} ms |`);
  out(`| ratio btfkit / libbpf | ${(bk!.mean / br!.mean).toFixed(2)} | |`);
  out();
  const freshInfo = JSON.parse(execFileSync("node", [BATCH, base, "--list", list, "--fresh-base"]).toString()) as { dedupMs: number; ms: number };
  out(`Time inside dedup only (no process start, no parsing): btfkit ${info.dedupMs} ms, libbpf ${refDedupMs.toFixed(0)} ms (sum of btfref's dedup_ms); ratio ${(info.dedupMs / refDedupMs).toFixed(2)}.`);
  out(`With the base parsed afresh for every module (nothing prepared for it reused): btfkit ${freshInfo.ms} ms in all, ${freshInfo.dedupMs} ms in dedup; ratio to libbpf's dedup time ${(freshInfo.dedupMs / refDedupMs).toFixed(2)}.`);
  out();
} else {
  out("(modules: no capture, skipped)");
}
out(`Load average at end: ${loadavg()}.`);
process.stdout.write(lines.join("\n") + "\n");
