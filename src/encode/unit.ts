/**
 * One loaded CU encoded the way pahole 1.30's `btf_encoder__encode_cu` does, into a
 * {@link Fragment}: BTF records whose type ids and names are still local to the CU.
 *
 * A fragment can be made on any thread; {@link ./merge.ts} appends fragments in CU
 * order to the one BTF, which fixes every id (`type_id_off + k`) and string offset.
 * What a CU cannot know alone is left symbolic:
 * - type ids: the k-th table type ({@link REF_REC} records, the array index type,
 *   pahole's `type_id_off + 0` for members of unresolved type) — see the REF_* codes;
 * - strings: numbered in first-use order, which is the order libbpf's `btf__add_str`
 *   meets them, so adding them to the global set in that order gives pahole's string
 *   section. A name in `.debug_str` is passed as its *key* (its offset there, see
 *   {@link StringSource}): the merge reads the bytes there and remembers each
 *   offset's final string offset, so a name shared by thousands of CUs is hashed
 *   once. Other names (inline `DW_FORM_string` ones, names the loader holds as JS
 *   strings) travel as bytes;
 * - the synthetic `int` pahole appends after a CU's types when no earlier CU had an
 *   `int` to index arrays with.
 * @module
 */
import { BtfError } from "../internal/errors.js";
import { Uint32List } from "../internal/lists.js";
import { DW_ATE, DW_TAG } from "../dwarf/constants.js";
import { Kind, kindOf, mkInfo, INT_BOOL, INT_SIGNED } from "../btf/kinds.js";
import {
  type CuLoader, F_ARTIFICIAL, F_DECL, F_EXTERNAL, F_FN_UNEXPECTED, F_GLOBAL_SCOPE, F_TOPLEVEL, F_UNSPEC_PARMS,
} from "./loader.js";
import type { EncodeFeatures } from "./features.js";
import { filteredVariableName, NO_NAME, sectionOf, validBtfName, type FunctionLookup, type ObjectSymbols, type SectionInfo } from "./elf-info.js";

/** Type-id field codes in a fragment: 1..REF_REC-1 is table index k (`type_id_off + k`). */
export const REF_REC = 0x40000000;
/** The array index type (resolved at merge time). */
export const REF_INDEX = 0x80000000;
/** `type_id_off + 0` (pahole's id for a member whose type it could not resolve). */
export const REF_OFF0 = 0xc0000000;

/** Function-state flags in a fragment. */
export const FN_UNEXPECTED_REG = 1;
/** The ELF symbol was found by prefix (`foo` -> `foo.isra.0`): pahole names it `foo`. */
export const FN_BY_PREFIX = 2;

/** One CU's encoding, with CU-local ids and strings (transferable between threads). */
export interface Fragment {
  /** Records (native-order words); names are local string numbers + 1, type ids REF_* codes. */
  words: Uint32Array;
  /** Word offset of each record. */
  offs: Uint32Array;
  /** Word indices of the name fields (local string number + 1, or 0). */
  nameFields: Uint32Array;
  /** Word indices of the type-id fields (REF_* codes). */
  typeFields: Uint32Array;
  /** Where each local string's bytes are: k > 0, at k - 1 in `.debug_str`; 0, the next string of {@link strBytes}. */
  strKeys: Float64Array;
  /** Records made from the CU's types table (they come before the synthetic int). */
  tableRecs: number;
  /** The local strings with key 0, UTF-8, each followed by a NUL. */
  strBytes: Uint8Array;
  /** Hash (libbpf `str_hash`) of each string of {@link strBytes}. */
  strHashes: Uint32Array;
  /** Number of local strings. */
  nrStrs: number;
  /** Local strings first used before the synthetic int would be added. */
  strsBeforeInt: number;
  /** Types-table index of the first base type named `int`, or -1. */
  intId: number;
  /** Entries of the types table, void included (pahole `nr_entries`). */
  nrEntries: number;
  /** The CU has an array type (pahole `need_index_type`). */
  hasArray: boolean;
  /** Saved functions: ELF entry, flags, return type, [param start, count), [annotation start, count). */
  fnEntry: Int32Array;
  fnFlags: Int32Array;
  fnRet: Uint32Array;
  fnParams: Int32Array;
  fnAnnots: Int32Array;
  /** Parameters: name (local string + 1) and type (REF code). */
  parName: Int32Array;
  parType: Uint32Array;
  /** Annotations: value (local string + 1) and component index. */
  annValue: Int32Array;
  annComp: Int32Array;
  /** Variables: [VAR record, section index, offset, size] per variable. */
  vars: Uint32Array;
}

