/**
 * Location lists (`.debug_loclists` DWARF 5, `.debug_loc` DWARF 2-4, GNU split-DWARF
 * `.debug_loc.dwo`) and range lists (`.debug_rnglists`, `.debug_ranges`), decoded as
 * elfutils' libdw does (`dwarf_getlocations`, `dwarf_ranges`): base-address entries
 * are applied, end-of-list ends, every other entry is returned in order.
 *
 * Note: the reader works on already-relocated bytes, so in a DWARF 4 `.debug_loc`
 * of an ET_REL file a relocated (0, 0) pair reads as end-of-list (libdw can tell
 * them apart); compilers do not emit empty ranges there.
 * @module
 */
import { BtfError } from "../internal/errors.js";
import { leb, u16, u32, uint, uintBig, uleb, ulebBig } from "./bytes.js";
import { DW_LLE, DW_RLE } from "./constants.js";
import type { DwarfSectionName, DwarfUnit } from "./dwarf.js";

/** One entry of a location description. */
export interface LocationEntry {
  /** Start and end (exclusive) of the PC range; undefined for a single expression (`exprloc`). A default location (DWARF 5) has 0 and 2^64-1. */
  start: bigint | undefined;
  end: bigint | undefined;
  /** The DWARF expression (a view). */
  expr: Uint8Array;
}

/** One address range [start, end). */
export interface RangeEntry {
  start: bigint;
  end: bigint;
}

const ALL_ONES = (1n << 64n) - 1n;

function listOffset(unit: DwarfUnit, section: DwarfSectionName, data: Uint8Array, ref: { offset: number } | { index: number }, base: number, where: number): number {
  if ("offset" in ref) return ref.offset;
  const os = unit.offsetSize;
  // An index needs the list-table base; DWARF 5 says it points just after the header.
  const b = base >= 0 ? base : os === 8 ? 20 : 12;
  const p = b + ref.index * os;
  if (!(p >= 0 && p + os <= data.length))
    throw new BtfError("MALFORMED", `list index ${ref.index} (base ${b}) outside ${section} (${data.length} bytes)`, { offset: where, section: unit.section });
  return b + uint(data, p, os, unit.file.littleEndian);
}

/**
 * The section offset of entry `index` of a unit's location (`.debug_loclists`) or
 * range (`.debug_rnglists`) list table (`DW_FORM_loclistx` / `DW_FORM_rnglistx`).
 * @throws {BtfError} MALFORMED when the index is outside the section.
 */
export function listIndexOffset(unit: DwarfUnit, kind: "loclists" | "rnglists", index: number, where: number): number {
  const section: DwarfSectionName = kind === "loclists" ? ".debug_loclists" : ".debug_rnglists";
  const data = unit.file.requireSection(section, `DW_FORM_${kind === "loclists" ? "loclistx" : "rnglistx"}`, where);
  return listOffset(unit, section, data, { index }, kind === "loclists" ? unit.loclistsBase : unit.rnglistsBase, where);
}

/**
 * Receives the entries of a location list from {@link walkLocationList}, in order.
 * `data` is the list's section; the expression is `data[exprStart, exprEnd)`.
 */
export interface LocationSink {
  /**
   * Whether the sink wants the entries' addresses. When false, `start`/`end` are
   * passed as 0n and no address arithmetic is done; every check (section bounds,
   * address indexes, entry kinds) is still made, so a list fails exactly as it would
   * with addresses.
   */
  readonly addresses: boolean;
  entry(data: Uint8Array, exprStart: number, exprEnd: number, start: bigint, end: bigint): void;
}

/**
 * The entries of the location list `ref` (a section offset, or a `DW_FORM_loclistx`
 * index) of `unit`. `where` is the attribute's offset, for error messages.
 * @throws {BtfError} MALFORMED for a list that runs past its section or an unknown entry kind.
 */
export function readLocationList(unit: DwarfUnit, ref: { offset: number } | { index: number }, where: number): LocationEntry[] {
  const out: LocationEntry[] = [];
  walkLocationList(unit, ref, where, {
    addresses: true,
    entry: (data, s, e, start, end) => void out.push({ start, end, expr: data.subarray(s, e) }),
  });
  return out;
}

/**
 * Walk the location list `ref` of `unit` as {@link readLocationList} reads it,
 * handing each entry to `sink` without building objects (the encoder looks at the
 * expressions of millions of parameters and needs no addresses).
 * @throws {BtfError} as {@link readLocationList}, before or after some entries were given.
 */
export function walkLocationList(unit: DwarfUnit, ref: { offset: number } | { index: number }, where: number, sink: LocationSink): void {
  const v5 = unit.version >= 5;
  const section: DwarfSectionName = v5 ? ".debug_loclists" : ".debug_loc";
  const data = unit.file.requireSection(section, "a location list", where);
  // One cursor per thread, a new one only if a sink walks another list meanwhile.
  const w = walker.busy ? new ListWalker() : walker;
  w.busy = true;
  try {
    w.walk(unit, data, section, listOffset(unit, section, data, ref, unit.loclistsBase, where), where, sink, v5);
  } finally {
    w.busy = false;
    w.unit = undefined;
    w.sink = undefined;
  }
}

