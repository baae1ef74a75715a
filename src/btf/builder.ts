/**
 * Building and extending BTF, in the spirit of libbpf's writer API (`btf__add_*`).
 *
 * Every function works on a plain {@link Btf} and returns the id of the type it
 * appended (member/value adders return nothing). Arguments are checked as libbpf checks
 * them; a rejected call throws `BtfError` with code ARGUMENT and leaves the BTF as it was.
 *
 * A parsed Btf may still point into the bytes it was parsed from. The first change
 * copies its type records into growable storage and indexes its strings
 * ({@link ensureModifiable}, libbpf `btf_ensure_modifiable`). At that moment libbpf
 * decides whether the string section is "already deduplicated": true when the section
 * is empty, or holds only the leading `""` of a non-split BTF — i.e. for every BTF built
 * from scratch. {@link dedup} then skips its string pass, so unused strings survive and
 * string order stays insertion order. The flag is mirrored here ({@link stringsDeduped}).
 *
 * @example
 * ```ts
 * const btf = newBtf();
 * const int = addInt(btf, "int", 4, INT_SIGNED);     // 1
 * const s = addStruct(btf, "pair", 8);               // 2
 * addField(btf, "a", int, 0);
 * addField(btf, "b", int, 32);
 * writeBtf(btf);
 * ```
 * @module
 */
import { BtfError } from "../internal/errors.js";
import { Btf, type Endian } from "./btf.js";
import { INT_BOOL, INT_CHAR, INT_SIGNED, Kind, kflagOf, kindOf, mkInfo, recordWords, vlenOf } from "./kinds.js";
import { forEachStrRef, forEachTypeRef } from "./field-iter.js";
import { encodeUtf8, StringSet, strHash } from "./strings.js";

/** Largest type id libbpf accepts as a reference (`BTF_MAX_NR_TYPES`). */
export const MAX_TYPE_ID = 0x7fffffff;
const MAX_VLEN = 0xffff;

/** FWD flavours (`BTF_FWD_STRUCT`, `BTF_FWD_UNION`, `BTF_FWD_ENUM`). */
export type FwdKind = "struct" | "union" | "enum";

/** Per-BTF editing state, kept beside the model (libbpf keeps it inside `struct btf`). */
interface EditState {
  /** The growable type storage this module owns (btf.types, unless someone swapped it). */
  types: Uint32Array | null;
  /** Index of the own strings; its `data` is btf.strs while the BTF is modifiable. */
  strs: StringSet | null;
  /** libbpf `strs_deduped`. */
  stringsDeduped: boolean;
  /** Whether the first modification happened (when libbpf decides `strs_deduped`). */
  touched: boolean;
}

const STATE = new WeakMap<Btf, EditState>();
/** Read-only string indexes of BTFs that are not being edited (bases, sources). */
const READ_INDEX = new WeakMap<Btf, { strs: Uint8Array; len: number; set: StringSet }>();

function state(btf: Btf): EditState {
  let s = STATE.get(btf);
  if (!s) {
    s = { types: null, strs: null, stringsDeduped: false, touched: false };
    STATE.set(btf, s);
  }
  return s;
}

/**
 * Make `btf` safe to change: own, growable type storage and an index of its strings
 * (libbpf `btf_ensure_modifiable`). Idempotent; the first call fixes the
 * "strings deduplicated" flag (see the module comment).
 */
export function ensureModifiable(btf: Btf): void {
  ensureOwnTypes(btf);
  ownStrings(btf);
}

/**
 * Own, growable type storage, without indexing strings (what {@link dedup} needs).
 * @internal
 */
export function ensureOwnTypes(btf: Btf): void {
  const s = touch(btf);
  if (s.types !== btf.types) {
    const t = new Uint32Array(Math.max(64, btf.typeWords + (btf.typeWords >>> 3)));
    t.set(btf.types.subarray(0, btf.typeWords));
    btf.types = t;
    s.types = t;
  }
}

/**
 * Declare that `btf.types` is storage the caller just allocated (dedup's output), so it
 * need not be copied again before the next change.
 * @internal
 */
export function adoptTypes(btf: Btf): void {
  touch(btf).types = btf.types;
}

