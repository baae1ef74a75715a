/**
 * `npm run bench`: btfkit against bpftool, side by side in one run, and in-process parse
 * figures against libbpf.
 *
 *   node dist/bench/run.js [--runs N] [--md FILE] [--encode]
 *
 * 1. Wall time with hyperfine (output to /dev/null, 3 warm-up runs), one hyperfine run per
 *    case so each table compares like with like:
 *      - raw dump of /sys/kernel/btf/vmlinux: `node bin/btfkit.js dump F` vs
 *        `bpftool btf dump file F format raw` (7.1, Debian's, and 7.5, the oracle);
 *      - the JSON dump (`-j`) of the same;
 *      - the largest 6.1 module on its vmlinux base: `btfkit dump --base V M` vs
 *        `bpftool -B V btf dump file M format raw`.
 * 2. In-process (dist/bench/parse.js under `node --expose-gc`): parse + index of
 *    /sys/kernel/btf/vmlinux, best of N ms, heap growth in MB; `btfref parse` (libbpf) when
 *    available.
 * 3. The phases of a cold btfkit process (dist/bench/phases.js): Node start-up, module
 *    loading, open (read + parse + checks), dump, write.
 * 4. With `--encode`: dist/bench/encode.js (vmlinux and mlx5_core against pahole 1.30)
 *    and dist/bench/modules.js (the whole 6.1 -dbg module tree against pahole, two
 *    processes at a time), appended to the report. Minutes each.
 * Inputs or tools that are absent are skipped with a message. Results are printed as a
 * Markdown report; `--md FILE` also writes it (BENCHMARKS.md). Nothing here asserts timings.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, homedir, tmpdir, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { cliArgv } from "./common.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "bin", "btfkit.js");
const PARSE = join(ROOT, "dist", "bench", "parse.js");
const KERNELS = process.env.BTFKIT_DATA ?? join(homedir(), ".cache", "btfkit", "kernels");
const ORACLE_BIN = join(process.env.BTF_ORACLE_DIR ?? join(homedir(), ".cache", "btf-oracle"), "bin");
const SYSFS = "/sys/kernel/btf/vmlinux";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const RUNS = Number(arg("--runs") ?? 10);
const MD = arg("--md");

const log = (s: string) => process.stderr.write(s + "\n");
/** Load average when the run started (other work on the machine skews wall times). */
const LOAD_AT_START = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const skipped: string[] = [];
function skip(what: string, why: string): void {
  skipped.push(`${what}: ${why}`);
  log(`bench: skipping ${what}: ${why}`);
}

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

interface Tool {
  label: string;
  path: string;
}
const bpftools: Tool[] = [];
if (existsSync("/usr/sbin/bpftool")) bpftools.push({ label: "bpftool 7.1", path: "/usr/sbin/bpftool" });
else skip("bpftool 7.1", "/usr/sbin/bpftool not found");
if (existsSync(join(ORACLE_BIN, "bpftool"))) bpftools.push({ label: "bpftool 7.5", path: join(ORACLE_BIN, "bpftool") });
else skip("bpftool 7.5", `${join(ORACLE_BIN, "bpftool")} not found (../shared/oracle/modern.sh)`);
for (const t of bpftools) {
  const v = spawnSync(t.path, ["version"], { encoding: "utf8" }).stdout?.split("\n")[0]?.match(/v(\d+\.\d+\.\d+)/)?.[1];
  if (v) t.label = `bpftool ${v}`;
}

// ------------------------------------------------------------------ wall time (hyperfine)

interface Row {
  name: string;
  mean: number;
  stddev: number;
  min: number;
}
interface Case {
  title: string;
  input: string;
  rows: Row[];
  cmds: string[];
}
const cases: Case[] = [];

