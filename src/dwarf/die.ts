/**
 * {@link DieCursor}: the DIE reader. One object walks a unit's DIEs in pre-order over
 * the raw bytes; attribute values are decoded only when asked for. Nothing is
 * allocated per DIE: a kernel's 160 MB `.debug_info` is walked with one cursor.
 * @module
 */
import { BtfError } from "../internal/errors.js";
import { cstring } from "../elf/strtab.js";
import type { Abbrev, AbbrevTable } from "./abbrev.js";
import { leb, sleb, slebBig, u16, u24, u32, u64, uint, uintBig, uleb, ulebBig } from "./bytes.js";
import { atName, DW_AT, DW_FORM, formName } from "./constants.js";
import type { DwarfUnit } from "./dwarf.js";
import { formClass, formSize, SK_BLOCK, SK_BLOCK1, SK_BLOCK2, SK_BLOCK4, SK_CSTR, SK_INDIRECT, SK_LEB, type FormClass } from "./forms.js";
import { listIndexOffset, readLocationList, readRangeList, walkLocationList, type LocationEntry, type LocationSink, type RangeEntry } from "./lists.js";

/** One decoded attribute (the slow, allocating API used by dumps and tests). */
export interface AttrValue {
  /** `DW_AT_*` */
  at: number;
  /** The form actually used (after `DW_FORM_indirect`). */
  form: number;
  /** Global offset of the attribute's bytes in the DIE. */
  offset: number;
  cls: FormClass;
  /**
   * The value: `bigint` for constants (signed for `sdata` and `implicit_const`,
   * unsigned for `dataN`/`udata`), `Uint8Array` for `data16`, blocks and
   * expressions; `string`; `boolean` for flags; `bigint` for addresses; `number`
   * for references (global DIE offset; -1 for a `ref_sig8` with no matching type
   * unit), section offsets, and the list offsets `loclistx`/`rnglistx` resolve to
   * (`raw` holds the index).
   */
  value: bigint | number | string | boolean | Uint8Array;
  /** What the DIE stores when it differs from `value`: string/address index, string offset, CU-relative reference, type signature. */
  raw?: number | bigint;
}

/**
 * A cursor over the DIEs of a unit.
 *
 * - {@link next} moves to the next DIE in pre-order (into children first) and
 *   returns false at the end of the unit; {@link depth} is the nesting level (root 0).
 * - {@link skipChildren} makes the next `next()` go to the sibling, through
 *   `DW_AT_sibling` when present, else by skipping attribute values by form size.
 * - Typed accessors (`string`, `unsigned`, `ref`, `address`, `flag`, `block`,
 *   `locations`, ...) read the current DIE's attribute lazily. They return
 *   undefined when the attribute is absent *or* has a form of another class (e.g.
 *   `unsigned(DW_AT.upper_bound)` of a VLA whose bound is an expression).
 *
 * Errors (truncated data, unknown abbreviation codes or forms, offsets outside a
 * section) are {@link BtfError} MALFORMED with the offset in `.debug_info`
 * (or `.debug_types`).
 */
export class DieCursor {
  readonly unit: DwarfUnit;
  /** Global offset of the current DIE; -1 before the first and after the last. */
  offset = -1;
  /** `DW_TAG_*` of the current DIE. */
  tag = 0;
  /** Nesting depth of the current DIE (the unit's root is 0). */
  depth = 0;
  /** Row of the current DIE's abbreviation in the unit's table (-1 when not on a DIE). */
  ix = -1;

  private readonly data: Uint8Array;
  private readonly le: boolean;
  private readonly table: AbbrevTable;
  private readonly limit: number;
  private readonly base: number;
  private readonly sectionName: ".debug_info" | ".debug_types";
  /** Section-relative start of the current DIE's attribute values. */
  private pos: number;
  /** Where the next entry starts, once known (-1: skip the attributes first). */
  private endPos = -1;
  private nextDepth = 0;
  private done = false;
  /** Resolved form and index of the attribute found by the last `locate()`. */
  private form = 0;
  private index = -1;

  constructor(unit: DwarfUnit) {
    this.unit = unit;
    this.data = unit.data;
    this.le = unit.file.littleEndian;
    this.table = unit.abbrevs;
    this.limit = unit.end;
    this.base = unit.base;
    this.sectionName = unit.section;
    this.pos = unit.firstDie;
    this.endPos = unit.firstDie;
  }

  private bad(msg: string, at: number): never {
    throw new BtfError("MALFORMED", msg, { offset: at + this.unit.window, section: this.sectionName });
  }

