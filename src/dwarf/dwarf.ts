/**
 * {@link DwarfFile}: the DWARF sections of one object file, its units, and the shared
 * lookups (strings, `.debug_addr`, `.debug_str_offsets`, type-unit signatures).
 *
 * Offsets: a DIE is named by its *global offset*: its offset in `.debug_info`, or,
 * for DWARF 4 type units in `.debug_types`, `info.length` plus its offset there (one
 * number space, as if the two sections were concatenated). {@link DwarfFile.locate}
 * turns one back into a section and an offset.
 * @module
 */
import { BtfError } from "../internal/errors.js";
import { cstring } from "../elf/strtab.js";
import { AbbrevTable, parseAbbrevTable } from "./abbrev.js";
import { u16, u32, u64, u64Big, uintBig } from "./bytes.js";
import { DW_AT, DW_UT } from "./constants.js";
import { DieCursor } from "./die.js";
import type { UnitEncoding } from "./forms.js";

/** The DWARF sections a reader may use (`.dwo` variants for split DWARF). */
export type DwarfSectionName =
  | ".debug_info"
  | ".debug_abbrev"
  | ".debug_str"
  | ".debug_line_str"
  | ".debug_str_offsets"
  | ".debug_addr"
  | ".debug_loclists"
  | ".debug_loc"
  | ".debug_rnglists"
  | ".debug_ranges"
  | ".debug_types"
  | ".debug_line"
  /** The supplementary (`DW_FORM_strp_sup`) or dwz alternate (`DW_FORM_GNU_strp_alt`) string table. */
  | ".debug_str.sup";

/** Where a {@link DwarfFile} gets its bytes from. */
export interface DwarfSource {
  /**
   * The contents of a section (already decompressed and, for ET_REL files,
   * relocated), or undefined when absent. Called at most once per name, lazily.
   */
  section(name: DwarfSectionName): Uint8Array | undefined;
  /** Byte order of the target. */
  littleEndian: boolean;
  /**
   * The sections are those of a split DWARF object (`.dwo`): unit bases default to
   * the section headers and addresses come from {@link skeleton}.
   */
  split?: boolean;
  /** For a `.dwo`: the DWARF of the main object (with the skeleton units and `.debug_addr`). */
  skeleton?: DwarfFile;
  /**
   * The `.debug_info` bytes given are a window of the section starting at this
   * section offset (whole units): global offsets (DIE offsets, references, messages)
   * stay those of the whole section, while only the window is in memory. Not with
   * `.debug_types`. Default 0.
   */
  infoStart?: number;
  /**
   * Share decoded strings with this file (the same `.debug_str`/`.debug_line_str`):
   * windows of one file decode each string once.
   */
  stringsFrom?: DwarfFile;
}

/**
 * Decoded strings of a file (shared by the windows of one file), by offset. Only some
 * of a section's strings are ever decoded (an encoder decodes the names of functions
 * and variables, not those of types or members): a map, not a table as long as the
 * section.
 */
interface StringCache {
  str: Map<number, string>;
  lineStr: Map<number, string>;
}

/** Marks a lazily read base as not read yet. */
const UNSET = -2;

/**
 * One unit of `.debug_info` or `.debug_types`: its header, and the bases its root
 * DIE sets for indexed forms (read on first use).
 */
export class DwarfUnit implements UnitEncoding {
  /** Global offset of the unit header. */
  readonly offset: number;
  /** Offset of the unit header in its section. */
  readonly sectionOffset: number;
  readonly section: ".debug_info" | ".debug_types";
  /** Section-relative offset one past the unit. */
  readonly end: number;
  readonly version: number;
  /** `DW_UT_*` (DWARF 5); for earlier versions: compile, or type in `.debug_types`. */
  readonly unitType: number;
  readonly addressSize: number;
  readonly offsetSize: 4 | 8;
  readonly abbrevOffset: number;
  /** Section-relative offset of the first DIE. */
  readonly firstDie: number;
  /** Type units: the signature and the global offset of the type DIE. */
  readonly typeSignature: bigint | undefined;
  readonly typeOffset: number | undefined;
  /** Skeleton and split units (DWARF 5 header, or DW_AT_GNU_dwo_id). */
  readonly dwoId: bigint | undefined;
  /** Bytes of the unit's section. */
  readonly data: Uint8Array;
  /** Global offset of the start of the unit's section (or of the window of it in {@link data}). */
  readonly base: number;
  /** Section offset of `data[0]`: 0, or the start of a window of `.debug_info` ({@link DwarfSource.infoStart}). */
  readonly window: number;

