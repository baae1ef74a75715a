/**
 * Relocations (`SHT_REL`, `SHT_RELA`) and applying them to a section's bytes, as a
 * DWARF consumer must for relocatable files (ET_REL: `.o`, `.ko`) whose
 * `.debug_info` still holds zeros (or addends) where offsets into `.debug_str`,
 * `.debug_abbrev` ... and code addresses go.
 *
 * Only the "simple" relocation types that appear in debug sections are known: each
 * machine has a table below (add a machine by adding a table).
 * @module
 */
import { BtfError } from "../internal/errors.js";
import {
  EM_386,
  EM_AARCH64,
  EM_ARM,
  EM_PPC,
  EM_PPC64,
  EM_RISCV,
  EM_S390,
  EM_X86_64,
  SHF_ALLOC,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_REL,
  SHT_RELA,
} from "./constants.js";
import type { ElfFile, ElfSection } from "./elf.js";
import { readSymbols, type ElfSymbol } from "./symbols.js";

/** One relocation entry (`Elf{32,64}_Rel{,a}`). */
export interface ElfRelocation {
  /** Offset of the place in the target section (ET_REL) or virtual address (ET_EXEC/ET_DYN). */
  offset: number;
  /** Machine-specific relocation type (`ELF{32,64}_R_TYPE`). */
  type: number;
  /** Symbol index in the linked symbol table (`ELF{32,64}_R_SYM`). */
  symbol: number;
  /** The explicit addend (RELA); 0 for REL, whose addend is in the target bytes. */
  addend: bigint;
}

/**
 * How a relocation type computes and stores its value.
 * - `abs`: S + A;  `pcrel`: S + A - P;  `tpoff`: st_value + A (TLS offsets: no
 *   section base);  `add` / `sub`: the stored value plus / minus S + A (RISC-V
 *   label differences);  `none`: nothing.
 * - `check`: how the result must fit `size` bytes: `unsigned`, `signed`, `any`
 *   (either; a value that fits neither is an error), or `wrap` (modulo 2^bits, as
 *   linkers do for the 32-bit REL architectures).
 */
export interface RelocationKind {
  name: string;
  size: 0 | 1 | 2 | 4 | 8;
  calc: "none" | "abs" | "pcrel" | "tpoff" | "add" | "sub";
  check: "unsigned" | "signed" | "any" | "wrap";
  /** Added to the result (TLS offsets biased by the ABI, e.g. PowerPC's -0x8000). */
  bias?: bigint;
}

const k = (name: string, size: RelocationKind["size"], calc: RelocationKind["calc"], check: RelocationKind["check"] = "any"): RelocationKind => ({ name, size, calc, check });

/**
 * Relocation types btfkit can apply, per `e_machine`. They are the ones compilers
 * emit in debug sections (and `.eh_frame`); code relocations are not needed to
 * read DWARF and are reported as unsupported.
 */
