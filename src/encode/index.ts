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
import type { ElfFile } from "../elf/elf.js";
import { dwarfFromElf } from "../dwarf/elf-dwarf.js";
import type { DwarfFile, DwarfUnit } from "../dwarf/dwarf.js";
import { defaultFeatures, parseFeatures, type EncodeFeatures } from "./features.js";
import { collectKfuncs, ElfFunctions, ObjectSymbols, sectionInfos, symtabSection, type SectionInfo } from "./elf-info.js";
import { CuLoader } from "./loader.js";
import { encodeUnit, type Fragment, type UnitContext } from "./unit.js";
import { Assembler } from "./merge.js";

export { defaultFeatures, parseFeatures, FEATURE_NAMES, type EncodeFeatures } from "./features.js";
export { type Fragment, encodeUnit, type UnitContext } from "./unit.js";
export { CuLoader, type LoaderOptions } from "./loader.js";
export { Assembler, type AssembleOptions } from "./merge.js";
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

/** Resolve {@link EncodeOptions.features}. */
export function resolveFeatures(f: EncodeFeatures | string | undefined): EncodeFeatures {
  if (f === undefined) return defaultFeatures();
  if (typeof f === "string") return parseFeatures(f).features;
  return f;
}

/**
 * The ELF-side tables (pahole `btf_encoder__new`): function symbols, kfuncs,
 * sections, object symbols.
 * @throws {BtfError} NOT_FOUND without `.symtab` (pahole cannot create its encoder).
 */
export function elfContext(elf: ElfFile, features: EncodeFeatures): ElfContext {
  const symSec = symtabSection(elf);
  if (!symSec) throw new BtfError("NOT_FOUND", "no .symtab: pahole's encoder needs the symbol table");
  const syms = elf.symbols(symSec);
  const functions = ElfFunctions.fromSymbols(syms);
  if (features.declTagKfuncs) collectKfuncs(elf, syms, functions);
  return {
    machine: elf.machine,
    littleEndian: elf.littleEndian,
    endian: elf.littleEndian ? "little" : "big",
    functions,
    sections: sectionInfos(elf, { percpu: features.var, global: features.globalVar }),
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

/** Encode one unit on this thread into a fragment (a loader is reused across calls). */
export function encodeOne(loader: CuLoader, unit: DwarfUnit, ctx: UnitContext): Fragment {
  loader.load(unit);
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
  const asm = new Assembler({ base: opts.base, endian: ectx.endian, features, functions: ectx.functions, sections: ectx.sections, sizeHint: dwarf.sectionData(".debug_info")?.length });
  const loader = new CuLoader({ machine: ectx.machine, littleEndian: ectx.littleEndian, features });
  const uctx: UnitContext = { features, functions: ectx.functions, sections: ectx.sections, objects: ectx.objects };
  for (let i = 0; i < units.length; i++) {
    asm.add(encodeOne(loader, units[i]!, uctx));
    opts.onProgress?.(i + 1, units.length);
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