  /** The file's byte order (with the fields above, the unit is an `ExprEncoding`). */
  get littleEndian(): boolean {
    return this.file.littleEndian;
  }

  private _strOffsetsBase: number = UNSET;
  private _addrBase: number = UNSET;
  private _rnglistsBase: number = UNSET;
  private _loclistsBase: number = UNSET;
  private _baseAddress: bigint | undefined;
  private _rootRead = false;
  private _gnuDwoId: bigint | undefined;

  constructor(
    readonly file: DwarfFile,
    h: {
      sectionOffset: number;
      section: ".debug_info" | ".debug_types";
      end: number;
      version: number;
      unitType: number;
      addressSize: number;
      offsetSize: 4 | 8;
      abbrevOffset: number;
      firstDie: number;
      typeSignature?: bigint;
      typeOffset?: number;
      dwoId?: bigint;
      data: Uint8Array;
      base: number;
      window?: number;
    },
  ) {
    this.sectionOffset = h.sectionOffset;
    this.offset = h.base + h.sectionOffset;
    this.section = h.section;
    this.end = h.end;
    this.version = h.version;
    this.unitType = h.unitType;
    this.addressSize = h.addressSize;
    this.offsetSize = h.offsetSize;
    this.abbrevOffset = h.abbrevOffset;
    this.firstDie = h.firstDie;
    this.typeSignature = h.typeSignature;
    this.typeOffset = h.typeOffset === undefined ? undefined : this.offset + h.typeOffset;
    this.dwoId = h.dwoId;
    this.data = h.data;
    this.base = h.base;
    this.window = h.window ?? 0;
  }

  /** Offset in the unit's section of global offset `off` (for messages). */
  sectionPos(off: number): number {
    return off - this.base + this.window;
  }

  /** Global offset one past the unit. */
  get endOffset(): number {
    return this.base + this.end;
  }

  /** The unit's abbreviation table, precompiled for its encoding (cached by the file). */
  get abbrevs(): AbbrevTable {
    return this.file.abbrevTable(this.abbrevOffset, this);
  }

  /** True for type units (DWARF 5 type/split_type, or any unit of `.debug_types`). */
  get isTypeUnit(): boolean {
    return this.unitType === DW_UT.type || this.unitType === DW_UT.split_type;
  }

  /** A cursor before the unit's first DIE (call `next()`), see {@link DieCursor}. */
  cursor(): DieCursor {
    return new DieCursor(this);
  }

  /**
   * Every DIE of the unit in pre-order. Yields one cursor object, moved along (copy
   * what you need before the next step); `skipChildren()` on it prunes the walk.
   */
  *dies(): Generator<DieCursor, void, undefined> {
    const c = new DieCursor(this);
    while (c.next()) yield c;
  }

  /** A cursor on the unit's root DIE (compile_unit, type_unit, ...). */
  root(): DieCursor {
    const c = new DieCursor(this);
    if (!c.next()) throw new BtfError("MALFORMED", "unit has no DIE", { offset: this.sectionOffset, section: this.section });
    return c;
  }

  private readRoot(): void {
    if (this._rootRead) return;
    this._rootRead = true;
    const c = new DieCursor(this);
    if (!c.next()) return;
    const f = this.file;
    const split = f.isSplit;
    // Bases are DW_FORM_sec_offset (DWARF 5) or a constant (GNU extensions in DWARF 4).
    const base = (at: number) => c.sectionOffset(at) ?? c.unsigned(at);
    const listHeader = this.offsetSize === 8 ? 20 : 12;
    this._strOffsetsBase = base(DW_AT.str_offsets_base) ?? (split && this.version >= 5 ? f.sectionHeaderSize(".debug_str_offsets", this.offsetSize) : 0);
    this._addrBase = base(DW_AT.addr_base) ?? base(DW_AT.GNU_addr_base) ?? -1;
    this._rnglistsBase = base(DW_AT.rnglists_base) ?? base(DW_AT.GNU_ranges_base) ?? (split && this.version >= 5 ? listHeader : -1);
    this._loclistsBase = base(DW_AT.loclists_base) ?? (split && this.version >= 5 ? listHeader : -1);
    this._gnuDwoId = c.bigConstant(DW_AT.GNU_dwo_id);
    try {
      this._baseAddress = c.has(DW_AT.low_pc) ? c.address(DW_AT.low_pc) : undefined;
    } catch {
      this._baseAddress = undefined; // e.g. addrx in a split unit without a skeleton
    }
  }