  /** The current DIE's abbreviation (an object view; undefined when not on a DIE). */
  get abbrev(): Abbrev | undefined {
    return this.ix < 0 ? undefined : this.table.row(this.ix);
  }

  /** The current DIE's abbreviation code (0 when not on a DIE). */
  get code(): number {
    return this.ix < 0 ? 0 : this.table.codes[this.ix]!;
  }

  /** Section-relative offset of the current DIE (for messages). */
  private get here(): number {
    return this.unit.sectionPos(this.offset);
  }

  /**
   * Move to the next DIE in pre-order. Null entries (end of a sibling chain) are
   * consumed and lower {@link depth}.
   * @returns false at the end of the unit.
   */
  next(): boolean {
    if (this.done) return false;
    const data = this.data;
    const limit = this.limit;
    const t = this.table;
    let pos = this.endPos >= 0 ? this.endPos : this.skipAttrs(this.pos, this.ix);
    let depth = this.nextDepth;
    for (;;) {
      if (pos >= limit) {
        if (pos > limit) this.bad(`DIE at ${this.here} runs past the end of its unit (${limit})`, this.here);
        this.done = true;
        this.ix = -1;
        this.offset = -1;
        this.tag = 0;
        return false;
      }
      const start = pos;
      let code = data[pos++]!;
      if (code >= 0x80) {
        code = uleb(data, start);
        pos = leb.end;
      }
      if (code === 0) {
        if (depth > 0) depth--;
        continue;
      }
      const ix = t.index(code);
      if (ix < 0) this.bad(`unknown abbreviation code ${code} (table at ${t.offset} of .debug_abbrev)`, start);
      this.ix = ix;
      this.tag = t.tags[ix]!;
      this.offset = this.base + start;
      this.depth = depth;
      this.pos = pos;
      const fixed = t.fixedSize[ix]!;
      this.endPos = fixed >= 0 ? pos + fixed : -1;
      this.nextDepth = t.children[ix] !== 0 ? depth + 1 : depth;
      return true;
    }
  }

  /**
   * Where the current DIE's attribute values start in the unit's section data
   * (`unit.data`), after its abbreviation code: with the abbreviation table's fixed
   * `offsets`, a caller can read an attribute without a search.
   */
  get valuesStart(): number {
    return this.pos;
  }

  /** True when the current DIE has children that the next `next()` will enter. */
  get hasChildren(): boolean {
    return this.ix >= 0 && this.nextDepth > this.depth;
  }

  /**
   * Make the next `next()` skip the current DIE's children (to its next sibling, or
   * up). Uses `DW_AT_sibling` when present and plausible.
   */
  skipChildren(): void {
    const ix = this.ix;
    const t = this.table;
    if (ix < 0 || this.nextDepth <= this.depth) return;
    const myDepth = this.depth;
    const sib = t.sibling[ix]!;
    if (sib >= 0) {
      const k = t.attrStart[ix]! + sib;
      const p = this.attrPos(k);
      const form = this.resolveForm(t.forms[k]!, p);
      const target = this.refValue(form, leb.end);
      if (target !== undefined && target > this.offset && target <= this.unit.endOffset) {
        this.endPos = target - this.base;
        this.nextDepth = myDepth;
        return;
      }
    }
    const data = this.data;
    const limit = this.limit;
    let pos = this.endPos >= 0 ? this.endPos : this.skipAttrs(this.pos, ix);
    let d = 1;
    while (d > 0) {
      if (pos >= limit) this.bad(`children of DIE at ${this.here} run past the end of the unit`, this.here);
      const start = pos;
      let code = data[pos++]!;
      if (code >= 0x80) {
        code = uleb(data, start);
        pos = leb.end;
      }
      if (code === 0) {
        d--;
        continue;
      }
      const a = t.index(code);
      if (a < 0) this.bad(`unknown abbreviation code ${code} (table at ${t.offset} of .debug_abbrev)`, start);
      const fixed = t.fixedSize[a]!;
      pos = fixed >= 0 ? pos + fixed : this.skipAttrs(pos, a);
      if (t.children[a] !== 0) d++;
    }
    this.endPos = pos;
    this.nextDepth = myDepth;
  }