export const RELOCATION_TYPES: ReadonlyMap<number, ReadonlyMap<number, RelocationKind>> = new Map([
  [
    EM_X86_64,
    new Map([
      [0, k("R_X86_64_NONE", 0, "none")],
      [1, k("R_X86_64_64", 8, "abs")],
      [2, k("R_X86_64_PC32", 4, "pcrel", "signed")],
      [10, k("R_X86_64_32", 4, "abs", "unsigned")],
      [11, k("R_X86_64_32S", 4, "abs", "signed")],
      [12, k("R_X86_64_16", 2, "abs", "unsigned")],
      [14, k("R_X86_64_8", 1, "abs", "unsigned")],
      [17, k("R_X86_64_DTPOFF64", 8, "tpoff")],
      [21, k("R_X86_64_DTPOFF32", 4, "tpoff", "signed")],
      [24, k("R_X86_64_PC64", 8, "pcrel")],
    ]),
  ],
  [
    EM_386,
    new Map([
      [0, k("R_386_NONE", 0, "none")],
      [1, k("R_386_32", 4, "abs", "wrap")],
      [2, k("R_386_PC32", 4, "pcrel", "wrap")],
      [32, k("R_386_TLS_LDO_32", 4, "tpoff")],
    ]),
  ],
  [
    EM_AARCH64,
    new Map([
      [0, k("R_AARCH64_NONE", 0, "none")],
      [256, k("R_AARCH64_NONE", 0, "none")],
      [257, k("R_AARCH64_ABS64", 8, "abs")],
      [258, k("R_AARCH64_ABS32", 4, "abs")],
      [259, k("R_AARCH64_ABS16", 2, "abs")],
      [260, k("R_AARCH64_PREL64", 8, "pcrel")],
      [261, k("R_AARCH64_PREL32", 4, "pcrel", "signed")],
      [262, k("R_AARCH64_PREL16", 2, "pcrel", "signed")],
      [1031, k("R_AARCH64_TLS_DTPREL64", 8, "tpoff")],
      [1032, k("R_AARCH64_TLS_DTPREL32", 4, "tpoff")],
    ]),
  ],
  [
    EM_ARM,
    new Map([
      [0, k("R_ARM_NONE", 0, "none")],
      [2, k("R_ARM_ABS32", 4, "abs", "wrap")],
      [3, k("R_ARM_REL32", 4, "pcrel", "wrap")],
      [42, k("R_ARM_PREL31", 0, "none")], // .ARM.exidx only; never in debug sections
      [106, k("R_ARM_TLS_LDO32", 4, "tpoff", "wrap")],
    ]),
  ],
  [
    EM_PPC,
    new Map([
      [0, k("R_PPC_NONE", 0, "none")],
      [1, k("R_PPC_ADDR32", 4, "abs")],
      [26, k("R_PPC_REL32", 4, "pcrel", "signed")],
      [78, { ...k("R_PPC_DTPREL32", 4, "tpoff"), bias: -0x8000n }],
    ]),
  ],
  [
    EM_PPC64,
    new Map([
      [0, k("R_PPC64_NONE", 0, "none")],
      [1, k("R_PPC64_ADDR32", 4, "abs")],
      [26, k("R_PPC64_REL32", 4, "pcrel", "signed")],
      [38, k("R_PPC64_ADDR64", 8, "abs")],
      [44, k("R_PPC64_REL64", 8, "pcrel")],
      [78, { ...k("R_PPC64_DTPREL64", 8, "tpoff"), bias: -0x8000n }],
    ]),
  ],
  [
    EM_S390,
    new Map([
      [0, k("R_390_NONE", 0, "none")],
      [4, k("R_390_32", 4, "abs")],
      [5, k("R_390_PC32", 4, "pcrel", "signed")],
      [22, k("R_390_64", 8, "abs")],
      [23, k("R_390_PC64", 8, "pcrel")],
      [54, k("R_390_TLS_LDO64", 8, "tpoff")],
    ]),
  ],
  [
    EM_RISCV,
    new Map([
      [0, k("R_RISCV_NONE", 0, "none")],
      [1, k("R_RISCV_32", 4, "abs")],
      [2, k("R_RISCV_64", 8, "abs")],
      [9, k("R_RISCV_TLS_DTPREL32", 4, "tpoff")],
      [11, k("R_RISCV_TLS_DTPREL64", 8, "tpoff")],
      [33, k("R_RISCV_ADD8", 1, "add")],
      [34, k("R_RISCV_ADD16", 2, "add")],
      [35, k("R_RISCV_ADD32", 4, "add")],
      [36, k("R_RISCV_ADD64", 8, "add")],
      [37, k("R_RISCV_SUB8", 1, "sub")],
      [38, k("R_RISCV_SUB16", 2, "sub")],
      [39, k("R_RISCV_SUB32", 4, "sub")],
      [40, k("R_RISCV_SUB64", 8, "sub")],
      [51, k("R_RISCV_RELAX", 0, "none")],
      [57, k("R_RISCV_32_PCREL", 4, "pcrel", "signed")],
    ]),
  ],
]);