  /** `DW_AT_str_offsets_base` (default: 0, or the header size in a split unit). */
  get strOffsetsBase(): number {
    this.readRoot();
    return this._strOffsetsBase;
  }

  /**
   * `DW_AT_addr_base` (or `DW_AT_GNU_addr_base`); for a split unit, its skeleton's.
   * -1 when none applies.
   */
  get addrBase(): number {
    this.readRoot();
    if (this._addrBase < 0 && this.file.isSplit) {
      const sk = this.skeletonUnit();
      if (sk) return sk.addrBase;
    }
    return this._addrBase;
  }

  /** `DW_AT_rnglists_base` (or `DW_AT_GNU_ranges_base`); -1 when absent. */
  get rnglistsBase(): number {
    this.readRoot();
    return this._rnglistsBase;
  }

  /** `DW_AT_loclists_base`; -1 when absent. */
  get loclistsBase(): number {
    this.readRoot();
    return this._loclistsBase;
  }

  /** The unit's base address for location and range lists: the root's `DW_AT_low_pc` (0 if absent). */
  get baseAddress(): bigint {
    this.readRoot();
    if (this._baseAddress === undefined && this.file.isSplit) {
      const sk = this.skeletonUnit();
      if (sk) return sk.baseAddress;
    }
    return this._baseAddress ?? 0n;
  }

  /** The DWO id: from a DWARF 5 header, or `DW_AT_GNU_dwo_id` of a DWARF 4 root. */
  get splitId(): bigint | undefined {
    if (this.dwoId !== undefined) return this.dwoId;
    this.readRoot();
    return this._gnuDwoId;
  }

  /** For a unit of a `.dwo`: the matching skeleton unit of the main file, if given. */
  skeletonUnit(): DwarfUnit | undefined {
    const sk = this.file.skeleton;
    const id = this.splitId;
    if (!sk || id === undefined) return undefined;
    return sk.skeletonFor(id);
  }
}

/**
 * The DWARF of one object file.
 *
 * @example
 * ```ts
 * const dwarf = dwarfFromElf(new ElfFile(bytes));
 * for (const cu of dwarf.units()) {
 *   const die = cu.cursor();
 *   while (die.next()) if (die.tag === DW_TAG.subprogram) console.log(die.string(DW_AT.name));
 * }
 * ```
 */
export class DwarfFile {
  readonly littleEndian: boolean;
  /** This file holds split DWARF (a `.dwo`). */
  readonly isSplit: boolean;
  readonly skeleton: DwarfFile | undefined;
  private readonly source: DwarfSource;
  private readonly cache = new Map<DwarfSectionName, Uint8Array | null>();
  private _units: DwarfUnit[] | undefined;
  private readonly abbrevCache = new Map<string, AbbrevTable>();
  private typeSigs: Map<bigint, DwarfUnit> | undefined;
  private skeletons: Map<bigint, DwarfUnit> | undefined;
  private readonly strCache: StringCache;
  /** Keep at most this many abbreviation tables (a kernel has one per unit). */
  abbrevCacheLimit = 64;

  constructor(source: DwarfSource) {
    this.source = source;
    this.littleEndian = source.littleEndian;
    this.isSplit = source.split ?? false;
    this.skeleton = source.skeleton;
    this.strCache = source.stringsFrom?.strCache ?? { str: new Map(), lineStr: new Map() };
  }