  /**
   * Place the cursor on the DIE at global offset `off` of this unit (depth 0 from
   * there; `next()` then continues in pre-order through the rest of the unit).
   * @throws {BtfError} MALFORMED when `off` is outside the unit or holds a null entry.
   */
  seek(off: number): void {
    const p = off - this.base;
    if (!(p >= this.unit.firstDie && p < this.limit)) this.bad(`DIE offset ${p} outside its unit [${this.unit.firstDie}, ${this.limit})`, p);
    if (this.data[p] === 0) this.bad(`no DIE at offset ${p} (null entry)`, p);
    this.done = false;
    this.ix = -1;
    this.endPos = p;
    this.nextDepth = 0;
    this.next();
  }

  /** Skip the attribute values (starting at `pos`) of a DIE of abbreviation row `ix`; returns the end. */
  private skipAttrs(pos: number, ix: number): number {
    const t = this.table;
    const fixed = t.fixedSize[ix]!;
    if (fixed >= 0) return pos + fixed;
    const prog = t.skip;
    const e = t.skipStart[ix + 1]!;
    for (let i = t.skipStart[ix]!; i < e; i++) {
      const op = prog[i]!;
      if (op > 0) {
        pos += op;
        continue;
      }
      pos = this.skipVar(op, pos, ix);
    }
    if (!(pos <= this.limit)) this.bad(`DIE at ${this.here} (abbreviation ${t.codes[ix]}) runs past the end of its unit`, this.here);
    return pos;
  }

  private skipVar(op: number, pos: number, ix: number): number {
    const data = this.data;
    switch (op) {
      case SK_LEB:
        while (data[pos++]! & 0x80);
        return pos;
      case SK_CSTR: {
        const e = data.indexOf(0, pos);
        if (e < 0 || e >= this.limit) this.bad(`unterminated string in DIE at ${this.here}`, pos);
        return e + 1;
      }
      case SK_BLOCK1:
        return pos + 1 + data[pos]!;
      case SK_BLOCK2:
        return pos + 2 + u16(data, pos, this.le);
      case SK_BLOCK4:
        return pos + 4 + u32(data, pos, this.le);
      case SK_BLOCK: {
        const n = uleb(data, pos);
        return leb.end + n;
      }
      case SK_INDIRECT: {
        const form = uleb(data, pos);
        pos = leb.end;
        if (form === DW_FORM.indirect || form === DW_FORM.implicit_const) this.bad(`DW_FORM_indirect naming form 0x${form.toString(16)}`, pos);
        const sz = formSize(form, this.unit);
        return sz >= 0 ? pos + sz : this.skipVar(sz, pos, ix);
      }
      default:
        return this.bad(`DIE at ${this.here} uses an unknown attribute form (abbreviation ${this.table.codes[ix]} at ${this.table.rowOffset[ix]} of .debug_abbrev)`, pos);
    }
  }

  /** Position of the bytes of attribute k (an index into the table's attribute arrays; before any DW_FORM_indirect code). */
  private attrPos(k: number): number {
    const t = this.table;
    const o = t.offsets[k]!;
    if (o >= 0) return this.pos + o;
    let j = k;
    while (t.offsets[j]! < 0) j--;
    let pos = this.pos + t.offsets[j]!;
    for (; j < k; j++) {
      const sz = formSize(t.forms[j]!, this.unit);
      pos = sz >= 0 ? pos + sz : this.skipVar(sz, pos, this.ix);
    }
    return pos;
  }

  /** Resolve DW_FORM_indirect at `p`; leaves the value position in leb.end. */
  private resolveForm(form: number, p: number): number {
    leb.end = p;
    while (form === DW_FORM.indirect) {
      form = uleb(this.data, leb.end);
      if (leb.end > this.limit) this.bad(`truncated DW_FORM_indirect in DIE at ${this.here}`, p);
    }
    return form;
  }

  /** Find attribute `at`: position of its value (or -1); sets `form` and `index` (table attribute index). */
  private locate(at: number): number {
    const ix = this.ix;
    if (ix < 0) return -1;
    const t = this.table;
    const attrs = t.attrs;
    const n = t.attrStart[ix + 1]!;
    let k = t.attrStart[ix]!;
    while (k < n && attrs[k] !== at) k++;
    if (k === n) return -1;
    return this.locateIndex(k);
  }

  /**
   * Position of the value of the current DIE's attribute number `k` (an index into
   * the abbreviation table's attribute arrays, within the DIE's row); sets `form`
   * and `index`.
   */
  private locateIndex(k: number): number {
    const t = this.table;
    this.index = k;
    let form = t.forms[k]!;
    let p = t.offsets[k]!;
    p = p >= 0 ? this.pos + p : this.attrPos(k);
    if (form === DW_FORM.indirect) {
      form = this.resolveForm(form, p);
      p = leb.end;
    }
    this.form = form;
    return p;
  }