/** What encoding a CU needs besides the CU. */
export interface UnitContext {
  features: EncodeFeatures;
  functions: FunctionLookup;
  sections: readonly SectionInfo[];
  objects: ObjectSymbols;
}

const enc = new TextEncoder();

/** Kinds whose third word is a type id (libbpf's type-id fields; FWD's is always 0). */
const THIRD_IS_TYPE = (() => {
  const a = new Uint8Array(32);
  for (const k of [Kind.PTR, Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.FUNC, Kind.FUNC_PROTO, Kind.VAR, Kind.DECL_TAG, Kind.TYPE_TAG]) a[k] = 1;
  return a;
})();

/**
 * The lists a CU is encoded into, kept by the thread from one CU to the next (no
 * allocation, no zeroing per CU); {@link pack} copies them out into one buffer.
 */
class Scratch {
  /** The CU's string keys in first-use order (see {@link Fragment.strKeys}). */
  keys = new Float64Array(1 << 12);
  nKeys = 0;
  readonly words = new Uint32List(1 << 16);
  readonly offs = new Uint32List(1 << 14);
  readonly nameFields = new Uint32List(1 << 15);
  readonly typeFields = new Uint32List(1 << 15);
  readonly vars = new Uint32List(64);
  readonly fnEntry = new Uint32List(256);
  readonly fnFlags = new Uint32List(256);
  readonly fnRet = new Uint32List(256);
  readonly fnParams = new Uint32List(512);
  readonly fnAnnots = new Uint32List(512);
  readonly parName = new Uint32List(1024);
  readonly parType = new Uint32List(1024);
  readonly annValue = new Uint32List(64);
  readonly annComp = new Uint32List(64);
  readonly hashes = new Uint32List(256);
  strBytes = new Uint8Array(4096);
  reset(): void {
    this.nKeys = 0;
    for (const g of [this.words, this.offs, this.nameFields, this.typeFields, this.vars, this.fnEntry, this.fnFlags, this.fnRet, this.fnParams, this.fnAnnots, this.parName, this.parType, this.annValue, this.annComp, this.hashes]) g.n = 0;
  }
}

/** This thread's scratch lists (one CU is encoded at a time on a thread). */
let scratch: Scratch | undefined;

const fail = (msg: string): never => {
  throw new BtfError("INVALID", msg);
};

/**
 * The records of one CU as they are written: words, where names and type ids must be
 * patched, and the CU-local string numbering. One per CU; its methods are what the
 * passes below share (kept as methods, not closures, so each pass compiles on its own
 * and a rare path met late recompiles one small function, not the whole encoder).
 */
class Writer {
  readonly words: Uint32List;
  readonly offs: Uint32List;
  // Where the merge patches names and type ids, recorded as the words are written.
  readonly nameFields: Uint32List;
  readonly typeFields: Uint32List;

  constructor(
    readonly cu: CuLoader,
    readonly s: Scratch,
  ) {
    s.reset();
    this.words = s.words;
    this.offs = s.offs;
    this.nameFields = s.nameFields;
    this.typeFields = s.typeFields;
    // A CU has about one distinct name per two tags (vmlinux: 0.42-0.68 for 80 % of them).
    cu.strIndex.clear(Math.ceil(0.6 * cu.n));
  }

  /**
   * Local number (+ 1) of the name with key `key`, in first-use order within this CU
   * (0: none). An empty name in a DWARF section gets a number too (its bytes are not
   * read here): the merge maps it to offset 0, as `btf__add_str("")` gives.
   */
  str(key: number): number {
    if (key === 0) return 0;
    const idx = this.cu.strIndex;
    let i = idx.get(key);
    if (i < 0) {
      i = this.cu.isSideKey(key) && this.cu.keyEmpty(key) ? 0 : this.pushKey(key);
      idx.set(key, i);
    }
    return i;
  }

  /** Append a string key; its local number (+ 1). */
  private pushKey(key: number): number {
    const s = this.s;
    if (s.nKeys === s.keys.length) {
      const k = new Float64Array(2 * s.nKeys);
      k.set(s.keys);
      s.keys = k;
    }
    s.keys[s.nKeys++] = key;
    return s.nKeys;
  }

