/**
 * ELF symbol tables (`.symtab`, `.dynsym`): 32/64-bit, either byte order, with
 * extended section indices (`SHN_XINDEX` through an `SHT_SYMTAB_SHNDX` section).
 * @module
 */
import { BtfError } from "../internal/errors.js";
import { SHN_LORESERVE, SHN_XINDEX, SHT_DYNSYM, SHT_SYMTAB, SHT_SYMTAB_SHNDX } from "./constants.js";
import type { ElfFile, ElfSection } from "./elf.js";
import { cstring } from "./strtab.js";

/** One symbol-table entry (`Elf32_Sym` / `Elf64_Sym`). */
export interface ElfSymbol {
  /** Index in its symbol table (0 is the null symbol). */
  index: number;
  name: string;
  value: bigint;
  size: number;
  /** `ELF_ST_TYPE(st_info)`: STT_* */
  type: number;
  /** `ELF_ST_BIND(st_info)`: STB_* */
  bind: number;
  /** `ELF_ST_VISIBILITY(st_other)`: STV_* */
  visibility: number;
  /** The raw `st_shndx` field (`SHN_XINDEX` when the index is in the extension table). */
  rawShndx: number;
  /**
   * The section index the symbol is defined in: `st_shndx`, or its entry in the
   * `SHT_SYMTAB_SHNDX` section when `st_shndx` is `SHN_XINDEX`. Special values
   * (`SHN_UNDEF`, `SHN_ABS`, `SHN_COMMON`) are kept as they are.
   */
  shndx: number;
}

/** Parsed symbol tables, per file and section index (see {@link readSymbols}). */
const parsed = new WeakMap<ElfFile, Map<number, ElfSymbol[]>>();

/**
 * Read every entry of a symbol table section.
 *
 * @throws {BtfError} MALFORMED when the section, its string table (`sh_link`) or its
 *   extended-index table is out of bounds, or a name is not terminated.
 *
 * For a relocatable file (ET_REL) the result is parsed once per file and section
 * and shared by every caller: do not modify it.
 */
export function readSymbols(elf: ElfFile, sec: ElfSection): ElfSymbol[] {
  // Only relocatable files read their symbols more than once (once per relocated
  // section): a kernel's 120k symbols are not kept past their one use.
  if (elf.type !== 1 /* ET_REL */) return parseSymbols(elf, sec);
  let byIndex = parsed.get(elf);
  if (!byIndex) parsed.set(elf, (byIndex = new Map()));
  let out = byIndex.get(sec.index);
  if (!out) byIndex.set(sec.index, (out = parseSymbols(elf, sec)));
  return out;
}

function parseSymbols(elf: ElfFile, sec: ElfSection): ElfSymbol[] {
  const t = readSymbolTable(elf, sec);
  const out: ElfSymbol[] = new Array(t.count);
  for (let i = 0; i < t.count; i++) out[i] = t.symbol(i);
  return out;
}

/**
 * A symbol table read in place: its entries checked once, then each field read from
 * the section's bytes when asked for (no object per symbol, no copy). For callers that
 * look at a few fields of many symbols (the encoder's function and variable tables): an
 * {@link ElfSymbol} per entry costs a kernel's 119 k symbols ~130 ms and ~18 MB of
 * objects, which the garbage collector then copies and promotes.
 *
 * @example
 * const t = readSymbolTable(elf, elf.section(".symtab")!);
 * for (let i = 0; i < t.count; i++) if (t.type(i) === 2) console.log(t.name(i)); // STT_FUNC
 */
export class SymbolTable {
  /** Number of entries (the null symbol 0 included). */
  readonly count: number;
  private readonly data: Uint8Array;
  private readonly dv: DataView;
  private readonly strs: Uint8Array;
  private readonly xindex: DataView | undefined;
  private readonly stride: number;
  private readonly is64: boolean;
  private readonly le: boolean;