  private need(p: number, n: number): void {
    if (!(p + n <= this.limit)) this.bad(`attribute value of DIE at ${this.here} runs past the end of its unit`, p);
  }

  /** True when the current DIE has attribute `at`. */
  has(at: number): boolean {
    const ix = this.ix;
    if (ix < 0) return false;
    const t = this.table;
    const attrs = t.attrs;
    const n = t.attrStart[ix + 1]!;
    for (let k = t.attrStart[ix]!; k < n; k++) if (attrs[k] === at) return true;
    return false;
  }

  /** The form of attribute `at` (after DW_FORM_indirect), or undefined when absent. */
  formOf(at: number): number | undefined {
    return this.locate(at) < 0 ? undefined : this.form;
  }

  /** `DW_AT_name` as a string (any string form), or undefined. */
  get name(): string | undefined {
    return this.string(DW_AT.name);
  }

  /**
   * A string attribute: `string`, `strp`, `line_strp`, `strx*`, `GNU_str_index`,
   * `strp_sup`/`GNU_strp_alt` (with a supplementary string table).
   */
  string(at: number): string | undefined {
    const p = this.locate(at);
    if (p < 0) return undefined;
    return this.stringValue(this.form, p);
  }

  private stringValue(form: number, p: number): string | undefined {
    const d = this.data;
    const le = this.le;
    const f = this.unit.file;
    const os = this.unit.offsetSize;
    const where = p;
    switch (form) {
      case DW_FORM.string: {
        const s = cstring(d, p, this.limit);
        if (s === undefined) this.bad(`unterminated string in DIE at ${this.here}`, p);
        return s;
      }
      case DW_FORM.strp:
        this.need(p, os);
        return f.str(os === 4 ? u32(d, p, le) : u64(d, p, le), where);
      case DW_FORM.line_strp:
        this.need(p, os);
        return f.lineStr(os === 4 ? u32(d, p, le) : u64(d, p, le), where);
      case DW_FORM.strx:
      case DW_FORM.GNU_str_index: {
        const idx = uleb(d, p);
        this.need(leb.end, 0);
        return f.strx(this.unit, idx, where);
      }
      case DW_FORM.strx1:
        this.need(p, 1);
        return f.strx(this.unit, d[p]!, where);
      case DW_FORM.strx2:
        this.need(p, 2);
        return f.strx(this.unit, u16(d, p, le), where);
      case DW_FORM.strx3:
        this.need(p, 3);
        return f.strx(this.unit, u24(d, p, le), where);
      case DW_FORM.strx4:
        this.need(p, 4);
        return f.strx(this.unit, u32(d, p, le), where);
      case DW_FORM.strp_sup:
      case DW_FORM.GNU_strp_alt:
        this.need(p, os);
        return f.supStr(os === 4 ? u32(d, p, le) : u64(d, p, le), where);
      default:
        return undefined;
    }
  }

  /**
   * A constant attribute as a number: `dataN` and `udata` zero-extended, `sdata` and
   * `implicit_const` signed (values beyond 2^53 lose precision: use
   * {@link bigConstant}). `data16` gives undefined.
   */
  unsigned(at: number): number | undefined {
    const p = this.locate(at);
    return p < 0 ? undefined : this.unsignedValue(p);
  }

  /**
   * The attribute-index forms of the accessors (`unsignedAt`, `refAt` ...): `k` is
   * the index of one of the current DIE's attributes in its abbreviation table's
   * attribute arrays (`attrStart[ix] <= k < attrStart[ix + 1]`), which a caller
   * can precompute per abbreviation and so skip the search by attribute name.
   */
  unsignedAt(k: number): number | undefined {
    return this.unsignedValue(this.locateIndex(k));
  }

  /** {@link formOf} by attribute index (see {@link unsignedAt}). */
  formAt(k: number): number {
    this.locateIndex(k);
    return this.form;
  }

  /** {@link ref} by attribute index (see {@link unsignedAt}). */
  refAt(k: number): number | undefined {
    const p = this.locateIndex(k);
    return this.refValue(this.form, p);
  }

  /** {@link flag} by attribute index (see {@link unsignedAt}). */
  flagAt(k: number): boolean | undefined {
    return this.flagValue(this.locateIndex(k));
  }

  /** {@link address} by attribute index (see {@link unsignedAt}). */
  addressAt(k: number): bigint | undefined {
    const p = this.locateIndex(k);
    return this.addressValue(this.form, p);
  }