  /** The same for a JS string. */
  strJs(s: string | undefined): number {
    return s === undefined || s === "" ? 0 : this.str(this.cu.sideKey(s));
  }

  /** libbpf refuses an empty name for `what`: fail as pahole does; else the name's key. */
  needName(key: number, what: string): number {
    if (this.cu.keyEmpty(key)) fail(`[${this.offs.n + 1}] ${what} (anon) Error emitting BTF type`);
    return key;
  }

  /** Start a record: name, info, and its third word (a type id for some kinds). */
  begin(nameIdx: number, info: number, third: number): number {
    const words = this.words;
    const o = words.n;
    const wa = words.reserve(3);
    this.offs.push(o);
    this.nameFields.push(o);
    wa[o] = nameIdx;
    wa[o + 1] = info;
    wa[o + 2] = third;
    words.n = o + 3;
    if (THIRD_IS_TYPE[kindOf(info)]) this.typeFields.push(o + 2);
    return o;
  }

  typeW(v: number): void {
    this.typeFields.push(this.words.n);
    this.words.push(v);
  }

  /**
   * End a run of members, values or parameters written straight into the lists (room
   * made with `reserve`, each entry's count checked with {@link checkVlen}): the lists'
   * new lengths, and `count` more entries in the vlen of the record at `o`, `kflag`
   * (0 or 2^31) ORed into its info word.
   */
  endRun(o: number, words: number, nameFields: number, typeFields: number, count: number, kflag: number): void {
    this.words.n = words;
    this.nameFields.n = nameFields;
    this.typeFields.n = typeFields;
    const a = this.words.a;
    a[o + 1] = ((a[o + 1]! + count) | kflag) >>> 0;
  }

  /**
   * Fail (`[id] too many members`) when the record, at vlen `vlen`, would take one more
   * entry: BTF's vlen has 16 bits. (libbpf's `btf__add_field` and the like do not check;
   * their vlen would wrap to 0, leaving a record whose entries outnumber its vlen.)
   */
  checkVlen(vlen: number): void {
    if (vlen === 0xffff) fail(`[${this.offs.n}] too many members (vlen would exceed 65535)`);
  }
}

/**
 * Encode the CU in `cu` (loaded) into a fragment.
 * @throws {BtfError} INVALID / UNSUPPORTED where pahole fails to encode (a type
 *   libbpf rejects, a DWARF tag BTF cannot express).
 */
export function encodeUnit(cu: CuLoader, ctx: UnitContext): Fragment {
  const w = new Writer(cu, (scratch ??= new Scratch()));
  const table = encodeTable(w, cu, ctx.features);
  const tableRecs = w.offs.n;
  const strsBeforeInt = w.s.nKeys;
  // (The synthetic "int", when needed, goes here at merge time.)
  encodeDeclTags(w, cu);
  encodeFunctions(w, cu, ctx);
  if (ctx.features.var || ctx.features.globalVar) encodeVariables(cu, ctx, w, w.s.vars);
  const sp = encodeStrings(w, cu);
  return pack(w, sp, { tableRecs, strsBeforeInt, intId: table.intId, nrEntries: cu.types.n, hasArray: table.hasArray });
}

/**
 * The fragment: copies of the scratch lists, all in one new buffer (one allocation,
 * one transfer between threads), the string keys first for their 8-byte alignment.
 */