/** The name of relocation `type` on `machine`, or `undefined` when not in the tables. */
export function relocationTypeName(machine: number, type: number): string | undefined {
  return RELOCATION_TYPES.get(machine)?.get(type)?.name;
}

/**
 * Parse the entries of a `SHT_REL` or `SHT_RELA` section.
 * @throws {BtfError} MALFORMED when the section is out of bounds or its entry size is wrong.
 */
export function readRelocations(elf: ElfFile, sec: ElfSection): ElfRelocation[] {
  const rela = sec.type === SHT_RELA;
  if (!rela && sec.type !== SHT_REL) throw new BtfError("ARGUMENT", `section ${sec.name} is not a relocation section`, { offset: sec.offset });
  const ent = (elf.is64 ? 16 : 8) + (rela ? (elf.is64 ? 8 : 4) : 0);
  if (sec.entsize !== 0 && sec.entsize < ent)
    throw new BtfError("MALFORMED", `relocation section ${sec.name}: entry size ${sec.entsize} too small`, { offset: sec.offset });
  const stride = sec.entsize || ent;
  const data = elf.sectionData(sec);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = elf.littleEndian;
  const n = Math.floor(data.length / stride);
  const out: ElfRelocation[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * stride;
    if (elf.is64) {
      const off = dv.getBigUint64(o, le);
      const infoHi = dv.getUint32(o + (le ? 12 : 8), le);
      const infoLo = dv.getUint32(o + (le ? 8 : 12), le);
      out[i] = { offset: safe(off, sec, o), symbol: infoHi, type: infoLo, addend: rela ? dv.getBigInt64(o + 16, le) : 0n };
    } else {
      const info = dv.getUint32(o + 4, le);
      out[i] = { offset: dv.getUint32(o, le), symbol: info >>> 8, type: info & 0xff, addend: rela ? BigInt(dv.getInt32(o + 8, le)) : 0n };
    }
  }
  return out;
}

function safe(v: bigint, sec: ElfSection, o: number): number {
  // r_offset of ET_EXEC/ET_DYN relocations are virtual addresses (possibly above
  // 2^53, e.g. 0xffffffff81000000 in vmlinux); keep them as exact as a number allows.
  if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  const n = Number(v);
  if (!Number.isFinite(n)) throw new BtfError("MALFORMED", `relocation offset too large`, { offset: sec.offset + o });
  return n;
}

/** The relocation sections (`SHT_REL`/`SHT_RELA`, `sh_info` = target) that apply to `target`. */
export function relocationSectionsFor(elf: ElfFile, target: ElfSection): ElfSection[] {
  return elf.sections.filter((s) => (s.type === SHT_RELA || s.type === SHT_REL) && s.info === target.index && s.index !== target.index);
}

/** Options for {@link applyRelocations}. */
export interface ApplyRelocationsOptions {
  /**
   * The address of section `shndx`, added to the value of symbols defined in it.
   * Default: the section header's `sh_addr` (0 for every section of an ET_REL file,
   * so code addresses come out section-relative). Pass
   * `relocatableLayout(elf).address` to lay out ET_REL sections as libdwfl does.
   */
  sectionAddress?: (shndx: number) => bigint;
  /**
   * The contents to relocate, when not the section's own bytes (e.g. a `.zdebug_*`
   * section inflated by the caller: its relocations apply to the inflated data).
   */
  data?: Uint8Array;
  /**
   * Patch the section's bytes where they are (a buffer the caller owns, e.g. read
   * from the file for this use only) instead of a copy, when every relocation
   * section is SHT_RELA (applying them again gives the same bytes).
   */
  inPlace?: boolean;
}

