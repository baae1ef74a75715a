/**
 * One compilation unit as pahole 1.30's DWARF loader (dwarf_loader.c) sees it, kept in
 * typed arrays: which DIEs become "tags", the three per-CU tables they are numbered in
 * (types, other tags, functions), and the "recode" passes that turn DWARF references
 * into type-table indices (pahole's `small_id`).
 *
 * Why mirror the loader so closely: pahole gives the k-th entry of a CU's types table
 * BTF id `type_id_off + k`, and its table order is not plain DIE order (a struct's
 * nested types come before the struct, a pointer's type tags before the pointer,
 * top-level `DW_TAG_unspecified_type` takes no slot). References it cannot resolve
 * become void, abstract-origin parameters borrow names and types in table order, and
 * parameter location flags travel from concrete instances to abstract origins. Each
 * of these decides bytes of the output, so each is reproduced here, with pahole's
 * function names in the comments.
 *
 * Nothing is allocated per DIE: tags are rows of parallel typed arrays, reused from
 * one unit to the next; names are numeric keys to their bytes (decoded only when the
 * encoder needs the text: function and variable names).
 * @module
 */
import { Int32List } from "../internal/lists.js";
import { BtfError } from "../internal/errors.js";
import type { DwarfUnit } from "../dwarf/dwarf.js";
import type { DieCursor } from "../dwarf/die.js";
import type { AbbrevTable } from "../dwarf/abbrev.js";
import { cstring } from "../elf/strtab.js";
import { DW_AT, DW_ATE, DW_FORM, DW_OP, DW_TAG } from "../dwarf/constants.js";
import { formClass } from "../dwarf/forms.js";
import { u16 as readU16, u32 as readU32 } from "../dwarf/bytes.js";
import { addressOperand, exprEncoding, classifyParameterInto, parameterRegisterCount, type ParameterLocation } from "../dwarf/expr.js";
import type { EncodeFeatures } from "./features.js";
import { KeyIndex } from "./key-index.js";

/** Entries of the first DIE slot table (units of up to 1 MB of DWARF; a kernel's biggest has 0.9 MB). */
const SLOT_TABLE_MIN = 1 << 20;

/** newParameter's verdict on its parameter (one object, filled for each). */
const PARAM: ParameterLocation = { hasLocation: false, optimized: false, unexpectedRegister: false, register: -1 };

/** Tag flags (`flags[t]`). */
export const F_DECL = 1;
export const F_EXTERNAL = 2;
export const F_ARTIFICIAL = 4;
export const F_TOPLEVEL = 8;
export const F_HAS_LOC = 16;
export const F_OPTIMIZED = 32;
export const F_UNEXPECTED = 64;
export const F_UNSPEC_PARMS = 128;
export const F_HAS_BIT_OFFSET = 256;
export const F_STATIC = 512;
export const F_HAS_ORIGIN = 1024;
export const F_HAS_SPEC = 2048;
export const F_TYPE_TAG_PTR = 4096;
export const F_FN_UNEXPECTED = 8192;
export const F_GLOBAL_SCOPE = 16384;

/** Which per-CU table a tag is numbered in. */
const T_NONE = 0;
const T_TYPES = 1;
const T_TAGS = 2;
const T_FUNCS = 3;

/** pahole `tag__is_tag_type`: tags numbered in the types table. */
export function isTagType(tag: number): boolean {
  switch (tag) {
    case DW_TAG.union_type:
    case DW_TAG.structure_type:
    case DW_TAG.interface_type:
    case DW_TAG.class_type:
    case DW_TAG.typedef:
    case DW_TAG.rvalue_reference_type:
    case DW_TAG.enumeration_type:
    case DW_TAG.array_type:
    case DW_TAG.string_type:
    case DW_TAG.base_type:
    case DW_TAG.const_type:
    case DW_TAG.pointer_type:
    case DW_TAG.ptr_to_member_type:
    case DW_TAG.reference_type:
    case DW_TAG.restrict_type:
    case DW_TAG.subroutine_type:
    case DW_TAG.unspecified_type:
    case DW_TAG.volatile_type:
    case DW_TAG.atomic_type:
    case DW_TAG.LLVM_annotation:
      return true;
    default:
      return false;
  }
}

/** pahole `tag__is_type` (the `struct type` family). */
function isTypeFamily(tag: number): boolean {
  return (
    tag === DW_TAG.union_type ||
    tag === DW_TAG.structure_type ||
    tag === DW_TAG.interface_type ||
    tag === DW_TAG.class_type ||
    tag === DW_TAG.typedef ||
    tag === DW_TAG.rvalue_reference_type ||
    tag === DW_TAG.enumeration_type
  );
}

/** pahole `tag__has_namespace`. */
function hasNamespace(tag: number): boolean {
  return (
    tag === DW_TAG.structure_type ||
    tag === DW_TAG.interface_type ||
    tag === DW_TAG.class_type ||
    tag === DW_TAG.union_type ||
    tag === DW_TAG.namespace ||
    tag === DW_TAG.enumeration_type
  );
}

/** Bit numbers (in the per-abbreviation masks) of the attributes the loader reads. */
const ATTR_BIT = (() => {
  const a = new Int8Array(0x90).fill(-1);
  const list = [
    DW_AT.name, DW_AT.type, DW_AT.byte_size, DW_AT.encoding, DW_AT.declaration, DW_AT.external, DW_AT.abstract_origin,
    DW_AT.specification, DW_AT.data_member_location, DW_AT.data_bit_offset, DW_AT.bit_offset, DW_AT.bit_size,
    DW_AT.upper_bound, DW_AT.count, DW_AT.const_value, DW_AT.location, DW_AT.artificial, DW_AT.import, DW_AT.language,
  ];
  list.forEach((at, i) => (a[at] = i));
  return a;
})();
/** Number of attributes in {@link ATTR_BIT}. */
const NB = 19;
/** Set in a computed mask (bit 29: masks stay small integers, which V8 never boxes). */
const COMPUTED = 1 << 29;

/** {@link CuLoader.newMember}'s plans: read through the cursor, or straight from the bytes. */
const MP_GENERAL = 1;
const MP_DIRECT = 2;

/** Name keys at or above this are indices into the loader's side table of JS strings. */
const SIDE = 2 ** 41;

const TWO32 = 4294967296;
const u32 = (v: number): number => (v >= 0 && v < TWO32 ? v : ((v % TWO32) + TWO32) % TWO32);

/** What the loader needs to know about the file. */
export interface LoaderOptions {
  /** ELF `e_machine` (parameter registers). */
  machine: number;
  /** ELF byte order (bitfield offsets of DWARF 4 `DW_AT_bit_offset`). */
  littleEndian: boolean;
  features: EncodeFeatures;
  /**
   * Read plain members straight from their bytes where their abbreviation allows
   * (default true; false reads every attribute through the DIE cursor, for tests).
   */
  directMembers?: boolean;
}

/**
 * The tags of one CU. {@link load} fills it; the encoder reads the arrays. Arrays are
 * reused (and grown) from one unit to the next.
 */
export class CuLoader {
  // ---- per-tag rows ----
  cap = 0;
  n = 0;
  tag = new Int32Array(0);
  /** Global DIE offsets (see {@link reset}: below 2^32). */
  die = new Uint32Array(0);
  typeRef = new Uint32Array(0);
  originRef = new Uint32Array(0);
  specRef = new Uint32Array(0);
  /** Recoded type: index in the types table (pahole `tag->type`). */
  type = new Int32Array(0);
  /** Index in the tag's table (pahole `small_id`). */
  small = new Int32Array(0);
  table = new Uint8Array(0);
  flags = new Uint32Array(0);
  n1 = new Float64Array(0);
  n2 = new Float64Array(0);
  n3 = new Float64Array(0);
  n4 = new Int32Array(0); // members: bitfield size (u8)
  n5 = new Uint32Array(0); // members: byte offset (u32)
  kidStart = new Int32Array(0);
  kidCount = new Int32Array(0);
  annHead = new Int32Array(0);
  annTail = new Int32Array(0);
  /** Resolved link: a variable's specification (tag index or -1). */
  link = new Int32Array(0);
  /**
   * Names as keys (see {@link nameOf}): 0 none; 1 .. SIDE-1 a `.debug_str` offset + 1
   * (`DW_FORM_strp`); negative, a `DW_FORM_string` at section position -key-1 of the
   * unit; SIDE + i, `side[i]` (other forms, annotation values). Keys let the encoder
   * copy name bytes without decoding them.
   */
  nameKey = new Float64Array(0);
  /** Scratch index for the encoder (name key -> local string number), reused per unit. */
  readonly strIndex = new KeyIndex(4096);
  private readonly fnCache = new KeyIndex(1024);
  private fnCacheOwner: object | undefined;
  /**
   * The encoder's cache of ELF-symbol lookups by function name key, valid for one
   * file: `owner` is that file's function table; another owner empties the cache.
   */
  functionCache(owner: object): KeyIndex {
    if (this.fnCacheOwner !== owner) {
      this.fnCache.clear();
      this.fnCacheOwner = owner;
    }
    return this.fnCache;
  }
  /** Names read as JS strings (forms without a fast path), for this unit. */
  side: string[] = [];
  private sideIndex = new Map<string, number>();