/**
 * True when `btf.types` is storage this module allocated (no one else sees it).
 * @internal
 */
export function ownsTypes(btf: Btf): boolean {
  const s = STATE.get(btf);
  return s !== undefined && s.types === btf.types;
}

/**
 * Note a first modification of `btf`: libbpf decides here, once, whether its strings
 * count as deduplicated (empty section, or only the leading `""` of a non-split BTF).
 * @internal
 */
export function touch(btf: Btf): EditState {
  const s = state(btf);
  if (!s.touched) {
    s.touched = true;
    if (btf.strLen === 0 || (!btf.base && btf.strLen === 1)) s.stringsDeduped = true;
  }
  return s;
}

/** The own string index of a modifiable BTF, (re)built when btf.strs was swapped. */
function ownStrings(btf: Btf): StringSet {
  const s = state(btf);
  if (s.types === null) ensureOwnTypes(btf);
  let set = s.strs;
  if (!set || set.data !== btf.strs || set.length !== btf.strLen) {
    set = btf.strLen ? StringSet.fromSection(btf.strs.subarray(0, btf.strLen)) : new StringSet(false);
    s.strs = set;
    btf.strs = set.data;
    btf.strLen = set.length;
  }
  return set;
}

/**
 * libbpf's "strings deduplicated" flag: when true, {@link dedup} keeps the string
 * section as it is. True for BTF built from scratch and after a dedup.
 */
export function stringsDeduped(btf: Btf): boolean {
  return STATE.get(btf)?.stringsDeduped ?? false;
}

/** Set the "strings deduplicated" flag (dedup sets it; tests and tools may, too). */
export function setStringsDeduped(btf: Btf, value: boolean): void {
  state(btf).stringsDeduped = value;
}

/**
 * An index of `btf`'s own strings for lookups: the editing index when the BTF is being
 * modified, else a cached read-only one (built on first use).
 * @internal
 */
export function stringIndex(btf: Btf): StringSet {
  const s = STATE.get(btf);
  if (s?.strs && s.strs.data === btf.strs && s.strs.length === btf.strLen) return s.strs;
  const c = READ_INDEX.get(btf);
  if (c && c.strs === btf.strs && c.len === btf.strLen) return c.set;
  const set = btf.strLen ? StringSet.fromSection(btf.strs.subarray(0, btf.strLen)) : new StringSet(false);
  READ_INDEX.set(btf, { strs: btf.strs, len: btf.strLen, set });
  return set;
}

/**
 * Offset of the string bytes[start, end) in `btf` or its bases (bases first, as
 * libbpf `btf__find_str`), or -1.
 * @internal
 */
export function findStrBytes(btf: Btf, bytes: Uint8Array, start: number, end: number, hash = strHash(bytes, start, end)): number {
  if (btf.base) {
    const off = findStrBytes(btf.base, bytes, start, end, hash);
    if (off >= 0) return off;
  }
  const local = stringIndex(btf).findBytes(bytes, start, end, hash);
  return local < 0 ? -1 : btf.startStrOff + local;
}

/** Add bytes[start, end) to `btf`'s strings (bases searched first); absolute offset. */
function addStrBytes(btf: Btf, bytes: Uint8Array, start: number, end: number): number {
  const hash = strHash(bytes, start, end);
  if (btf.base) {
    const off = findStrBytes(btf.base, bytes, start, end, hash);
    if (off >= 0) return off;
  }
  const set = ownStrings(btf);
  const local = set.addBytes(bytes, start, end);
  btf.strs = set.data;
  btf.strLen = set.length;
  return btf.startStrOff + local;
}

/**
 * A new, empty BTF (libbpf `btf__new_empty` / `btf__new_empty_split`): a non-split one
 * starts its strings with `""`, a split one has no strings of its own and numbers its
 * types after the base's.
 */
export function newBtf(opts: { base?: Btf; endian?: Endian } = {}): Btf {
  const btf = new Btf({ base: opts.base, endian: opts.endian, types: new Uint32Array(64), typeWords: 0, typeOffs: new Uint32Array(16), nrTypes: 0 });
  ensureModifiable(btf);
  return btf;
}

