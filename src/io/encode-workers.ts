/**
 * `encodeFile`: DWARF -> BTF (src/encode) for a file on disk, with the compilation
 * units spread over worker threads.
 *
 * - Only the sections the encoder reads are loaded (src/io/elf-sparse.ts): the DWARF
 *   it uses, `.symtab`/`.strtab`, `.BTF_ids`, and for ET_REL files the relocations
 *   of those DWARF sections. A linked file's `.debug_info` is not loaded whole: only
 *   its unit headers, then each thread reads the batch of units it encodes, a window
 *   at a time (see `InfoWindows`). The 6.1 debug vmlinux (590 MB, 164 MB of
 *   `.debug_info`) is encoded in about pahole's memory on one thread.
 * - The main thread resolves what must be done once (relocation, decompression, the
 *   ELF function table) and shares the other DWARF sections with the workers (no
 *   copy: workers see the file buffer itself). The workers start on their first units
 *   with the DWARF alone; the ELF-side tables follow as they are built
 *   (`WorkerTables`).
 * - `jobs - 1` workers and the main thread encode consecutive batches of CUs into
 *   fragments (src/encode/unit.ts); the main thread appends them strictly in CU
 *   order, so the output does not depend on the number of threads. A bounded number
 *   of batches is in flight (done or queued, not yet appended), which bounds memory
 *   as pahole's decode tickets do.
 * - Inputs with little DWARF (modules) stay on one thread: a worker's start-up and
 *   JIT warm-up cost more than it would save (see `parallelMin`).
 * @module
 */
import { isMainThread, MessageChannel, parentPort, receiveMessageOnPort, Worker, workerData, type MessagePort } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { detachEarly } from "./detach.js";
import { shareStrings } from "./shared-strings.js";
import { BtfError, isBtfError, type BtfErrorCode } from "../internal/errors.js";
import type { Btf } from "../btf/btf.js";
import { ElfFile, type ElfSection } from "../elf/elf.js";
import { DwarfFile, type DwarfSectionName, type DwarfUnit } from "../dwarf/dwarf.js";
import { dwarfFromElf } from "../dwarf/elf-dwarf.js";
import { compileUnits, dwarfStrings, elfContext, encodeMerged, encodeOne, encoderSections, finishBtf, finishDedup, mergesUnits, requireSymtab, resolveFeatures, unitContext, type ElfContext, type EncodeOptions } from "../encode/index.js";
import { Assembler, type StringSource } from "../encode/merge.js";
import { CuLoader } from "../encode/loader.js";
import { WarmUp } from "../encode/warmup.js";
import { FunctionNameTable, ObjectSymbols, type ElfFunctions, type FunctionLookup, type ObjectSymbolParts, type SectionInfo } from "../encode/elf-info.js";
import type { EncodeFeatures } from "../encode/features.js";
import type { Fragment, UnitContext } from "../encode/unit.js";
import { openOrThrow, readElfSections, readFileRange, readSectionInto, readUnitHeaders, type ReusableBuffer } from "./elf-sparse.js";
import { closeSync } from "node:fs";

/** Options of {@link encodeFile}. */
export interface EncodeFileOptions extends EncodeOptions {
  /** Threads (default 1: everything on the calling thread). */
  jobs?: number;
  /**
   * Inputs with less DWARF (`.debug_info` bytes) than this are encoded on the calling
   * thread whatever `jobs` says: starting and warming up workers costs more than it
   * saves on a module. Default 48 MiB (a vmlinux has 100+ MiB; the largest 6.1
   * module, mlx5_core, 18 MiB).
   */
  parallelMin?: number;
  /**
   * Bytes of `.debug_info` per window on the calling thread, for files read in
   * windows (linked files: see `InfoWindows`). Default 8 MiB. The output does not
   * depend on it.
   */
  windowBytes?: number;
  /**
   * Read the file into this buffer (grown when too small) instead of a new one, on
   * one thread (`jobs` 1): for a caller encoding many files in turn (`modules encode`).
   * Nothing returned refers to it.
   */
  reuse?: ReusableBuffer;
  /**
   * Deduplicate while the units come, on the thread that appends them (when there
   * are worker threads and no base): most of dedup then overlaps with encoding, and
   * the copies of structs are dropped as they are found. Default true; false
   * deduplicates the whole BTF at the end. The output is the same.
   */
  pipelineDedup?: boolean;
  /**
   * With worker threads, have each thread encode a small ELF first, so that V8 has seen
   * the encoder's and dedup's rarer paths before it optimizes them (see
   * ../encode/warmup.ts). Default true; the output is the same.
   */
  warmUp?: boolean;
  /**
   * When given, receives milliseconds per phase: `read`, `setup`, `units` (wall time
   * until every CU is appended), `append` (main-thread time appending), `workers`
   * (summed worker busy time), `finish` (saved functions, DATASECs), `dedup`; and
   * at the end of each phase the process's resident memory (`rss.PHASE`) and V8
   * heap (`heap.PHASE`), in MB. With the pipelined dedup also `pipeline` (its
   * milliseconds within `append`), `pipeline.release` (of which dropping records),
   * `pipeline.released` (MB of records dropped), `dedup.PASS` for its last passes,
   * and `again` if the units had to be encoded again.
   */
  timings?: Record<string, number>;
}