  /** Bytes of a section, or undefined when the file has none. */
  sectionData(name: DwarfSectionName): Uint8Array | undefined {
    let d = this.cache.get(name);
    if (d === undefined) {
      d = this.source.section(name) ?? null;
      this.cache.set(name, d);
    }
    return d ?? undefined;
  }

  /** Bytes of a section; MALFORMED naming `what` needs it when absent. */
  requireSection(name: DwarfSectionName, what: string, offset?: number): Uint8Array {
    const d = this.sectionData(name);
    if (!d) throw new BtfError("MALFORMED", `${what} needs a ${name} section, which is missing`, offset === undefined ? {} : { offset, section: ".debug_info" });
    return d;
  }

  /** Length of `.debug_info` (the global offset where `.debug_types` units start). */
  get typesBase(): number {
    return this.sectionData(".debug_info")?.length ?? 0;
  }

  /** The section and section-relative offset of a global offset. */
  locate(global: number): { section: ".debug_info" | ".debug_types"; offset: number } {
    const tb = this.typesBase;
    return global >= tb && this.sectionData(".debug_types") ? { section: ".debug_types", offset: global - tb } : { section: ".debug_info", offset: global };
  }

  /**
   * All units, `.debug_info` first, then `.debug_types` (headers only: cheap).
   * @throws {BtfError} MALFORMED for a bad unit header.
   */
  units(): readonly DwarfUnit[] {
    if (!this._units) {
      const out: DwarfUnit[] = [];
      const info = this.sectionData(".debug_info");
      const win = this.source.infoStart ?? 0;
      if (info) this.parseUnits(info, ".debug_info", win, out, win);
      const types = this.sectionData(".debug_types");
      if (types) this.parseUnits(types, ".debug_types", info?.length ?? 0, out);
      this._units = out;
    }
    return this._units;
  }

  private parseUnits(data: Uint8Array, section: ".debug_info" | ".debug_types", base: number, out: DwarfUnit[], window = 0): void {
    const le = this.littleEndian;
    let pos = 0;
    while (pos < data.length) {
      const start = pos;
      const bad = (msg: string, at = start): never => {
        throw new BtfError("MALFORMED", `unit at ${start + window}: ${msg}`, { offset: at + window, section });
      };
      if (pos + 4 > data.length) {
        // Trailing padding (zeros) after the last unit is tolerated.
        if (data.subarray(pos).every((b) => b === 0)) break;
        bad("truncated unit header");
      }
      let len = u32(data, pos, le);
      let offsetSize: 4 | 8 = 4;
      pos += 4;
      if (len === 0xffffffff) {
        if (pos + 8 > data.length) bad("truncated 64-bit unit length");
        len = u64(data, pos, le);
        offsetSize = 8;
        pos += 8;
      } else if (len >= 0xfffffff0) bad(`reserved unit length 0x${len.toString(16)}`);
      if (len === 0 && data.subarray(start).every((b) => b === 0)) break;
      const end = pos + len;
      if (end > data.length || len < 2) bad(`unit length ${len} runs past the end of ${section} (${data.length} bytes)`);
      const version = u16(data, pos, le);
      pos += 2;
      if (version < 2 || version > 5) bad(`unsupported DWARF version ${version}`, pos - 2);
      let unitType: number = section === ".debug_types" ? DW_UT.type : DW_UT.compile;
      let addressSize: number;
      let abbrevOffset: number;
      let typeSignature: bigint | undefined;
      let typeOffset: number | undefined;
      let dwoId: bigint | undefined;
      const need = (n: number) => {
        if (pos + n > end) bad("unit header runs past the unit", pos);
      };
      if (version >= 5) {
        need(2 + offsetSize);
        unitType = data[pos]!;
        addressSize = data[pos + 1]!;
        pos += 2;
        abbrevOffset = offsetSize === 8 ? u64(data, pos, le) : u32(data, pos, le);
        pos += offsetSize;
        if (unitType === DW_UT.type || unitType === DW_UT.split_type) {
          need(8 + offsetSize);
          typeSignature = u64Big(data, pos, le);
          typeOffset = Number(uintBig(data, pos + 8, offsetSize, le));
          pos += 8 + offsetSize;
        } else if (unitType === DW_UT.skeleton || unitType === DW_UT.split_compile) {
          need(8);
          dwoId = u64Big(data, pos, le);
          pos += 8;
        } else if (unitType !== DW_UT.compile && unitType !== DW_UT.partial && unitType < 0x80) bad(`unknown unit type ${unitType}`, pos - 2 - offsetSize);
      } else {
        need(offsetSize + 1);
        abbrevOffset = offsetSize === 8 ? u64(data, pos, le) : u32(data, pos, le);
        pos += offsetSize;
        addressSize = data[pos++]!;
        if (section === ".debug_types") {
          need(8 + offsetSize);
          typeSignature = u64Big(data, pos, le);
          typeOffset = Number(uintBig(data, pos + 8, offsetSize, le));
          pos += 8 + offsetSize;
        }
      }
      if (addressSize !== 2 && addressSize !== 4 && addressSize !== 8) bad(`unsupported address size ${addressSize}`);
      if (typeOffset !== undefined && (typeOffset < pos - start || typeOffset >= end - start)) bad(`type offset ${typeOffset} outside the unit`);
      out.push(
        new DwarfUnit(this, {
          sectionOffset: start,
          section,
          end,
          version,
          unitType,
          addressSize,
          offsetSize,
          abbrevOffset,
          firstDie: pos,
          typeSignature,
          typeOffset,
          dwoId,
          data,
          base,
          window,
        }),
      );
      pos = end;
    }
  }