/**
 * Add a string (libbpf `btf__add_str`): a split BTF first looks in its base; an
 * existing equal string is reused. Returns the absolute string offset.
 */
export function addStr(btf: Btf, s: string): number {
  const b = encodeUtf8(s);
  if (b.includes(0)) throw new BtfError("ARGUMENT", "string contains a NUL byte");
  return addStrBytes(btf, b, 0, b.length);
}

/** Offset of string `s` in `btf` or its bases (libbpf `btf__find_str`), or -1 when absent. */
export function findStr(btf: Btf, s: string): number {
  const b = encodeUtf8(s);
  if (b.includes(0)) return -1;
  return findStrBytes(btf, b, 0, b.length);
}

// ---------------------------------------------------------------------------------
// Low-level appends

function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_TYPE_ID) throw new BtfError("ARGUMENT", `invalid ${what} type id ${id}`);
}

function needName(name: string | undefined | null, what: string): string {
  if (name === undefined || name === null || name === "") throw new BtfError("ARGUMENT", `${what} needs a non-empty name`);
  return name;
}

function optName(btf: Btf, name: string | undefined | null): number {
  return name ? addStr(btf, name) : 0;
}

/** Room for `n` more words; returns where they go. */
function reserve(btf: Btf, n: number): number {
  ensureOwnTypes(btf);
  const need = btf.typeWords + n;
  if (need > btf.types.length) {
    const t = new Uint32Array(Math.max(need, btf.types.length * 2, 64));
    t.set(btf.types.subarray(0, btf.typeWords));
    btf.types = t;
    state(btf).types = t;
  }
  return btf.typeWords;
}

function reserveOffs(btf: Btf, n: number): void {
  if (btf.nrTypes + n > btf.typeOffs.length) {
    const o = new Uint32Array(Math.max(btf.nrTypes + n, btf.typeOffs.length * 2, 16));
    o.set(btf.typeOffs.subarray(0, btf.nrTypes));
    btf.typeOffs = o;
  }
}

/** Append one record (words already complete); returns its id. */
function commit(btf: Btf, words: ArrayLike<number>): number {
  const at = reserve(btf, words.length);
  reserveOffs(btf, 1);
  for (let i = 0; i < words.length; i++) btf.types[at + i] = words[i]! >>> 0;
  btf.typeWords += words.length;
  btf.typeOffs[btf.nrTypes++] = at;
  btf.invalidate();
  return btf.startId + btf.nrTypes - 1;
}

/** Word offset of the last own type, after checking it is of one of `kinds`. */
function lastOfKind(btf: Btf, what: string, ...kinds: Kind[]): number {
  if (btf.nrTypes === 0) throw new BtfError("ARGUMENT", `${what}: there is no type to add it to`);
  const o = btf.typeOffs[btf.nrTypes - 1]!;
  if (!kinds.includes(kindOf(btf.types[o + 1]!))) throw new BtfError("ARGUMENT", `${what}: the last type is not a ${kinds.map((k) => Kind[k]).join(" or ")}`);
  return o;
}

/** Append an element to the last type and bump its vlen (and maybe kflag). */
function appendElem(btf: Btf, o: number, words: ArrayLike<number>, setKflag = false): void {
  const info = btf.types[o + 1]!;
  if (vlenOf(info) >= MAX_VLEN) throw new BtfError("ARGUMENT", "too many elements (vlen would exceed 65535)");
  const at = reserve(btf, words.length);
  for (let i = 0; i < words.length; i++) btf.types[at + i] = words[i]! >>> 0;
  btf.typeWords += words.length;
  btf.types[o + 1] = mkInfo(kindOf(info), vlenOf(info) + 1, setKflag || kflagOf(info) === 1);
  btf.invalidate();
}

// ---------------------------------------------------------------------------------
// One function per kind (libbpf btf__add_*)