  /** {@link block} by attribute index (see {@link unsignedAt}). */
  blockAt(k: number): Uint8Array | undefined {
    const p = this.locateIndex(k);
    return this.blockValue(this.form, p);
  }

  /** {@link bigConstant} by attribute index (see {@link unsignedAt}). */
  bigConstantAt(k: number): bigint | undefined {
    return this.bigConstantValue(this.locateIndex(k));
  }

  private unsignedValue(p: number): number | undefined {
    const d = this.data;
    switch (this.form) {
      case DW_FORM.data1:
        this.need(p, 1);
        return d[p]!;
      case DW_FORM.data2:
        this.need(p, 2);
        return u16(d, p, this.le);
      case DW_FORM.data4:
        this.need(p, 4);
        return u32(d, p, this.le);
      case DW_FORM.data8:
        this.need(p, 8);
        return u64(d, p, this.le);
      case DW_FORM.udata: {
        const v = uleb(d, p);
        this.need(leb.end, 0);
        return v;
      }
      case DW_FORM.sdata: {
        const v = sleb(d, p);
        this.need(leb.end, 0);
        return v;
      }
      case DW_FORM.implicit_const:
        return this.table.implicitConstNumber(this.index);
      default:
        return undefined;
    }
  }

  /** Like {@link unsigned}, but `dataN` forms are sign-extended. */
  signed(at: number): number | undefined {
    const p = this.locate(at);
    if (p < 0) return undefined;
    const d = this.data;
    switch (this.form) {
      case DW_FORM.data1:
        this.need(p, 1);
        return (d[p]! << 24) >> 24;
      case DW_FORM.data2:
        this.need(p, 2);
        return (u16(d, p, this.le) << 16) >> 16;
      case DW_FORM.data4:
        this.need(p, 4);
        return u32(d, p, this.le) | 0;
      case DW_FORM.data8:
        this.need(p, 8);
        return Number(BigInt.asIntN(64, uintBig(d, p, 8, this.le)));
      default:
        return this.unsigned(at);
    }
  }

  /**
   * A constant attribute, exactly: `dataN`/`udata` unsigned, `sdata`/`implicit_const`
   * signed (`dwarf_formudata`'s view; pahole reads enumerator values so). `data16`
   * gives the 128-bit unsigned value.
   */
  bigConstant(at: number): bigint | undefined {
    const p = this.locate(at);
    return p < 0 ? undefined : this.bigConstantValue(p);
  }

  private bigConstantValue(p: number): bigint | undefined {
    const d = this.data;
    switch (this.form) {
      case DW_FORM.data1:
      case DW_FORM.data2:
      case DW_FORM.data4:
      case DW_FORM.data8: {
        const n = this.form === DW_FORM.data1 ? 1 : this.form === DW_FORM.data2 ? 2 : this.form === DW_FORM.data4 ? 4 : 8;
        this.need(p, n);
        return uintBig(d, p, n, this.le);
      }
      case DW_FORM.data16: {
        this.need(p, 16);
        const lo = uintBig(d, p + (this.le ? 0 : 8), 8, this.le);
        const hi = uintBig(d, p + (this.le ? 8 : 0), 8, this.le);
        return (hi << 64n) | lo;
      }
      case DW_FORM.udata: {
        const v = ulebBig(d, p);
        this.need(leb.end, 0);
        return v;
      }
      case DW_FORM.sdata: {
        const v = slebBig(d, p);
        this.need(leb.end, 0);
        return v;
      }
      case DW_FORM.implicit_const:
        return this.table.implicitConst(this.index);
      default:
        return undefined;
    }
  }

  /** A flag attribute (`flag`, `flag_present`). */
  flag(at: number): boolean | undefined {
    const p = this.locate(at);
    return p < 0 ? undefined : this.flagValue(p);
  }

  private flagValue(p: number): boolean | undefined {
    if (this.form === DW_FORM.flag_present) return true;
    if (this.form === DW_FORM.flag) {
      this.need(p, 1);
      return this.data[p] !== 0;
    }
    return undefined;
  }

  /**
   * A reference attribute as the global offset of the DIE it names: unit-relative
   * `ref1/2/4/8/udata`, `ref_addr` (also into other units), `ref_sig8` (the type DIE
   * of the type unit with that signature).
   * @throws {BtfError} MALFORMED for a unit-relative reference outside its unit or an
   *   unknown signature; UNSUPPORTED for references into supplementary files.
   */
  ref(at: number): number | undefined {
    const p = this.locate(at);
    if (p < 0) return undefined;
    return this.refValue(this.form, p);
  }