/**
 * The state of {@link walkLocationList}: its readers are methods over these fields,
 * not closures, so that a walk allocates nothing (the encoder walks the lists of
 * a kernel's register parameters: ~87 k lists, of ~400 k parameters looked at).
 */
class ListWalker {
  busy = false;
  unit: DwarfUnit | undefined;
  sink: LocationSink | undefined;
  data: Uint8Array = new Uint8Array(0);
  section: DwarfSectionName = ".debug_loclists";
  pos = 0;
  n = 0;
  le = true;
  as = 8;
  want = false;
  where = 0;

  walk(unit: DwarfUnit, data: Uint8Array, section: DwarfSectionName, pos: number, where: number, sink: LocationSink, v5: boolean): void {
    this.unit = unit;
    this.sink = sink;
    this.data = data;
    this.section = section;
    this.pos = pos;
    this.where = where;
    const n = (this.n = data.length);
    this.le = unit.file.littleEndian;
    const as = (this.as = unit.addressSize);
    const want = (this.want = sink.addresses);
    if (!(pos >= 0 && pos < n)) this.bad(`offset outside ${section} (${n} bytes)`);
    let base = unit.baseAddress;
    const split = !v5 && unit.file.isSplit;
    for (let guard = 0; guard <= n; guard++) {
      if (this.pos >= n) this.bad("no end-of-list entry before the end of the section");
      if (split) {
        // GNU DebugFission (DWARF 4 .debug_loc.dwo).
        const code = data[this.pos++]!;
        if (code === 0) return;
        if (code === 1) base = this.addrx(this.ul());
        else if (code === 2) {
          const s = this.addrx(this.ul());
          const e = this.addrx(this.ul());
          this.expr(true, want ? s : 0n, want ? e : 0n);
        } else if (code === 3) {
          const s = this.addrx(this.ul());
          if (this.pos + 4 > n) this.bad("truncated entry");
          const len = u32(data, this.pos, this.le);
          this.pos += 4;
          this.expr(true, want ? s : 0n, want ? s + BigInt(len) : 0n);
        } else this.bad(`unknown GNU location list entry kind ${code}`);
        continue;
      }
      if (!v5) {
        // A base-address selection entry starts with the largest address; (0, 0) ends.
        const escape = as === 8 ? ALL_ONES : (1n << BigInt(as * 8)) - 1n;
        const b = this.addr(true);
        const e = this.addr(true);
        if (b === escape) {
          base = e;
          continue;
        }
        if (b === 0n && e === 0n) return;
        this.expr(true, want ? b + base : 0n, want ? e + base : 0n);
        continue;
      }
      const code = data[this.pos++]!;
      switch (code) {
        case DW_LLE.end_of_list:
          return;
        case DW_LLE.base_addressx:
          base = this.addrx(this.ul());
          break;
        case DW_LLE.startx_endx: {
          const s = this.addrx(this.ul());
          const e = this.addrx(this.ul());
          this.expr(false, want ? s : 0n, want ? e : 0n);
          break;
        }
        case DW_LLE.startx_length: {
          const s = this.addrx(this.ul());
          const len = this.ulBig();
          this.expr(false, want ? s : 0n, want ? s + len : 0n);
          break;
        }
        case DW_LLE.offset_pair: {
          const s = this.ulBig();
          const e = this.ulBig();
          this.expr(false, want ? s + base : 0n, want ? e + base : 0n);
          break;
        }
        case DW_LLE.default_location:
          this.expr(false, 0n, want ? ALL_ONES : 0n);
          break;
        case DW_LLE.base_address:
          base = this.addr();
          break;
        case DW_LLE.start_end: {
          const s = this.addr();
          const e = this.addr();
          this.expr(false, s, e);
          break;
        }
        case DW_LLE.start_length: {
          const s = this.addr();
          const len = this.ulBig();
          this.expr(false, s, want ? s + len : 0n);
          break;
        }
        case DW_LLE.GNU_view_pair:
          // Location views (gcc -gvariable-location-views=incompat5): no location.
          this.ul();
          this.ul();
          break;
        default:
          this.bad(`unknown entry kind ${code}`);
      }
    }
    this.bad("location list does not end");
  }

  bad(msg: string): never {
    throw new BtfError("MALFORMED", `location list at ${this.pos}: ${msg}`, { offset: this.pos, section: this.section });
  }

  /** One entry's expression: a u16 (DWARF 2-4, GNU) or ULEB128 (DWARF 5) length, then the bytes. */
  expr(countU16: boolean, start: bigint, end: bigint): void {
    const data = this.data;
    let len: number;
    if (countU16) {
      if (this.pos + 2 > this.n) this.bad("truncated expression length");
      len = u16(data, this.pos, this.le);
      this.pos += 2;
    } else {
      len = uleb(data, this.pos);
      this.pos = leb.end;
    }
    if (!(this.pos + len <= this.n)) this.bad("expression runs past the end of the section");
    const at = this.pos;
    this.pos += len;
    this.sink!.entry(data, at, this.pos, start, end);
  }