function pack(w: Writer, strBytesLen: number, scalars: Pick<Fragment, "tableRecs" | "strsBeforeInt" | "intId" | "nrEntries" | "hasArray">): Fragment {
  const s = w.s;
  const nKeys = s.nKeys;
  const lists = [s.words, s.offs, s.nameFields, s.typeFields, s.hashes, s.fnEntry, s.fnFlags, s.fnRet, s.fnParams, s.fnAnnots, s.parName, s.parType, s.annValue, s.annComp, s.vars];
  let words = 2 * nKeys;
  for (const g of lists) words += g.n;
  const buf = new ArrayBuffer(4 * words + strBytesLen);
  const strKeys = new Float64Array(buf, 0, nKeys);
  strKeys.set(s.keys.subarray(0, nKeys));
  let at = 8 * nKeys;
  const u32 = (g: Uint32List): Uint32Array => {
    const v = new Uint32Array(buf, at, g.n);
    v.set(g.a.subarray(0, g.n));
    at += 4 * g.n;
    return v;
  };
  const i32 = (g: Uint32List): Int32Array => new Int32Array(buf, u32(g).byteOffset, g.n);
  const f: Fragment = {
    words: u32(s.words),
    offs: u32(s.offs),
    nameFields: u32(s.nameFields),
    typeFields: u32(s.typeFields),
    strKeys,
    strHashes: u32(s.hashes),
    strBytes: new Uint8Array(0),
    nrStrs: nKeys,
    ...scalars,
    fnEntry: i32(s.fnEntry),
    fnFlags: i32(s.fnFlags),
    fnRet: u32(s.fnRet),
    fnParams: i32(s.fnParams),
    fnAnnots: i32(s.fnAnnots),
    parName: i32(s.parName),
    parType: u32(s.parType),
    annValue: i32(s.annValue),
    annComp: i32(s.annComp),
    vars: u32(s.vars),
  };
  f.strBytes = new Uint8Array(buf, at, strBytesLen);
  f.strBytes.set(s.strBytes.subarray(0, strBytesLen));
  return f;
}

/**
 * The types table, in order (pahole `btf_encoder__encode_tag` for each entry). A type
 * id k in a record is table index k (`type_id_off + k`; 0 stays void).
 */
function encodeTable(w: Writer, cu: CuLoader, f: EncodeFeatures): { intId: number; hasArray: boolean } {
  let hasArray = false;
  let intId = -1;
  const types = cu.types;
  for (let k = 1; k < types.n; k++) {
    const t = types.a[k]!;
    const tag = cu.tag[t]!;
    const ty = cu.type[t]!;
    const name = cu.nameKey[t]!;
    switch (tag) {
      case DW_TAG.base_type:
        if (intId < 0 && name !== 0 && cu.nameOf(t) === "int") intId = k;
        encodeBaseType(w, cu, t, name, f);
        break;
      case DW_TAG.const_type:
        w.begin(0, mkInfo(Kind.CONST, 0, 0), ty);
        break;
      case DW_TAG.pointer_type:
        w.begin(0, mkInfo(Kind.PTR, 0, 0), ty);
        break;
      case DW_TAG.restrict_type:
        w.begin(0, mkInfo(Kind.RESTRICT, 0, 0), ty);
        break;
      case DW_TAG.volatile_type:
        w.begin(0, mkInfo(Kind.VOLATILE, 0, 0), ty);
        break;
      case DW_TAG.typedef:
        w.begin(w.str(w.needName(name, "TYPEDEF")), mkInfo(Kind.TYPEDEF, 0, 0), ty);
        break;
      case DW_TAG.LLVM_annotation:
        w.begin(w.str(w.needName(name, "TYPE_TAG")), mkInfo(Kind.TYPE_TAG, 0, 0), ty);
        break;
      case DW_TAG.structure_type:
      case DW_TAG.union_type:
      case DW_TAG.class_type:
        encodeComposite(w, cu, t, tag === DW_TAG.union_type, name);
        break;
      case DW_TAG.array_type:
        hasArray = true;
        w.begin(0, mkInfo(Kind.ARRAY, 0, 0), 0);
        w.typeW(ty);
        w.typeW(REF_INDEX);
        w.words.push(cu.n1[t]!);
        break;
      case DW_TAG.enumeration_type:
        encodeEnum(w, cu, t, name, f);
        break;
      case DW_TAG.subroutine_type:
        encodeProto(w, cu, t, ty);
        break;
      case DW_TAG.unspecified_type:
        break; // not encoded: references to it keep their id, as in pahole
      default:
        unsupportedTag(cu, t, tag);
    }
  }
  return { intId, hasArray };
}

function unsupportedTag(cu: CuLoader, t: number, tag: number): never {
  const at = cu.unit.sectionPos(cu.die[t]!);
  throw new BtfError("UNSUPPORTED", `unsupported DW_TAG 0x${tag.toString(16)} at DIE 0x${at.toString(16)}: BTF cannot express it (pahole fails here too)`, { offset: at, section: cu.unit.section });
}

