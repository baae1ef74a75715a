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
  const out: ElfSymbol[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * stride;
    let nameOff: number, value: bigint, size: number, info: number, other: number, shndx: number;
    if (elf.is64) {
      nameOff = dv.getUint32(o, le);
      info = data[o + 4]!;
      other = data[o + 5]!;
      shndx = dv.getUint16(o + 6, le);
      value = dv.getBigUint64(o + 8, le);
      size = Number(dv.getBigUint64(o + 16, le));
    } else {
      nameOff = dv.getUint32(o, le);
      value = BigInt(dv.getUint32(o + 4, le));
      size = dv.getUint32(o + 8, le);
      info = data[o + 12]!;
      other = data[o + 13]!;
      shndx = dv.getUint16(o + 14, le);
    }
    let name = "";
    if (nameOff !== 0) {
      const s = cstring(strs, nameOff);
      if (s === undefined)
        throw new BtfError("MALFORMED", `symbol ${i} of ${sec.name}: name offset ${nameOff} not in its string table`, { offset: sec.offset + o });
      name = s;
    }
    let real = shndx;
    if (shndx === SHN_XINDEX) {
      if (!xindex || (i + 1) * 4 > xindex.byteLength)
        throw new BtfError("MALFORMED", `symbol ${i} of ${sec.name}: SHN_XINDEX without an SHT_SYMTAB_SHNDX entry`, { offset: sec.offset + o });
      real = xindex.getUint32(i * 4, le);
    }
    out[i] = { index: i, name, value, size, type: info & 0xf, bind: info >>> 4, visibility: other & 3, rawShndx: shndx, shndx: real };
  }
  return out;
}

/** True when `shndx` names a real section (not UNDEF/ABS/COMMON/...). */
export function isRegularSection(shndx: number, rawShndx: number): boolean {
  return shndx !== 0 && (rawShndx === SHN_XINDEX || rawShndx < SHN_LORESERVE);
}