  private refValue(form: number, p: number): number | undefined {
    const d = this.data;
    const le = this.le;
    const u = this.unit;
    let rel: number;
    switch (form) {
      case DW_FORM.ref1:
        this.need(p, 1);
        rel = d[p]!;
        break;
      case DW_FORM.ref2:
        this.need(p, 2);
        rel = u16(d, p, le);
        break;
      case DW_FORM.ref4:
        this.need(p, 4);
        rel = u32(d, p, le);
        break;
      case DW_FORM.ref8:
        this.need(p, 8);
        rel = u64(d, p, le);
        break;
      case DW_FORM.ref_udata:
        rel = uleb(d, p);
        this.need(leb.end, 0);
        break;
      case DW_FORM.ref_addr: {
        const n = u.version <= 2 ? u.addressSize : u.offsetSize;
        this.need(p, n);
        return uint(d, p, n, le);
      }
      case DW_FORM.ref_sig8: {
        this.need(p, 8);
        const sig = uintBig(d, p, 8, le);
        const tu = u.file.typeUnit(sig);
        if (!tu || tu.typeOffset === undefined) this.bad(`no type unit with signature 0x${sig.toString(16)}`, p);
        return tu.typeOffset;
      }
      case DW_FORM.ref_sup4:
      case DW_FORM.ref_sup8:
      case DW_FORM.GNU_ref_alt:
        throw new BtfError("UNSUPPORTED", `reference into a supplementary object file (${formName(form)})`, { offset: p, section: this.sectionName });
      default:
        return undefined;
    }
    if (rel >= u.end - u.sectionOffset) this.bad(`reference 0x${rel.toString(16)} outside its unit (${u.end - u.sectionOffset} bytes)`, p);
    return u.offset + rel;
  }

  /** An address attribute (`addr`, `addrx*`, `GNU_addr_index`). */
  address(at: number): bigint | undefined {
    const p = this.locate(at);
    if (p < 0) return undefined;
    return this.addressValue(this.form, p);
  }

  private addressValue(form: number, p: number): bigint | undefined {
    const d = this.data;
    const u = this.unit;
    switch (form) {
      case DW_FORM.addr:
        this.need(p, u.addressSize);
        return uintBig(d, p, u.addressSize, this.le);
      case DW_FORM.addrx:
      case DW_FORM.GNU_addr_index: {
        const i = uleb(d, p);
        this.need(leb.end, 0);
        return u.file.addrx(u, i, p);
      }
      case DW_FORM.addrx1:
      case DW_FORM.addrx2:
      case DW_FORM.addrx3:
      case DW_FORM.addrx4: {
        const n = form - DW_FORM.addrx1 + 1;
        this.need(p, n);
        return u.file.addrx(u, n === 3 ? u24(d, p, this.le) : uint(d, p, n, this.le), p);
      }
      default:
        return undefined;
    }
  }

  /** A block or expression attribute's bytes (`block*`, `exprloc`), a view. */
  block(at: number): Uint8Array | undefined {
    const p = this.locate(at);
    if (p < 0) return undefined;
    return this.blockValue(this.form, p);
  }

  private blockValue(form: number, p: number): Uint8Array | undefined {
    const d = this.data;
    let len: number;
    let start: number;
    switch (form) {
      case DW_FORM.block1:
        this.need(p, 1);
        len = d[p]!;
        start = p + 1;
        break;
      case DW_FORM.block2:
        this.need(p, 2);
        len = u16(d, p, this.le);
        start = p + 2;
        break;
      case DW_FORM.block4:
        this.need(p, 4);
        len = u32(d, p, this.le);
        start = p + 4;
        break;
      case DW_FORM.block:
      case DW_FORM.exprloc:
        len = uleb(d, p);
        start = leb.end;
        break;
      default:
        return undefined;
    }
    this.need(start, len);
    return d.subarray(start, start + len);
  }

  /**
   * A section offset (`sec_offset`; in DWARF 2/3 also `data4`/`data8` used as
   * `loclistptr`/`rangelistptr`/`lineptr`).
   */
  sectionOffset(at: number): number | undefined {
    const p = this.locate(at);
    if (p < 0) return undefined;
    const f = this.form;
    if (f === DW_FORM.sec_offset) {
      this.need(p, this.unit.offsetSize);
      return uint(this.data, p, this.unit.offsetSize, this.le);
    }
    if ((f === DW_FORM.data4 || f === DW_FORM.data8) && this.unit.version < 4) {
      const n = f === DW_FORM.data4 ? 4 : 8;
      this.need(p, n);
      return uint(this.data, p, n, this.le);
    }
    return undefined;
  }