/** A base type: INT, FLOAT, or pahole's sanitized fake int for odd sizes. */
function encodeBaseType(w: Writer, cu: CuLoader, t: number, name: number, f: EncodeFeatures): void {
  const bitSize = (cu.n1[t]! * 8) & 0xffff;
  const encoding = cu.n2[t]!;
  const signed = encoding === DW_ATE.signed || encoding === DW_ATE.signed_char;
  const isBool = encoding === DW_ATE.boolean;
  if (!signed && !isBool && f.float && (encoding === DW_ATE.float || encoding === DW_ATE.complex_float || encoding === DW_ATE.imaginary_float)) {
    encodeFloat(w, cu, t, name, encoding, bitSize);
    return;
  }
  let size = (bitSize + 7) >>> 3;
  let n: number;
  if (!size || size & (size - 1) || size > 16) {
    n = w.strJs("__SANITIZED_FAKE_INT__");
    size = 4;
  } else n = w.str(w.needName(name, "INT"));
  w.begin(n, mkInfo(Kind.INT, 0, 0), size);
  w.words.push(((signed ? INT_SIGNED : isBool ? INT_BOOL : 0) << 24) | (size * 8));
}

function encodeFloat(w: Writer, cu: CuLoader, t: number, name: number, encoding: number, bitSize: number): void {
  if (encoding !== DW_ATE.float) throw new BtfError("UNSUPPORTED", `${cu.nameOf(t) ?? "(anon)"}: complex, interval and imaginary float types are not supported (pahole fails here too)`);
  const size = (bitSize + 7) >>> 3;
  const n = w.str(w.needName(name, "FLOAT"));
  if (size !== 2 && size !== 4 && size !== 8 && size !== 12 && size !== 16) fail(`[${w.offs.n + 1}] FLOAT ${cu.nameOf(t)} Error emitting BTF type (size ${size})`);
  w.begin(n, mkInfo(Kind.FLOAT, 0, 0), size);
}

/** STRUCT / UNION with its members, or FWD for a declaration. */
function encodeComposite(w: Writer, cu: CuLoader, t: number, isUnion: boolean, name: number): void {
  if (cu.flags[t]! & F_DECL) {
    w.begin(w.str(w.needName(name, "FWD")), mkInfo(Kind.FWD, 0, isUnion), 0);
    return;
  }
  const o = w.begin(w.str(name), mkInfo(isUnion ? Kind.UNION : Kind.STRUCT, 0, 0), cu.n1[t]!);
  const s = cu.kidStart[t]!;
  const n = cu.kidCount[t]!;
  const kids = cu.kids.a;
  // The members' words and field positions are written straight into the lists, room
  // for all of them made first (the struct members of a kernel: ~6 M, each 3 words, a
  // name field and a type field), without a check per word.
  const wa = w.words.reserve(3 * n);
  const nfa = w.nameFields.reserve(n);
  const tfa = w.typeFields.reserve(n);
  let wn = w.words.n;
  let nf = w.nameFields.n;
  let tf = w.typeFields.n;
  let vlen = 0;
  let kflag = 0;
  for (let i = 0; i < n; i++) {
    const m = kids[s + i]!;
    if (cu.tag[m] !== DW_TAG.member) continue;
    const bitOff = cu.memberBitOffset(m);
    const bitSize = cu.n4[m]!;
    const mt = cu.type[m]!;
    const isBitfield = bitSize !== 0 || (bitOff & 7) !== 0;
    if ((isBitfield && (bitSize === 0 || bitSize > 255 || bitOff > 0xffffff)) || (isUnion && bitOff !== 0)) badField(w, cu, t, m, isUnion, bitOff, bitSize);
    const nameIdx = w.str(cu.nameKey[m]!);
    nfa[nf++] = wn;
    wa[wn++] = nameIdx;
    tfa[tf++] = wn;
    wa[wn++] = mt === 0 ? REF_OFF0 : mt;
    wa[wn++] = (bitOff | (bitSize << 24)) >>> 0;
    w.checkVlen(vlen++);
    if (isBitfield) kflag = 0x80000000;
  }
  w.endRun(o, wn, nf, tf, vlen, kflag);
}

function badField(w: Writer, cu: CuLoader, t: number, m: number, isUnion: boolean, bitOff: number, bitSize: number): never {
  return fail(`[${w.offs.n}] ${isUnion ? "UNION" : "STRUCT"} ${cu.nameOf(t) ?? "(anon)"}'s field '${cu.nameOf(m) ?? ""}' offset=${bitOff} bit_size=${bitSize} Error emitting field`);
}