/** INT (`btf__add_int`): size a power of two up to 16; encoding of SIGNED, CHAR, BOOL. */
export function addInt(btf: Btf, name: string, byteSize: number, encoding = 0): number {
  needName(name, "INT");
  if (!Number.isInteger(byteSize) || byteSize <= 0 || byteSize & (byteSize - 1) || byteSize > 16)
    throw new BtfError("ARGUMENT", `INT size ${byteSize} is not a power of two up to 16`);
  if (!Number.isInteger(encoding) || encoding < 0 || encoding & ~(INT_SIGNED | INT_CHAR | INT_BOOL))
    throw new BtfError("ARGUMENT", `invalid INT encoding ${encoding}`);
  const n = addStr(btf, name);
  return commit(btf, [n, mkInfo(Kind.INT, 0, 0), byteSize, ((encoding << 24) | (byteSize * 8)) >>> 0]);
}

/** FLOAT (`btf__add_float`): size 2, 4, 8, 12 or 16. */
export function addFloat(btf: Btf, name: string, byteSize: number): number {
  needName(name, "FLOAT");
  if (![2, 4, 8, 12, 16].includes(byteSize)) throw new BtfError("ARGUMENT", `FLOAT size ${byteSize} is not 2, 4, 8, 12 or 16`);
  const n = addStr(btf, name);
  return commit(btf, [n, mkInfo(Kind.FLOAT, 0, 0), byteSize]);
}

function addRef(btf: Btf, kind: Kind, name: string | undefined, ref: number): number {
  checkId(ref, "referenced");
  const n = optName(btf, name);
  return commit(btf, [n, mkInfo(kind, 0, 0), ref]);
}

/** PTR to `ref` (which may be added later). */
export const addPtr = (btf: Btf, ref: number): number => addRef(btf, Kind.PTR, undefined, ref);
/** CONST of `ref`. */
export const addConst = (btf: Btf, ref: number): number => addRef(btf, Kind.CONST, undefined, ref);
/** VOLATILE of `ref`. */
export const addVolatile = (btf: Btf, ref: number): number => addRef(btf, Kind.VOLATILE, undefined, ref);
/** RESTRICT of `ref`. */
export const addRestrict = (btf: Btf, ref: number): number => addRef(btf, Kind.RESTRICT, undefined, ref);

/** TYPE_TAG `value` on `ref`. */
export function addTypeTag(btf: Btf, value: string, ref: number): number {
  needName(value, "TYPE_TAG");
  return addRef(btf, Kind.TYPE_TAG, value, ref);
}

/** TYPEDEF `name` of `ref`. */
export function addTypedef(btf: Btf, name: string, ref: number): number {
  needName(name, "TYPEDEF");
  return addRef(btf, Kind.TYPEDEF, name, ref);
}

/** ARRAY of `nelems` × `elemType`, indexed by `indexType` (libbpf argument order). */
export function addArray(btf: Btf, indexType: number, elemType: number, nelems: number): number {
  checkId(indexType, "index");
  checkId(elemType, "element");
  if (!Number.isInteger(nelems) || nelems < 0 || nelems > 0xffffffff) throw new BtfError("ARGUMENT", `invalid element count ${nelems}`);
  return commit(btf, [0, mkInfo(Kind.ARRAY, 0, 0), 0, elemType, indexType, nelems]);
}

function addComposite(btf: Btf, kind: Kind, name: string | undefined, byteSize: number): number {
  if (!Number.isInteger(byteSize) || byteSize < 0 || byteSize > 0xffffffff) throw new BtfError("ARGUMENT", `invalid size ${byteSize}`);
  const n = optName(btf, name);
  return commit(btf, [n, mkInfo(kind, 0, 0), byteSize]);
}

/** STRUCT (anonymous when `name` is empty); fields follow with {@link addField}. */
export const addStruct = (btf: Btf, name: string | undefined, byteSize: number): number => addComposite(btf, Kind.STRUCT, name, byteSize);
/** UNION (anonymous when `name` is empty); fields follow with {@link addField}. */
export const addUnion = (btf: Btf, name: string | undefined, byteSize: number): number => addComposite(btf, Kind.UNION, name, byteSize);

/**
 * A field of the last STRUCT/UNION (`btf__add_field`). A field is a bitfield when
 * `bitSize` is non-zero or `bitOffset` is not byte-aligned; adding one sets the
 * composite's kflag. Union fields must sit at offset 0.
 */
