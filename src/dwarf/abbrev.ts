/**
 * `.debug_abbrev`: abbreviation tables, parsed once per table and *precompiled* for
 * a unit encoding (address size, offset size, version) so that skipping a DIE costs
 * one addition when all its forms have fixed sizes, and a short loop otherwise.
 *
 * A table is stored flat (struct of arrays indexed by a dense abbreviation index),
 * not as an object per abbreviation: a kernel has ~500k abbreviations, and a few
 * typed arrays per table instead of a few per abbreviation keep the garbage
 * collector out of the way. {@link AbbrevTable.get} gives an object view on demand.
 * @module
 */
import { BtfError } from "../internal/errors.js";
import { Int32List } from "../internal/lists.js";
import { DW_AT, DW_FORM } from "./constants.js";
import { formSize, type UnitEncoding } from "./forms.js";

/** One abbreviation (an object view of a table row, for inspection and dumps). */
export interface Abbrev {
  readonly code: number;
  readonly tag: number;
  readonly hasChildren: boolean;
  /** Attribute names (`DW_AT_*`), in order. */
  readonly attrs: readonly number[];
  /** Their forms (`DW_FORM_*`); may be `DW_FORM_indirect`. */
  readonly forms: readonly number[];
  /** `DW_FORM_implicit_const` values by attribute index (undefined elsewhere). */
  readonly implicitConst: readonly (bigint | undefined)[];
  /** Size of the attribute values when every form has a fixed size, else -1. */
  readonly fixedSize: number;
  /** Offset of the abbreviation in `.debug_abbrev`. */
  readonly offset: number;
}

/**
 * An abbreviation table. Rows are addressed by a dense index `ix` (see
 * {@link AbbrevTable.index}); the arrays are public for the DIE cursor's hot path.
 */
export class AbbrevTable {
  /** Code -> ix + 1 for small codes (0: unknown). */
  private readonly dense: Int32Array;
  private readonly sparse: Map<number, number> | undefined;
  /** Per row. */
  readonly codes: Uint32Array;
  readonly tags: Uint32Array;
  readonly children: Uint8Array;
  /** Fixed size of the attribute values, or -1. */
  readonly fixedSize: Int32Array;
  /** Row ix's attributes are `attrs[attrStart[ix] .. attrStart[ix + 1])`. */
  readonly attrStart: Uint32Array;
  readonly attrs: Uint32Array;
  readonly forms: Uint32Array;
  /** Offset of each attribute's value from the start of the values, when all before it are fixed; else -1. */
  readonly offsets: Int32Array;
  /** Index (within the row) of DW_AT_sibling, or -1. */
  readonly sibling: Int32Array;
  /** Skip program of row ix: `skip[skipStart[ix] .. skipStart[ix + 1])`; n > 0 skips n bytes, n < 0 is an `SK_*` code. */
  readonly skipStart: Uint32Array;
  readonly skip: Int32Array;
  /** Offsets in `.debug_abbrev` of each row. */
  readonly rowOffset: Uint32Array;
  /**
   * implicit_const values: the global attribute indexes that have one, ascending, and
   * the values, as numbers; those beyond 2^48 in magnitude (never seen) as bigints
   * in `implicitBig` instead. (A gcc DWARF 5 table has hundreds; as bigints in a map
   * they were a tenth of what a kernel's encoding allocated on the JS heap.)
   */
  private readonly implicitAt: Int32Array;
  private readonly implicitVal: Float64Array;
  private readonly implicitBig: Map<number, bigint> | undefined;
  private views: (Abbrev | undefined)[] | undefined;

  constructor(
    readonly offset: number,
    b: Builder,
  ) {
    const n = b.codes.n;
    this.codes = new Uint32Array(b.codes.copy());
    this.tags = new Uint32Array(b.tags.copy());
    this.children = new Uint8Array(b.children.copy());
    this.fixedSize = b.fixed.copy();
    this.attrStart = new Uint32Array(b.attrStart.copy());
    this.attrs = new Uint32Array(b.attrs.copy());
    this.forms = new Uint32Array(b.forms.copy());
    this.offsets = b.offsets.copy();
    this.sibling = b.sibling.copy();
    this.skipStart = new Uint32Array(b.skipStart.copy());
    this.skip = b.skip.copy();
    this.rowOffset = new Uint32Array(b.rowOffset.copy());
    this.implicitAt = b.implicitAt.copy();
    this.implicitVal = b.implicitVal.slice(0, b.implicitAt.n);
    this.implicitBig = b.implicitBig;
    let max = 0;
    for (let i = 0; i < n; i++) if (this.codes[i]! > max) max = this.codes[i]!;
    if (max <= 4 * n + 64) {
      this.dense = new Int32Array(max + 1);
      for (let i = n - 1; i >= 0; i--) this.dense[this.codes[i]!] = i + 1; // first definition wins
      this.sparse = undefined;
    } else {
      this.dense = new Int32Array(0);
      this.sparse = new Map();
      for (let i = 0; i < n; i++) if (!this.sparse.has(this.codes[i]!)) this.sparse.set(this.codes[i]!, i);
    }
  }