/** ENUM, or ENUM64 for an enum wider than 4 bytes (with the enum64 feature). */
function encodeEnum(w: Writer, cu: CuLoader, t: number, name: number, f: EncodeFeatures): void {
  const bits = cu.n1[t]!;
  const size = Math.ceil(bits / 8);
  if (!size || size & (size - 1) || size > 8) fail(`[${w.offs.n + 1}] ENUM ${cu.nameOf(t) ?? "(anon)"} size=${size} Error emitting BTF type`);
  const is32 = size <= 4 || !f.enum64;
  const o = is32 ? w.begin(w.str(name), mkInfo(Kind.ENUM, 0, 0), size) : w.begin(w.str(name), mkInfo(Kind.ENUM64, 0, cu.enumIsSigned(t)), size);
  const s = cu.kidStart[t]!;
  const n = cu.kidCount[t]!;
  const kids = cu.kids.a;
  // As in encodeComposite: room for every value first (3 words for an ENUM64's).
  const wa = w.words.reserve(3 * n);
  const nfa = w.nameFields.reserve(n);
  let wn = w.words.n;
  let nf = w.nameFields.n;
  let vlen = 0;
  let kflag = 0;
  for (let i = 0; i < n; i++) {
    const e = kids[s + i]!;
    const lo = cu.n1[e]!;
    const hi = cu.n2[e]!;
    const en = cu.nameKey[e]!;
    if (!f.enum64) {
      w.str(w.needName(en, "enum value"));
      const nameIdx = w.str(en);
      nfa[nf++] = wn;
      wa[wn++] = nameIdx;
      wa[wn++] = lo;
    } else if (bits <= 32) {
      // btf__add_enum_value takes an s64 in [INT_MIN, UINT_MAX]; a negative value sets kflag.
      const neg = hi >= 0x80000000;
      if (neg ? !(hi === 0xffffffff && lo >= 0x80000000) : hi !== 0) fail(`\t${cu.nameOf(e)} val=${hi * 4294967296 + lo} Error emitting BTF enum value`);
      const nameIdx = w.str(w.needName(en, "enum value"));
      nfa[nf++] = wn;
      wa[wn++] = nameIdx;
      wa[wn++] = lo;
      if (neg) kflag = 0x80000000;
    } else {
      const nameIdx = w.str(w.needName(en, "enum64 value"));
      nfa[nf++] = wn;
      wa[wn++] = nameIdx;
      wa[wn++] = lo;
      wa[wn++] = hi;
    }
    w.checkVlen(vlen++);
  }
  w.endRun(o, wn, nf, w.typeFields.n, vlen, kflag);
}

/** FUNC_PROTO with its parameters (and a last empty one for varargs). */
function encodeProto(w: Writer, cu: CuLoader, t: number, ret: number): void {
  const o = w.begin(0, mkInfo(Kind.FUNC_PROTO, 0, 0), ret);
  const s = cu.kidStart[t]!;
  const n = cu.kidCount[t]!;
  const kids = cu.kids.a;
  // As in encodeComposite: room for every parameter (and the varargs one) first.
  const wa = w.words.reserve(2 * n + 2);
  const nfa = w.nameFields.reserve(n + 1);
  const tfa = w.typeFields.reserve(n + 1);
  let wn = w.words.n;
  let nf = w.nameFields.n;
  let tf = w.typeFields.n;
  let vlen = 0;
  for (let i = 0; i < n; i++) {
    const p = kids[s + i]!;
    const nameIdx = w.str(cu.nameKey[p]!);
    nfa[nf++] = wn;
    wa[wn++] = nameIdx;
    tfa[tf++] = wn;
    wa[wn++] = cu.type[p]!;
    w.checkVlen(vlen++);
  }
  if (cu.flags[t]! & F_UNSPEC_PARMS) {
    nfa[nf++] = wn;
    wa[wn++] = 0;
    tfa[tf++] = wn;
    wa[wn++] = 0;
    w.checkVlen(vlen++);
  }
  w.endRun(o, wn, nf, tf, vlen, 0);
}