/** The DWARF sections the encoder reads. */
const DWARF_SECTIONS: DwarfSectionName[] = [".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str", ".debug_str_offsets", ".debug_addr", ".debug_loclists", ".debug_loc"];
const WANTED = new Set<string>(DWARF_SECTIONS);

/** `readElfSections` filter: what the encoder needs. */
export function wantForEncode(s: ElfSection, elf: ElfFile): boolean {
  const name = s.name;
  if (WANTED.has(name) || (name.startsWith(".zdebug_") && WANTED.has("." + name.slice(2)))) return true;
  if (name === ".BTF_ids" || s.type === 7 /* SHT_NOTE: the LTO note */) return true;
  if (s.type === 2 /* SYMTAB */ || s.type === 3 /* STRTAB */ || s.type === 18 /* SYMTAB_SHNDX */) return true;
  if (elf.type !== 1 /* ET_REL */) return false;
  if (name.startsWith(".rela.") || name.startsWith(".rel.")) {
    const target = name.slice(name.indexOf(".", 1));
    return WANTED.has(target);
  }
  return false;
}

/** A shared view of section bytes. */
interface SharedView {
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
}

/**
 * A worker's first message: what it needs to decode units. The ELF-side tables come
 * later, on `tables` (see {@link WorkerTables}).
 */
interface WorkerInit {
  kind: "btfkit-encode";
  sections: Partial<Record<DwarfSectionName, SharedView>>;
  littleEndian: boolean;
  machine: number;
  features: EncodeFeatures;
  sectionInfos: SectionInfo[];
  /** .debug_info is read in windows from the file (absent from `sections`). */
  window?: InfoWindows;
  /** Where the {@link WorkerTables} come, and how many have been posted (a shared counter). */
  tables: { port: MessagePort; posted: Int32Array };
  /** Encode the warm-up ELF first (see {@link EncodeFileOptions.warmUp}). */
  warmUp: boolean;
}

/**
 * The ELF-side tables, which the main thread builds (a kernel's in ~0.2 s) while the
 * workers already decode their first units, and posts one at a time as each is done:
 * a worker waits for one only when a unit's functions (then variables) are matched
 * against the symbols, at the end of its first unit.
 */
type WorkerTables =
  /** The ELF function table: its names' bytes, where each starts, prefix lengths (see FunctionNameTable). */
  | { functions: { bytes: Uint8Array; starts: Int32Array; prefixlens: Int32Array; suffixCount: number } }
  /** The `ObjectSymbols` set's arrays, in shared memory. */
  | { objects: ObjectSymbolParts };

interface WorkRequest {
  batch: number;
  from: number;
  to: number;
  /** Section offsets of the batch's bytes in .debug_info (for windows). */
  start: number;
  end: number;
}

type WorkReply = { batch: number; frags: Fragment[]; busy: number } | { batch: number; error: { code: BtfErrorCode | "INTERNAL"; message: string; offset?: number; section?: string; typeId?: number } };

/**
 * Encode the ELF file at `path` (vmlinux, .ko, .o) as pahole 1.30 does; with
 * `jobs > 1` the CUs are decoded on worker threads. The result is the same for every
 * `jobs`.
 * @throws {BtfError} IO, NOT_FOUND (no DWARF, no .symtab), MALFORMED, INVALID, UNSUPPORTED.
 */
export async function encodeFile(path: string, opts: EncodeFileOptions = {}): Promise<Btf> {
  const features = resolveFeatures(opts.features);
  const jobs = Math.max(1, Math.floor(opts.jobs ?? 1));
  const tm = opts.timings;
  let t0 = performance.now();
  const lap = (name: string): void => {
    const t = performance.now();
    if (tm) {
      tm[name] = (tm[name] ?? 0) + (t - t0);
      const mu = process.memoryUsage();
      tm["rss." + name] = mu.rss / 1e6;
      tm["heap." + name] = mu.heapTotal / 1e6;
    }
    t0 = t;
  };
  // The file's bytes and DWARF are referenced only inside assemble(): they can be
  // freed before dedup, which needs memory of its own.
  let asm = await assemble(path, opts, features, jobs, lap);
  lap("units");
  if (tm && asm.pipeline) {
    tm.pipeline = asm.pipelineMs;
    tm["pipeline.released"] = (4 * asm.pipeline.stats.releasedWords) / 1e6;
    tm["pipeline.release"] = asm.releaseMs;
  }
  let pre = finishBtf(asm, { ...opts, dedup: false });
  lap("finish");
  if (opts.dedup === false || (!opts.base && pre.nrTypes === 0)) return pre;
  if (asm.pipeline && !asm.pipeline.canFinish(pre)) {
    // The pipeline dropped records that dedup, starting over, would need: the whole
    // BTF again, deduplicated at the end.
    asm = await assemble(path, { ...opts, pipelineDedup: false }, features, jobs, lap);
    pre = finishBtf(asm, { ...opts, dedup: false });
    lap("again");
  }
  const passes: Record<string, number> | undefined = tm ? {} : undefined;
  const out = asm.pipeline ? asm.pipeline.finish(pre, passes) : finishDedup(pre);
  if (tm && passes) for (const [k, v] of Object.entries(passes)) tm["dedup." + k] = v;
  lap("dedup");
  return out;
}