  /** Children lists (members, parameters, enumerators, type tags) as tag indices. */
  kids = new Int32List(1024);
  private scratch = new Int32List(256);

  /** `btf_decl_tag` annotations: value and component index, chained per owner. */
  annValue: string[] = [];
  annComp = new Int32List(64);
  annNext = new Int32List(64);
  nAnn = 0;

  /** The three tables (tag indices); types[0] is void (-1). */
  types = new Int32List(1024);
  tags = new Int32List(1024);
  funcs = new Int32List(256);

  /** DIE offset (relative to the unit) -> tag index + 1 (entries of DIEs met are cleared after each load). */
  private slot = new Int32Array(0);
  /** The same DIE offsets -> `small` + 1 of a types-family tag, 0 for other tags (see {@link findTypeSmall}). */
  private typeSlot = new Int32Array(0);
  private unitBase = 0;

  unit!: DwarfUnit;
  /** Address size of the unit (pointer size for `tag__size`). */
  addrSize = 8;
  /** DW_AT_language of the root DIE. */
  language = 0;
  /** The unit holds no CU (skeleton, partial unit): nothing to encode. */
  skipped = false;

  private c!: DieCursor;
  private valid = false;
  /** Per abbreviation row of the unit's table: bit set of the attributes it has (ATTR_BIT), {@link COMPUTED} once computed. */
  private mask: Uint32Array = new Uint32Array(0);
  /** Per abbreviation row: index + 1 of its DW_AT_name attribute (0: none). */
  private nameAt: Uint32Array = new Uint32Array(0);
  /** Per abbreviation row and ATTR_BIT bit (`ix * NB + bit`): the attribute's index in the table, or -1. */
  private attrIdx: Int32Array = new Int32Array(0);
  private abbrevs!: AbbrevTable;
  /**
   * Per abbreviation row of a member or inheritance DIE: how {@link newMember} reads it
   * (MP_* codes; 0 not worked out yet), and where: the byte offsets in the DIE of its
   * `DW_AT_type` (ref4) and `DW_AT_data_member_location` (data1/2/4), -1 when absent,
   * and the location's size in bytes (`memberAt[3 * ix ..]`).
   */
  private memberPlan: Uint8Array = new Uint8Array(0);
  /** Members read straight from their bytes so far (see {@link LoaderOptions.directMembers}). */
  membersDirect = 0;
  private memberAt: Int32Array = new Int32Array(0);
  private readonly masks = new WeakMap<AbbrevTable, [Uint32Array, Uint32Array, Int32Array, Uint8Array, Int32Array]>();
  private strSection: Uint8Array | undefined;
  private strLE = true;
  private readonly opts: LoaderOptions;
  private readonly nrRegParams: number;

  /** The machine and byte order this loader reads DWARF for. */
  get target(): { machine: number; littleEndian: boolean } {
    return { machine: this.opts.machine, littleEndian: this.opts.littleEndian };
  }

  constructor(opts: LoaderOptions) {
    this.opts = opts;
    this.nrRegParams = parameterRegisterCount(opts.machine);
  }

  /**
   * Forget the last unit (its file's bytes can then be freed); the tables stay
   * allocated for the next {@link load}.
   */
  detach(): void {
    this.unit = undefined as unknown as DwarfUnit;
    this.c = undefined as unknown as DieCursor;
    this.abbrevs = undefined as unknown as AbbrevTable;
    this.strSection = undefined;
    this.side.length = 0;
    this.sideIndex.clear();
    this.annValue.length = 0;
  }