/** Decl tags of structs, unions and typedefs, after the table. */
function encodeDeclTags(w: Writer, cu: CuLoader): void {
  const types = cu.types;
  for (let k = 1; k < types.n; k++) {
    const t = types.a[k]!;
    if (cu.annHead[t]! < 0) continue;
    const tag = cu.tag[t]!;
    if (tag !== DW_TAG.structure_type && tag !== DW_TAG.union_type && tag !== DW_TAG.typedef) continue;
    for (let a = cu.annHead[t]!; a >= 0; a = cu.annNext.a[a]!) {
      w.begin(w.str(w.needName(cu.sideKey(cu.annValue[a]), "DECL_TAG")), mkInfo(Kind.DECL_TAG, 0, 0), k);
      w.words.push(cu.annComp.a[a]!);
    }
  }
}

/** The CU's functions that pahole keeps: with a matching ELF symbol, all parameters named. */
function encodeFunctions(w: Writer, cu: CuLoader, ctx: UnitContext): void {
  const out = w.s;
  const funcs = ctx.functions;
  const nFuncSyms = funcs.count;
  const fnCache = cu.functionCache(funcs);
  for (let i = 0; i < cu.funcs.n; i++) {
    const fn = cu.funcs.a[i]!;
    const fl = cu.flags[fn]!;
    if (fl & F_DECL) continue;
    const s = cu.kidStart[fn]!;
    const n = cu.kidCount[fn]!;
    let named = true;
    for (let k = 0; k < n; k++) if (cu.nameKey[cu.kids.a[s + k]!] === 0) named = false;
    if (!named) continue;
    let entry = -1;
    let flags = 0;
    if (nFuncSyms) {
      // The ELF symbol of this name, remembered per name key across the file's CUs:
      // 0 none, else 2 + 2 * entry + (found by prefix).
      const key = cu.nameKey[fn]!;
      if (key === 0) continue;
      const side = cu.isSideKey(key);
      let found = side ? -1 : fnCache.get(key);
      if (found < 0) {
        found = lookupFunction(cu, funcs, key, ctx.features.optimizedFunc);
        if (!side) fnCache.set(key, found);
      }
      if (found === 0) continue;
      entry = (found - 2) >>> 1;
      if (found & 1) flags |= FN_BY_PREFIX;
    } else if (!(fl & F_EXTERNAL)) continue;
    if (entry < 0) continue;
    if (fl & F_FN_UNEXPECTED) flags |= FN_UNEXPECTED_REG;
    saveFunction(w, cu, out, fn, entry, flags);
  }
}

/** The ELF symbol of function name `key`: 0 none, else 2 + 2 * entry + (found by prefix). */
function lookupFunction(cu: CuLoader, funcs: FunctionLookup, key: number, optimizedFunc: boolean): number {
  // A name in a DWARF section is looked up as bytes; one held as a JS string, or not
  // NUL-terminated where its key says (decoding it fails as it always did), as a string.
  const bytes = cu.keySection(key);
  const at = bytes ? cu.keyPos(key) : 0;
  let e = bytes ? funcs.findAt(bytes, at, false) : NO_NAME;
  let name: string | undefined;
  if (e === NO_NAME) e = funcs.findExact((name = cu.keyString(key)!));
  let byPrefix = 0;
  if (e < 0 && funcs.suffixCount && optimizedFunc) {
    e = name === undefined ? funcs.findAt(bytes!, at, true) : funcs.findPrefix(name);
    byPrefix = 1;
  }
  return e < 0 ? 0 : 2 + 2 * e + byPrefix;
}

function saveFunction(w: Writer, cu: CuLoader, out: Scratch, fn: number, entry: number, flags: number): void {
  const { parName, parType, annValue } = out;
  const s = cu.kidStart[fn]!;
  const n = cu.kidCount[fn]!;
  out.fnEntry.push(entry);
  out.fnFlags.push(flags);
  out.fnRet.push(cu.type[fn]!);
  const p0 = parName.n;
  out.fnParams.push(p0);
  for (let k = 0; k < n; k++) {
    const p = cu.kids.a[s + k]!;
    parName.push(w.str(cu.nameKey[p]!));
    parType.push(cu.type[p]!);
  }
  if (cu.flags[fn]! & F_UNSPEC_PARMS) {
    parName.push(0);
    parType.push(0);
  }
  out.fnParams.push(parName.n - p0);
  const a0 = annValue.n;
  out.fnAnnots.push(a0);
  for (let a = cu.annHead[fn]!; a >= 0; a = cu.annNext.a[a]!) {
    annValue.push(w.strJs(cu.annValue[a]));
    out.annComp.push(cu.annComp.a[a]!);
  }
  out.fnAnnots.push(annValue.n - a0);
}