export function addField(btf: Btf, name: string | undefined, type: number, bitOffset: number, bitSize = 0): void {
  const o = lastOfKind(btf, "field", Kind.STRUCT, Kind.UNION);
  checkId(type, "field");
  if (!Number.isInteger(bitOffset) || bitOffset < 0 || bitOffset > 0xffffffff || !Number.isInteger(bitSize) || bitSize < 0)
    throw new BtfError("ARGUMENT", `invalid field offset ${bitOffset} or size ${bitSize}`);
  const isBitfield = bitSize !== 0 || bitOffset % 8 !== 0;
  if (isBitfield && (bitSize === 0 || bitSize > 255 || bitOffset > 0xffffff))
    throw new BtfError("ARGUMENT", `invalid bitfield: size ${bitSize} at bit ${bitOffset}`);
  if (kindOf(btf.types[o + 1]!) === Kind.UNION && bitOffset !== 0) throw new BtfError("ARGUMENT", "union fields must be at offset 0");
  const n = optName(btf, name);
  appendElem(btf, o, [n, type, (bitOffset | (bitSize << 24)) >>> 0], isBitfield);
}

function checkEnumSize(byteSize: number): void {
  if (!Number.isInteger(byteSize) || byteSize <= 0 || byteSize & (byteSize - 1) || byteSize > 8)
    throw new BtfError("ARGUMENT", `enum size ${byteSize} is not a power of two up to 8`);
}

/** ENUM (anonymous when `name` is empty), unsigned until a negative value is added. */
export function addEnum(btf: Btf, name: string | undefined, byteSize = 4): number {
  checkEnumSize(byteSize);
  const n = optName(btf, name);
  return commit(btf, [n, mkInfo(Kind.ENUM, 0, 0), byteSize]);
}

/** A value of the last ENUM, in [-2^31, 2^32 - 1]; a negative one makes the enum signed. */
export function addEnumValue(btf: Btf, name: string, value: number | bigint): void {
  const o = lastOfKind(btf, "enum value", Kind.ENUM);
  needName(name, "enum value");
  const v = typeof value === "bigint" ? value : Number.isInteger(value) ? BigInt(value) : NaN;
  if (typeof v !== "bigint" || v < -0x80000000n || v > 0xffffffffn) throw new BtfError("ARGUMENT", `enum value ${value} does not fit in 32 bits`);
  const n = addStr(btf, name);
  appendElem(btf, o, [n, Number(BigInt.asUintN(32, v))], v < 0n);
}

/** ENUM64 (anonymous when `name` is empty); `signed` sets kflag. */
export function addEnum64(btf: Btf, name: string | undefined, byteSize = 8, signed = false): number {
  checkEnumSize(byteSize);
  const n = optName(btf, name);
  return commit(btf, [n, mkInfo(Kind.ENUM64, 0, signed), byteSize]);
}

/** A value of the last ENUM64 (any 64-bit value; negative ones are stored two's complement). */
export function addEnum64Value(btf: Btf, name: string, value: number | bigint): void {
  const o = lastOfKind(btf, "enum64 value", Kind.ENUM64);
  needName(name, "enum64 value");
  let v: bigint;
  if (typeof value === "bigint") v = value;
  else if (Number.isSafeInteger(value)) v = BigInt(value);
  else throw new BtfError("ARGUMENT", `enum64 value ${value} is not an exact integer (use a bigint)`);
  if (v < -(1n << 63n) || v >= 1n << 64n) throw new BtfError("ARGUMENT", `enum64 value ${value} does not fit in 64 bits`);
  const u = BigInt.asUintN(64, v);
  const n = addStr(btf, name);
  appendElem(btf, o, [n, Number(u & 0xffffffffn), Number(u >> 32n)]);
}

/** FWD declaration (`btf__add_fwd`): a struct/union FWD, or for "enum" a 4-byte ENUM with no values. */
export function addFwd(btf: Btf, name: string, kind: FwdKind): number {
  needName(name, "FWD");
  if (kind === "enum") return addEnum(btf, name, 4);
  if (kind !== "struct" && kind !== "union") throw new BtfError("ARGUMENT", `invalid FWD kind ${String(kind)}`);
  const n = addStr(btf, name);
  return commit(btf, [n, mkInfo(Kind.FWD, 0, kind === "union"), 0]);
}

