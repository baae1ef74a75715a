/**
 * Walk every DIE of an ELF file's DWARF and report time and peak RSS.
 *
 *   node dist/bench/dwarf-walk.js FILE [walk|names|attrs] [--units N] [--sparse] [--workers N]
 *
 * - walk:  cursor.next() over every DIE (abbreviation code + skipping attribute values)
 * - names: walk + DW_AT_name and DW_AT_type of every DIE
 * - attrs: walk + every attribute of every DIE decoded (the slow, allocating API)
 * --sparse reads only the ELF headers and the DWARF sections (src/io/elf-sparse.ts).
 * --workers N splits the units over N worker threads (src/io/dwarf-workers.ts).
 */
import { performance } from "node:perf_hooks";
import { readInput } from "../src/io/files.js";
import { readElfSections, wantDwarf } from "../src/io/elf-sparse.js";
import { walkParallel, walkUnit, type WalkMode } from "../src/io/dwarf-workers.js";
import { ElfFile } from "../src/elf/elf.js";
import { dwarfFromElf } from "../src/dwarf/index.js";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const file = args[0];
  if (!file) throw new Error("usage: dwarf-walk FILE [walk|names|attrs] [--units N] [--sparse] [--workers N]");
  const mode = (args.find((a) => a === "walk" || a === "names" || a === "attrs") ?? "walk") as WalkMode;
  const ui = args.indexOf("--units");
  const maxUnits = ui >= 0 ? Number(args[ui + 1]) : Infinity;
  const wi = args.indexOf("--workers");
  const workers = wi >= 0 ? Number(args[wi + 1]) : 0;
  const t0 = performance.now();
  if (workers > 0) {
    const r = await walkParallel(file, { workers, mode, maxUnits });
    const t1 = performance.now();
    report({ file, mode, workers, units: r.units, dies: r.dies, check: r.check, loadMs: r.loadMs, walkMs: t1 - t0 - r.loadMs, totalMs: t1 - t0 });
    return;
  }
  const bytes = args.includes("--sparse") ? await readElfSections(file, wantDwarf) : await readInput(file);
  const elf = new ElfFile(bytes);
  const dwarf = dwarfFromElf(elf);
  const units = dwarf.units();
  const t1 = performance.now();
  let dies = 0;
  let check = 0;
  let n = 0;
  for (const u of units) {
    if (n++ >= maxUnits) break;
    const r = walkUnit(u, mode);
    dies += r.dies;
    check += r.check;
  }
  const t2 = performance.now();
  report({ file, mode, workers: 0, units: Math.min(n, units.length), dies, check, loadMs: t1 - t0, walkMs: t2 - t1, totalMs: t2 - t0 });
}

function report(r: Record<string, unknown>): void {
  const ru = process.resourceUsage();
  console.log(JSON.stringify({ ...r, maxRssMB: Math.round(ru.maxRSS / 1024), cpuUserMs: Math.round(ru.userCPUTime / 1000) }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
