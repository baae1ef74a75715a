/**
 * A small ELF reader: header, section headers and section data, for 32- and 64-bit
 * files of either byte order. Every offset is bounds-checked; compressed sections
 * (`SHF_COMPRESSED`, zlib or zstd) are inflated on request.
 */
import { unzlibSync } from "fflate";
import { decompress as zstdDecompress } from "fzstd";
import { BtfError } from "../internal/errors.js";
import { decodeLatin1 } from "../btf/strings.js";
import { readSymbols, type ElfSymbol } from "./symbols.js";
import { applyRelocations, readRelocations, relocationSectionsFor, type ApplyRelocationsOptions, type ElfRelocation } from "./relocations.js";

export const SHF_COMPRESSED = 0x800;
export const SHT_NOBITS = 8;
export const ELFCOMPRESS_ZLIB = 1;
export const ELFCOMPRESS_ZSTD = 2;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

/** True when `bytes` starts with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/**
 * @example
 * ```ts
 * const elf = new ElfFile(bytes);
 * const btf = elf.sectionData(".BTF");
 * ```
 */
export class ElfFile {
  readonly bytes: Uint8Array;
  readonly is64: boolean;
  readonly littleEndian: boolean;
  readonly type: number;
  readonly machine: number;
  readonly sections: ElfSection[] = [];
  /** Header fields needed to rewrite the file (see `write.ts`); 0 when absent. */
  readonly ehsize: number = 0;
  readonly phoff: number = 0;
  readonly phentsize: number = 0;
  /** Number of program headers (resolved through section 0 when `e_phnum` is PN_XNUM). */
  readonly phnum: number = 0;
  readonly shoff: number = 0;
  readonly shentsize: number = 0;
  /** Index of the section-name string table (resolved through section 0 for SHN_XINDEX). */
  readonly shstrndx: number = 0;
  private readonly dv: DataView;