  // ------------------------------------------------------------------------------
  // Storage

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const g = <T extends Int32Array | Float64Array | Uint32Array | Uint8Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(cap);
      b.set(a as never);
      return b;
    };
    this.tag = g(this.tag, Int32Array);
    this.die = g(this.die, Uint32Array);
    this.typeRef = g(this.typeRef, Uint32Array);
    this.originRef = g(this.originRef, Uint32Array);
    this.specRef = g(this.specRef, Uint32Array);
    this.type = g(this.type, Int32Array);
    this.small = g(this.small, Int32Array);
    this.table = g(this.table, Uint8Array);
    this.flags = g(this.flags, Uint32Array);
    this.n1 = g(this.n1, Float64Array);
    this.n2 = g(this.n2, Float64Array);
    this.n3 = g(this.n3, Float64Array);
    this.n4 = g(this.n4, Int32Array);
    this.n5 = g(this.n5, Uint32Array);
    this.kidStart = g(this.kidStart, Int32Array);
    this.kidCount = g(this.kidCount, Int32Array);
    this.annHead = g(this.annHead, Int32Array).fill(-1, this.cap);
    this.annTail = g(this.annTail, Int32Array).fill(-1, this.cap);
    this.link = g(this.link, Int32Array).fill(-1, this.cap);
    this.nameKey = g(this.nameKey, Float64Array);
    this.cap = cap;
  }

  /** A new tag for the DIE under the cursor (pahole `tag__init`, minus the references). */
  /** pahole `tag__init`: a new tag with its `DW_AT_type` and `DW_AT_abstract_origin` read. */
  private newTagWithRefs(tag: number): number {
    const t = this.newTag(tag);
    this.typeRef[t] = this.refAttr(DW_AT.type);
    this.originRef[t] = this.refAttr(DW_AT.abstract_origin);
    return t;
  }

  /**
   * A new tag: its fields are already in their initial state (0, and -1 for the
   * annotation chain and link), which {@link clean} restores for the tags of the last
   * unit; a tag's fields are then written once, by whoever sets them.
   */
  private newTag(tag: number): number {
    if (this.n === this.cap) this.grow();
    const t = this.n++;
    this.tag[t] = tag;
    this.die[t] = this.c.offset;
    return t;
  }

  /**
   * Put the fields of tags [0, n) back to their initial state (one fill per array, at
   * the start of a load, instead of a store per field of every new tag).
   */
  private clean(n: number): void {
    if (n === 0) return;
    for (const a of [this.typeRef, this.originRef, this.specRef, this.type, this.small, this.flags, this.n1, this.n2, this.n3, this.n4, this.n5, this.kidStart, this.kidCount, this.nameKey]) a.fill(0, 0, n);
    this.table.fill(T_NONE, 0, n);
    this.annHead.fill(-1, 0, n);
    this.annTail.fill(-1, 0, n);
    this.link.fill(-1, 0, n);
  }

  /** Does the current DIE have attribute `at`? (A bit test for the attributes the loader reads.) */
  private present(at: number): boolean {
    const bit = at < ATTR_BIT.length ? ATTR_BIT[at]! : -1;
    if (bit < 0) return this.c.has(at);
    const ix = this.c.ix;
    let m = this.mask[ix]!;
    if (m === 0) m = this.computeMask(ix);
    return (m & (1 << bit)) !== 0;
  }

  private computeMask(ix: number): number {
    const t = this.abbrevs;
    let m = COMPUTED;
    const idx = this.attrIdx;
    idx.fill(-1, ix * NB, ix * NB + NB);
    for (let k = t.attrStart[ix]!, e = t.attrStart[ix + 1]!; k < e; k++) {
      const a = t.attrs[k]!;
      const b = a < ATTR_BIT.length ? ATTR_BIT[a]! : -1;
      if (b >= 0 && !(m & (1 << b))) {
        m |= 1 << b;
        idx[ix * NB + b] = k; // the first, as a search by name finds it
      }
      if (a === DW_AT.name && this.nameAt[ix] === 0) this.nameAt[ix] = k + 1;
    }
    this.mask[ix] = m;
    return m;
  }

  /**
   * The key of the current DIE's `DW_AT_name` (0 when absent). `strp` and inline
   * strings at a fixed position in the DIE are read straight from the abbreviation
   * table's offsets, without decoding; other forms go through the cursor.
   */
  private nameAttr(): number {
    const c = this.c;
    const ix = c.ix;
    if (this.mask[ix] === 0) this.computeMask(ix);
    const k1 = this.nameAt[ix]!;
    if (k1 === 0) return 0;
    const t = this.abbrevs;
    const off = t.offsets[k1 - 1]!;
    const form = t.forms[k1 - 1]!;
    if (off >= 0 && (form === DW_FORM.string || (form === DW_FORM.strp && this.unit.offsetSize === 4))) {
      const d = this.unit.data;
      const p = c.valuesStart + off;
      if (form === DW_FORM.string) return -(p + 1);
      const v = this.strLE ? d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) | (d[p + 3]! << 24) : (d[p]! << 24) | (d[p + 1]! << 16) | (d[p + 2]! << 8) | d[p + 3]!;
      return (v >>> 0) + 1;
    }
    return this.sideKey(c.name);
  }

  /** A key for a name held as a JS string (0 for undefined). */
  sideKey(s: string | undefined): number {
    if (s === undefined) return 0;
    let i = this.sideIndex.get(s);
    if (i === undefined) {
      i = this.side.push(s) - 1;
      this.sideIndex.set(s, i);
    }
    return SIDE + i;
  }

  /** The name `key` stands for, decoded (undefined for 0). */
  keyString(key: number): string | undefined {
    if (key === 0) return undefined;
    if (key >= SIDE) return this.side[key - SIDE];
    if (key > 0) return this.unit.file.str(key - 1);
    return cstring(this.unit.data, -key - 1);
  }

  /** Name of tag `t`, decoded. */
  nameOf(t: number): string | undefined {
    return this.keyString(this.nameKey[t]!);
  }

  /**
   * The section holding the bytes of name `key` (NUL-terminated at {@link keyPos}),
   * or undefined for a JS-string key.
   */
  keySection(key: number): Uint8Array | undefined {
    if (key >= SIDE || key === 0) return undefined;
    return key > 0 ? this.debugStr() : this.unit.data;
  }

  /** True for a key of a name held as a JS string (not in a DWARF section). */
  isSideKey(key: number): boolean {
    return key >= SIDE;
  }

  /** Where name `key` starts in {@link keySection}. */
  keyPos(key: number): number {
    return key > 0 ? key - 1 : -key - 1;
  }

  /** True for the empty name "" (libbpf adds no string for it). */
  keyEmpty(key: number): boolean {
    if (key === 0) return true;
    if (key >= SIDE) return this.side[key - SIDE] === "";
    return key > 0 ? this.debugStr()[key - 1] === 0 : this.unit.data[-key - 1] === 0;
  }

  private debugStr(): Uint8Array {
    return (this.strSection ??= this.unit.file.requireSection(".debug_str", "DW_FORM_strp"));
  }

  /**
   * Index (in the abbreviation table's attribute arrays) of the current DIE's
   * attribute `at`, one of {@link ATTR_BIT}'s, or -1 when it has none.
   */
  private idx(at: number): number {
    const ix = this.c.ix;
    if (this.mask[ix] === 0) this.computeMask(ix);
    return this.attrIdx[ix * NB + ATTR_BIT[at]!]!;
  }

  /** Reference attribute as a global DIE offset (0 when absent or unresolvable). */
  private refAttr(at: number): number {
    const k = this.idx(at);
    if (k < 0) return 0;
    try {
      return this.c.refAt(k) ?? 0;
    } catch (e) {
      if (e instanceof BtfError) return 0; // libdw's dwarf_formref_die fails: no reference
      throw e;
    }
  }

  /** pahole `attr_numeric` for constants and flags (0 when absent or of another form). */
  private numeric(at: number): number {
    const k = this.idx(at);
    if (k < 0) return 0;
    const c = this.c;
    const form = c.formAt(k);
    switch (form) {
      case DW_FORM.flag_present:
        return 1;
      case DW_FORM.flag:
        return c.flagAt(k) ? 1 : 0;
      default:
        return formClass(form) === "address" ? Number(c.addressAt(k) ?? 0n) : (c.unsignedAt(k) ?? 0);
    }
  }

  /** pahole `__attr_offset`: a constant, or a `DW_OP_plus_uconst`/`DW_OP_constu` block. */
  private attrOffset(at: number): number {
    const c = this.c;
    const k = this.idx(at);
    if (k < 0) return 0;
    const v = c.unsignedAt(k);
    if (v !== undefined) return u32(v);
    const b = c.blockAt(k);
    if (b === undefined || b.length === 0) return 0;
    if (b[0] === DW_OP.plus_uconst || b[0] === DW_OP.constu) {
      let r = 0;
      let mul = 1;
      for (let i = 1; i < b.length && i < 11; i++) {
        r += (b[i]! & 0x7f) * mul;
        mul *= 128;
        if (!(b[i]! & 0x80)) break;
      }
      return u32(r);
    }
    return 0xffffffff; // pahole: "unhandled DW_OP_ operation", UINT64_MAX
  }

  private hash(t: number): void {
    const rel = this.die[t]! - this.unitBase;
    this.slot[rel] = t + 1;
    // (Every tag is in its table, if at all, before it is hashed.)
    this.typeSlot[rel] = isTagType(this.tag[t]!) ? this.small[t]! + 1 : 0;
  }

  /**
   * {@link findType}'s tag's index in the types table (`small`), or -1: what recoding
   * a reference needs, in one read (the tag and its row are elsewhere in memory).
   */
  private findTypeSmall(off: number): number {
    const rel = off - this.unitBase;
    if (off === 0 || rel < 0 || rel >= this.typeSlot.length) return -1;
    return this.typeSlot[rel]! - 1;
  }

  /** The tag made for the DIE at global offset `off`, or -1 (pahole `hashtags__find`). */
  private lookup(off: number): number {
    if (off === 0) return -1;
    const rel = off - this.unitBase;
    if (rel < 0 || rel >= this.slot.length) return -1;
    return this.slot[rel]! - 1;
  }

  /** pahole `dwarf_cu__find_type_by_ref`: a tag of the types family. */
  findType(off: number): number {
    const t = this.lookup(off);
    return t >= 0 && isTagType(this.tag[t]!) ? t : -1;
  }

  /** pahole `dwarf_cu__find_tag_by_ref`: any other tag. */
  findTag(off: number): number {
    const t = this.lookup(off);
    return t >= 0 && !isTagType(this.tag[t]!) ? t : -1;
  }

  /** pahole `cu__table_add_tag`. */
  private tableAdd(t: number): void {
    const tag = this.tag[t]!;
    if (isTagType(tag)) {
      this.table[t] = T_TYPES;
      this.small[t] = this.types.push(t);
    } else if (tag === DW_TAG.subprogram) {
      this.table[t] = T_FUNCS;
      this.small[t] = this.funcs.push(t);
    } else {
      this.table[t] = T_TAGS;
      this.small[t] = this.tags.push(t);
    }
  }

  private addAnnot(owner: number, value: string, comp: number): void {
    const a = this.nAnn++;
    this.annValue[a] = value;
    this.annComp.push(comp);
    this.annNext.push(-1);
    if (this.annTail[owner]! < 0) this.annHead[owner] = a;
    else this.annNext.a[this.annTail[owner]!] = a;
    this.annTail[owner] = a;
  }

  // ------------------------------------------------------------------------------
  // Walking (dwarf_loader.c die__process_*)

  /** Step past the current DIE's subtree. */
  private skip(): void {
    this.c.skipChildren();
    this.valid = this.c.next();
  }

  /**
   * Step into the current DIE's children: returns its depth, the children being the
   * DIEs that follow while `this.valid && this.c.depth > depth` (none when it has no
   * children). Each child's handler must consume the child's subtree; the loop leaves
   * the cursor after the current DIE's subtree. (Written as a loop at each use, not a
   * callback: a closure per DIE, and one call site for all of them, cost more.)
   */
  private enterKids(): number {
    const c = this.c;
    const d = c.depth;
    const has = c.hasChildren;
    this.valid = c.next();
    return has ? d : 0x7fffffff;
  }

  /** Load `unit`: walk, recode. @throws {BtfError} where pahole's loader fails. */
  load(unit: DwarfUnit): void {
    this.reset(unit, unit.offset, unit.endOffset);
    const c = this.c;
    try {
      if (!c.next()) {
        this.skipped = true;
        return;
      }
      const rootTag = c.tag;
      if (rootTag === DW_TAG.skeleton_unit || rootTag === DW_TAG.partial_unit) {
        this.skipped = true;
        return;
      }
      if (rootTag !== DW_TAG.compile_unit && rootTag !== DW_TAG.type_unit)
        throw new BtfError("MALFORMED", `unit at ${unit.sectionOffset + unit.window}: DW_TAG_compile_unit expected, got tag 0x${rootTag.toString(16)}`, { offset: unit.sectionOffset + unit.window, section: unit.section });
      this.language = this.numeric(DW_AT.language);
      for (let d = this.enterKids(); this.valid && this.c.depth > d; ) this.processUnitChild();
      this.recode();
    } finally {
      this.clearSlots();
    }
  }

  /**
   * pahole `cus__merge_and_process_cu`: all `units` as ONE CU (one types table, one
   * set of DIE references), as pahole does for LTO builds, where DIEs refer to other
   * units (`DW_FORM_ref_addr`). The root DIEs themselves are not checked.
   */
  loadMerged(units: readonly DwarfUnit[]): void {
    if (units.length === 0) return;
    this.reset(units[0]!, units[0]!.offset, units[units.length - 1]!.endOffset);
    try {
      let first = true;
      for (const u of units) {
        this.enterUnit(u);
        const c = this.c;
        if (!c.next()) continue;
        if (first) this.language = this.numeric(DW_AT.language);
        first = false;
        for (let d = this.enterKids(); this.valid && this.c.depth > d; ) this.processUnitChild();
      }
      this.recode();
    } finally {
      this.clearSlots();
    }
  }

  /** Start a load: empty tables, DIE offsets [from, to) addressable. */
  private reset(unit: DwarfUnit, from: number, to: number): void {
    // DIE offsets are kept in 32 bits (half the memory traffic of doubles).
    if (unit.file.typesBase + (unit.file.sectionData(".debug_types")?.length ?? 0) >= 2 ** 32 || to >= 2 ** 32)
      throw new BtfError("UNSUPPORTED", "DWARF of 4 GiB or more: not supported", { offset: unit.sectionPos(unit.offset), section: unit.section });
    this.clean(this.n);
    this.n = 0;
    this.nAnn = 0;
    this.annComp.n = 0;
    this.annNext.n = 0;
    this.kids.n = 0;
    this.types.n = 0;
    this.types.push(-1);
    this.tags.n = 0;
    this.funcs.n = 0;
    this.skipped = false;
    this.language = 0;
    this.unitBase = from;
    const size = to - from;
    // Made big enough for most units at once (4 MB, of which only the entries of the
    // DIEs met are ever written, so resident): a table grown step by step leaves freed
    // blocks that make glibc keep more memory (see src/io/shared-strings.ts).
    if (this.slot.length < size) {
      this.slot = new Int32Array(Math.max(size, this.slot.length * 2, SLOT_TABLE_MIN));
      this.typeSlot = new Int32Array(this.slot.length);
    }
    this.side.length = 0;
    this.sideIndex.clear();
    this.enterUnit(unit);
  }

  /** Walk `unit` next (its cursor, abbreviations and encoding). */
  private enterUnit(unit: DwarfUnit): void {
    this.unit = unit;
    this.addrSize = unit.addressSize;
    this.c = unit.cursor();
    this.abbrevs = unit.abbrevs;
    let masks = this.masks.get(this.abbrevs);
    if (!masks) {
      const n = this.abbrevs.size;
      masks = [new Uint32Array(n), new Uint32Array(n), new Int32Array(n * NB), new Uint8Array(n), new Int32Array(3 * n)];
      this.masks.set(this.abbrevs, masks);
    }
    [this.mask, this.nameAt, this.attrIdx, this.memberPlan, this.memberAt] = masks;
    this.strLE = unit.file.littleEndian;
    this.strSection = undefined;
  }

  private clearSlots(): void {
    for (let t = 0; t < this.n; t++) {
      const rel = this.die[t]! - this.unitBase;
      if (rel >= 0 && rel < this.slot.length) this.slot[rel] = this.typeSlot[rel] = 0;
    }
  }

  /** pahole `die__process_unit`, one child of the unit's root. */
  private processUnitChild(): void {
    const tag = this.c.tag;
    const t = this.processTag(true);
    if (t < 0) return;
    if (tag !== DW_TAG.unspecified_type) this.tableAdd(t);
    // A top-level unspecified type is hashed with small_id 0: references become void.
    this.hash(t);
  }

  /**
   * pahole `__die__process_tag`: make the tag for the current DIE and consume its
   * subtree. Returns the tag, or -1 for DIEs pahole does not keep.
   */
  private processTag(topLevel: boolean): number {
    const c = this.c;
    switch (c.tag) {
      case DW_TAG.imported_unit:
        throw new BtfError("UNSUPPORTED", "DW_TAG_imported_unit is not supported (pahole fails here too)", { offset: this.unit.sectionPos(c.offset), section: this.unit.section });
      case DW_TAG.array_type:
        return this.newArray();
      case DW_TAG.string_type: {
        const t = this.newTagWithRefs(c.tag);
        const n = this.numeric(DW_AT.byte_size);
        this.n1[t] = n === 0 ? 1 : n;
        this.skip();
        return t;
      }
      case DW_TAG.base_type:
        return this.newBaseType();
      case DW_TAG.imported_declaration:
      case DW_TAG.imported_module: {
        const t = this.newTag(c.tag);
        this.typeRef[t] = this.refAttr(DW_AT.import);
        this.skip();
        return t;
      }
      case DW_TAG.const_type:
      case DW_TAG.reference_type:
      case DW_TAG.restrict_type:
      case DW_TAG.volatile_type:
      case DW_TAG.atomic_type:
      case DW_TAG.unspecified_type:
      case DW_TAG.ptr_to_member_type: {
        const t = this.newTag(c.tag);
        this.typeRef[t] = this.refAttr(DW_AT.type);
        this.skip();
        return t;
      }
      case DW_TAG.pointer_type:
        return this.newPointer();
      case DW_TAG.enumeration_type:
        return this.newEnum();
      case DW_TAG.namespace: {
        const t = this.newTag(c.tag);
        this.nameKey[t] = this.nameAttr();
        const mark = this.scratch.n;
        for (let d = this.enterKids(); this.valid && this.c.depth > d; ) this.nestedTag(true);
        this.endKids(t, mark);
        return t;
      }
      case DW_TAG.class_type:
      case DW_TAG.interface_type:
      case DW_TAG.structure_type:
      case DW_TAG.union_type:
        return this.newClass();
      case DW_TAG.subprogram:
        return this.newFunction();
      case DW_TAG.subroutine_type:
        return this.newSubroutine();
      case DW_TAG.rvalue_reference_type:
      case DW_TAG.typedef: {
        const t = this.newTypeFamily();
        this.childAnnotations(t, -1);
        return t;
      }
      case DW_TAG.variable: {
        const t = this.newVariable(topLevel);
        this.childAnnotations(t, -1);
        return t;
      }
      case DW_TAG.constant: {
        const t = this.newTag(c.tag);
        this.typeRef[t] = this.refAttr(DW_AT.type);
        this.nameKey[t] = this.nameAttr();
        this.skip();
        return t;
      }
      default:
        // Labels (ignored with -J), DW_TAG_dwarf_procedure and unknown tags.
        this.skip();
        return -1;
    }
  }

  /**
   * A DIE nested in a type or function (pahole `die__process_tag` there): the tag it
   * makes, if any, goes in the tables; with `asKid` it is also a kid of the enclosing
   * tag (pushed on the scratch stack).
   */
  private nestedTag(asKid: boolean): void {
    const k = this.processTag(false);
    if (k < 0) return;
    this.tableAdd(k);
    if (asKid) this.scratch.push(k);
    this.hash(k);
  }

  /** The kid indices pushed on the scratch stack since `mark` become t's kids. */
  private endKids(t: number, mark: number): void {
    const cnt = this.scratch.n - mark;
    this.kidStart[t] = this.kids.n;
    this.kidCount[t] = cnt;
    for (let i = 0; i < cnt; i++) this.kids.push(this.scratch.a[mark + i]!);
    this.scratch.n = mark;
  }

  /** pahole `add_child_llvm_annotations`: `btf_decl_tag` children of the current DIE. Consumes the subtree. */
  private childAnnotations(owner: number, comp: number): void {
    // enterKids's loop, written out: this runs for every member, most without children.
    const c = this.c;
    const d = c.depth;
    const kids = c.hasChildren;
    this.valid = c.next();
    if (!kids) return;
    while (this.valid && c.depth > d) {
      if (c.tag === DW_TAG.LLVM_annotation) this.llvmAnnotation(owner, comp);
      this.skip();
    }
  }

  /** pahole `add_llvm_annotation` for the current DIE (does not move the cursor). */
  private llvmAnnotation(owner: number, comp: number): void {
    if (!this.opts.features.declTag) return;
    if (this.c.name !== "btf_decl_tag") return;
    const value = this.c.string(DW_AT.const_value);
    this.addAnnot(owner, value ?? "", comp);
  }

  private newBaseType(): number {
    const c = this.c;
    const t = this.newTag(c.tag);
    this.nameKey[t] = this.nameAttr();
    this.n1[t] = this.numeric(DW_AT.byte_size);
    this.n2[t] = this.numeric(DW_AT.encoding);
    this.skip();
    return t;
  }

  /** pahole `type__init`: the `struct type` part of structs, unions, enums and typedefs. */
  private newTypeFamily(): number {
    const c = this.c;
    const t = this.newTagWithRefs(c.tag);
    this.specRef[t] = this.refAttr(DW_AT.specification);
    this.nameKey[t] = this.nameAttr();
    this.n1[t] = u32(this.numeric(DW_AT.byte_size));
    if (this.numeric(DW_AT.declaration)) this.flags[t]! |= F_DECL;
    return t;
  }

  private newArray(): number {
    const c = this.c;
    const t = this.newTag(c.tag);
    this.typeRef[t] = this.refAttr(DW_AT.type);
    let dims = 0;
    let nelems = 1; // u32 product (btf_encoder: array_type__nelems)
    let exact = 1; // size_t product (dwarves: array_type__nr_entries)
    let stop = false;
    for (let d = this.enterKids(); this.valid && this.c.depth > d; ) {
      if (!stop && this.c.tag === DW_TAG.subrange_type) {
        const n = this.upperBound();
        dims++;
        nelems = mulU32(nelems, n);
        exact *= n;
        if (dims === 64) stop = true;
      }
      this.skip();
    }
    this.n1[t] = nelems;
    this.n2[t] = dims;
    this.n3[t] = exact;
    return t;
  }

  /** pahole `attr_upper_bound`, truncated to u32 as pahole stores it. */
  private upperBound(): number {
    const c = this.c;
    if (this.present(DW_AT.upper_bound)) {
      const v = c.unsigned(DW_AT.upper_bound);
      if (v === undefined) return 0;
      if (Number.isSafeInteger(v)) return u32(v + 1);
      const b = c.bigConstant(DW_AT.upper_bound)!;
      return Number(BigInt.asUintN(32, b + 1n));
    }
    if (this.present(DW_AT.count)) {
      const v = c.unsigned(DW_AT.count);
      if (v === undefined) return 0;
      if (Number.isSafeInteger(v)) return u32(v);
      return Number(BigInt.asUintN(32, c.bigConstant(DW_AT.count)!));
    }
    return 0;
  }

  /** pahole `die__create_new_pointer_tag`: type-tag annotations become tags of their own. */
  private newPointer(): number {
    const c = this.c;
    const t = this.newTag(c.tag);
    this.typeRef[t] = this.refAttr(DW_AT.type);
    if (!this.opts.features.typeTag || !c.hasChildren) {
      this.skip();
      return t;
    }
    const mark = this.scratch.n;
    for (let d = this.enterKids(); this.valid && this.c.depth > d; ) {
      if (this.c.tag === DW_TAG.LLVM_annotation && this.c.name === "btf_type_tag") {
        const a = this.newTag(DW_TAG.LLVM_annotation);
        this.nameKey[a] = this.sideKey(this.c.string(DW_AT.const_value));
        this.tableAdd(a);
        this.hash(a);
        this.scratch.push(a);
      }
      this.skip();
    }
    this.endKids(t, mark);
    if (this.kidCount[t]! > 0) this.flags[t]! |= F_TYPE_TAG_PTR;
    return t;
  }

  private newEnum(): number {
    const t = this.newTypeFamily();
    const bytes = this.n1[t]!;
    this.n1[t] = bytes === 0 ? 32 : u32(bytes * 8); // size in bits
    const mark = this.scratch.n;
    for (let d = this.enterKids(); this.valid && this.c.depth > d; ) {
      const c = this.c;
      if (c.tag === DW_TAG.enumerator) {
        const e = this.newTag(c.tag);
        this.nameKey[e] = this.nameAttr();
        // attr_numeric: dwarf_formudata for constants (not data16), flags, addresses.
        const form = c.formOf(DW_AT.const_value);
        let lo = 0;
        let hi = 0;
        // Most values are small: read them as numbers (exact below 2^53), else as a bigint.
        const small = form === DW_FORM.data1 || form === DW_FORM.data2 || form === DW_FORM.data4 || form === DW_FORM.udata || form === DW_FORM.sdata ? c.unsigned(DW_AT.const_value) : undefined;
        if (small !== undefined && Number.isSafeInteger(small)) {
          lo = small >>> 0;
          hi = Math.floor(small / 4294967296) >>> 0;
        } else if (form !== undefined && form !== DW_FORM.data16) {
          const v = c.bigConstant(DW_AT.const_value);
          if (v !== undefined) {
            const w = BigInt.asUintN(64, v);
            lo = Number(w & 0xffffffffn);
            hi = Number(w >> 32n);
          } else lo = u32(this.numeric(DW_AT.const_value));
        }
        this.n1[e] = lo;
        this.n2[e] = hi;
        this.scratch.push(e);
        this.hash(e);
      }
      this.skip();
    }
    this.endKids(t, mark);
    this.n2[t] = this.kidCount[t]!; // nr_members
    return t;
  }

  /** pahole `die__create_new_class` / `die__create_new_union` + `die__process_class`. */
  private newClass(): number {
    const t = this.newTypeFamily();
    const isUnion = this.tag[t] === DW_TAG.union_type;
    let memberIdx = 0;
    let nrMembers = 0;
    const mark = this.scratch.n;
    for (let d = this.enterKids(); this.valid && this.c.depth > d; ) {
      const c = this.c;
      switch (c.tag) {
        case DW_TAG.subrange_type:
        case DW_TAG.variant_part:
        case DW_TAG.template_type_parameter:
        case DW_TAG.template_value_parameter:
        case DW_TAG.GNU_template_parameter_pack:
        case DW_TAG.GNU_formal_parameter_pack:
        case DW_TAG.GNU_template_template_param:
          this.skip();
          continue;
        case DW_TAG.inheritance:
        case DW_TAG.member: {
          const m = this.newMember(isUnion);
          if (!(this.flags[m]! & F_STATIC)) nrMembers++;
          this.scratch.push(m);
          this.hash(m);
          this.childAnnotations(t, memberIdx);
          memberIdx++;
          continue;
        }
        case DW_TAG.LLVM_annotation:
          this.llvmAnnotation(t, -1);
          this.skip();
          continue;
        default:
          this.nestedTag(true);
          continue;
      }
    }
    this.endKids(t, mark);
    this.n2[t] = nrMembers;
    return t;
  }

  /** pahole `class_member__new` (offsets are finished in {@link memberBitOffset}). */
  private newMember(inUnion: boolean): number {
    const c = this.c;
    const ix = c.ix;
    let plan = this.memberPlan[ix]!;
    if (plan === 0) plan = this.planMember(ix);
    if (plan === MP_DIRECT) return this.newPlainMember(inUnion, ix);
    const m = this.newTag(c.tag);
    this.typeRef[m] = this.refAttr(DW_AT.type);
    this.nameKey[m] = this.nameAttr();
    if (this.present(DW_AT.data_bit_offset)) {
      this.flags[m]! |= F_HAS_BIT_OFFSET;
      this.n1[m] = this.attrOffset(DW_AT.data_bit_offset); // bit_offset
      this.n5[m] = 0;
      this.n2[m] = 0;
    } else {
      let byteOffset = 0;
      if (this.present(DW_AT.data_member_location)) byteOffset = this.attrOffset(DW_AT.data_member_location);
      else if (!inUnion) this.flags[m]! |= F_STATIC;
      this.n5[m] = byteOffset; // byte_offset
      this.n1[m] = u32(byteOffset * 8); // bit_offset
      this.n2[m] = int8(this.numeric(DW_AT.bit_offset)); // bitfield_offset
    }
    this.n3[m] = this.numeric(DW_AT.byte_size); // byte_size
    this.n4[m] = this.numeric(DW_AT.bit_size) & 0xff; // bitfield_size (uint8_t)
    return m;
  }

  /**
   * Can members of abbreviation row `ix` be read straight from their bytes? Yes when
   * they are not bitfields (no data_bit_offset, bit_offset, byte_size, bit_size), their
   * type is a `ref4` and their location a `data1/2/4` constant, each at a fixed offset
   * in the DIE (or absent): what compilers emit for nearly every member.
   */
  private planMember(ix: number): number {
    if (this.mask[ix] === 0) this.computeMask(ix);
    const t = this.abbrevs;
    const at = this.memberAt;
    let plan = this.opts.directMembers === false ? MP_GENERAL : MP_DIRECT;
    const slow = (1 << ATTR_BIT[DW_AT.data_bit_offset]!) | (1 << ATTR_BIT[DW_AT.bit_offset]!) | (1 << ATTR_BIT[DW_AT.byte_size]!) | (1 << ATTR_BIT[DW_AT.bit_size]!);
    if (this.mask[ix]! & slow) plan = MP_GENERAL;
    const kt = this.attrIdx[ix * NB + ATTR_BIT[DW_AT.type]!]!;
    at[3 * ix] = -1;
    if (kt >= 0) {
      if (t.forms[kt] !== DW_FORM.ref4 || t.offsets[kt]! < 0) plan = MP_GENERAL;
      at[3 * ix] = t.offsets[kt]!;
    }
    const kl = this.attrIdx[ix * NB + ATTR_BIT[DW_AT.data_member_location]!]!;
    at[3 * ix + 1] = -1;
    if (kl >= 0) {
      const f = t.forms[kl]!;
      const size = f === DW_FORM.data1 ? 1 : f === DW_FORM.data2 ? 2 : f === DW_FORM.data4 ? 4 : 0;
      if (size === 0 || t.offsets[kl]! < 0) plan = MP_GENERAL;
      at[3 * ix + 1] = t.offsets[kl]!;
      at[3 * ix + 2] = size;
    }
    this.memberPlan[ix] = plan;
    return plan;
  }

  /**
   * {@link newMember} for a row planned MP_DIRECT: the same fields, read at the
   * planned offsets (a reference outside the unit, or past its end, is none, as
   * {@link refAttr} has it).
   */
  private newPlainMember(inUnion: boolean, ix: number): number {
    this.membersDirect++;
    const c = this.c;
    const m = this.newTag(c.tag);
    const u = this.unit;
    const d = u.data;
    const le = this.strLE;
    const p0 = c.valuesStart;
    const at = this.memberAt;
    const to = at[3 * ix]!;
    if (to >= 0) {
      const p = p0 + to;
      if (p + 4 <= u.end) {
        const rel = readU32(d, p, le);
        if (rel < u.end - u.sectionOffset) this.typeRef[m] = u.offset + rel;
      }
    }
    this.nameKey[m] = this.nameAttr();
    const lo = at[3 * ix + 1]!;
    if (lo >= 0) {
      const p = p0 + lo;
      const size = at[3 * ix + 2]!;
      if (p + size > u.end) c.unsignedAt(this.attrIdx[ix * NB + ATTR_BIT[DW_AT.data_member_location]!]!); // throws, as the general path would
      const byteOffset = size === 1 ? d[p]! : size === 2 ? readU16(d, p, le) : readU32(d, p, le);
      this.n5[m] = byteOffset;
      this.n1[m] = u32(byteOffset * 8);
    } else if (!inUnion) this.flags[m]! |= F_STATIC;
    return m;
  }

  /** pahole `die__create_new_subroutine_type`. */
  private newSubroutine(): number {
    const c = this.c;
    const t = this.newTagWithRefs(c.tag);
    this.n1[t] = this.numeric(DW_AT.byte_size);
    const mark = this.scratch.n;
    for (let d = this.enterKids(); this.valid && this.c.depth > d; ) {
      const c = this.c;
      switch (c.tag) {
        case DW_TAG.subrange_type:
          this.skip();
          continue;
        case DW_TAG.formal_parameter: {
          const p = this.newParameter(-1);
          this.skip();
          this.scratch.push(p);
          this.tableAdd(p);
          this.hash(p);
          continue;
        }
        case DW_TAG.unspecified_parameters:
          this.flags[t]! |= F_UNSPEC_PARMS;
          this.skip();
          continue;
        default:
          this.nestedTag(false);
          continue;
      }
    }
    this.endKids(t, mark);
    return t;
  }

  /** pahole `parameter__new` (reads the DIE, does not move the cursor). */
  private newParameter(idx: number): number {
    const c = this.c;
    const p = this.newTagWithRefs(DW_TAG.formal_parameter);
    this.nameKey[p] = this.nameAttr();
    if (idx >= 0 && idx < this.nrRegParams) {
      const r = classifyParameterInto(c, idx, this.opts.machine, PARAM);
      let f = 0;
      if (r.hasLocation) f |= F_HAS_LOC;
      if (r.optimized) f |= F_OPTIMIZED;
      if (r.unexpectedRegister) f |= F_UNEXPECTED;
      this.flags[p]! |= f;
    }
    return p;
  }

  /** pahole `function__new` + `die__process_function`. */
  private newFunction(): number {
    const c = this.c;
    const f = this.newTagWithRefs(c.tag);
    this.specRef[f] = this.refAttr(DW_AT.specification);
    this.nameKey[f] = this.nameAttr();
    let fl = 0;
    if (this.present(DW_AT.declaration)) fl |= F_DECL;
    if (this.present(DW_AT.external)) fl |= F_EXTERNAL;
    if (this.present(DW_AT.abstract_origin)) fl |= F_HAS_ORIGIN;
    this.flags[f] = fl;
    const mark = this.scratch.n;
    this.processFunctionBody(f);
    this.endKids(f, mark);
    return f;
  }

  /**
   * pahole `die__process_function` over the current DIE's children. `fn` is the
   * function (parameters and annotations go to it) or -1 for a lexical block.
   */
  private processFunctionBody(fn: number): void {
    let paramIdx = 0;
    for (let d = this.enterKids(); this.valid && this.c.depth > d; ) {
      const c = this.c;
      switch (c.tag) {
        case DW_TAG.call_site:
        case DW_TAG.call_site_parameter:
        case DW_TAG.GNU_call_site:
        case DW_TAG.GNU_call_site_parameter:
        case DW_TAG.dwarf_procedure:
        case DW_TAG.GNU_template_parameter_pack:
        case DW_TAG.GNU_formal_parameter_pack:
        case DW_TAG.GNU_template_template_param:
        case DW_TAG.template_type_parameter:
        case DW_TAG.template_value_parameter:
        case DW_TAG.label:
          this.skip();
          continue;
        case DW_TAG.formal_parameter: {
          const idx = paramIdx++;
          // (A lexical block's parameters are never encoded: no need for their locations.)
          const p = this.newParameter(fn >= 0 ? idx : -1);
          if (fn >= 0) {
            this.scratch.push(p);
            this.childAnnotations(fn, idx);
          } else this.skip();
          this.tableAdd(p);
          this.hash(p);
          continue;
        }
        case DW_TAG.variable: {
          const v = this.newVariable(false);
          this.childAnnotations(v, -1);
          this.tableAdd(v);
          this.hash(v);
          continue;
        }
        case DW_TAG.unspecified_parameters:
          if (fn >= 0) this.flags[fn]! |= F_UNSPEC_PARMS;
          this.skip();
          continue;
        case DW_TAG.inlined_subroutine: {
          const e = this.newTag(c.tag);
          this.processInlineExpansion();
          this.tableAdd(e);
          this.hash(e);
          continue;
        }
        case DW_TAG.lexical_block: {
          // Parameters of a lexical block go nowhere; its types are in the tables.
          const mark = this.scratch.n;
          this.processFunctionBody(-1);
          this.scratch.n = mark;
          continue;
        }
        case DW_TAG.LLVM_annotation:
          if (fn >= 0) this.llvmAnnotation(fn, -1);
          this.skip();
          continue;
        default:
          this.nestedTag(false);
          continue;
      }
    }
  }

  /** pahole `die__process_inline_expansion` over the current DIE's children. */
  private processInlineExpansion(): void {
    for (let d = this.enterKids(); this.valid && this.c.depth > d; ) {
      const c = this.c;
      switch (c.tag) {
        case DW_TAG.call_site:
        case DW_TAG.call_site_parameter:
        case DW_TAG.GNU_call_site:
        case DW_TAG.GNU_call_site_parameter:
        case DW_TAG.formal_parameter:
        case DW_TAG.label:
          this.skip();
          continue;
        case DW_TAG.lexical_block: {
          const mark = this.scratch.n;
          this.processFunctionBody(-1);
          this.scratch.n = mark;
          continue;
        }
        case DW_TAG.inlined_subroutine: {
          const e = this.newTag(c.tag);
          this.processInlineExpansion();
          this.tableAdd(e);
          this.hash(e);
          continue;
        }
        default:
          this.nestedTag(false);
          continue;
      }
    }
  }

  /** pahole `variable__new` (reads the DIE, does not move the cursor). */
  private newVariable(topLevel: boolean): number {
    const v = this.newTagWithRefs(DW_TAG.variable);
    this.nameKey[v] = this.nameAttr();
    let fl = topLevel ? F_TOPLEVEL : 0;
    if (this.present(DW_AT.external)) fl |= F_EXTERNAL;
    if (this.present(DW_AT.declaration)) fl |= F_DECL;
    if (this.present(DW_AT.artificial)) fl |= F_ARTIFICIAL;
    if (this.present(DW_AT.specification)) {
      fl |= F_HAS_SPEC;
      this.specRef[v] = this.refAttr(DW_AT.specification);
    }
    this.flags[v] = fl;
    // Only top-level variables can be encoded: skip the location of the others.
    if (!(fl & F_DECL) && topLevel) this.variableLocation(v);
    return v;
  }

  /** pahole `dwarf__location`: global scope and address of a `DW_OP_addr`/`DW_OP_addrx` location. */
  private variableLocation(v: number): void {
    const c = this.c;
    const expr = c.block(DW_AT.location);
    if (expr === undefined || expr.length === 0) return;
    const operand = addressOperand(expr, exprEncoding(c));
    if (operand === undefined) return;
    let addr: bigint;
    if (typeof operand === "bigint") addr = operand;
    else {
      try {
        addr = c.unit.file.addrx(c.unit, operand);
      } catch (e) {
        if (e instanceof BtfError) addr = 0n;
        else throw e;
      }
    }
    this.flags[v]! |= F_GLOBAL_SCOPE;
    this.n1[v] = Number(addr >> 32n);
    this.n2[v] = Number(addr & 0xffffffffn);
  }

  // ------------------------------------------------------------------------------
  // Recoding (dwarf_loader.c cu__recode_dwarf_types, cu__resolve_func_ret_types_optimized)

  private recode(): void {
    const types = this.types;
    for (let i = 1; i < types.n; i++) this.recodeTag(types.a[i]!);
    const tags = this.tags;
    for (let i = 0; i < tags.n; i++) this.recodeTag(tags.a[i]!);
    const funcs = this.funcs;
    for (let i = 0; i < funcs.n; i++) this.recodeTag(funcs.a[i]!);
    this.resolveFunctions();
  }

  /** pahole `tag__recode_dwarf_type`. */
  private recodeTag(t: number): void {
    const tag = this.tag[t]!;
    if (isTypeFamily(tag) && this.nameKey[t] === 0 && this.specRef[t] !== 0) {
      const s = this.findType(this.specRef[t]!);
      if (s >= 0) this.nameKey[t] = this.nameKey[s]!;
    }
    if (hasNamespace(tag)) {
      this.recodeNamespace(t);
      return;
    }
    switch (tag) {
      case DW_TAG.subprogram: {
        if (this.nameKey[t] === 0) {
          if (this.originRef[t] === 0 && this.specRef[t] === 0) return;
          let o = this.findTag(this.originRef[t]!);
          if (o < 0) o = this.findTag(this.specRef[t]!);
          if (o >= 0) this.nameKey[t] = this.nameKey[o]!;
        }
        this.recodeParams(t);
        break;
      }
      case DW_TAG.subroutine_type:
        this.recodeParams(t);
        break;
      case DW_TAG.inlined_subroutine:
      case DW_TAG.imported_module:
      case DW_TAG.imported_declaration:
      case DW_TAG.namespace:
        return; // nothing the encoder reads
      case DW_TAG.variable:
        if (this.flags[t]! & F_HAS_SPEC && this.specRef[t] !== 0) {
          const s = this.findTag(this.specRef[t]!);
          if (s >= 0) this.link[t] = s;
        }
        break;
    }
    const ref = this.typeRef[t]!;
    if (ref === 0) {
      if (this.flags[t]! & F_TYPE_TAG_PTR) this.chainTypeTags(t, 0);
      else this.type[t] = 0;
      return;
    }
    const k = this.findTypeSmall(ref);
    if (k < 0) return; // "couldn't find type": stays as it is (void)
    if (this.flags[t]! & F_TYPE_TAG_PTR) this.chainTypeTags(t, k);
    else this.type[t] = k;
  }

  /** pahole `dwarf_cu__recode_btf_type_tag_ptr`: pointer -> last tag -> ... -> first tag -> pointee. */
  private chainTypeTags(ptr: number, pointee: number): void {
    let prev = ptr;
    const s = this.kidStart[ptr]!;
    for (let i = this.kidCount[ptr]! - 1; i >= 0; i--) {
      const a = this.kids.a[s + i]!;
      this.type[prev] = this.small[a]!;
      prev = a;
    }
    this.type[prev] = pointee;
  }

  /** pahole `namespace__recode_dwarf_types`. */
  private recodeNamespace(t: number): void {
    const s = this.kidStart[t]!;
    const n = this.kidCount[t]!;
    for (let i = 0; i < n; i++) {
      const p = this.kids.a[s + i]!;
      const tag = this.tag[p]!;
      if (hasNamespace(tag)) {
        this.recodeNamespace(p);
        continue;
      }
      if (tag === DW_TAG.subroutine_type || tag === DW_TAG.subprogram) this.recodeParams(p);
      else if (tag === DW_TAG.imported_module || tag === DW_TAG.imported_declaration) continue;
      const ref = this.typeRef[p]!;
      if (ref === 0) continue;
      const k = this.findTypeSmall(ref);
      if (k >= 0) this.type[p] = k;
    }
  }

  /** pahole `ftype__recode_dwarf_types`. */
  private recodeParams(fn: number): void {
    const s = this.kidStart[fn]!;
    const n = this.kidCount[fn]!;
    for (let i = 0; i < n; i++) {
      const p = this.kids.a[s + i]!;
      if (this.tag[p] !== DW_TAG.formal_parameter) continue;
      if (this.typeRef[p] === 0) {
        if (this.originRef[p] === 0) {
          this.type[p] = 0;
          continue;
        }
        const o = this.findTag(this.originRef[p]!);
        if (o < 0) continue;
        this.nameKey[p] = this.nameKey[o]!;
        this.type[p] = this.type[o]!;
        // Location facts travel to the abstract origin.
        this.flags[o]! |= this.flags[p]! & (F_HAS_LOC | F_OPTIMIZED | F_UNEXPECTED);
        continue;
      }
      const k = this.findTypeSmall(this.typeRef[p]!);
      if (k >= 0) this.type[p] = k;
    }
  }

  /** pahole `cu__resolve_func_ret_types_optimized`. */
  private resolveFunctions(): void {
    const funcs = this.funcs;
    for (let i = 0; i < funcs.n; i++) {
      const f = funcs.a[i]!;
      const s = this.kidStart[f]!;
      const n = this.kidCount[f]!;
      let unexpected = false;
      for (let k = 0; k < n; k++) {
        const p = this.kids.a[s + k]!;
        if (this.tag[p] === DW_TAG.formal_parameter && this.flags[p]! & F_UNEXPECTED) unexpected = true;
      }
      if (unexpected) {
        let hasStruct = false;
        for (let k = 0; k < n && !hasStruct; k++) {
          const p = this.kids.a[s + k]!;
          if (this.tag[p] === DW_TAG.formal_parameter) hasStruct = this.isStruct(this.type[p]!);
        }
        if (!hasStruct) this.flags[f]! |= F_FN_UNEXPECTED;
      }
      if (this.type[f] !== 0 || !(this.flags[f]! & F_HAS_ORIGIN)) continue;
      const o = this.findTag(this.originRef[f]!);
      if (o < 0)
        throw new BtfError("MALFORMED", `function at DIE 0x${this.unit.sectionPos(this.die[f]!).toString(16)}: abstract origin not found in its unit (pahole fails here too)`, { offset: this.unit.sectionPos(this.die[f]!), section: this.unit.section });
      this.type[f] = this.type[o]!;
    }
  }

  /** pahole `param__is_struct`: a struct, through const and typedef. */
  private isStruct(id: number): boolean {
    for (let guard = 0; guard < 64; guard++) {
      const t = this.typeEntry(id);
      if (t < 0) return false;
      const tag = this.tag[t]!;
      if (tag === DW_TAG.structure_type) return true;
      if (tag !== DW_TAG.const_type && tag !== DW_TAG.typedef) return false;
      id = this.type[t]!;
    }
    return false;
  }

  // ------------------------------------------------------------------------------
  // Queries for the encoder

  /** The tag at types-table index `id` (pahole `cu__type`), or -1. */
  typeEntry(id: number): number {
    return id > 0 && id < this.types.n ? this.types.a[id]! : -1;
  }

  /** pahole `tag__size` (bytes; -1 for pahole's "type loop" / unknown id, i.e. SIZE_MAX). */
  tagSize(t: number, depth = 0): number {
    if (depth > 256) return -1;
    const tag = this.tag[t]!;
    switch (tag) {
      case DW_TAG.string_type:
        return this.n1[t]!;
      case DW_TAG.pointer_type:
      case DW_TAG.reference_type:
        return this.addrSize;
      case DW_TAG.base_type:
        return Math.floor(((this.n1[t]! * 8) & 0xffff) / 8);
      case DW_TAG.enumeration_type:
        return Math.floor(this.n1[t]! / 8);
      case DW_TAG.subroutine_type:
        return this.n1[t]! || this.addrSize;
    }
    let size: number;
    const ty = this.type[t]!;
    if (ty === 0) {
      if (tag === DW_TAG.structure_type || tag === DW_TAG.class_type || tag === DW_TAG.union_type || tag === DW_TAG.interface_type || tag === DW_TAG.typedef || tag === DW_TAG.rvalue_reference_type) {
        const sz = this.n1[t]!;
        size = sz === 1 && this.n2[t] === 0 ? 0 : sz;
      } else size = 0;
    } else {
      const target = this.typeEntry(ty);
      if (target < 0) return -1;
      if (this.type[target] === ty) return -1; // tag__has_type_loop
      size = this.tagSize(target, depth + 1);
      if (size < 0) return -1;
    }
    if (tag === DW_TAG.array_type) return size * this.n3[t]!;
    return size;
  }

  /** pahole `tag__strip_typedefs_and_modifiers` of a member's type, or -1. */
  private stripTypedefs(id: number): number {
    let t = this.typeEntry(id);
    for (let guard = 0; t >= 0 && guard < 256; guard++) {
      const tag = this.tag[t]!;
      if (tag !== DW_TAG.typedef && tag !== DW_TAG.const_type && tag !== DW_TAG.volatile_type && tag !== DW_TAG.restrict_type && tag !== DW_TAG.atomic_type) break;
      t = this.typeEntry(this.type[t]!);
    }
    return t;
  }

  /**
   * pahole `class_member__cache_byte_size`: the member's final `bit_offset` (u32).
   */
  memberBitOffset(m: number): number {
    const bitOffset = this.n1[m]!;
    const bitfieldSize = this.n4[m]!;
    if (this.flags[m]! & F_STATIC) return bitOffset;
    if (bitfieldSize === 0) return bitOffset;
    let byteSize = this.n3[m]!;
    if (byteSize === 0) {
      const ty = this.stripTypedefs(this.type[m]!);
      if (ty < 0) return bitOffset;
      byteSize = this.tagSize(ty);
      if (byteSize < 0) byteSize = Number.MAX_SAFE_INTEGER;
      if (byteSize === 0) {
        let bits: number;
        if (this.tag[ty] === DW_TAG.enumeration_type) bits = this.n1[ty]!;
        else bits = (this.n1[ty]! * 8) & 0xffff || baseTypeNameSize(this.nameOf(ty), this.addrSize);
        byteSize = Math.floor((bits + 7) / 8) * 8;
      }
    }
    const bitSize = u32(byteSize * 8);
    if (byteSize === 0) return bitOffset;
    if (this.flags[m]! & F_HAS_BIT_OFFSET) return bitOffset; // DWARF 5: data_bit_offset as is
    let bfo = this.n2[m]!;
    if (this.opts.littleEndian) bfo = int8(bitSize - bfo - bitfieldSize);
    let byteOffset = this.n5[m]!;
    let off = u32(u32(byteOffset * 8) + bfo);
    if (bfo < 0) {
      bfo = int8(bfo + bitSize);
      byteOffset = u32(byteOffset - byteSize);
      off = u32(u32(byteOffset * 8) + bfo);
    }
    return off;
  }

  /** `DW_ATE` of an enum's `DW_AT_type` DIE is signed (pahole `type->is_signed_enum`). */
  enumIsSigned(t: number): boolean {
    const ref = this.typeRef[t]!;
    if (ref === 0) return false;
    try {
      const d = this.unit.file.dieAt(ref);
      const enc = d.unsigned(DW_AT.encoding) ?? 0;
      return enc === DW_ATE.signed || enc === DW_ATE.signed_char;
    } catch (e) {
      if (e instanceof BtfError) return false;
      throw e;
    }
  }
}