/**
 * A copy of `target`'s bytes (decompressed if `SHF_COMPRESSED`) with every relocation
 * of its `.rel`/`.rela` sections applied. Files that are not ET_REL are returned
 * unrelocated (a linked file's debug sections are final; a `.rela.debug_info` left by
 * `--emit-relocs` must not be applied twice). The result is a fresh copy only when
 * relocations were applied; otherwise it may be a view of the file.
 *
 * @throws {BtfError} UNSUPPORTED for a relocation type not in {@link RELOCATION_TYPES};
 *   MALFORMED for an entry outside the section, a bad symbol index, or a value that
 *   does not fit its field.
 */
export function applyRelocations(elf: ElfFile, target: ElfSection, opts: ApplyRelocationsOptions = {}): Uint8Array {
  const orig = opts.data ?? elf.sectionData(target);
  if (elf.type !== 1 /* ET_REL */) return orig;
  const relSecs = relocationSectionsFor(elf, target);
  if (relSecs.length === 0) return orig;
  // RELA values do not depend on the bytes they replace: with `inPlace` the caller's
  // buffer is patched instead of a copy (REL addends are read from the original).
  const out = opts.inPlace && relSecs.every((r) => r.type === SHT_RELA) ? orig : orig.slice();
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const odv = new DataView(orig.buffer, orig.byteOffset, orig.byteLength);
  const le = elf.littleEndian;
  const table = RELOCATION_TYPES.get(elf.machine);
  const addrOf = opts.sectionAddress ?? ((i: number) => elf.sections[i]?.addr ?? 0n);
  const symCache = new Map<number, ElfSymbol[]>();
  const is64 = elf.is64;
  const TWO32 = 0x100000000;
  for (const rs of relSecs) {
    const isRela = rs.type === SHT_RELA;
    const ent = (is64 ? 16 : 8) + (isRela ? (is64 ? 8 : 4) : 0);
    if (rs.entsize !== 0 && rs.entsize < ent)
      throw new BtfError("MALFORMED", `relocation section ${rs.name}: entry size ${rs.entsize} too small`, { offset: rs.offset });
    const stride = rs.entsize || ent;
    const rdata = elf.sectionData(rs);
    const rdv = new DataView(rdata.buffer, rdata.byteOffset, rdata.byteLength);
    const count = Math.floor(rdata.length / stride);
    let syms = symCache.get(rs.link);
    if (!syms) {
      const symSec = elf.sections[rs.link];
      syms = rs.link === 0 || !symSec ? [] : readSymbols(elf, symSec);
      symCache.set(rs.link, syms);
    }
    // S (symbol value plus section base) per symbol: exact numbers in the common
    // case, bigints otherwise; computed on first use.
    const sNum = new Float64Array(syms.length).fill(NaN);
    const sBig: (bigint | undefined)[] = new Array(syms.length);
    let lastType = -1;
    let kind: RelocationKind | undefined;
    for (let i = 0; i < count; i++) {
      const o = i * stride;
      // Decode the entry without allocating (offsets beyond 2^53 become inexact and fail the bounds check).
      let off: number, symIdx: number, type: number, addNum: number;
      if (is64) {
        off = rdv.getUint32(o + (le ? 4 : 0), le) * TWO32 + rdv.getUint32(o + (le ? 0 : 4), le);
        symIdx = rdv.getUint32(o + (le ? 12 : 8), le);
        type = rdv.getUint32(o + (le ? 8 : 12), le);
        addNum = isRela ? rdv.getInt32(o + (le ? 20 : 16), le) * TWO32 + rdv.getUint32(o + (le ? 16 : 20), le) : 0;
      } else {
        off = rdv.getUint32(o, le);
        const info = rdv.getUint32(o + 4, le);
        symIdx = info >>> 8;
        type = info & 0xff;
        addNum = isRela ? rdv.getInt32(o + 8, le) : 0;
      }
      if (type !== lastType) {
        kind = table?.get(type);
        lastType = type;
      }
      if (!kind) {
        throw new BtfError("UNSUPPORTED", `relocation type ${type} (machine ${elf.machine}) in ${rs.name} is not supported for debug sections`, {
          offset: rs.offset + o,
        });
      }
      if (kind.calc === "none") continue;
      if (!(off >= 0 && off + kind.size <= out.length))
        throw new BtfError("MALFORMED", `relocation ${i} of ${rs.name}: offset ${off} (+${kind.size}) outside ${target.name} (${out.length} bytes)`, {
          offset: rs.offset + o,
        });
      let sym: ElfSymbol | undefined;
      if (symIdx !== 0) {
        sym = syms[symIdx];
        if (!sym) throw new BtfError("MALFORMED", `relocation ${i} of ${rs.name}: symbol index ${symIdx} out of range`, { offset: rs.offset + o });
      }
      // Fast path: S + A as exact numbers, stored in 4 or 8 bytes.
      if (kind.calc === "abs" && isRela && (kind.size === 8 || kind.size === 4) && kind.bias === undefined && Number.isSafeInteger(addNum)) {
        let sv = 0;
        if (sym) {
          sv = sNum[symIdx]!;
          if (Number.isNaN(sv)) {
            const b = symbolAddress(sym, addrOf);
            sBig[symIdx] = b;
            sv = b >= 0n && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : Infinity;
            sNum[symIdx] = sv;
          }
        }
        const v = sv + addNum;
        if (Number.isSafeInteger(v) && v >= 0) {
          if (kind.size === 8) {
            const lo = v % TWO32;
            const hi = (v - lo) / TWO32;
            dv.setUint32(off + (le ? 0 : 4), lo, le);
            dv.setUint32(off + (le ? 4 : 0), hi, le);
            continue;
          }
          if (v < (kind.check === "signed" ? 0x80000000 : TWO32)) {
            dv.setUint32(off, v, le);
            continue;
          }
        }
      }
      // General path, in bigints.
      let s: bigint;
      if (!sym) s = 0n;
      else if (kind.calc === "tpoff") s = sym.value;
      else {
        let b = sBig[symIdx];
        if (b === undefined) b = sBig[symIdx] = symbolAddress(sym, addrOf);
        s = b;
      }
      const addend = isRela ? (is64 ? rdv.getBigInt64(o + (is64 ? 16 : 8), le) : BigInt(addNum)) : 0n;
      // A: explicit (RELA) or the bytes in place (REL).
      const a = isRela ? addend : readField(odv, off, kind.size, le, kind.check === "signed");
      let value = s + a + (kind.bias ?? 0n);
      if (kind.calc === "pcrel") value -= (target.addr ?? 0n) + BigInt(off);
      else if (kind.calc === "add") value = readField(dv, off, kind.size, le, false) + s + addend;
      else if (kind.calc === "sub") value = readField(dv, off, kind.size, le, false) - (s + addend);
      writeField(dv, off, kind, value, le, rs, i);
    }
  }
  return out;
}