/**
 * Encode `path` once (on this thread) and assemble the result once per entry of
 * `bases`: split BTF on that base, or non-split for `undefined` (pahole with and
 * without `--btf_base`). The DWARF is read and decoded once; each output is the same
 * as {@link encodeFile} with that base. Used by `modules report` for a module's split
 * and non-split sizes.
 */
export async function encodeFileVariants(path: string, opts: { features?: EncodeFeatures | string; bases: readonly (Btf | undefined)[]; dedup?: boolean }): Promise<Btf[]> {
  const features = resolveFeatures(opts.features);
  const ld = await loadForEncode(path, features, {});
  const ectx = ld.context();
  const frags: Fragment[] = [];
  try {
    encodeOnThisThread(ld, features, WINDOW_BYTES, (f) => frags.push(f));
  } finally {
    ld.close();
  }
  const { infoBytes } = ld;
  return opts.bases.map((base) => {
    const asm = new Assembler({ base, endian: ectx.endian, features, functions: ectx.functions, sections: ectx.sections, sizeHint: infoBytes, strings: ld.strings });
    for (const f of frags) asm.add(f);
    return finishBtf(asm, { base, dedup: opts.dedup });
  });
}

/**
 * This thread's loader for files of this kind, kept from one file to the next: its
 * tables are grown once, not once per module (`modules encode` encodes a thousand
 * files on each thread). Not for merged (LTO) loads, whose tables span the whole file.
 */
let kept: { key: string; loader: CuLoader } | undefined;
function threadLoader(machine: number, littleEndian: boolean, features: EncodeFeatures): CuLoader {
  const key = `${machine}/${littleEndian}/${JSON.stringify(features)}`;
  if (kept?.key !== key) kept = { key, loader: new CuLoader({ machine, littleEndian, features }) };
  return kept.loader;
}

/** Read `path` and append all its CUs (on this thread or on workers). */
async function assemble(path: string, opts: EncodeFileOptions, features: EncodeFeatures, jobs: number, lap: (name: string) => void): Promise<Assembler> {
  // The workers start as soon as the section headers say the input is big enough:
  // they boot while this thread does the set-up.
  let spawned: Worker[] = [];
  const onElf = (elf: ElfFile): void => {
    if (jobs > 1 && (elf.section(".debug_info")?.size ?? 0) >= (opts.parallelMin ?? PARALLEL_MIN)) spawned = spawnWorkers(jobs - 1);
  };
  try {
    const ld = await loadForEncode(path, features, jobs > 1 ? { shared: true } : { reuse: opts.reuse }, () => lap("read"), onElf);
    try {
      return await assembleUnits(opts, features, jobs, lap, ld, spawned);
    } finally {
      ld.close();
    }
  } finally {
    for (const w of spawned) void w.terminate();
  }
}

/** Default of {@link EncodeFileOptions.parallelMin}. */
const PARALLEL_MIN = 48 * 1024 * 1024;

/** Encoder workers, booting; each waits for its {@link WorkerInit} message. */
function spawnWorkers(n: number): Worker[] {
  const out: Worker[] = [];
  for (let i = 0; i < n; i++) {
    // A small young generation: what a unit allocates on the JS heap is short-lived
    // (its records are typed arrays), so 4 MB semi-spaces scavenge as cheaply as the
    // default 16 MB ones and keep ~20 MB less resident (vmlinux at -j2).
    const w = new Worker(new URL(import.meta.url), { workerData: { kind: "btfkit-encode" }, resourceLimits: { maxYoungGenerationSizeMb: 12 } });
    // Until runWorkers listens: a worker that fails to boot exits (threadId -1), which
    // runWorkers checks; its error must not go unhandled meanwhile.
    w.on("error", () => undefined);
    out.push(w);
  }
  return out;
}