  /** Number of abbreviations. */
  get size(): number {
    return this.codes.length;
  }

  /** The row index of abbreviation `code`, or -1 when the table has none. */
  index(code: number): number {
    if (this.sparse) return this.sparse.get(code) ?? -1;
    return code < this.dense.length ? this.dense[code]! - 1 : -1;
  }

  /** implicit_const value of attribute `k` (global attribute index). */
  implicitConst(k: number): bigint {
    const j = this.implicitIndex(k);
    if (j < 0) return 0n;
    return this.implicitBig?.get(k) ?? BigInt(this.implicitVal[j]!);
  }

  /** `Number(implicitConst(k))`, without the bigint. */
  implicitConstNumber(k: number): number {
    const j = this.implicitIndex(k);
    if (j < 0) return 0;
    const big = this.implicitBig?.get(k);
    return big === undefined ? this.implicitVal[j]! : Number(big);
  }

  /** Where attribute `k` is in `implicitAt`, or -1. */
  private implicitIndex(k: number): number {
    const at = this.implicitAt;
    let lo = 0;
    let hi = at.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = at[mid]!;
      if (v === k) return mid;
      if (v < k) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The abbreviation with `code` as an object, or undefined. */
  get(code: number): Abbrev | undefined {
    const ix = this.index(code);
    return ix < 0 ? undefined : this.row(ix);
  }

  /** Row `ix` as an object (cached). */
  row(ix: number): Abbrev {
    this.views ??= new Array(this.size);
    let v = this.views[ix];
    if (!v) {
      const a = this.attrStart[ix]!;
      const e = this.attrStart[ix + 1]!;
      const implicitConst: (bigint | undefined)[] = [];
      for (let k = a; k < e; k++) implicitConst.push(this.forms[k] === DW_FORM.implicit_const ? this.implicitConst(k) : undefined);
      v = {
        code: this.codes[ix]!,
        tag: this.tags[ix]!,
        hasChildren: this.children[ix] !== 0,
        attrs: Array.from(this.attrs.subarray(a, e)),
        forms: Array.from(this.forms.subarray(a, e)),
        implicitConst,
        fixedSize: this.fixedSize[ix]!,
        offset: this.rowOffset[ix]!,
      };
      this.views[ix] = v;
    }
    return v;
  }

  /** All abbreviations, in table order. */
  all(): Abbrev[] {
    const out: Abbrev[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.row(i));
    return out;
  }
}

/** A table being parsed: one list per {@link AbbrevTable} array. */
class Builder {
  readonly codes = new Int32List();
  readonly tags = new Int32List();
  readonly children = new Int32List();
  readonly fixed = new Int32List();
  readonly attrStart = new Int32List();
  readonly attrs = new Int32List();
  readonly forms = new Int32List();
  readonly offsets = new Int32List();
  readonly sibling = new Int32List();
  readonly skipStart = new Int32List();
  readonly skip = new Int32List();
  readonly rowOffset = new Int32List();
  /** implicit_const values (see AbbrevTable.implicitAt). */
  readonly implicitAt = new Int32List();
  implicitVal = new Float64Array(64);
  implicitBig: Map<number, bigint> | undefined;
  addImplicit(k: number, v: number, big: bigint | undefined): void {
    const j = this.implicitAt.push(k);
    if (j === this.implicitVal.length) {
      const g = new Float64Array(2 * j);
      g.set(this.implicitVal);
      this.implicitVal = g;
    }
    this.implicitVal[j] = v;
    if (big !== undefined) (this.implicitBig ??= new Map()).set(k, big);
  }
  /** `formSize` of each form code met (index: form; {@link UNKNOWN_SIZE} not yet), for one unit encoding. */
  readonly sizes = new Int32Array(0x30);
  reset(): void {
    for (const l of [this.codes, this.tags, this.children, this.fixed, this.attrStart, this.attrs, this.forms, this.offsets, this.sibling, this.skipStart, this.skip, this.rowOffset, this.implicitAt]) l.n = 0;
    this.implicitBig = undefined;
    this.sizes.fill(UNKNOWN_SIZE);
  }
}

/** Not a `formSize` result (sizes are small, skip codes small negatives). */
const UNKNOWN_SIZE = 0x7fffffff;

/** Reused by every parse on this thread (a table is copied out of it at the end). */
let builder: Builder | undefined;

/** The bytes of `.debug_abbrev` being read, with the LEB128 readers of a table. */
class AbbrevReader {
  constructor(
    readonly data: Uint8Array,
    public pos: number,
  ) {}