/** Truncate to `int8_t`. */
function int8(v: number): number {
  return ((v & 0xff) << 24) >> 24;
}

/** u32 multiply with wrap-around. */
function mulU32(a: number, b: number): number {
  const lo = (a & 0xffff) * b;
  const hi = ((a >>> 16) * b) % TWO32;
  return ((hi * 65536) % TWO32 + lo) % TWO32;
}

/** pahole `base_type__name_to_size` (bits; 0 when unknown). */
function baseTypeNameSize(name: string | undefined, addrSize: number): number {
  if (name === undefined) return 0;
  // (pahole's retry without a "signed " prefix still compares the full name.)
  const s = NAME_SIZES.get(name);
  return s === undefined ? 0 : s || addrSize * 8;
}

const NAME_SIZES = new Map<string, number>([
  ["unsigned", 32], ["signed int", 32], ["unsigned int", 32], ["int", 32], ["short unsigned int", 16], ["signed short", 16],
  ["unsigned short", 16], ["short int", 16], ["short", 16], ["char", 8], ["signed char", 8], ["unsigned char", 8],
  ["signed long", 0], ["long int", 0], ["long", 0], ["unsigned long", 0], ["long unsigned int", 0], ["bool", 8], ["_Bool", 8],
  ["long long unsigned int", 64], ["long long int", 64], ["long long", 64], ["signed long long", 64], ["unsigned long long", 64],
  ["double", 64], ["double double", 64], ["single float", 32], ["float", 32], ["long double", 128], ["long double long double", 128],
  ["__int128", 128], ["unsigned __int128", 128], ["__int128 unsigned", 128], ["_Float128", 128],
]);