function checkLinkage(linkage: number, what: string): void {
  if (linkage !== 0 && linkage !== 1 && linkage !== 2) throw new BtfError("ARGUMENT", `invalid ${what} linkage ${linkage}`);
}

/** FUNC `name` with `linkage` (0 static, 1 global, 2 extern) and prototype `proto`. */
export function addFunc(btf: Btf, name: string, linkage: number, proto: number): number {
  needName(name, "FUNC");
  checkLinkage(linkage, "FUNC");
  checkId(proto, "prototype");
  const n = addStr(btf, name);
  return commit(btf, [n, mkInfo(Kind.FUNC, linkage, 0), proto]);
}

/** FUNC_PROTO returning `ret`; parameters follow with {@link addFuncParam}. */
export function addFuncProto(btf: Btf, ret: number): number {
  checkId(ret, "return");
  return commit(btf, [0, mkInfo(Kind.FUNC_PROTO, 0, 0), ret]);
}

/** A parameter of the last FUNC_PROTO (unnamed when `name` is empty; type 0 = varargs). */
export function addFuncParam(btf: Btf, name: string | undefined, type: number): void {
  checkId(type, "parameter");
  const o = lastOfKind(btf, "parameter", Kind.FUNC_PROTO);
  const n = optName(btf, name);
  appendElem(btf, o, [n, type]);
}

/** VAR `name` of `type` with `linkage` (0 static, 1 global, 2 extern). */
export function addVar(btf: Btf, name: string, linkage: number, type: number): number {
  needName(name, "VAR");
  checkLinkage(linkage, "VAR");
  checkId(type, "variable");
  const n = addStr(btf, name);
  return commit(btf, [n, mkInfo(Kind.VAR, 0, 0), type, linkage]);
}

/** DATASEC `name` of `byteSize` bytes; variables follow with {@link addDatasecVarInfo}. */
export function addDatasec(btf: Btf, name: string, byteSize: number): number {
  needName(name, "DATASEC");
  if (!Number.isInteger(byteSize) || byteSize < 0 || byteSize > 0xffffffff) throw new BtfError("ARGUMENT", `invalid size ${byteSize}`);
  const n = addStr(btf, name);
  return commit(btf, [n, mkInfo(Kind.DATASEC, 0, 0), byteSize]);
}

/** A variable of the last DATASEC: its type id, offset and size in bytes. */
export function addDatasecVarInfo(btf: Btf, varType: number, offset: number, byteSize: number): void {
  const o = lastOfKind(btf, "variable info", Kind.DATASEC);
  checkId(varType, "variable");
  appendElem(btf, o, [varType, offset, byteSize]);
}

/** DECL_TAG `value` on `ref`; `componentIdx` -1 tags the type itself, else a member/parameter. */
export function addDeclTag(btf: Btf, value: string, ref: number, componentIdx: number): number {
  needName(value, "DECL_TAG");
  if (!Number.isInteger(componentIdx) || componentIdx < -1 || componentIdx > 0x7fffffff) throw new BtfError("ARGUMENT", `invalid component index ${componentIdx}`);
  checkId(ref, "tagged");
  const n = addStr(btf, value);
  return commit(btf, [n, mkInfo(Kind.DECL_TAG, 0, 0), ref, componentIdx]);
}

// ---------------------------------------------------------------------------------
// Copying between BTFs

/** The words of one record of `src` (own or base type). */
function recordOf(src: Btf, id: number): { w: Uint32Array; o: number; n: number } {
  if (id <= 0 || id >= src.typeCount) throw new BtfError("ARGUMENT", `no type with id ${id}`, { typeId: id });
  const b = src.owner(id);
  const o = b.typeOffs[id - b.startId]!;
  const n = recordWords(b.types[o + 1]!);
  if (n < 0) throw new BtfError("UNSUPPORTED", `unknown kind ${kindOf(b.types[o + 1]!)}`, { typeId: id });
  return { w: b.types, o, n };
}

/** Word indexes of the string fields of a record, in libbpf's order (see field-iter.ts). */
function strFields(w: Uint32Array, o: number, out: number[]): number[] {
  out.length = 0;
  forEachStrRef(w, o, (k) => out.push(k));
  return out;
}