  /** @internal Use {@link readSymbolTable}. */
  constructor(elf: ElfFile, sec: ElfSection) {
    if (sec.type !== SHT_SYMTAB && sec.type !== SHT_DYNSYM)
      throw new BtfError("ARGUMENT", `section ${sec.name} is not a symbol table`, { offset: sec.offset });
    const entSize = elf.is64 ? 24 : 16;
    if (sec.entsize !== 0 && sec.entsize < entSize)
      throw new BtfError("MALFORMED", `symbol table ${sec.name}: entry size ${sec.entsize} too small`, { offset: sec.offset });
    const stride = sec.entsize || entSize;
    const data = elf.sectionData(sec);
    const strSec = elf.sections[sec.link];
    if (!strSec) throw new BtfError("MALFORMED", `symbol table ${sec.name}: string table index ${sec.link} out of range`, { offset: sec.offset });
    const strs = elf.sectionData(strSec);
    // The extended index table, if any, is the SHT_SYMTAB_SHNDX section linked to this one.
    let xindex: DataView | undefined;
    const xsec = elf.sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === sec.index);
    if (xsec) {
      const xd = elf.sectionData(xsec);
      xindex = new DataView(xd.buffer, xd.byteOffset, xd.byteLength);
    }
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const le = elf.littleEndian;
    const n = Math.floor(data.length / stride);
    const shndxAt = elf.is64 ? 6 : 14;
    // With a NUL at the end of the string table, every name that starts in it ends in it.
    const terminated = strs.length > 0 && strs[strs.length - 1] === 0;
    for (let i = 0; i < n; i++) {
      const o = i * stride;
      const nameOff = dv.getUint32(o, le);
      if (nameOff !== 0 && (nameOff >= strs.length || (!terminated && strs.indexOf(0, nameOff) < 0)))
        throw new BtfError("MALFORMED", `symbol ${i} of ${sec.name}: name offset ${nameOff} not in its string table`, { offset: sec.offset + o });
      if (dv.getUint16(o + shndxAt, le) === SHN_XINDEX && (!xindex || (i + 1) * 4 > xindex.byteLength))
        throw new BtfError("MALFORMED", `symbol ${i} of ${sec.name}: SHN_XINDEX without an SHT_SYMTAB_SHNDX entry`, { offset: sec.offset + o });
    }
    this.count = n;
    this.data = data;
    this.dv = dv;
    this.strs = strs;
    this.xindex = xindex;
    this.stride = stride;
    this.is64 = elf.is64;
    this.le = le;
  }

  /** Where symbol `i`'s name starts in {@link strings} (0 for none). */
  nameOffset(i: number): number {
    return this.dv.getUint32(i * this.stride, this.le);
  }
  /** The string table the names are in (NUL-terminated names). */
  get strings(): Uint8Array {
    return this.strs;
  }
  /** Symbol `i`'s name ("" for none). */
  name(i: number): string {
    const off = this.dv.getUint32(i * this.stride, this.le);
    return off === 0 ? "" : cstring(this.strs, off)!;
  }
  /** `ELF_ST_TYPE`: STT_* */
  type(i: number): number {
    return this.data[i * this.stride + (this.is64 ? 4 : 12)]! & 0xf;
  }
  /** `ELF_ST_BIND`: STB_* */
  bind(i: number): number {
    return this.data[i * this.stride + (this.is64 ? 4 : 12)]! >>> 4;
  }
  /** `ELF_ST_VISIBILITY`: STV_* */
  visibility(i: number): number {
    return this.data[i * this.stride + (this.is64 ? 5 : 13)]! & 3;
  }
  /** The raw `st_shndx` (see {@link ElfSymbol.rawShndx}). */
  rawShndx(i: number): number {
    return this.dv.getUint16(i * this.stride + (this.is64 ? 6 : 14), this.le);
  }
  /** The section index (see {@link ElfSymbol.shndx}). */
  shndx(i: number): number {
    const raw = this.rawShndx(i);
    return raw === SHN_XINDEX ? this.xindex!.getUint32(i * 4, this.le) : raw;
  }
  /** `st_value`. */
  value(i: number): bigint {
    const o = i * this.stride;
    return this.is64 ? this.dv.getBigUint64(o + 8, this.le) : BigInt(this.dv.getUint32(o + 4, this.le));
  }
  /** `st_size` (as a number: sizes beyond 2^53 are rounded). */
  size(i: number): number {
    const o = i * this.stride;
    const le = this.le;
    return this.is64 ? this.dv.getUint32(o + (le ? 20 : 16), le) * 4294967296 + this.dv.getUint32(o + (le ? 16 : 20), le) : this.dv.getUint32(o + 8, le);
  }
  /** Entry `i` as an {@link ElfSymbol}. */
  symbol(i: number): ElfSymbol {
    const info = this.data[i * this.stride + (this.is64 ? 4 : 12)]!;
    const rawShndx = this.rawShndx(i);
    return { index: i, name: this.name(i), value: this.value(i), size: this.size(i), type: info & 0xf, bind: info >>> 4, visibility: this.visibility(i), rawShndx, shndx: this.shndx(i) };
  }
}

/**
 * Read a symbol table section as a {@link SymbolTable}.
 * @throws {BtfError} ARGUMENT when `sec` is not a symbol table; MALFORMED as
 *   {@link readSymbols}.
 */
export function readSymbolTable(elf: ElfFile, sec: ElfSection): SymbolTable {
  return new SymbolTable(elf, sec);
}

/** True when `shndx` names a real section (not UNDEF/ABS/COMMON/...). */
export function isRegularSection(shndx: number, rawShndx: number): boolean {
  return shndx !== 0 && (rawShndx === SHN_XINDEX || rawShndx < SHN_LORESERVE);
}
