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
 * A symbol table's entries as columns of typed arrays, read and checked once; names
 * are decoded when asked for. For callers that look at a few fields of many symbols
 * (the encoder's function and variable tables): an {@link ElfSymbol} per entry costs a
 * kernel's 119 k symbols ~130 ms and ~18 MB of objects, which the garbage collector
 * then copies and promotes.
 *
 * @example
 * const t = readSymbolTable(elf, elf.section(".symtab")!);
 * for (let i = 0; i < t.count; i++) if (t.type(i) === 2) console.log(t.name(i)); // STT_FUNC
 */
export class SymbolTable {
  /** Number of entries (the null symbol 0 included). */
  readonly count: number;
  private readonly strs: Uint8Array;
  private readonly nameOff: Uint32Array;
  private readonly info: Uint8Array;
  private readonly other: Uint8Array;
  private readonly raw: Uint16Array;
  private readonly real: Uint32Array;
  /** Low and high 32 bits of each value. */
  private readonly valueLo: Uint32Array;
  private readonly valueHi: Uint32Array;
  private readonly sizes: Float64Array;

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
    const is64 = elf.is64;
    const n = Math.floor(data.length / stride);
    this.count = n;
    this.strs = strs;
    this.nameOff = new Uint32Array(n);
    this.info = new Uint8Array(n);
    this.other = new Uint8Array(n);
    this.raw = new Uint16Array(n);
    this.real = new Uint32Array(n);
    this.valueLo = new Uint32Array(n);
    this.valueHi = new Uint32Array(n);
    this.sizes = new Float64Array(n);
    // With a NUL at the end of the string table, every name that starts in it ends in it.
    const terminated = strs.length > 0 && strs[strs.length - 1] === 0;
    for (let i = 0; i < n; i++) {
      const o = i * stride;
      const nameOff = dv.getUint32(o, le);
      let shndx: number;
      if (is64) {
        this.info[i] = data[o + 4]!;
        this.other[i] = data[o + 5]!;
        shndx = dv.getUint16(o + 6, le);
        this.valueLo[i] = dv.getUint32(o + (le ? 8 : 12), le);
        this.valueHi[i] = dv.getUint32(o + (le ? 12 : 8), le);
        this.sizes[i] = dv.getUint32(o + (le ? 20 : 16), le) * 4294967296 + dv.getUint32(o + (le ? 16 : 20), le);
      } else {
        this.valueLo[i] = dv.getUint32(o + 4, le);
        this.sizes[i] = dv.getUint32(o + 8, le);
        this.info[i] = data[o + 12]!;
        this.other[i] = data[o + 13]!;
        shndx = dv.getUint16(o + 14, le);
      }
      if (nameOff !== 0 && (nameOff >= strs.length || (!terminated && strs.indexOf(0, nameOff) < 0)))
        throw new BtfError("MALFORMED", `symbol ${i} of ${sec.name}: name offset ${nameOff} not in its string table`, { offset: sec.offset + o });
      this.nameOff[i] = nameOff;
      let real = shndx;
      if (shndx === SHN_XINDEX) {
        if (!xindex || (i + 1) * 4 > xindex.byteLength)
          throw new BtfError("MALFORMED", `symbol ${i} of ${sec.name}: SHN_XINDEX without an SHT_SYMTAB_SHNDX entry`, { offset: sec.offset + o });
        real = xindex.getUint32(i * 4, le);
      }
      this.raw[i] = shndx;
      this.real[i] = real;
    }
  }

  /** Symbol `i`'s name ("" for none). */
  name(i: number): string {
    const off = this.nameOff[i]!;
    return off === 0 ? "" : cstring(this.strs, off)!;
  }
  /** `ELF_ST_TYPE`: STT_* */
  type(i: number): number {
    return this.info[i]! & 0xf;
  }
  /** `ELF_ST_BIND`: STB_* */
  bind(i: number): number {
    return this.info[i]! >>> 4;
  }
  /** `ELF_ST_VISIBILITY`: STV_* */
  visibility(i: number): number {
    return this.other[i]! & 3;
  }
  /** The raw `st_shndx` (see {@link ElfSymbol.rawShndx}). */
  rawShndx(i: number): number {
    return this.raw[i]!;
  }
  /** The section index (see {@link ElfSymbol.shndx}). */
  shndx(i: number): number {
    return this.real[i]!;
  }
  /** `st_value`. */
  value(i: number): bigint {
    const hi = this.valueHi[i]!;
    return hi === 0 ? BigInt(this.valueLo[i]!) : (BigInt(hi) << 32n) | BigInt(this.valueLo[i]!);
  }
  /** `st_size`. */
  size(i: number): number {
    return this.sizes[i]!;
  }
  /** Entry `i` as an {@link ElfSymbol}. */
  symbol(i: number): ElfSymbol {
    const info = this.info[i]!;
    return { index: i, name: this.name(i), value: this.value(i), size: this.sizes[i]!, type: info & 0xf, bind: info >>> 4, visibility: this.other[i]! & 3, rawShndx: this.raw[i]!, shndx: this.real[i]! };
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