  addrx(i: number): bigint {
    return this.unit!.file.addrx(this.unit!, i, this.where);
  }

  /** An address; `always`: read even when the sink wants none (DWARF 2-4 entries are told apart by value). */
  addr(always = false): bigint {
    if (this.pos + this.as > this.n) this.bad("truncated address");
    const v = this.want || always ? uintBig(this.data, this.pos, this.as, this.le) : 0n;
    this.pos += this.as;
    return v;
  }

  ul(): number {
    const v = uleb(this.data, this.pos);
    this.pos = leb.end;
    if (this.pos > this.n) this.bad("truncated entry");
    return v;
  }

  /** A ULEB128 operand of address arithmetic: exact as a bigint, or only checked. */
  ulBig(): bigint {
    if (!this.want) {
      // Skipped, ending where ulebBig ends (one past the section when it runs out).
      const data = this.data;
      let p = this.pos;
      for (;;) {
        const b = data[p++];
        if (b === undefined || b < 0x80) break;
      }
      this.pos = p;
      if (this.pos > this.n) this.bad("truncated entry");
      return 0n;
    }
    const v = ulebBig(this.data, this.pos);
    this.pos = leb.end;
    if (this.pos > this.n) this.bad("truncated entry");
    return v;
  }
}

const walker = new ListWalker();

/**
 * The ranges of the range list `ref` (a section offset, or a `DW_FORM_rnglistx`
 * index) of `unit`.
 * @throws {BtfError} MALFORMED as for {@link readLocationList}.
 */
export function readRangeList(unit: DwarfUnit, ref: { offset: number } | { index: number }, where: number): RangeEntry[] {
  const v5 = unit.version >= 5;
  // GNU DebugFission (DWARF 4 split units) keeps range lists in the main object,
  // offset by the skeleton's DW_AT_GNU_ranges_base: not handled.
  if (!v5 && unit.file.isSplit) throw new BtfError("UNSUPPORTED", "range lists of DWARF 4 split (GNU DebugFission) units", { offset: where, section: unit.section });
  const section: DwarfSectionName = v5 ? ".debug_rnglists" : ".debug_ranges";
  const data = unit.file.requireSection(section, "a range list", where);
  const le = unit.file.littleEndian;
  const as = unit.addressSize;
  let pos = listOffset(unit, section, data, ref, unit.rnglistsBase, where);
  const bad = (msg: string): never => {
    throw new BtfError("MALFORMED", `range list at ${pos}: ${msg}`, { offset: pos, section });
  };
  if (!(pos >= 0 && pos < data.length)) bad(`offset outside ${section} (${data.length} bytes)`);
  let base = unit.baseAddress;
  const out: RangeEntry[] = [];
  const addrx = (i: number) => unit.file.addrx(unit, i, where);
  const addr = (): bigint => {
    if (pos + as > data.length) bad("truncated address");
    const v = uintBig(data, pos, as, le);
    pos += as;
    return v;
  };
  const ul = (): number => {
    const v = uleb(data, pos);
    pos = leb.end;
    if (pos > data.length) bad("truncated entry");
    return v;
  };
  const ulBig = (): bigint => {
    const v = ulebBig(data, pos);
    pos = leb.end;
    if (pos > data.length) bad("truncated entry");
    return v;
  };
  for (let guard = 0; guard <= data.length; guard++) {
    if (pos >= data.length) bad("no end-of-list entry before the end of the section");
    if (!v5) {
      const escape = as === 8 ? ALL_ONES : (1n << BigInt(as * 8)) - 1n;
      const b = addr();
      const e = addr();
      if (b === escape) {
        base = e;
        continue;
      }
      if (b === 0n && e === 0n) return out;
      out.push({ start: b + base, end: e + base });
      continue;
    }
    const code = data[pos++]!;
    switch (code) {
      case DW_RLE.end_of_list:
        return out;
      case DW_RLE.base_addressx:
        base = addrx(ul());
        break;
      case DW_RLE.startx_endx: {
        const s = addrx(ul());
        out.push({ start: s, end: addrx(ul()) });
        break;
      }
      case DW_RLE.startx_length: {
        const s = addrx(ul());
        out.push({ start: s, end: s + ulBig() });
        break;
      }
      case DW_RLE.offset_pair: {
        const s = ulBig();
        const e = ulBig();
        out.push({ start: s + base, end: e + base });
        break;
      }
      case DW_RLE.base_address:
        base = addr();
        break;
      case DW_RLE.start_end: {
        const s = addr();
        out.push({ start: s, end: addr() });
        break;
      }
      case DW_RLE.start_length: {
        const s = addr();
        out.push({ start: s, end: s + ulBig() });
        break;
      }
      default:
        bad(`unknown entry kind ${code}`);
    }
  }
  return bad("range list does not end");
}