/**
 * The CU's strings for the merge: names in `.debug_str` travel as keys; the others
 * (inline `DW_FORM_string` names, JS-string names: other string forms, annotation
 * values) as bytes, hashed here for the merge.
 */
function encodeStrings(w: Writer, cu: CuLoader): number {
  const strKeys = w.s.keys;
  const nStrs = w.s.nKeys;
  const hashes = w.s.hashes;
  let sb = w.s.strBytes;
  let sp = 0;
  for (let i = 0; i < nStrs; i++) {
    const key = strKeys[i]!;
    if (key > 0 && !cu.isSideKey(key)) continue;
    strKeys[i] = 0; // the bytes follow in strBytes
    let src: Uint8Array;
    let p = 0;
    if (key < 0) {
      src = cu.keySection(key)!;
      p = cu.keyPos(key);
    } else src = enc.encode(cu.keyString(key)! + "\0");
    // Copy up to the NUL, hashing on the way (names are short: a plain loop).
    let h = 0;
    const n = src.length;
    for (;;) {
      const b = p < n ? src[p++]! : 0;
      if (sp === sb.length) {
        const nb = new Uint8Array(sb.length * 2);
        nb.set(sb);
        sb = w.s.strBytes = nb;
      }
      sb[sp++] = b;
      if (b === 0) break;
      h = (Math.imul(h, 31) + b) | 0;
    }
    hashes.push(h);
  }
  return sp;
}

/** pahole `btf_encoder__encode_cu_variables`. */
function encodeVariables(cu: CuLoader, ctx: UnitContext, w: Writer, vars: Uint32List): void {
  for (let i = 0; i < cu.tags.n; i++) {
    const v = cu.tags.a[i]!;
    if (cu.tag[v] !== DW_TAG.variable) continue;
    const fl = cu.flags[v]!;
    if (fl & F_DECL && cu.link[v]! < 0) continue;
    if (!(fl & F_TOPLEVEL) || fl & F_ARTIFICIAL || !(fl & F_GLOBAL_SCOPE)) continue;
    encodeVariable(cu, ctx, w, vars, v);
  }
}

/** One top-level, global-scope variable DIE `v`: its VAR (and decl tags) when pahole keeps it. */
function encodeVariable(cu: CuLoader, ctx: UnitContext, w: Writer, vars: Uint32List, v: number): void {
  const secs = ctx.sections;
  const force = ctx.features.encodeForce;
  const spec = cu.link[v]!;
  let addr = (BigInt(cu.n1[v]!) << 32n) | BigInt(cu.n2[v]!);
  const shndx = sectionOf(secs, addr);
  if (!shndx || shndx >= secs.length || !secs[shndx]!.include) return;
  addr -= secs[shndx]!.addr;
  if (spec >= 0) v = spec;
  const name = cu.nameOf(v);
  if (name === undefined) return;
  if (filteredVariableName(name)) return;
  if (addr === 0n && !ctx.objects.has(name, shndx)) return;
  if (!validBtfName(name)) {
    if (force) return;
    throw new BtfError("INVALID", `found invalid variable name when encoding btf (sym: '${name}'); use --features with encode_force to skip such variables`);
  }
  const ty = cu.type[v]!;
  if (ty === 0) {
    if (force) return;
    throw new BtfError("INVALID", `found variable '${name}' that has void type`);
  }
  const target = cu.typeEntry(ty);
  const size = target < 0 ? -1 : cu.tagSize(target);
  if (size === 0 || size < 0 || size > 0xffffffff) return;
  if (addr > 0xffffffffn) return;
  const j = w.offs.n;
  w.begin(w.str(cu.nameKey[v]!), mkInfo(Kind.VAR, 0, 0), ty);
  w.words.push(cu.flags[v]! & F_EXTERNAL ? 1 : 0);
  for (let a = cu.annHead[v]!; a >= 0; a = cu.annNext.a[a]!) {
    const value = cu.annValue[a];
    if (!value) throw new BtfError("INVALID", `DECL_TAG (anon) Error emitting BTF type`);
    w.begin(w.str(cu.sideKey(value)), mkInfo(Kind.DECL_TAG, 0, 0), REF_REC | j);
    w.words.push(cu.annComp.a[a]!);
  }
  vars.push(j);
  vars.push(shndx);
  vars.push(Number(addr));
  vars.push(size);
}