/** A file read for encoding (see {@link loadForEncode}). */
interface Loaded {
  elf: ElfFile;
  /** The ELF-side tables ({@link elfContext}, with its `onFunctions`), built on first call. */
  context(onFunctions?: (functions: ElfFunctions) => void): ElfContext;
  dwarf: DwarfFile;
  units: readonly DwarfUnit[];
  infoBytes: number;
  /** All units are one CU (LTO: {@link mergesUnits}). */
  merged: boolean;
  /** Where the fragments' name keys point. */
  strings: StringSource;
  /** Set when .debug_info is read in windows, through `fd`. */
  win: InfoWindows | undefined;
  fd: number;
  close(): void;
}

/**
 * Read `path` for encoding: the sections the encoder needs, `.debug_info` only by
 * its unit headers where it can be read in windows (see {@link InfoWindows}), and
 * what must be done once (relocation; the ELF-side tables on the first
 * `context()`, which a parallel encoding builds while the workers start on the units).
 * `close()` when done; `onRead` is called once the file's bytes are read, `onElf` once
 * its headers are parsed.
 */
async function loadForEncode(path: string, features: EncodeFeatures, read: { shared?: boolean; reuse?: ReusableBuffer }, onRead?: () => void, onElf?: (elf: ElfFile) => void): Promise<Loaded> {
  const bytes = await readElfSections(path, (s, e) => wantForEncode(s, e) && !windowable(s, e), read);
  onRead?.(); // the `read` phase ends here; what follows is `setup`
  const elf = new ElfFile(bytes);
  onElf?.(elf);
  let win: InfoWindows | undefined;
  const infoSec = elf.section(".debug_info");
  if (infoSec && windowable(infoSec, elf)) {
    readUnitHeaders(path, bytes, infoSec, elf.littleEndian);
    win = { path, fileOffset: infoSec.offset };
  }
  requireSymtab(elf);
  let ectx: ElfContext | undefined;
  const context = (onFunctions?: (functions: ElfFunctions) => void): ElfContext => (ectx ??= elfContext(elf, features, onFunctions));
  const dwarf = dwarfFromElf(elf, { layout: "libdwfl", relocateInPlace: true }); // the bytes were read for this
  const units = compileUnits(dwarf);
  const infoBytes = dwarf.sectionData(".debug_info")?.length ?? 0;
  const merged = mergesUnits(elf, units);
  if (win && (dwarf.sectionData(".debug_types") || dwarf.units().length !== units.length || merged)) {
    // Type units (references by signature) or LTO (references across units): all of it.
    readSectionInto(path, bytes, infoSec!);
    win = undefined;
  }
  const fd = win ? openOrThrow(path) : -1;
  return { elf, context, dwarf, units, infoBytes, merged, strings: dwarfStrings(dwarf, elf), win, fd, close: () => fd >= 0 && closeSync(fd) };
}

/** Units [from, to) of a loaded file, in memory or read in a window. */
function unitsOf(ld: Loaded, from: number, to: number): readonly DwarfUnit[] {
  const { units, win } = ld;
  return win ? windowUnits(ld.dwarf, ld.fd, win, units[from]!.sectionOffset, units[to - 1]!.end, to - from) : units.slice(from, to);
}

/**
 * Encode every CU of a loaded file on this thread, in order, handing each fragment to
 * `each` with the number of units done: one merged CU for LTO, else unit by unit
 * (windows of about `windowBytes`).
 */
function encodeOnThisThread(ld: Loaded, features: EncodeFeatures, windowBytes: number, each: (f: Fragment, done: number) => void): void {
  const { units } = ld;
  const ectx = ld.context();
  const uctx = unitContext(features, ectx);
  if (ld.merged) {
    each(encodeMerged(new CuLoader({ machine: ectx.machine, littleEndian: ectx.littleEndian, features }), units, uctx), units.length);
    return;
  }
  const loader = threadLoader(ectx.machine, ectx.littleEndian, features);
  try {
    const plan = ld.win ? batches(units, windowBytes) : [[0, units.length] as [number, number]];
    for (const [from, to] of plan) {
      const us = unitsOf(ld, from, to);
      for (let i = 0; i < us.length; i++) each(encodeOne(loader, us[i]!, uctx), from + i + 1);
    }
  } finally {
    loader.detach();
  }
}

/**
 * A `.debug_info` read in windows: the section is at `fileOffset` in the file at
 * `path`; each batch of consecutive units is read from there into a buffer of its
 * own and decoded through a DwarfFile over that window (src/dwarf: `infoStart`). A
 * 164 MB kernel `.debug_info` is then never all in memory. Not for ET_REL files
 * (their DWARF must be relocated as a whole), compressed sections, type units or LTO
 * builds.
 */
interface InfoWindows {
  path: string;
  fileOffset: number;
}

