/**
 * Module-tree benchmark: `btfkit modules encode` on the whole Debian 6.1 `-dbg` tree
 * (1121 .ko with DWARF) against pahole 1.30 run the way a build runs it, one process
 * per module, two at a time on this 2-CPU machine (`xargs -P2`); then `modules report`
 * (DWARF method: every module encoded twice, with and without the base) and
 * `modules check`.
 *
 *   node dist/bench/modules.js [--runs N] [--jobs J]
 *
 * Whole commands, timed with hyperfine (N runs, default 2; no warm-up beyond the
 * first run's page cache), peak RSS with /usr/bin/time -v (the largest process of the
 * command: for pahole, one module's process). The split outputs are compared, all
 * 1121 must be identical. Prints Markdown and the load average (other work on the
 * machine skews wall times); asserts nothing. Needs hyperfine, pahole 1.30
 * (../shared/oracle) and the kernel cache (scripts/fetch-kernels.sh 6.1 --dbg).
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { arg, cliCommand, hyperfine, loadavg, log, peakRss, requireInputs, scratchDir, sh, type Timing } from "./common.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "bin", "btfkit.js");
const KERNELS = process.env.BTFKIT_DATA ?? join(homedir(), ".cache", "btfkit", "kernels");
const PAHOLE = join(process.env.BTF_ORACLE_DIR ?? join(homedir(), ".cache", "btf-oracle"), "bin", "pahole");
const TREE = join(KERNELS, "6.1-dbg", "modules");
const BASE = join(KERNELS, "6.1", "vmlinux.btf");

const RUNS = Number(arg("--runs") ?? 2);
const JOBS = Number(arg("--jobs") ?? 2);
requireInputs("modules", [
  [TREE, "the 6.1-dbg modules (scripts/fetch-kernels.sh 6.1 --dbg)"],
  [BASE, "the 6.1 vmlinux BTF"],
  [PAHOLE, "pahole 1.30 (../shared/oracle/modern.sh)"],
]);
const tmp = scratchDir("modules");

function kos(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) kos(p, out);
    else if (e.name.endsWith(".ko")) out.push(p);
  }
  return out;
}
const modules = kos(TREE).sort();
const list = join(tmp, "modules.txt");
writeFileSync(list, modules.map((m) => relative(TREE, m)).join("\n") + "\n");
const totalMB = modules.reduce((s, m) => s + statSync(m).size, 0) / 1e6;

const fmt = (t: Timing): string => `${t.mean.toFixed(1)} ± ${(t.stddev ?? 0).toFixed(1)} s (min ${t.min.toFixed(1)})`;

const bOut = join(tmp, "btfkit");
const pOut = join(tmp, "pahole");
const cli = cliCommand(CLI); // as the `btfkit` command runs it
const encode = { cmd: `${cli} modules encode ${sh(TREE)} --base ${sh(BASE)} --detached ${sh(bOut)} -j ${JOBS}`, prepare: `rm -rf ${sh(bOut)}` };
// One pahole per module, JOBS at a time, each writing OUT/REL.btf.
const paholeOne = `mkdir -p "$(dirname ${sh(pOut)}/{})" && exec ${sh(PAHOLE)} -J --btf_features=default --btf_base ${sh(BASE)} --btf_encode_detached=${sh(pOut)}/{}.btf {}`;
const pahole = {
  // One command (sh -c) so that it can be exec'ed and timed as a whole.
  cmd: `sh -c ${sh(`cd ${sh(TREE)} && exec xargs -P${JOBS} -I{} sh -c ${sh(paholeOne)} < ${sh(list)}`)}`,
  prepare: `rm -rf ${sh(pOut)}`,
};
log(`bench/modules: ${modules.length} modules (${totalMB.toFixed(0)} MB), ${RUNS} runs each (load ${loadavg()})`);
const [tb, tp] = hyperfine(tmp, [encode, pahole], RUNS, 0);
const rb = peakRss(encode.cmd, encode.prepare);
const rp = peakRss(pahole.cmd, pahole.prepare);
let same = 0;
for (const m of modules) {
  const rel = relative(TREE, m);
  const a = join(bOut, rel.replace(/\.ko$/, ".btf"));
  const b = join(pOut, rel + ".btf");
  if (existsSync(a) && existsSync(b) && readFileSync(a).equals(readFileSync(b))) same++;
}
const report = { cmd: `${cli} modules report ${sh(TREE)} --base ${sh(BASE)} --method dwarf -j ${JOBS} --json`, prepare: "true" };
const check = { cmd: `${cli} modules check ${sh(join(KERNELS, "6.1", "modules"))} --base ${sh(BASE)}`, prepare: "true" };
const [tr, tc] = hyperfine(tmp, [report, check], 1, 0);
const rr = peakRss(report.cmd, report.prepare);

const lines = [
  "# Module trees: btfkit vs pahole 1.30",
  "",
  `${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}; ${modules.length} modules of the 6.1 -dbg tree (${totalMB.toFixed(0)} MB), split on 6.1/vmlinux.btf, -j ${JOBS}.`,
  "",
  "| what | wall (hyperfine) | peak RSS | ratio |",
  "|---|---|---|---|",
  `| btfkit modules encode | ${fmt(tb!)} | ${rb.toFixed(0)} MB | ${(tb!.mean / tp!.mean).toFixed(2)}x |`,
  `| pahole 1.30, one process per module, ${JOBS} at a time | ${fmt(tp!)} | ${rp.toFixed(0)} MB (one process) | 1 |`,
  `| btfkit modules report --method dwarf (split + non-split encodings) | ${fmt(tr!)} | ${rr.toFixed(0)} MB | |`,
  `| btfkit modules check (shipped 6.1 tree) | ${fmt(tc!)} | | |`,
  "",
  `Outputs identical to pahole's: ${same} of ${modules.length}. Load average at the end: ${loadavg()}.`,
];
process.stdout.write(lines.join("\n") + "\n");
