/**
 * DWARF -> BTF, exactly as `pahole -J --btf_features=default` (pahole 1.30, libbpf
 * 1.5) does it: the same BTF before dedup, byte for byte, and after libbpf's dedup
 * (src/btf/dedup) the same output.
 *
 * The pieces, in the order data flows:
 * - ./loader.ts: one CU as pahole's DWARF loader sees it (tables, recoding);
 * - ./unit.ts: that CU encoded into a {@link Fragment} with CU-local ids;
 * - ./merge.ts: fragments appended in CU order, then the saved functions and the
 *   DATASECs, giving the pre-dedup BTF;
 * - ./elf-info.ts: the ELF function table, kfuncs, sections;
 * - dedup.
 *
 * This module runs everything on the calling thread; `btfkit/node`'s
 * `encodeFile` (src/io/encode-workers.ts) spreads the CUs over worker threads and
 * gives the same bytes.
 *
 * @example
 * ```ts
 * import { encode } from "btfkit";
 * const btf = encode.encodeBtf(new ElfFile(bytes));          // vmlinux-style, deduplicated
 * const mod = encode.encodeBtf(new ElfFile(ko), { base });    // split on vmlinux BTF
 * ```
 * @module
 */
import { BtfError } from "../internal/errors.js";
import type { Btf, Endian } from "../btf/btf.js";
import { dedup } from "../btf/dedup/index.js";
import type { ElfFile, ElfSection } from "../elf/elf.js";
import { dwarfFromElf } from "../dwarf/elf-dwarf.js";
import { DW_FORM } from "../dwarf/constants.js";
import type { DwarfFile, DwarfUnit } from "../dwarf/dwarf.js";
import { defaultFeatures, parseFeatures, type EncodeFeatures } from "./features.js";
import { readSymbolTable } from "../elf/symbols.js";
import { collectKfuncs, ElfFunctions, ObjectSymbols, sectionInfos, symtabSection, type SectionInfo } from "./elf-info.js";
import { CuLoader } from "./loader.js";
import { encodeUnit, type Fragment, type UnitContext } from "./unit.js";
import { Assembler, type StringSource } from "./merge.js";

export { defaultFeatures, parseFeatures, FEATURE_NAMES, type EncodeFeatures } from "./features.js";
export { type Fragment, encodeUnit, type UnitContext } from "./unit.js";
export { CuLoader, type LoaderOptions } from "./loader.js";
export { Assembler, type AssembleOptions, type StringSource } from "./merge.js";
export { ElfFunctions, ObjectSymbols, sectionInfos, collectKfuncs, type SectionInfo, type ElfFunction } from "./elf-info.js";
export { msort, bsearch } from "./libc.js";

/** Options of {@link encodeBtf}. */
export interface EncodeOptions {
  /** Make split BTF on this base (pahole `--btf_base`). */
  base?: Btf;
  /** pahole's `--btf_features`: a parsed set or the option's text. Default: `default`. */
  features?: EncodeFeatures | string;
  /** Deduplicate (default true); false gives the BTF pahole hands to `btf__dedup`. */
  dedup?: boolean;
  /** Called after each CU with the number of CUs done and their total. */
  onProgress?: (done: number, total: number) => void;
}

/** Everything the encoder takes from the ELF file besides DWARF. */
export interface ElfContext {
  machine: number;
  littleEndian: boolean;
  endian: Endian;
  functions: ElfFunctions;
  sections: SectionInfo[];
  objects: ObjectSymbols;
}

/** What a unit's encoding reads of an {@link ElfContext}, with `features`. */
export function unitContext(features: EncodeFeatures, ectx: ElfContext): UnitContext {
  return { features, functions: ectx.functions, sections: ectx.sections, objects: ectx.objects };
}

/** Resolve {@link EncodeOptions.features}. */
export function resolveFeatures(f: EncodeFeatures | string | undefined): EncodeFeatures {
  if (f === undefined) return defaultFeatures();
  if (typeof f === "string") return parseFeatures(f).features;
  return f;
}

/**
 * The `.symtab` section, which pahole's encoder cannot do without.
 * @throws {BtfError} NOT_FOUND when the file has none.
 */
export function requireSymtab(elf: ElfFile): ElfSection {
  const symSec = symtabSection(elf);
  if (!symSec) throw new BtfError("NOT_FOUND", "no .symtab: pahole's encoder needs the symbol table");
  return symSec;
}

/** The sections as the encoder sees them (which may hold variables), for these features. */
export function encoderSections(elf: ElfFile, features: EncodeFeatures): SectionInfo[] {
  return sectionInfos(elf, { percpu: features.var, global: features.globalVar });
}

/**
 * The ELF-side tables (pahole `btf_encoder__new`): function symbols, kfuncs,
 * sections, object symbols; `onFunctions` gets the function table as soon as it is
 * complete, before the object symbols are collected.
 * @throws {BtfError} NOT_FOUND without `.symtab` (pahole cannot create its encoder).
 */
export function elfContext(elf: ElfFile, features: EncodeFeatures, onFunctions?: (functions: ElfFunctions) => void): ElfContext {
  const symSec = requireSymtab(elf);
  // A relocatable file's symbol objects are parsed for its relocations anyway (and
  // cached); a linked file's (a kernel's 119 k) are read as columns, without objects.
  const syms = elf.type === 1 /* ET_REL */ ? elf.symbols(symSec) : readSymbolTable(elf, symSec);
  const functions = ElfFunctions.fromSymbols(syms);
  // The workers search the table's names and prefixes only: they get it before the
  // kfuncs are collected (whose searches, like this thread's, read the names' bytes).
  onFunctions?.(functions);
  if (features.declTagKfuncs) collectKfuncs(elf, syms, functions);
  return {
    machine: elf.machine,
    littleEndian: elf.littleEndian,
    endian: elf.littleEndian ? "little" : "big",
    functions,
    sections: encoderSections(elf, features),
    objects: new ObjectSymbols(syms),
  };
}