/** Can `s` be read in windows (see {@link InfoWindows})? */
function windowable(s: ElfSection, elf: ElfFile): boolean {
  return s.name === ".debug_info" && elf.type !== 1 /* ET_REL */ && !(s.flags & 0x800) /* SHF_COMPRESSED */ && s.type !== 8 && elf.sections.filter((x) => x.name === ".debug_info").length === 1;
}

let windowBuffer = new Uint8Array(0);

/** Bytes of a window of target size (bytes of .debug_info per batch on one thread). */
const WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * Units [from, to) of `units` (those of `main`, a file whose `.debug_info` holds only
 * the unit headers), read from the file and decoded in a window of their own.
 */
function windowUnits(main: DwarfFile, fd: number, win: InfoWindows, start: number, end: number, count: number): readonly DwarfUnit[] {
  // One buffer per thread, reused from window to window: nothing decoded from a
  // window outlives its batch (fragments copy what they keep), and a fresh buffer
  // per window would leave the process holding memory it freed. It is made big
  // enough for any window at once rather than grown: only the pages a window fills
  // are resident, and a grown-out buffer, freed, would make glibc keep more memory
  // (see `shareStrings`).
  const len = end - start;
  if (windowBuffer.length < len) windowBuffer = new Uint8Array(Math.max(len, WINDOW_BYTES * 2));
  const data = windowBuffer.subarray(0, len);
  readFileRange(fd, win.fileOffset + start, len, data);
  const file = new DwarfFile({
    littleEndian: main.littleEndian,
    infoStart: start,
    stringsFrom: main,
    section: (name) => (name === ".debug_info" ? data : main.sectionData(name)),
  });
  const us = compileUnits(file);
  if (us.length !== count) throw new BtfError("MALFORMED", `.debug_info changed while it was read (${us.length} units at ${start}, ${count} expected)`, { offset: start, section: ".debug_info" });
  return us;
}

async function assembleUnits(opts: EncodeFileOptions, features: EncodeFeatures, jobs: number, lap: (name: string) => void, ld: Loaded, spawned: Worker[]): Promise<Assembler> {
  const tm = opts.timings;
  const { elf, dwarf, units, infoBytes, win } = ld;
  // LTO (one merged CU, on one thread as in pahole) and small inputs: this thread.
  const here = ld.merged || jobs === 1 || units.length < 2 || infoBytes < (opts.parallelMin ?? PARALLEL_MIN);
  // With other threads encoding, this one deduplicates each unit as it appends it.
  const pipelineDedup = !here && opts.dedup !== false && opts.pipelineDedup !== false;
  const assembler = (ectx: ElfContext): Assembler =>
    new Assembler({ base: opts.base, endian: ectx.endian, features, functions: ectx.functions, sections: ectx.sections, sizeHint: infoBytes, strings: ld.strings, pipelineDedup });
  if (here) {
    const asm = assembler(ld.context());
    lap("setup");
    let append = 0;
    encodeOnThisThread(ld, features, opts.windowBytes ?? WINDOW_BYTES, (f, done) => {
      const ta = performance.now();
      asm.add(f);
      append += performance.now() - ta;
      opts.onProgress?.(done, units.length);
    });
    if (tm) tm.append = (tm.append ?? 0) + append;
    return asm;
  }
  const n = Math.min(jobs, units.length) - 1;
  if (spawned.length < n) spawned.push(...spawnWorkers(n - spawned.length));
  const pool = spawned.slice(0, n);
  // The workers start on their first batches with the DWARF alone; this thread then
  // builds the ELF-side tables and posts them (see WorkerTables).
  const posted = new Int32Array(new SharedArrayBuffer(4));
  const channels = pool.map(() => new MessageChannel());
  const init: Omit<WorkerInit, "tables"> = {
    kind: "btfkit-encode",
    sections: shareSections(dwarf, win !== undefined),
    window: win,
    littleEndian: elf.littleEndian,
    machine: elf.machine,
    features,
    sectionInfos: encoderSections(elf, features),
    warmUp: opts.warmUp !== false,
  };
  const inits = channels.map((ch): WorkerInit => ({ ...init, tables: { port: ch.port2, posted } }));
  const prepare = (): Prepared => {
    const post = (t: WorkerTables): void => {
      for (const ch of channels) ch.port1.postMessage(t);
      Atomics.add(posted, 0, 1);
      Atomics.notify(posted, 0);
    };
    // The warm-up's ELF-side tables first, as the real work builds its own (see WarmUp).
    const warm = opts.warmUp !== false ? quietly(() => new WarmUp(features)) : undefined;
    const ectx = ld.context((fns) => post({ functions: shareFunctions(fns) }));
    post({ objects: shareParts(ectx.objects.parts()) });
    const loader = new CuLoader({ machine: ectx.machine, littleEndian: ectx.littleEndian, features });
    // (after the tables: the workers wait for them at the end of their first unit)
    if (warm) quietly(() => warm.run(pipelineDedup, loader));
    const asm = assembler(ectx);
    lap("setup");
    const uctx = unitContext(features, ectx);
    return {
      asm,
      encodeHere: (from, to) => unitsOf(ld, from, to).map((u) => encodeOne(loader, u, uctx)),
      // The order of the saved functions' names (~35 ms on a kernel), otherwise worked
      // out after the last unit, when this thread alone works.
      whileIdle: () => ectx.functions.prepareOrder(),
    };
  };
  return runWorkers(inits, pool, units, prepare, opts.onProgress, tm);
}