function symbolAddress(sym: ElfSymbol, addrOf: (shndx: number) => bigint): bigint {
  if (sym.rawShndx === SHN_UNDEF || sym.rawShndx === SHN_ABS || sym.rawShndx === SHN_COMMON) return sym.rawShndx === SHN_ABS ? sym.value : 0n;
  if (sym.rawShndx >= 0xff00 && sym.rawShndx !== SHN_XINDEX) return sym.value;
  return sym.value + addrOf(sym.shndx);
}

function readField(dv: DataView, o: number, size: number, le: boolean, signed: boolean): bigint {
  switch (size) {
    case 1:
      return BigInt(signed ? dv.getInt8(o) : dv.getUint8(o));
    case 2:
      return BigInt(signed ? dv.getInt16(o, le) : dv.getUint16(o, le));
    case 4:
      return BigInt(signed ? dv.getInt32(o, le) : dv.getUint32(o, le));
    case 8:
      return signed ? dv.getBigInt64(o, le) : dv.getBigUint64(o, le);
    default:
      return 0n;
  }
}

function writeField(dv: DataView, o: number, kind: RelocationKind, value: bigint, le: boolean, rs: ElfSection, i: number): void {
  const bits = BigInt(kind.size * 8);
  const mod = 1n << bits;
  const fitsU = value >= 0n && value < mod;
  const fitsS = value >= -(mod >> 1n) && value < mod >> 1n;
  const ok = kind.check === "wrap" || kind.calc === "add" || kind.calc === "sub" || (kind.check === "unsigned" ? fitsU : kind.check === "signed" ? fitsS : fitsU || fitsS || kind.size === 8);
  if (!ok) throw new BtfError("MALFORMED", `relocation ${i} of ${rs.name} (${kind.name}): value ${value} does not fit ${kind.size} bytes`, { offset: rs.offset });
  const v = BigInt.asUintN(kind.size * 8, value);
  switch (kind.size) {
    case 1:
      dv.setUint8(o, Number(v));
      break;
    case 2:
      dv.setUint16(o, Number(v), le);
      break;
    case 4:
      dv.setUint32(o, Number(v), le);
      break;
    case 8:
      dv.setBigUint64(o, v, le);
      break;
  }
}