/**
 * Word indexes of the type-id fields of a record, in libbpf 1.5's `btf_field_iter`
 * IDS order (see field-iter.ts), collected into `out`.
 * @internal
 */
export function typeIdFields(w: Uint32Array, o: number, out: number[]): number[] {
  out.length = 0;
  forEachTypeRef(w, o, (k) => out.push(k));
  return out;
}

/** Re-add the string at `off` of `src` to `dst`; returns the new offset. */
function copyStr(dst: Btf, src: Btf, off: number): number {
  if (off === 0) return 0;
  const span = src.strSpan(off);
  if (!span) throw new BtfError("MALFORMED", `invalid string offset ${off}`);
  return addStrBytes(dst, span[0], span[1], span[2]);
}

/**
 * Copy type `id` of `src` into `dst` (libbpf `btf__add_type`): strings are re-added to
 * `dst`, type ids are copied unchanged. Returns the new type's id.
 */
export function addType(dst: Btf, src: Btf, id: number): number {
  const { w, o, n } = recordOf(src, id);
  const rec = Array.from(w.subarray(o, o + n));
  const fields = strFields(w, o, []);
  for (const k of fields) rec[k - o] = copyStr(dst, src, w[k]!);
  return commit(dst, rec);
}

/**
 * Append all own types of `src` to `dst` (libbpf `btf__add_btf`): type ids are shifted
 * to follow `dst`'s last type (0, void, stays 0), strings re-added to `dst` through an
 * offset cache. A split `src` is accepted when it shares `dst`'s base: its references to
 * base types and base strings are kept as they are. Returns the id of the first added
 * type. On error `dst` is unchanged.
 *
 * @example
 * ```ts
 * const merged = newBtf();
 * addBtf(merged, a);        // 1
 * addBtf(merged, b);        // a's type count
 * ```
 */
export function addBtf(dst: Btf, src: Btf): number {
  if (src.base && src.base !== dst.base)
    throw new BtfError("UNSUPPORTED", "cannot append split BTF whose base is not the destination's base");
  if (src === dst) throw new BtfError("ARGUMENT", "cannot append a BTF to itself");
  ensureModifiable(dst);
  const oldWords = dst.typeWords;
  const oldStrLen = dst.strLen;
  const set = ownStrings(dst);
  const cnt = src.nrTypes;
  const dataWords = src.typeWords;
  const shift = dst.typeCount - src.startId;
  const srcStart = src.startId;
  const srcStrStart = src.startStrOff;
  const at = reserve(dst, dataWords);
  reserveOffs(dst, cnt);
  const w = dst.types;
  w.set(src.types.subarray(0, dataWords), at);
  const cache = new Map<number, number>();
  const fields: number[] = [];
  try {
    for (let i = 0; i < cnt; i++) {
      const o = at + src.typeOffs[i]!;
      if (recordWords(w[o + 1]!) < 0) throw new BtfError("UNSUPPORTED", `unknown kind ${kindOf(w[o + 1]!)}`, { typeId: srcStart + i });
      for (const k of strFields(w, o, fields)) {
        const off = w[k]!;
        if (off === 0 || off < srcStrStart) continue;
        let n = cache.get(off);
        if (n === undefined) {
          n = copyStr(dst, src, off);
          cache.set(off, n);
        }
        w[k] = n;
      }
      for (const k of typeIdFields(w, o, fields)) {
        const t = w[k]!;
        if (t !== 0 && t >= srcStart) w[k] = t + shift;
      }
    }
  } catch (e) {
    // Roll back: nothing was committed yet; drop strings added on the way.
    w.fill(0, at, at + dataWords);
    if (dst.strLen !== oldStrLen) {
      const fresh = oldStrLen ? StringSet.fromSection(set.data.subarray(0, oldStrLen)) : new StringSet(false);
      state(dst).strs = fresh;
      dst.strs = fresh.data;
      dst.strLen = fresh.length;
    }
    throw e;
  }
  for (let i = 0; i < cnt; i++) dst.typeOffs[dst.nrTypes + i] = at + src.typeOffs[i]!;
  dst.nrTypes += cnt;
  dst.typeWords = oldWords + dataWords;
  dst.invalidate();
  return dst.typeCount - cnt;
}