/** What {@link runWorkers} needs once the workers have their first batches. */
interface Prepared {
  asm: Assembler;
  /** Encode units [from, to) on this thread. */
  encodeHere: (from: number, to: number) => Fragment[];
  /**
   * Work for the end of the run, done once when this thread has no batch left to
   * encode and waits for the workers' last ones (20-90 ms on a kernel at -j2).
   */
  whileIdle?: () => void;
}

/** The object symbol set's arrays, copied to shared memory (the worker reads them as they are). */
function shareParts(p: ObjectSymbolParts): ObjectSymbolParts {
  const share = <T extends Uint8Array | Int32Array>(a: T, C: new (b: SharedArrayBuffer) => T): T => {
    const b = new C(new SharedArrayBuffer(Math.max(1, a.byteLength)));
    b.set(a as never);
    return b.subarray(0, a.length) as T;
  };
  return { names: share(p.names, Uint8Array), starts: share(p.starts, Int32Array), shndx: share(p.shndx, Int32Array), slots: share(p.slots, Int32Array) };
}

/** `list` as an Int32Array in shared memory. */
function sharedInt32(list: ArrayLike<number>): Int32Array {
  const a = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, list.length)));
  a.set(list);
  return a.subarray(0, list.length);
}

/**
 * The function table for a worker's FunctionNameTable: the names' bytes where they
 * are (a symbol table's strings, in the file buffer's shared memory), else copied there.
 */
function shareFunctions(fns: ElfFunctions): Extract<WorkerTables, { functions: unknown }>["functions"] {
  const prefixlens = sharedInt32(fns.prefixlens);
  const nb = fns.nameBytes;
  if (nb && nb.bytes.buffer instanceof SharedArrayBuffer) return { bytes: nb.bytes, starts: sharedInt32(nb.starts), prefixlens, suffixCount: fns.suffixCount };
  const sh = shareStrings(fns.entries.map((e) => e.name));
  return { bytes: sh.bytes, starts: sharedInt32(FunctionNameTable.startsOf(sh.bytes, sh.count)), prefixlens, suffixCount: fns.suffixCount };
}

/** The DWARF sections as shared memory (views of the file buffer when possible). */
function shareSections(dwarf: DwarfFile, windowed: boolean): WorkerInit["sections"] {
  const out: WorkerInit["sections"] = {};
  for (const name of DWARF_SECTIONS) {
    if (windowed && name === ".debug_info") continue; // read by each thread, a window at a time
    const d = dwarf.sectionData(name);
    if (!d) continue;
    if (d.buffer instanceof SharedArrayBuffer) {
      out[name] = { buffer: d.buffer, offset: d.byteOffset, length: d.length };
    } else {
      const sab = new SharedArrayBuffer(d.length);
      new Uint8Array(sab).set(d);
      out[name] = { buffer: sab, offset: 0, length: d.length };
    }
  }
  return out;
}

/**
 * Batches of consecutive units of about `target` bytes of `.debug_info` each; with
 * `tail`, the units after the first `tail` bytes in batches of a quarter of that (so
 * that the threads finish close together).
 */
function batches(units: readonly DwarfUnit[], target: number, tail = Infinity): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  let acc = 0;
  let seen = 0;
  for (let i = 0; i < units.length; i++) {
    const size = units[i]!.end - units[i]!.sectionOffset;
    acc += size;
    seen += size;
    if (acc >= (seen > tail ? Math.max(64 * 1024, target >>> 2) : target) || i === units.length - 1) {
      out.push([start, i + 1]);
      start = i + 1;
      acc = 0;
    }
  }
  return out;
}

/**
 * Encode the units on `jobs` threads: `jobs - 1` workers and this thread, which also
 * appends the fragments in order. Batches are handed out lowest first; a bounded
 * number are in flight (done or queued but not yet appended). The workers get their
 * `inits` and first batches before `prepare` runs (this thread's set-up).
 */
