/**
 * Walking the DIEs of a large file on several threads: the main thread reads the
 * DWARF sections, copies them once into shared memory, and hands each worker a
 * contiguous range of units (balanced by size). Used by bench/dwarf-walk.ts to
 * measure what a parallel DWARF decoder can gain.
 * @module
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { ElfFile } from "../elf/elf.js";
import { DW_AT } from "../dwarf/constants.js";
import { DwarfFile, type DwarfSectionName, type DwarfUnit } from "../dwarf/dwarf.js";
import { dwarfFromElf } from "../dwarf/elf-dwarf.js";
import { readElfSections, wantDwarf } from "./elf-sparse.js";

/** What to do with each DIE. */
export type WalkMode = "walk" | "names" | "attrs";

const SECTIONS: DwarfSectionName[] = [".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str", ".debug_str_offsets", ".debug_addr", ".debug_types", ".debug_loclists", ".debug_loc", ".debug_rnglists", ".debug_ranges"];

/** Walk one unit: count DIEs, and touch names/types or all attributes. */
export function walkUnit(u: DwarfUnit, mode: WalkMode): { dies: number; check: number } {
  const c = u.cursor();
  let dies = 0;
  let check = 0;
  if (mode === "walk") {
    while (c.next()) {
      dies++;
      check += c.tag;
    }
  } else if (mode === "names") {
    while (c.next()) {
      dies++;
      const n = c.string(DW_AT.name);
      if (n !== undefined) check += n.length;
      if (c.ref(DW_AT.type) !== undefined) check++;
    }
  } else {
    while (c.next()) {
      dies++;
      check += c.attributes().length;
    }
  }
  return { dies, check };
}

interface Job {
  kind: "btfkit-dwarf-walk";
  /** The whole (sparse) file in shared memory, when its sections need no relocation. */
  file?: SharedArrayBuffer;
  /** Otherwise the relocated DWARF sections, each copied into shared memory. */
  sections: Partial<Record<DwarfSectionName, SharedArrayBuffer>>;
  littleEndian: boolean;
  from: number;
  to: number;
  mode: WalkMode;
}

/**
 * Walk every unit of `path` with `workers` threads.
 * @returns totals, and the time spent reading and sharing the sections (`loadMs`).
 */
export async function walkParallel(path: string, opts: { workers: number; mode: WalkMode; maxUnits?: number }): Promise<{ units: number; dies: number; check: number; loadMs: number }> {
  const t0 = performance.now();
  const bytes = await readElfSections(path, wantDwarf, { shared: true });
  const elf = new ElfFile(bytes);
  const dwarf = dwarfFromElf(elf);
  const shared: Job["sections"] = {};
  const file = elf.type !== 1 /* ET_REL */ ? (bytes.buffer as SharedArrayBuffer) : undefined;
  if (!file) {
    for (const name of SECTIONS) {
      const d = dwarf.sectionData(name);
      if (!d) continue;
      const sab = new SharedArrayBuffer(d.length);
      new Uint8Array(sab).set(d);
      shared[name] = sab;
    }
  }
  const units = dwarf.units().slice(0, opts.maxUnits ?? Infinity);
  const total = units.reduce((s, u) => s + (u.end - u.sectionOffset), 0);
  const ranges: [number, number][] = [];
  let start = 0;
  let acc = 0;
  for (let i = 0; i < units.length; i++) {
    acc += units[i]!.end - units[i]!.sectionOffset;
    if (acc >= (total * (ranges.length + 1)) / opts.workers || i === units.length - 1) {
      ranges.push([start, i + 1]);
      start = i + 1;
    }
  }
  const loadMs = performance.now() - t0;
  const results = await Promise.all(
    ranges.map(
      ([from, to]) =>
        new Promise<{ dies: number; check: number }>((resolve, reject) => {
          const job: Job = { kind: "btfkit-dwarf-walk", file, sections: shared, littleEndian: elf.littleEndian, from, to, mode: opts.mode };
          const w = new Worker(new URL(import.meta.url), { workerData: job });
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  );
  return { units: units.length, dies: results.reduce((s, r) => s + r.dies, 0), check: results.reduce((s, r) => s + r.check, 0), loadMs };
}

if (!isMainThread && (workerData as Job | undefined)?.kind === "btfkit-dwarf-walk") {
  const job = workerData as Job;
  const dwarf = job.file
    ? dwarfFromElf(new ElfFile(new Uint8Array(job.file)))
    : new DwarfFile({
        littleEndian: job.littleEndian,
        section: (name) => {
          const sab = job.sections[name];
          return sab ? new Uint8Array(sab) : undefined;
        },
      });
  const units = dwarf.units();
  let dies = 0;
  let check = 0;
  for (let i = job.from; i < job.to; i++) {
    const r = walkUnit(units[i]!, job.mode);
    dies += r.dies;
    check += r.check;
  }
  parentPort!.postMessage({ dies, check });
}