  truncated(): never {
    throw new BtfError("MALFORMED", "abbreviation table runs past the end of .debug_abbrev", { offset: this.pos, section: ".debug_abbrev" });
  }

  byte(): number {
    if (this.pos >= this.data.length) this.truncated();
    return this.data[this.pos++]!;
  }

  uleb(): number {
    let b = this.byte();
    if (b < 0x80) return b;
    let result = b & 0x7f;
    let mul = 128;
    for (;;) {
      b = this.byte();
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
      if (mul > 2 ** 63) throw new BtfError("MALFORMED", "LEB128 value too long", { offset: this.pos, section: ".debug_abbrev" });
    }
  }

  /**
   * Signed LEB128 of at most 7 bytes as a number (exact: |v| <= 2^48); NaN, and
   * nothing read, for a longer one (read it with {@link sleb}).
   */
  slebSmall(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return b & 0x40 ? result - mul : result;
    }
    this.pos = start;
    return NaN;
  }

  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) {
        if (b & 0x40) result -= 1n << shift;
        return BigInt.asIntN(64, result);
      }
      if (shift > 70n) throw new BtfError("MALFORMED", "LEB128 value too long", { offset: this.pos, section: ".debug_abbrev" });
    }
  }
}

/**
 * Parse and precompile the abbreviation table at `offset` of `.debug_abbrev`.
 * @throws {BtfError} MALFORMED when the table runs past the section or an entry is
 *   truncated. Unknown forms are accepted here; a DIE using one cannot be skipped
 *   and fails when read.
 */
export function parseAbbrevTable(data: Uint8Array, offset: number, enc: UnitEncoding): AbbrevTable {
  if (!(offset >= 0 && offset < data.length)) throw new BtfError("MALFORMED", `abbreviation table offset ${offset} outside .debug_abbrev (${data.length} bytes)`, { offset, section: ".debug_abbrev" });
  const r = new AbbrevReader(data, offset);
  const b = (builder ??= new Builder());
  b.reset();
  for (;;) {
    const at = r.pos;
    const code = r.uleb();
    if (code === 0) break;
    const tag = r.uleb();
    const children = r.byte();
    b.codes.push(code);
    b.tags.push(tag);
    b.children.push(children !== 0 ? 1 : 0);
    b.rowOffset.push(at);
    b.attrStart.push(b.attrs.n);
    b.skipStart.push(b.skip.n);
    parseAttributes(r, b, enc);
  }
  b.attrStart.push(b.attrs.n);
  b.skipStart.push(b.skip.n);
  return new AbbrevTable(offset, b);
}

/** One abbreviation's attribute specifications, up to the (0, 0) pair. */
function parseAttributes(r: AbbrevReader, b: Builder, enc: UnitEncoding): void {
  let fixed = 0;
  let allFixed = true;
  let sibling = -1;
  let lastFixed = false; // the last skip entry is a byte count that can grow
  for (let i = 0; ; i++) {
    const name = r.uleb();
    const form = r.uleb();
    if (name === 0 && form === 0) break;
    if (form === DW_FORM.implicit_const) {
      const v = r.slebSmall();
      if (v === v) b.addImplicit(b.attrs.n, v, undefined);
      else {
        const big = r.sleb();
        b.addImplicit(b.attrs.n, Number(big), big);
      }
    }
    if (name === DW_AT.sibling && sibling < 0) sibling = i;
    b.offsets.push(allFixed ? fixed : -1);
    b.attrs.push(name);
    b.forms.push(form);
    let sz = form < b.sizes.length ? b.sizes[form]! : UNKNOWN_SIZE;
    if (sz === UNKNOWN_SIZE) {
      sz = formSize(form, enc);
      if (form < b.sizes.length) b.sizes[form] = sz;
    }
    if (sz >= 0) {
      if (allFixed) fixed += sz;
      if (sz > 0) {
        if (lastFixed) b.skip.a[b.skip.n - 1]! += sz;
        else b.skip.push(sz);
        lastFixed = true;
      }
    } else {
      allFixed = false;
      b.skip.push(sz);
      lastFixed = false;
    }
  }
  b.fixed.push(allFixed ? fixed : -1);
  b.sibling.push(sibling);
}
