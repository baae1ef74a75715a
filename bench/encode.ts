/**
 * Encoder benchmark: `btfkit encode` against pahole 1.30 (`-J --btf_features=default`)
 * on the Debian 6.1 debug kernel (~/.cache/btfkit/kernels/6.1-dbg).
 *
 *   node dist/bench/encode.js [--runs N] [--jobs 1,2] [--no-module]
 *
 * 1. vmlinux (590 MB ELF, DWARF 5, 2172 CUs): whole process, wall time with hyperfine
 *    (1 warm-up round, then N rounds timing each command once in turn, so that pahole
 *    and btfkit at the same -j meet the same machine: the ratio column is the median of
 *    the rounds' btfkit / pahole), pahole and btfkit side by side at each -j; peak RSS with
 *    /usr/bin/time -v (best of 2); the outputs are compared (they must be identical).
 * 2. mlx5_core.ko (the largest module) split on pahole's vmlinux BTF: same.
 * 3. btfkit's phases (read, setup, units, append, workers, finish, dedup) in-process.
 * Prints a Markdown report and the load average (other work on the machine skews wall
 * times); asserts nothing. Needs hyperfine, the oracles (../shared/oracle) and the
 * kernel cache (scripts/fetch-kernels.sh); run `npm run build` first (the CLI's bundle).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { arg, cliBuild, cliCommand, hyperfineInterleaved, loadavg, log, median, peakRss, requireInputs, scratchDir, sh, type Timing } from "./common.js";
import { encodeFile } from "../src/io/encode-workers.js";
import { parseBtf } from "../src/btf/parse.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "bin", "btfkit.js");
const KERNELS = process.env.BTFKIT_DATA ?? join(homedir(), ".cache", "btfkit", "kernels");
const PAHOLE = join(process.env.BTF_ORACLE_DIR ?? join(homedir(), ".cache", "btf-oracle"), "bin", "pahole");
const VMLINUX = join(KERNELS, "6.1-dbg", "vmlinux");
const MLX5 = join(KERNELS, "6.1-dbg", "modules", "drivers", "net", "ethernet", "mellanox", "mlx5", "core", "mlx5_core.ko");

const RUNS = Number(arg("--runs") ?? 5);
const JOBS = (arg("--jobs") ?? "1,2").split(",").map(Number);
requireInputs("encode", [
  [VMLINUX, "the 6.1-dbg kernel (scripts/fetch-kernels.sh)"],
  [PAHOLE, "pahole 1.30 (../shared/oracle/modern.sh)"],
  [CLI, "the CLI"],
]);
const tmp = scratchDir("encode");

const fmt = (t: Timing): string => `${t.mean.toFixed(2)} ± ${(t.stddev ?? 0).toFixed(2)} s (min ${t.min.toFixed(2)})`;
const lines: string[] = [];
const out = (s = ""): void => void lines.push(s);

/** One input: pahole and btfkit at each -j. */
function compare(title: string, input: string, extra: { pahole: string; btfkit: string }): void {
  out(`## ${title}`);
  out();
  out("| tool | -j | wall (hyperfine) | btfkit / pahole (paired) | peak RSS | output |");
  out("|---|---|---|---|---|---|");
  const cmds: { label: string; j: number; cmd: string; prepare: string; file: string }[] = [];
  for (const j of JOBS) {
    const pf = join(tmp, `pahole-j${j}.btf`);
    const bf = join(tmp, `btfkit-j${j}.btf`);
    cmds.push({ label: "pahole 1.30", j, file: pf, prepare: `rm -f ${sh(pf)}`, cmd: `${sh(PAHOLE)} -J --btf_features=default -j${j} ${extra.pahole} --btf_encode_detached=${sh(pf)} ${sh(input)}` });
    cmds.push({ label: "btfkit", j, file: bf, prepare: `rm -f ${sh(bf)}`, cmd: `${cliCommand(CLI)} encode ${sh(input)} -j ${j} ${extra.btfkit} -o ${sh(bf)}` });
  }
  log(`bench/encode: ${title}: hyperfine, ${RUNS} rounds (load ${loadavg()})`);
  const times = hyperfineInterleaved(tmp, cmds, RUNS);
  const ref = readFileSync(cmds[0]!.file);
  cmds.forEach((c, i) => {
    const rss = peakRss(c.cmd, c.prepare, 2);
    const same = readFileSync(c.file).equals(ref) ? "identical" : "DIFFERS";
    // btfkit's rows follow pahole's at the same -j.
    const paired = c.label === "btfkit" ? median(times[i]!.runs.map((t, r) => t / times[i - 1]!.runs[r]!)).toFixed(2) + "x" : "";
    out(`| ${c.label} | ${c.j} | ${fmt(times[i]!)} | ${paired} | ${rss.toFixed(0)} MB | ${same} |`);
  });
  out();
}

out(`# btfkit encode vs pahole 1.30`);
out();
out(`${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}, load average at start ${loadavg()}; the CLI runs its ${cliBuild(ROOT)}.`);
if (cliBuild(ROOT) !== "bundle") log("bench/encode: the CLI runs its modules, not its bundle: `npm run build` first");
out();
compare("vmlinux (6.1-dbg, 590 MB, DWARF 5)", VMLINUX, { pahole: "", btfkit: "" });
if (!process.argv.includes("--no-module") && existsSync(MLX5)) {
  // The base: pahole's own vmlinux BTF (as the kernel build uses it).
  const base = join(tmp, "vmlinux.btf");
  execFileSync("sh", ["-c", `rm -f ${sh(base)} && ${sh(PAHOLE)} -J --btf_features=default --btf_encode_detached=${sh(base)} ${sh(VMLINUX)}`]);
  compare("mlx5_core.ko split on vmlinux", MLX5, { pahole: `--btf_base ${sh(base)}`, btfkit: `--base ${sh(base)}` });
  out("## btfkit phases (in-process, ms)");
  out();
  out("| input | -j | read | setup | units | append | workers (sum) | finish | dedup |");
  out("|---|---|---|---|---|---|---|---|---|");
  const baseBtf = parseBtf(new Uint8Array(readFileSync(base)));
  for (const [name, file, b] of [["vmlinux", VMLINUX, undefined], ["mlx5_core", MLX5, baseBtf]] as const) {
    for (const j of JOBS) {
      const tm: Record<string, number> = {};
      await encodeFile(file, { jobs: j, base: b, timings: tm });
      const f = (k: string): string => (tm[k] === undefined ? "-" : tm[k]!.toFixed(0));
      out(`| ${name} | ${j} | ${f("read")} | ${f("setup")} | ${f("units")} | ${f("append")} | ${f("workers")} | ${f("finish")} | ${f("dedup")} |`);
    }
  }
  out();
}
out(`Load average at the end: ${loadavg()}.`);
process.stdout.write(lines.join("\n") + "\n");