function hyperfine(title: string, input: string, cmds: { name: string; cmd: string }[]): void {
  const tmp = mkdtempSync(join(tmpdir(), "btfkit-bench-"));
  const json = join(tmp, "out.json");
  const args = ["-N", "--style", "basic", "--warmup", "3", "--runs", String(RUNS), "--export-json", json];
  for (const c of cmds) args.push("-n", c.name, c.cmd);
  log(`\n== ${title}`);
  const r = spawnSync("hyperfine", args, { stdio: ["ignore", "inherit", "inherit"] });
  try {
    if (r.status !== 0) {
      skip(title, `hyperfine exited ${r.status}`);
      return;
    }
    const res = JSON.parse(readFileSync(json, "utf8")) as { results: { command: string; mean: number; stddev: number; min: number }[] };
    const rows = res.results.map((x) => ({ name: x.command, mean: x.mean, stddev: x.stddev ?? 0, min: x.min }));
    cases.push({ title, input, rows, cmds: cmds.map((c) => c.cmd) });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const hasHyperfine = Boolean(which("hyperfine"));
if (!hasHyperfine) skip("wall-time comparisons", "hyperfine not installed (apt-get install hyperfine)");
const node = process.execPath;
const cli = cliArgv(CLI).join(" "); // as the `btfkit` command runs it

if (hasHyperfine && existsSync(SYSFS)) {
  const bt = (json: boolean) => bpftools.map((t) => ({ name: t.label, cmd: `${t.path}${json ? " -j" : ""} btf dump file ${SYSFS} format raw` }));
  hyperfine("raw dump", SYSFS, [{ name: "btfkit", cmd: `${cli} dump ${SYSFS}` }, ...bt(false)]);
  hyperfine("JSON dump (-j)", SYSFS, [{ name: "btfkit", cmd: `${cli} dump -j ${SYSFS}` }, ...bt(true)]);
} else if (hasHyperfine) skip("vmlinux dumps", `${SYSFS} not present`);

/** The largest .ko under the 6.1 modules (by file size). */
function largestModule(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const out = spawnSync("find", ["-L", dir, "-name", "*.ko", "-type", "f", "-printf", "%s %p\n"], { encoding: "utf8", maxBuffer: 1 << 26 }).stdout;
  let best: [number, string] | undefined;
  for (const l of out.split("\n")) {
    const sp = l.indexOf(" ");
    if (sp < 0) continue;
    const n = Number(l.slice(0, sp));
    if (!best || n > best[0]) best = [n, l.slice(sp + 1)];
  }
  return best?.[1];
}
const base61 = join(KERNELS, "6.1", "vmlinux.btf");
const mod61 = existsSync(base61) ? largestModule(join(KERNELS, "6.1", "modules")) : undefined;
if (hasHyperfine && mod61) {
  hyperfine("split module raw dump", `${relative(join(KERNELS, "6.1"), mod61)} (6.1) on 6.1/vmlinux.btf`, [
    { name: "btfkit", cmd: `${cli} dump --base ${base61} ${mod61}` },
    ...bpftools.map((t) => ({ name: t.label, cmd: `${t.path} -B ${base61} btf dump file ${mod61} format raw` })),
  ]);
} else if (hasHyperfine) skip("split module dump", `no 6.1 kernel data under ${KERNELS} (scripts/fetch-kernels.sh 6.1)`);

// ------------------------------------------------------------------ in-process

interface ParseResult {
  file: string;
  fileBytes: number;
  types: number;
  runs: number;
  parseMs: number;
  parseNoValidateMs: number;
  readParseMs?: number;
  nameIndexMs: number;
  dumpRawMs: number;
  dumpJsonMs: number;
  heapGrowthMB?: number;
  heapRatio?: number;
}
function inProcess(file: string, base?: string): ParseResult | undefined {
  const args = ["--expose-gc", PARSE, file, "--runs", "20", ...(base ? ["--base", base] : [])];
  const r = spawnSync(node, args, { encoding: "utf8" });
  if (r.status !== 0) {
    skip(`in-process ${file}`, r.stderr.trim());
    return undefined;
  }
  return JSON.parse(r.stdout) as ParseResult;
}
const btfref = join(ORACLE_BIN, "btfref");
function libbpfParse(file: string, base?: string): number | undefined {
  if (!existsSync(btfref)) return undefined;
  const r = spawnSync(btfref, ["parse", file, ...(base ? [base, "20"] : [])], { encoding: "utf8" });
  const m = r.stdout?.match(/parse_ms ([\d.]+)/);
  return m ? Number(m[1]) : undefined;
}
if (!existsSync(btfref)) skip("libbpf parse time", `${btfref} not found (../shared/oracle/build.sh)`);

log("\n== in-process parse");
const inproc: { label: string; r: ParseResult; libbpf?: number }[] = [];
if (existsSync(SYSFS)) {
  const r = inProcess(SYSFS);
  if (r) inproc.push({ label: SYSFS, r, libbpf: libbpfParse(SYSFS) });
} else skip("in-process vmlinux parse", `${SYSFS} not present`);
if (mod61) {
  const r = inProcess(mod61, base61);
  if (r) inproc.push({ label: `${relative(join(KERNELS, "6.1"), mod61)} on 6.1 vmlinux.btf`, r, libbpf: libbpfParse(mod61, base61) });
}

// ------------------------------------------------------------------ cold CLI phases

const PHASES = join(ROOT, "dist", "bench", "phases.js");
interface Phases {
  boot: number;
  imports: number;
  open: number;
  dump: number;
  write: number;
  total: number;
}
/** Minimum of each phase over `n` fresh processes (output to /dev/null). */
function phases(args: string[], n: number): Phases | undefined {
  const runs: Phases[] = [];
  for (let i = 0; i < n; i++) {
    const r = spawnSync(node, [PHASES, ...args], { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) {
      skip(`phases ${args.join(" ")}`, r.stderr.trim().split("\n")[0] ?? "failed");
      return undefined;
    }
    runs.push(JSON.parse(r.stderr.trim().split("\n").pop()!) as Phases);
  }
  const min = (k: keyof Phases) => Math.min(...runs.map((r) => r[k]));
  return { boot: min("boot"), imports: min("imports"), open: min("open"), dump: min("dump"), write: min("write"), total: min("total") };
}
log("\n== cold CLI phases");
const phaseRows: { label: string; p: Phases }[] = [];
const addPhases = (label: string, args: string[]) => {
  const p = phases(args, Math.max(5, Math.min(RUNS, 10)));
  if (p) phaseRows.push({ label, p });
};
if (existsSync(SYSFS)) {
  addPhases("vmlinux raw", [SYSFS]);
  addPhases("vmlinux raw, --no-validate", [SYSFS, "--no-validate"]);
  addPhases("vmlinux JSON", [SYSFS, "--json"]);
}
if (mod61) {
  addPhases("module raw (on 6.1 base)", [mod61, base61]);
  addPhases("module raw (on 6.1 base), --no-validate", [mod61, base61, "--no-validate"]);
}

// ------------------------------------------------------------------ report

const ms = (s: number) => (s * 1000).toFixed(1);
const f1 = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(1));
const f2 = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(2));
const mb = (n: number) => (n / 2 ** 20).toFixed(2);

function machine(): string[] {
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpus()[0]?.model ?? "?";
  const nproc = execFileSync("nproc", { encoding: "utf8" }).trim();
  const kernel = execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();
  const hf = which("hyperfine") ? execFileSync("hyperfine", ["--version"], { encoding: "utf8" }).trim() : "hyperfine absent";
  return [
    `- date: ${execFileSync("date", ["-u"], { encoding: "utf8" }).trim()}`,
    `- machine: ${nproc} CPUs (nproc), ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, kernel ${kernel}`,
    `- Node ${process.version}; ${hf}; ${bpftools.map((t) => `${t.label} (${t.path})`).join(", ") || "no bpftool"}`,
    `- load average (1, 5, 15 min): ${LOAD_AT_START} at the start, ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} at the end`,
  ];
}

/** A command as printed: the repository, node and the kernel data folder abbreviated. */
const shorten = (cmd: string) =>
  cmd.split(`${ROOT}/`).join("").split(process.execPath).join("node").split(KERNELS).join("$BTFKIT_DATA").split(homedir()).join("~");

const out: string[] = [];
out.push("# Benchmarks", "");
out.push("Generated by `npm run bench -- --md BENCHMARKS.md` (that is `node dist/bench/run.js --md BENCHMARKS.md` after the build).", "");
out.push(...machine(), "");
const busiest = Math.max(Number(LOAD_AT_START.split(" ")[0]), Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]));
if (busiest > cpus().length / 2)
  out.push(
    `> The machine was busy during this run (1-minute load up to ${busiest} on ${cpus().length} CPUs): wall times are ` +
      "inflated and noisy; the min columns and the in-process figures are the more reliable. Rerun on a quiet machine " +
      "before judging the wall-time goals.",
    "",
  );
