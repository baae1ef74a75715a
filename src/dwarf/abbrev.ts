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
  /** implicit_const values by global attribute index. */
  private readonly implicit: Map<number, bigint>;
  private views: (Abbrev | undefined)[] | undefined;

  constructor(
    readonly offset: number,
    b: Builder,
  ) {
    const n = b.codes.length;
    this.codes = Uint32Array.from(b.codes);
    this.tags = Uint32Array.from(b.tags);
    this.children = Uint8Array.from(b.children);
    this.fixedSize = Int32Array.from(b.fixed);
    this.attrStart = Uint32Array.from(b.attrStart);
    this.attrs = Uint32Array.from(b.attrs);
    this.forms = Uint32Array.from(b.forms);
    this.offsets = Int32Array.from(b.offsets);
    this.sibling = Int32Array.from(b.sibling);
    this.skipStart = Uint32Array.from(b.skipStart);
    this.skip = Int32Array.from(b.skip);
    this.rowOffset = Uint32Array.from(b.rowOffset);
    this.implicit = b.implicit;
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
    return this.implicit.get(k) ?? 0n;
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

interface Builder {
  codes: number[];
  tags: number[];
  children: number[];
  fixed: number[];
  attrStart: number[];
  attrs: number[];
  forms: number[];
  offsets: number[];
  sibling: number[];
  skipStart: number[];
  skip: number[];
  rowOffset: number[];
  implicit: Map<number, bigint>;
}

/**
 * Parse and precompile the abbreviation table at `offset` of `.debug_abbrev`.
 * @throws {BtfError} MALFORMED when the table runs past the section or an entry is
 *   truncated. Unknown forms are accepted here; a DIE using one cannot be skipped
 *   and fails when read.
 */
export function parseAbbrevTable(data: Uint8Array, offset: number, enc: UnitEncoding): AbbrevTable {
  const section = ".debug_abbrev";
  if (!(offset >= 0 && offset < data.length)) throw new BtfError("MALFORMED", `abbreviation table offset ${offset} outside .debug_abbrev (${data.length} bytes)`, { offset, section });
  let pos = offset;
  const end = data.length;
  const truncated = (): never => {
    throw new BtfError("MALFORMED", "abbreviation table runs past the end of .debug_abbrev", { offset: pos, section });
  };
  const uleb = (): number => {
    if (pos >= end) truncated();
    let b = data[pos++]!;
    if (b < 0x80) return b;
    let result = b & 0x7f;
    let mul = 128;
    for (;;) {
      if (pos >= end) truncated();
      b = data[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
      if (mul > 2 ** 63) throw new BtfError("MALFORMED", "LEB128 value too long", { offset: pos, section });
    }
  };
  const sleb = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= end) truncated();
      const b = data[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) {
        if (b & 0x40) result -= 1n << shift;
        return BigInt.asIntN(64, result);
      }
      if (shift > 70n) throw new BtfError("MALFORMED", "LEB128 value too long", { offset: pos, section });
    }
  };
  const b: Builder = { codes: [], tags: [], children: [], fixed: [], attrStart: [], attrs: [], forms: [], offsets: [], sibling: [], skipStart: [], skip: [], rowOffset: [], implicit: new Map() };
  const sizeCache = new Map<number, number>();
  const sizeOf = (form: number): number => {
    let s = sizeCache.get(form);
    if (s === undefined) {
      s = formSize(form, enc);
      sizeCache.set(form, s);
    }
    return s;
  };
  for (;;) {
    const at = pos;
    const code = uleb();
    if (code === 0) break;
    const tag = uleb();
    if (pos >= end) truncated();
    const children = data[pos++]!;
    b.codes.push(code);
    b.tags.push(tag);
    b.children.push(children !== 0 ? 1 : 0);
    b.rowOffset.push(at);
    b.attrStart.push(b.attrs.length);
    b.skipStart.push(b.skip.length);
    let fixed = 0;
    let allFixed = true;
    let sibling = -1;
    let lastFixed = false; // the last skip entry is a byte count that can grow
    for (let i = 0; ; i++) {
      const name = uleb();
      const form = uleb();
      if (name === 0 && form === 0) break;
      if (form === DW_FORM.implicit_const) b.implicit.set(b.attrs.length, sleb());
      if (name === DW_AT.sibling && sibling < 0) sibling = i;
      b.offsets.push(allFixed ? fixed : -1);
      b.attrs.push(name);
      b.forms.push(form);
      const sz = sizeOf(form);
      if (sz >= 0) {
        if (allFixed) fixed += sz;
        if (sz > 0) {
          if (lastFixed) b.skip[b.skip.length - 1]! += sz;
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
  b.attrStart.push(b.attrs.length);
  b.skipStart.push(b.skip.length);
  return new AbbrevTable(offset, b);
}