function runWorkers(
  inits: WorkerInit[],
  pool: Worker[],
  units: readonly DwarfUnit[],
  prepare: () => Prepared,
  onProgress?: (done: number, total: number) => void,
  tm?: Record<string, number>,
): Promise<Assembler> {
  const jobs = pool.length + 1;
  const total = units.reduce((s, u) => s + (u.end - u.sectionOffset), 0);
  // Enough batches to keep every thread busy to the end, not so many that messages
  // dominate; the last tenth in smaller ones, so that no thread is left with a big
  // batch while the others have nothing to do.
  const plan = batches(units, Math.max(64 * 1024, Math.min(2 * 1024 * 1024, Math.floor(total / (jobs * 16)))), 0.9 * total);
  // Each worker keeps two more batches queued so it never waits for this thread to
  // hand out the next one: this thread hears from the workers only between its own
  // batches and appends, and one queued batch ran out while it was busy (vmlinux at
  // -j2: 0.2-0.25 s of the worker's time idle in the middle of the run, none now).
  const inflightMax = 3 * jobs + 2;
  return new Promise<Assembler>((resolve, reject) => {
    const workers: Worker[] = [];
    const done = new Map<number, WorkReply>();
    let nextAssign = 0;
    let nextMerge = 0;
    let unitsDone = 0;
    let finished = false;
    let mainWaiting = false;
    // Set by prepare(), before any message of a worker can come in.
    let asm: Assembler | undefined;
    let encodeHere: Prepared["encodeHere"] = () => [];
    let whileIdle: Prepared["whileIdle"];
    const stop = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      for (const w of workers) void w.terminate();
      if (err || !asm) reject(err);
      else resolve(asm);
    };
    const canAssign = (): boolean => nextAssign < plan.length && nextAssign - nextMerge < inflightMax;
    const assign = (w: Worker): boolean => {
      if (!canAssign()) return false;
      const [from, to] = plan[nextAssign]!;
      const req: WorkRequest = { batch: nextAssign++, from, to, start: units[from]!.sectionOffset, end: units[to - 1]!.end };
      w.postMessage(req);
      return true;
    };
    const idle: Worker[] = [];
    /** Append what is ready, in order; give idle workers new batches. */
    const drain = (): void => {
      try {
        for (;;) {
          const r = done.get(nextMerge);
          if (!r) break;
          done.delete(nextMerge);
          if ("error" in r) {
            const e = r.error;
            stop(e.code === "INTERNAL" ? new Error(e.message) : new BtfError(e.code, e.message, { offset: e.offset, section: e.section, typeId: e.typeId }));
            return;
          }
          const ta = performance.now();
          for (const f of r.frags) {
            asm!.add(f);
            onProgress?.(++unitsDone, units.length);
          }
          if (tm) {
            tm.append = (tm.append ?? 0) + (performance.now() - ta);
            tm.workers = (tm.workers ?? 0) + r.busy;
          }
          nextMerge++;
        }
      } catch (e) {
        stop(e);
        return;
      }
      if (nextMerge === plan.length) {
        stop();
        return;
      }
      while (idle.length && assign(idle[idle.length - 1]!)) idle.pop();
    };
    /** This thread's share: append, then encode the lowest batch not handed out. */
    const mainStep = (): void => {
      mainWaiting = false;
      drain();
      if (finished) return;
      if (!canAssign()) {
        mainWaiting = true; // resumed by the next worker message
        if (nextAssign === plan.length && whileIdle) {
          const work = whileIdle;
          whileIdle = undefined;
          try {
            work();
          } catch (e) {
            stop(e);
          }
        }
        return;
      }
      const batch = nextAssign++;
      const [from, to] = plan[batch]!;
      const tb = performance.now();
      try {
        done.set(batch, { batch, frags: encodeHere(from, to), busy: performance.now() - tb });
      } catch (e) {
        done.set(batch, errorReply(batch, e));
      }
      setImmediate(mainStep); // let the workers' messages in between batches
    };
    for (const [i, w] of pool.entries()) {
      workers.push(w);
      if (w.threadId < 0) {
        stop(new Error("encoder worker exited before it started"));
        return;
      }
      w.postMessage(inits[i]!, [inits[i]!.tables.port]);
      w.on("message", (r: WorkReply) => {
        if (finished) return;
        done.set(r.batch, r);
        if (!assign(w)) idle.push(w);
        if (mainWaiting) mainStep();
        else drain();
      });
      w.on("error", (e) => stop(e));
      w.on("exit", (code) => {
        if (!finished && code !== 0) stop(new Error(`encoder worker exited with code ${code}`));
      });
      if (!assign(w) || !assign(w) || !assign(w)) idle.push(w);
    }
    try {
      ({ asm, encodeHere, whileIdle } = prepare());
    } catch (e) {
      stop(e);
      return;
    }
    setImmediate(mainStep);
  });
}

/** A failed batch as a message (BtfErrors keep their code and location). */
function errorReply(batch: number, e: unknown): WorkReply {
  return isBtfError(e)
    ? { batch, error: { code: e.code, message: e.detail, offset: e.offset, section: e.section, typeId: e.typeId } }
    : { batch, error: { code: "INTERNAL", message: (e as Error)?.message ?? String(e) } };
}