out.push("## Wall time, btfkit CLI vs bpftool", "");
out.push(
  `hyperfine, ${RUNS} runs after 3 warm-ups, no shell (\`-N\`), output to /dev/null. btfkit's time includes Node's start-up ` +
    "(module loading) and reading the file. Ratio = btfkit mean / bpftool mean; goal: <= 1.0.",
  "",
);
if (!cases.length) out.push("(not run: see the skipped list below)", "");
for (const c of cases) {
  out.push(`### ${c.title}: \`${c.input}\``, "");
  out.push("| command | mean ms | ± σ | min ms | btfkit / this (mean) | btfkit / this (min) |", "|---|---:|---:|---:|---:|---:|");
  const k = c.rows.find((r) => r.name === "btfkit");
  for (const r of c.rows) {
    const rel = k && r !== k ? [`${(k.mean / r.mean).toFixed(2)}x`, `${(k.min / r.min).toFixed(2)}x`] : ["", ""];
    out.push(`| ${r.name} | ${ms(r.mean)} | ${ms(r.stddev)} | ${ms(r.min)} | ${rel[0]} | ${rel[1]} |`);
  }
  out.push("", "Commands:", "", ...c.cmds.map((x) => `    ${shorten(x)}`), "");
}
out.push("## In-process (library), best of 20", "");
out.push(
  "`parse` = `parseBtf(bytes)` with libbpf's checks and the kernel-style checks; the type offset index (`typeOffs`) is built " +
    "in the same walk. `read+parse` adds `readFileSync` (what libbpf's `btf__parse` time includes). `name index` = the first " +
    "`findByName` (builds the name map, lazily). Heap = growth of heapUsed + external across read + parse after full GCs " +
    "(`node --expose-gc`), as a multiple of the file size. Goals: parse+index <= 30 ms, heap <= 2x the file.",
  "",
);
if (!inproc.length) out.push("(not run: see the skipped list below)", "");
else {
  out.push(
    "| input | types | file MB | parse ms | parse, no kernel checks ms | read+parse ms | libbpf btf__parse ms | name index ms | dumpRaw ms | dumpJson ms | heap MB | heap / file |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const { label, r, libbpf } of inproc) {
    out.push(
      `| ${label} | ${r.types} | ${mb(r.fileBytes)} | ${f1(r.parseMs)} | ${f1(r.parseNoValidateMs)} | ${f1(r.readParseMs)} | ${f2(libbpf)} | ${f1(r.nameIndexMs)} | ${f1(r.dumpRawMs)} | ${f1(r.dumpJsonMs)} | ${f1(r.heapGrowthMB)} | ${r.heapRatio === undefined ? "-" : r.heapRatio.toFixed(2) + "x"} |`,
    );
  }
  out.push("", "For the module, `libbpf btf__parse` is `btfref parse M BASE` (the module's ELF read and parsed on an already parsed base); heap is not measured for split input inside an ELF.");
  out.push("");
}
out.push("## Where a cold btfkit process spends its time", "");
out.push(
  "bench/phases.ts run as its own process, like the CLI (so JIT warm-up is included), minimum of each phase over " +
    `${Math.max(5, Math.min(RUNS, 10))} runs, ms. boot = Node's start-up before btfkit's first line; imports = loading btfkit's ` +
    "modules; open = read + extract + parse + checks (base included); dump = text generation (compare the warm in-process " +
    "dumpRaw/dumpJson above).",
  "",
);
if (!phaseRows.length) out.push("(not run)", "");
else {
  out.push("| case | boot | imports | open | dump | write | total |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const { label, p } of phaseRows)
    out.push(`| ${label} | ${f1(p.boot)} | ${f1(p.imports)} | ${f1(p.open)} | ${f1(p.dump)} | ${f1(p.write)} | ${f1(p.total)} |`);
  out.push("");
}
out.push("## Against the goals", "");
const goals: string[] = [];
const verdict = (ok: boolean) => (ok ? "met" : "**not met**");
for (const c of cases) {
  const k = c.rows.find((r) => r.name === "btfkit");
  const others = c.rows.filter((r) => r !== k);
  if (!k || !others.length) continue;
  const worst = Math.max(...others.map((r) => k.mean / r.mean));
  goals.push(`- ${c.title}: btfkit / bpftool wall ${others.map((r) => `${(k.mean / r.mean).toFixed(2)}x (${r.name})`).join(", ")}; goal <= 1.0x: ${verdict(worst <= 1)}`);
}
const vm = inproc.find((x) => x.label === SYSFS)?.r;
if (vm) {
  goals.push(`- parse + index of ${SYSFS}: ${vm.parseMs.toFixed(1)} ms (goal <= 30 ms: ${verdict(vm.parseMs <= 30)})`);
  if (vm.heapRatio !== undefined)
    goals.push(`- heap growth: ${vm.heapGrowthMB!.toFixed(1)} MB = ${vm.heapRatio.toFixed(2)}x the ${mb(vm.fileBytes)} MB file (goal <= 2x: ${verdict(vm.heapRatio <= 2)})`);
}
out.push(...(goals.length ? goals : ["(nothing measured)"]), "");
if (skipped.length) out.push("## Skipped", "", ...skipped.map((s) => `- ${s}`), "");

// The heavy side-by-side runs (minutes each): the encoder against pahole on a whole
// kernel, and the module tree, with `--encode` (or BTFKIT_BENCH_ENCODE=1).
if (process.argv.includes("--encode") || process.env.BTFKIT_BENCH_ENCODE === "1") {
  for (const script of ["encode.js", "modules.js"]) {
    log(`bench: ${script} ...`);
    const r = spawnSync(process.execPath, [join(ROOT, "dist", "bench", script)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
    if (r.status === 0) out.push(r.stdout.replace(/^# /, "## ").replace(/\n## /g, "\n### "), "");
    else out.push(`(${script} did not run: exit ${r.status}, see its message on stderr)`, "");
  }
}

const report = out.join("\n");
process.stdout.write(report);
if (MD) {
  writeFileSync(MD, report);
  log(`\nbench: wrote ${MD} (${statSync(MD).size} bytes)`);
}