/** Section addresses of an ET_REL file laid out as a loader would (see {@link relocatableLayout}). */
export interface RelocatableLayout {
  /** The address assigned to section `shndx` (its `sh_addr` for non-allocated sections). */
  address(shndx: number): bigint;
  /** Lowest and one-past-highest address of the allocated sections. */
  start: bigint;
  end: bigint;
}

/**
 * Assign addresses to the `SHF_ALLOC` sections of an ET_REL file the way libdwfl's
 * offline reporting does (elfutils `__libdwfl_report_elf`): sections with
 * `sh_addr == 0` are placed one after another in section-header order, each at the
 * next multiple of its alignment, starting at `base` rounded up to 0x100. pahole
 * opens files through `dwfl_report_offline`, whose first module gets base 0x10000,
 * so `DW_AT_low_pc` and `DW_OP_addr` values in a `.ko` as pahole sees them are
 * addresses in this layout.
 *
 * Layouts where some allocated sections already have addresses are followed only
 * partly (those sections keep `sh_addr`).
 */
export function relocatableLayout(elf: ElfFile, base: bigint = 0x10000n): RelocatableLayout {
  const addrs = new Map<number, bigint>();
  const place = (b: bigint): bigint => {
    addrs.clear();
    let end = b;
    let start: bigint | undefined;
    for (const s of elf.sections) {
      if (!(s.flags & SHF_ALLOC) || s.index === 0) continue;
      const align = BigInt(s.addralign || 1);
      if (s.addr !== 0n) {
        addrs.set(s.index, s.addr);
        continue;
      }
      const next = alignUp(end, align);
      addrs.set(s.index, next);
      start ??= next;
      end = next + BigInt(s.size);
    }
    return end;
  };
  let b = alignUp(base, 0x100n);
  // libdwfl restarts the layout from a base aligned to the largest alignment seen
  // when the base is less aligned than some section.
  const maxAlign = elf.sections.reduce((m, s) => (s.flags & SHF_ALLOC && s.addr === 0n && BigInt(s.addralign || 1) > m ? BigInt(s.addralign || 1) : m), 1n);
  if (b % maxAlign !== 0n) b = alignUp(b, maxAlign);
  const end = place(b);
  let start = end;
  for (const v of addrs.values()) if (v < start) start = v;
  return { address: (i) => addrs.get(i) ?? elf.sections[i]?.addr ?? 0n, start: addrs.size ? start : b, end };
}

function alignUp(v: bigint, a: bigint): bigint {
  if (a <= 1n) return v;
  return ((v + a - 1n) / a) * a;
}