  /** @throws {BtfError} MALFORMED when the header or section table is out of bounds. */
  constructor(bytes: Uint8Array) {
    if (!isElf(bytes)) throw new BtfError("MALFORMED", "not an ELF file", { offset: 0 });
    if (bytes.length < 52) throw new BtfError("MALFORMED", "truncated ELF header", { offset: bytes.length });
    this.bytes = bytes;
    const cls = bytes[4];
    const data = bytes[5];
    if (cls !== 1 && cls !== 2) throw new BtfError("MALFORMED", `bad ELF class ${cls}`, { offset: 4 });
    if (data !== 1 && data !== 2) throw new BtfError("MALFORMED", `bad ELF data encoding ${data}`, { offset: 5 });
    this.is64 = cls === 2;
    this.littleEndian = data === 1;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.is64 && bytes.length < 64) throw new BtfError("MALFORMED", "truncated ELF header", { offset: bytes.length });
    this.type = this.u16(16);
    this.machine = this.u16(18);
    const shoff = this.is64 ? this.u64(40) : this.u32(32);
    const shentsize = this.u16(this.is64 ? 58 : 46);
    let shnum = this.u16(this.is64 ? 60 : 48);
    let shstrndx = this.u16(this.is64 ? 62 : 50);
    this.ehsize = this.u16(this.is64 ? 52 : 40);
    this.phoff = this.is64 ? this.u64(32) : this.u32(28);
    this.phentsize = this.u16(this.is64 ? 54 : 42);
    this.phnum = this.u16(this.is64 ? 56 : 44);
    this.shoff = shoff;
    this.shentsize = shentsize;
    if (shoff === 0) return;
    const minEnt = this.is64 ? 64 : 40;
    if (shentsize < minEnt) throw new BtfError("MALFORMED", `ELF section header size ${shentsize} too small`, { offset: this.is64 ? 58 : 46 });
    if (shoff + shentsize > bytes.length) throw new BtfError("MALFORMED", "ELF section headers past the end of the file", { offset: shoff });
    // Extended numbering: counts in section 0.
    if (shnum === 0) shnum = this.is64 ? this.u64(shoff + 32) : this.u32(shoff + 20);
    if (shstrndx === 0xffff) shstrndx = this.u32(shoff + (this.is64 ? 40 : 24));
    if (this.phnum === 0xffff) this.phnum = this.u32(shoff + (this.is64 ? 44 : 28));
    this.shstrndx = shstrndx;
    if (shoff + shnum * shentsize > bytes.length) throw new BtfError("MALFORMED", `ELF section headers (${shnum}) past the end of the file`, { offset: shoff });
    const raw: Omit<ElfSection, "name">[] = [];
    const nameOffs: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      nameOffs.push(this.u32(o));
      if (this.is64) {
        raw.push({ index: i, type: this.u32(o + 4), flags: this.u64(o + 8), addr: this.dv.getBigUint64(o + 16, this.littleEndian), offset: this.u64(o + 24), size: this.u64(o + 32), link: this.u32(o + 40), info: this.u32(o + 44), addralign: this.u64(o + 48), entsize: this.u64(o + 56) });
      } else {
        raw.push({ index: i, type: this.u32(o + 4), flags: this.u32(o + 8), addr: BigInt(this.u32(o + 12)), offset: this.u32(o + 16), size: this.u32(o + 20), link: this.u32(o + 24), info: this.u32(o + 28), addralign: this.u32(o + 32), entsize: this.u32(o + 36) });
      }
    }
    const strSec = raw[shstrndx];
    for (let i = 0; i < shnum; i++) {
      const r = raw[i]!;
      let name = "";
      if (strSec && strSec.type !== SHT_NOBITS && strSec.offset + strSec.size <= bytes.length) {
        const start = strSec.offset + nameOffs[i]!;
        const end = bytes.indexOf(0, start);
        if (nameOffs[i]! < strSec.size && end >= 0) name = decodeLatin1(bytes, start, Math.min(end, strSec.offset + strSec.size));
      }
      this.sections.push({ ...r, name });
    }
  }

  private u16(o: number): number {
    return this.dv.getUint16(o, this.littleEndian);
  }
  private u32(o: number): number {
    return this.dv.getUint32(o, this.littleEndian);
  }
  private u64(o: number): number {
    const v = this.dv.getBigUint64(o, this.littleEndian);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new BtfError("MALFORMED", `ELF value ${v} too large`, { offset: o });
    return Number(v);
  }

  /**
   * The entries of a symbol table: `.symtab` by default (`.dynsym` when there is no
   * `.symtab`), or the given section. Empty when the file has neither.
   * @throws {BtfError} MALFORMED when the table is out of bounds.
   */
  symbols(sec?: ElfSection | ".symtab" | ".dynsym"): ElfSymbol[] {
    let s: ElfSection | undefined;
    if (typeof sec === "object") s = sec;
    else if (sec === ".dynsym") s = this.sections.find((x) => x.type === 11);
    else if (sec === ".symtab") s = this.sections.find((x) => x.type === 2);
    else s = this.sections.find((x) => x.type === 2) ?? this.sections.find((x) => x.type === 11);
    return s ? readSymbols(this, s) : [];
  }

  /**
   * The relocations that apply to section `target` (from every `SHT_REL`/`SHT_RELA`
   * section whose `sh_info` is its index), in file order.
   */
  relocations(target: ElfSection | string): ElfRelocation[] {
    const t = typeof target === "string" ? this.section(target) : target;
    if (!t) throw new BtfError("NOT_FOUND", `no ${String(target)} section`);
    return relocationSectionsFor(this, t).flatMap((r) => readRelocations(this, r));
  }

  /**
   * Section data with relocations applied (ET_REL files; other files are returned as
   * they are): what a DWARF reader must use for `.debug_*` sections of a `.o`/`.ko`.
   * @throws {BtfError} NOT_FOUND, MALFORMED, UNSUPPORTED (see `applyRelocations`).
   */
  relocatedSectionData(sec: ElfSection | string, opts?: ApplyRelocationsOptions): Uint8Array {
    const s = typeof sec === "string" ? this.section(sec) : sec;
    if (!s) throw new BtfError("NOT_FOUND", `no ${String(sec)} section`);
    return applyRelocations(this, s, opts);
  }

  /** The first section named `name`, or undefined. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /**
   * The bytes of a section (a view; inflated copy when `SHF_COMPRESSED`).
   * @throws {BtfError} NOT_FOUND when absent, MALFORMED when out of bounds.
   */
  sectionData(sec: ElfSection | string): Uint8Array {
    const s = typeof sec === "string" ? this.section(sec) : sec;
    if (!s) throw new BtfError("NOT_FOUND", `no ${String(sec)} section`);
    // SHT_NULL has no data (section 0's sh_size may hold the section count).
    if (s.type === SHT_NOBITS || s.type === 0) return new Uint8Array(0);
    if (s.offset + s.size > this.bytes.length)
      throw new BtfError("MALFORMED", `section ${s.name} [${s.offset}, +${s.size}) runs past the end of the file (${this.bytes.length} bytes)`, { offset: s.offset });
    const data = this.bytes.subarray(s.offset, s.offset + s.size);
    if (!(s.flags & SHF_COMPRESSED)) return data;
    const chdr = this.is64 ? 24 : 12;
    if (data.length < chdr) throw new BtfError("MALFORMED", `compressed section ${s.name} too short`, { offset: s.offset });
    const type = this.u32(s.offset);
    const size = this.is64 ? this.u64(s.offset + 8) : this.u32(s.offset + 4);
    let out: Uint8Array;
    try {
      if (type === ELFCOMPRESS_ZLIB) out = unzlibSync(data.subarray(chdr));
      else if (type === ELFCOMPRESS_ZSTD) out = zstdDecompress(data.subarray(chdr));
      else throw new BtfError("UNSUPPORTED", `section ${s.name}: unknown compression type ${type}`, { offset: s.offset });
    } catch (e) {
      if (e instanceof BtfError) throw e;
      throw new BtfError("MALFORMED", `section ${s.name}: cannot decompress: ${(e as Error).message}`, { offset: s.offset });
    }
    if (out.length !== size) throw new BtfError("MALFORMED", `section ${s.name}: decompressed to ${out.length} bytes, header says ${size}`, { offset: s.offset });
    return out;
  }
}