/**
 * The units pahole 1.30 walks (libdw `dwarf_nextcu`): those of `.debug_info`, without
 * type units. Types that live only in type units (`-fdebug-types-section`) are not
 * encoded by pahole either, and references to them become void.
 * @throws {BtfError} NOT_FOUND when the file has no DWARF.
 */
export function compileUnits(dwarf: DwarfFile): DwarfUnit[] {
  const all = dwarf.units();
  if (all.length === 0) throw new BtfError("NOT_FOUND", "no DWARF debug information (.debug_info) to encode");
  return all.filter((u) => u.section === ".debug_info" && !u.isTypeUnit);
}

/** Linux's ELF note saying whether the kernel was built with LTO (include/linux/elfnote-lto.h). */
const LINUX_ELFNOTE_LTO_INFO = 0x101;

/**
 * pahole `cus__merging_cu`: are all units to be encoded as one CU? Yes when the
 * `Linux` LTO note says so; without the note, when any unit's abbreviations use
 * `DW_FORM_ref_addr` (references across units, as LTO builds make).
 */
export function mergesUnits(elf: ElfFile, units: readonly DwarfUnit[]): boolean {
  const le = elf.littleEndian;
  for (const sec of elf.sections) {
    if (sec.type !== 7 /* SHT_NOTE */) continue;
    let d: Uint8Array;
    try {
      d = elf.sectionData(sec);
    } catch {
      continue;
    }
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    for (let p = 0; p + 12 <= d.length; ) {
      const namesz = dv.getUint32(p, le);
      const descsz = dv.getUint32(p + 4, le);
      const type = dv.getUint32(p + 8, le);
      const nameAt = p + 12;
      const descAt = nameAt + ((namesz + 3) & ~3);
      if (descAt + descsz > d.length) break;
      if (type === LINUX_ELFNOTE_LTO_INFO && namesz === 6 && String.fromCharCode(...d.subarray(nameAt, nameAt + 5)) === "Linux" && d[nameAt + 5] === 0)
        return descsz >= 4 ? dv.getInt32(descAt, le) !== 0 : false;
      p = descAt + ((descsz + 3) & ~3);
    }
  }
  for (const u of units) {
    const forms = u.abbrevs.forms;
    for (let k = 0; k < forms.length; k++) if (forms[k] === DW_FORM.ref_addr) return true;
  }
  return false;
}

/**
 * The string sections fragments of `dwarf` refer to (see {@link StringSource}); with
 * the ELF file it came from, whether units share `.debug_str` offsets (not in
 * relocatable files).
 */
export function dwarfStrings(dwarf: DwarfFile, elf?: ElfFile): StringSource {
  return { debugStr: dwarf.sectionData(".debug_str"), sharedOffsets: elf === undefined || elf.type !== 1 /* ET_REL */ };
}

/** Encode one unit on this thread into a fragment (a loader is reused across calls). */
export function encodeOne(loader: CuLoader, unit: DwarfUnit, ctx: UnitContext): Fragment {
  loader.load(unit);
  return encodeUnit(loader, ctx);
}

/** Encode all `units` as one merged CU (see {@link mergesUnits}). */
export function encodeMerged(loader: CuLoader, units: readonly DwarfUnit[], ctx: UnitContext): Fragment {
  loader.loadMerged(units);
  return encodeUnit(loader, ctx);
}

/**
 * Encode the DWARF of `elf` into BTF as pahole 1.30 does.
 * @throws {BtfError} NOT_FOUND without DWARF or `.symtab`; MALFORMED for bad DWARF;
 *   INVALID / UNSUPPORTED where pahole's encoder fails too.
 */
export function encodeBtf(elf: ElfFile, opts: EncodeOptions = {}): Btf {
  const features = resolveFeatures(opts.features);
  const dwarf = dwarfFromElf(elf, { layout: "libdwfl" });
  const units = compileUnits(dwarf);
  const ectx = elfContext(elf, features);
  const asm = new Assembler({ base: opts.base, endian: ectx.endian, features, functions: ectx.functions, sections: ectx.sections, sizeHint: dwarf.sectionData(".debug_info")?.length, strings: dwarfStrings(dwarf, elf) });
  const loader = new CuLoader({ machine: ectx.machine, littleEndian: ectx.littleEndian, features });
  const uctx = unitContext(features, ectx);
  if (mergesUnits(elf, units)) {
    asm.add(encodeMerged(loader, units, uctx));
    opts.onProgress?.(units.length, units.length);
  } else {
    for (let i = 0; i < units.length; i++) {
      asm.add(encodeOne(loader, units[i]!, uctx));
      opts.onProgress?.(i + 1, units.length);
    }
  }
  return finishBtf(asm, opts);
}

/** Finish an assembly: saved functions, DATASECs, then dedup unless disabled. */
export function finishBtf(asm: Assembler, opts: { dedup?: boolean; base?: Btf }): Btf {
  const btf = asm.finish();
  // pahole: "Empty file, nothing to do" — a non-split BTF without types is not deduplicated.
  if (opts.dedup === false || (!opts.base && btf.nrTypes === 0)) return btf;
  return finishDedup(btf);
}

/** libbpf's `btf__dedup` on the encoder's BTF (its strings are already unique). */
export function finishDedup(btf: Btf): Btf {
  return dedup(btf, { inPlace: true, stringsDeduped: true });
}