  /**
   * The location description of attribute `at` (`DW_AT_location`, `frame_base` ...):
   * one entry without a range for an expression (`exprloc`, DWARF 2/3 `block`), the
   * entries of a location list for `sec_offset`/`loclistx` (`.debug_loclists` in
   * DWARF 5, `.debug_loc` before), with addresses resolved (base address, `addrx`).
   * Undefined when absent or of another form.
   */
  locations(at: number): LocationEntry[] | undefined {
    const where = this.locationOf(at);
    if (where === undefined) return undefined;
    if (where instanceof Uint8Array) return [{ start: undefined, end: undefined, expr: where }];
    return readLocationList(this.unit, where, this.lastLocate);
  }

  /**
   * {@link locations} without building the entries: each goes to `sink` (a single
   * expression as one entry from 0n to 0n). False when the attribute is absent or of
   * another form.
   * @throws {BtfError} as {@link locations}.
   */
  visitLocations(at: number, sink: LocationSink): boolean {
    const where = this.locationOf(at);
    if (where === undefined) return false;
    if (where instanceof Uint8Array) sink.entry(where, 0, where.length, 0n, 0n);
    else walkLocationList(this.unit, where, this.lastLocate, sink);
    return true;
  }

  /** Where the attribute {@link locationOf} last found starts (for error messages). */
  private lastLocate = 0;

  /** Where attribute `at`'s location description is: the expression itself, or a location list. */
  private locationOf(at: number): Uint8Array | { offset: number } | { index: number } | undefined {
    const p = this.locate(at);
    if (p < 0) return undefined;
    this.lastLocate = p;
    const form = this.form;
    const u = this.unit;
    if (form === DW_FORM.exprloc || form === DW_FORM.block || form === DW_FORM.block1 || form === DW_FORM.block2 || form === DW_FORM.block4) {
      return this.blockValue(form, p)!;
    }
    if (form === DW_FORM.loclistx) {
      const idx = uleb(this.data, p);
      this.need(leb.end, 0);
      return { index: idx };
    }
    const off = form === DW_FORM.sec_offset || ((form === DW_FORM.data4 || form === DW_FORM.data8) && u.version < 4) ? this.sectionOffset(at) : undefined;
    return off === undefined ? undefined : { offset: off };
  }

  /**
   * The address ranges of the current DIE: `DW_AT_ranges` (`.debug_rnglists` /
   * `.debug_ranges`), or `[low_pc, high_pc)`; empty when it has neither.
   */
  ranges(): RangeEntry[] {
    const p = this.locate(DW_AT.ranges);
    if (p >= 0) {
      const form = this.form;
      if (form === DW_FORM.rnglistx) {
        const idx = uleb(this.data, p);
        this.need(leb.end, 0);
        return readRangeList(this.unit, { index: idx }, p);
      }
      const off = this.sectionOffset(DW_AT.ranges);
      if (off !== undefined) return readRangeList(this.unit, { offset: off }, p);
      return [];
    }
    const lo = this.address(DW_AT.low_pc);
    if (lo === undefined) return [];
    const hiForm = this.formOf(DW_AT.high_pc);
    if (hiForm === undefined) return [{ start: lo, end: lo + 1n }];
    const hi = this.address(DW_AT.high_pc) ?? lo + (this.bigConstant(DW_AT.high_pc) ?? 0n);
    return [{ start: lo, end: hi }];
  }

  /**
   * A cursor on the DIE that reference attribute `at` names (possibly in another
   * unit), or undefined when the attribute is absent.
   */
  follow(at: number): DieCursor | undefined {
    const r = this.ref(at);
    return r === undefined ? undefined : this.unit.file.dieAt(r);
  }

  /**
   * The DIE holding attribute `at`: this one, or the first one reached through
   * `DW_AT_abstract_origin` then `DW_AT_specification` links that has it (at most
   * 8 links: cycles end there). Returns undefined when none has it.
   */
  origin(at: number): DieCursor | undefined {
    if (this.has(at)) return this;
    let c: DieCursor = this;
    for (let i = 0; i < 8; i++) {
      const link = c.has(DW_AT.abstract_origin) ? DW_AT.abstract_origin : c.has(DW_AT.specification) ? DW_AT.specification : 0;
      if (link === 0) return undefined;
      const n = c.follow(link);
      if (!n) return undefined;
      c = n;
      if (c.has(at)) return c;
    }
    return undefined;
  }