/**
 * A worker's {@link UnitContext}: the ELF-side tables are taken from the
 * {@link WorkerTables} message when first needed, waiting for it if it has not come yet.
 */
class WorkerContext implements UnitContext {
  readonly features: EncodeFeatures;
  readonly sections: readonly SectionInfo[];
  private fns: FunctionLookup | undefined;
  private objs: ObjectSymbols | undefined;

  constructor(private readonly init: WorkerInit) {
    this.features = init.features;
    this.sections = init.sectionInfos;
  }

  get functions(): FunctionLookup {
    while (!this.fns) this.receive();
    return this.fns;
  }

  get objects(): ObjectSymbols {
    while (!this.objs) this.receive();
    return this.objs;
  }

  /** Tables taken so far. */
  private got = 0;

  /** Take the next table, waiting for it to be posted. */
  private receive(): void {
    const { port, posted } = this.init.tables;
    let m: { message: unknown } | undefined;
    // (A bounded wait: should the main thread fail before posting, it terminates
    // this worker, which must then be back in JS to stop.)
    while (!(m = receiveMessageOnPort(port))) Atomics.wait(posted, 0, this.got, 50);
    this.got++;
    const t = m.message as WorkerTables;
    if ("functions" in t) {
      this.fns = functionTable(t.functions);
    } else this.objs = new ObjectSymbols(t.objects);
    if (this.fns && this.objs) port.close();
  }
}

function workerMain(init: WorkerInit): void {
  detachEarly(); // its replies transfer their buffers
  const dwarf = new DwarfFile({
    littleEndian: init.littleEndian,
    section: (name) => {
      const v = init.sections[name];
      return v ? new Uint8Array(v.buffer, v.offset, v.length) : undefined;
    },
  });
  const win = init.window;
  const units = win ? [] : compileUnits(dwarf);
  const fd = win ? openOrThrow(win.path) : -1;
  const ctx = new WorkerContext(init);
  const loader = new CuLoader({ machine: init.machine, littleEndian: init.littleEndian, features: init.features });
  // The units get their tables as this thread's real units do: from shared memory.
  if (init.warmUp) quietly(() => new WarmUp(init.features).run(false, loader, (e) => workerUnitContext(init.features, e)));
  parentPort!.on("message", (req: WorkRequest) => {
    let reply: WorkReply;
    const transfer: ArrayBuffer[] = [];
    const tb = performance.now();
    try {
      const frags: Fragment[] = [];
      const us = win ? windowUnits(dwarf, fd, win, req.start, req.end, req.to - req.from) : units.slice(req.from, req.to);
      for (const u of us) {
        const f = encodeOne(loader, u, ctx);
        frags.push(f);
        for (const a of [f.words, f.offs, f.nameFields, f.typeFields, f.strKeys, f.strBytes, f.strHashes, f.fnEntry, f.fnFlags, f.fnRet, f.fnParams, f.fnAnnots, f.parName, f.parType, f.annValue, f.annComp, f.vars])
          if (a.buffer instanceof ArrayBuffer && !transfer.includes(a.buffer)) transfer.push(a.buffer);
      }
      reply = { batch: req.batch, frags, busy: performance.now() - tb };
    } catch (e) {
      transfer.length = 0;
      reply = errorReply(req.batch, e);
    }
    parentPort!.postMessage(reply, transfer);
  });
}

/**
 * The unit context a worker would get for `e`: its tables as {@link WorkerTables} in
 * shared memory (for the warm-up; exported for tests).
 */
export function workerUnitContext(features: EncodeFeatures, e: ElfContext): UnitContext {
  return { features, sections: e.sections, functions: functionTable(shareFunctions(e.functions)), objects: new ObjectSymbols(shareParts(e.objects.parts())) };
}

/** A worker's function table, from the {@link WorkerTables} message that carries it. */
function functionTable(f: Extract<WorkerTables, { functions: unknown }>["functions"]): FunctionNameTable {
  return new FunctionNameTable(f.bytes, f.starts, f.prefixlens, f.suffixCount);
}

/**
 * A step of the warm-up ({@link WarmUp}), which only prepares V8 for the real work:
 * should it fail (a unit test checks that it does not), the encoding goes on without it.
 */
function quietly<T>(step: () => T): T | undefined {
  try {
    return step();
  } catch {
    return undefined; // (nothing to undo: the warm-up's state is its own)
  }
}

/** A sensible default for `jobs`: the machine's parallelism, at most 8. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

// A worker's first message is its WorkerInit; work requests follow.
if (!isMainThread && (workerData as { kind?: string } | undefined)?.kind === "btfkit-encode") parentPort!.once("message", (init: WorkerInit) => workerMain(init));