  /** The unit containing global offset `off`, or undefined. */
  unitAt(off: number): DwarfUnit | undefined {
    const us = this.units();
    let lo = 0;
    let hi = us.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = us[mid]!;
      if (off < u.offset) hi = mid - 1;
      else if (off >= u.endOffset) lo = mid + 1;
      else return u;
    }
    return undefined;
  }

  /**
   * A cursor on the DIE at global offset `off` (as given by a reference).
   * @throws {BtfError} MALFORMED when no unit contains `off` or no DIE starts there
   *   (a cursor placed mid-DIE cannot be detected in general: pass offsets from references).
   */
  dieAt(off: number): DieCursor {
    const u = this.unitAt(off);
    if (!u) {
      const l = this.locate(off);
      throw new BtfError("MALFORMED", `no unit contains DIE offset ${l.offset}`, { offset: l.offset, section: l.section });
    }
    const c = new DieCursor(u);
    c.seek(off);
    return c;
  }

  /** The type unit with signature `sig` (`DW_FORM_ref_sig8`), or undefined. */
  typeUnit(sig: bigint): DwarfUnit | undefined {
    if (!this.typeSigs) {
      this.typeSigs = new Map();
      for (const u of this.units()) if (u.typeSignature !== undefined && !this.typeSigs.has(u.typeSignature)) this.typeSigs.set(u.typeSignature, u);
    }
    return this.typeSigs.get(sig);
  }

  /** The skeleton unit (of this, the main file) whose DWO id is `id`. */
  skeletonFor(id: bigint): DwarfUnit | undefined {
    if (!this.skeletons) {
      this.skeletons = new Map();
      for (const u of this.units()) {
        if (u.unitType === DW_UT.type) continue;
        const sid = u.splitId;
        if (sid !== undefined) this.skeletons.set(sid, u);
      }
    }
    return this.skeletons.get(id);
  }

  /** Abbreviation table at `offset`, precompiled for `enc` (cached). */
  abbrevTable(offset: number, enc: UnitEncoding): AbbrevTable {
    const key = `${offset}:${enc.addressSize}:${enc.offsetSize}:${enc.version <= 2 ? 2 : 3}`;
    let t = this.abbrevCache.get(key);
    if (!t) {
      const data = this.requireSection(".debug_abbrev", "a unit");
      t = parseAbbrevTable(data, offset, enc);
      if (this.abbrevCache.size >= this.abbrevCacheLimit) {
        const first = this.abbrevCache.keys().next().value;
        if (first !== undefined) this.abbrevCache.delete(first);
      }
      this.abbrevCache.set(key, t);
    }
    return t;
  }

  /** The string at `off` of `.debug_str` (`DW_FORM_strp`, resolved `strx`). */
  str(off: number, where?: number): string {
    const cache = this.strCache.str;
    let s = cache.get(off);
    if (s === undefined) cache.set(off, (s = this.readStr(".debug_str", off, where)));
    return s;
  }

  /** The string at `off` of `.debug_line_str` (`DW_FORM_line_strp`). */
  lineStr(off: number, where?: number): string {
    const cache = this.strCache.lineStr;
    let s = cache.get(off);
    if (s === undefined) cache.set(off, (s = this.readStr(".debug_line_str", off, where)));
    return s;
  }

  /** The string at `off` of the supplementary / dwz alternate string table. */
  supStr(off: number, where?: number): string {
    return this.readStr(".debug_str.sup", off, where);
  }

  private readStr(name: DwarfSectionName, off: number, where?: number): string {
    const d = this.sectionData(name);
    if (!d) {
      if (name === ".debug_str.sup") throw new BtfError("UNSUPPORTED", "string in a supplementary object file (DW_FORM_strp_sup / GNU_strp_alt): none was given", where === undefined ? {} : { offset: where, section: ".debug_info" });
      throw new BtfError("MALFORMED", `string reference needs ${name}, which is missing`, where === undefined ? {} : { offset: where, section: ".debug_info" });
    }
    const s = cstring(d, off);
    if (s === undefined) throw new BtfError("MALFORMED", `string offset ${off} outside ${name} (${d.length} bytes) or unterminated`, where === undefined ? {} : { offset: where, section: ".debug_info" });
    return s;
  }

  /** Entry `index` of `.debug_str_offsets` from `base`, resolved to a string. */
  strx(unit: DwarfUnit, index: number, where?: number): string {
    const d = this.requireSection(".debug_str_offsets", "DW_FORM_strx", where);
    const base = unit.strOffsetsBase;
    const p = base + index * unit.offsetSize;
    if (!(p >= 0 && p + unit.offsetSize <= d.length))
      throw new BtfError("MALFORMED", `string index ${index} (base ${base}) outside .debug_str_offsets (${d.length} bytes)`, where === undefined ? {} : { offset: where, section: ".debug_info" });
    const off = unit.offsetSize === 8 ? u64(d, p, this.littleEndian) : u32(d, p, this.littleEndian);
    return this.str(off, where);
  }

  /** Entry `index` of `.debug_addr` for `unit` (`DW_FORM_addrx`, `DW_OP_addrx`). */
  addrx(unit: DwarfUnit, index: number, where?: number): bigint {
    let file: DwarfFile = this;
    if (this.isSplit) {
      const sk = unit.skeletonUnit();
      if (!sk) throw new BtfError("UNSUPPORTED", "address index in a split unit: the skeleton (main object) was not given", where === undefined ? {} : { offset: where, section: ".debug_info" });
      file = sk.file;
    }
    const d = file.requireSection(".debug_addr", "DW_FORM_addrx", where);
    const base = unit.addrBase;
    const size = unit.addressSize;
    const p = (base < 0 ? 0 : base) + index * size;
    if (!(p >= 0 && p + size <= d.length))
      throw new BtfError("MALFORMED", `address index ${index} (base ${base}) outside .debug_addr (${d.length} bytes)`, where === undefined ? {} : { offset: where, section: ".debug_info" });
    return uintBig(d, p, size, this.littleEndian);
  }

  /** Size of the DWARF 5 header of an indexed section (`.debug_str_offsets`: 8 or 16 bytes). */
  sectionHeaderSize(name: DwarfSectionName, offsetSize: 4 | 8): number {
    const d = this.sectionData(name);
    if (!d || d.length < 8) return 0;
    // unit_length (4, or 12 for 64-bit), version 5 (2 bytes), padding (2 bytes).
    // Producers that write no header (LLVM 14 in .dwo files) get base 0.
    const le = this.littleEndian;
    const is64 = u32(d, 0, le) === 0xffffffff;
    if (is64 !== (offsetSize === 8)) return 0;
    const vpos = is64 ? 12 : 4;
    if (d.length < vpos + 4 || u16(d, vpos, le) !== 5) return 0;
    const len = is64 ? u64(d, 4, le) : u32(d, 0, le);
    if (len + (is64 ? 12 : 4) > d.length) return 0;
    return vpos + 4;
  }
}