  /**
   * Every attribute of the current DIE, decoded (allocates: for dumps and tests).
   */
  attributes(): AttrValue[] {
    const ix = this.ix;
    if (ix < 0) return [];
    const t = this.table;
    const out: AttrValue[] = [];
    for (let k = t.attrStart[ix]!; k < t.attrStart[ix + 1]!; k++) out.push(this.attrValue(k));
    return out;
  }

  private attrValue(k: number): AttrValue {
    const t = this.table;
    const at = t.attrs[k]!;
    const start = this.attrPos(k);
    const form = this.resolveForm(t.forms[k]!, start);
    const p = leb.end;
    this.form = form;
    this.index = k;
    const cls = formClass(form);
    const d = this.data;
    const le = this.le;
    const u = this.unit;
    const os = u.offsetSize;
    const offset = this.base + start;
    const mk = (value: AttrValue["value"], raw?: number | bigint): AttrValue => (raw === undefined ? { at, form, offset, cls, value } : { at, form, offset, cls, value, raw });
    switch (cls) {
      case "string": {
        const v = this.stringValue(form, p)!;
        let raw: number | undefined;
        if (form === DW_FORM.strp || form === DW_FORM.line_strp || form === DW_FORM.strp_sup || form === DW_FORM.GNU_strp_alt) raw = uint(d, p, os, le);
        else if (form === DW_FORM.strx || form === DW_FORM.GNU_str_index) raw = uleb(d, p);
        else if (form !== DW_FORM.string) raw = form === DW_FORM.strx3 ? u24(d, p, le) : uint(d, p, form - DW_FORM.strx1 + 1, le);
        return mk(v, raw);
      }
      case "constant": {
        if (form === DW_FORM.data16) {
          this.need(p, 16);
          return mk(d.slice(p, p + 16));
        }
        const v = form === DW_FORM.sdata ? slebBig(d, p) : form === DW_FORM.implicit_const ? t.implicitConst(k) : this.constantBig(form, p);
        if (form === DW_FORM.sdata) this.need(leb.end, 0);
        return mk(v);
      }
      case "flag":
        if (form === DW_FORM.flag_present) return mk(true);
        this.need(p, 1);
        return mk(d[p] !== 0);
      case "reference": {
        let raw: number | bigint | undefined;
        if (form === DW_FORM.ref_sig8) {
          this.need(p, 8);
          raw = uintBig(d, p, 8, le);
          const tu = u.file.typeUnit(raw);
          return mk(tu?.typeOffset ?? -1, raw);
        }
        if (form === DW_FORM.ref_sup4 || form === DW_FORM.ref_sup8 || form === DW_FORM.GNU_ref_alt) {
          const n = form === DW_FORM.ref_sup8 ? 8 : form === DW_FORM.ref_sup4 ? 4 : os;
          this.need(p, n);
          return mk(-1, uint(d, p, n, le));
        }
        const v = this.refValue(form, p)!;
        if (form !== DW_FORM.ref_addr) raw = v - u.offset;
        return mk(v, raw);
      }
      case "address": {
        const v = this.addressValue(form, p)!;
        let raw: number | undefined;
        if (form === DW_FORM.addrx || form === DW_FORM.GNU_addr_index) raw = uleb(d, p);
        else if (form !== DW_FORM.addr) raw = form === DW_FORM.addrx3 ? u24(d, p, le) : uint(d, p, form - DW_FORM.addrx1 + 1, le);
        return mk(v, raw);
      }
      case "block":
      case "exprloc":
        return mk(this.blockValue(form, p)!);
      case "sec_offset":
        this.need(p, os);
        return mk(uint(d, p, os, le));
      case "loclist":
      case "rnglist": {
        const idx = uleb(d, p);
        this.need(leb.end, 0);
        return mk(listIndexOffset(u, cls === "loclist" ? "loclists" : "rnglists", idx, p), idx);
      }
      default:
        return this.bad(`DIE at ${this.here}: attribute ${atName(at) ?? at} has unknown form 0x${form.toString(16)}`, start);
    }
  }

  private constantBig(form: number, p: number): bigint {
    if (form === DW_FORM.udata) {
      const v = ulebBig(this.data, p);
      this.need(leb.end, 0);
      return v;
    }
    const n = form === DW_FORM.data1 ? 1 : form === DW_FORM.data2 ? 2 : form === DW_FORM.data4 ? 4 : 8;
    this.need(p, n);
    return uintBig(this.data, p, n, this.le);
  }
}
