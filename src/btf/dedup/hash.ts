/**
 * Signature hashes and equality predicates of dedup, one set per kind (libbpf 1.5
 * `btf_hash_*`, `btf_equal_*`, `btf_compat_*`, `btf_shallow_equal_struct`).
 *
 * Every function reads a type record straight from the word array `w` at word offset
 * `a` (and `b`): word 0 `name_off`, 1 `info`, 2 `size`/`type`, then the kind's data.
 * Names compare by offset, which is exact because strings are deduplicated first.
 *
 * Hashes combine fields as `h * 31 + v`. libbpf does this in 64-bit `long`; these are
 * its low 32 bits. That only makes more types share a bucket; every candidate is still
 * checked with the kind's equality predicate, and types that are equal always have equal
 * 64-bit hashes, so the candidates that can match (and their order) are libbpf's.
 *
 * | kind                                   | hash                  | exact equality     | graph compatibility     |
 * |----------------------------------------|-----------------------|--------------------|-------------------------|
 * | INT, DECL_TAG                          | common + 4th word     | equalIntTag        | equalIntTag             |
 * | ENUM, ENUM64                           | name only             | equalEnum          | compatEnum (fwd-aware)  |
 * | FWD, FLOAT, PTR, mods, TYPEDEF, FUNC, TYPE_TAG | common        | equalCommon        | info, then the target   |
 * | STRUCT, UNION                          | common + member names/offsets | —          | shallowEqualStruct      |
 * | ARRAY                                  | common + elem/index/nelems | equalArray    | compatArray             |
 * | FUNC_PROTO                             | common + param names/types | equalFnproto  | compatFnproto           |
 */
import { K } from "./consts.js";

const kindOf = (info: number): number => (info >>> 24) & 0x1f;
const vlenOf = (info: number): number => info & 0xffff;

/** One step of libbpf's `hash_combine` (low 32 bits). */
export const combine = (h: number, v: number): number => (Math.imul(h, 31) + v) | 0;

/** name, info, size/type (libbpf `btf_hash_common`). */
export function hashCommon(w: Uint32Array, a: number): number {
  return combine(combine(combine(0, w[a]!), w[a + 1]!), w[a + 2]!);
}

/** common + the INT encoding / DECL_TAG component word. */
export function hashIntDeclTag(w: Uint32Array, a: number): number {
  return combine(hashCommon(w, a), w[a + 3]!);
}

/** The name only: enum fwds, ENUM and ENUM64 of one name share a bucket. */
export function hashEnum(w: Uint32Array, a: number): number {
  return combine(0, w[a]!);
}

/** common + each member's name and offset; member types are left out (not final yet). */
export function hashStruct(w: Uint32Array, a: number): number {
  let h = hashCommon(w, a);
  for (let i = 0, n = vlenOf(w[a + 1]!), m = a + 3; i < n; i++, m += 3) h = combine(combine(h, w[m]!), w[m + 2]!);
  return h;
}

/** common + element type, index type, element count. */
export function hashArray(w: Uint32Array, a: number): number {
  return combine(combine(combine(hashCommon(w, a), w[a + 3]!), w[a + 4]!), w[a + 5]!);
}

/** common (incl. return type) + each parameter's name and type. */
export function hashFnproto(w: Uint32Array, a: number): number {
  let h = hashCommon(w, a);
  for (let i = 0, n = vlenOf(w[a + 1]!), p = a + 3; i < n; i++, p += 2) h = combine(combine(h, w[p]!), w[p + 1]!);
  return h;
}

/** The hash a type is filed under in the dedup table, by kind (split prep uses this for base types). */
export function hashByKind(w: Uint32Array, a: number): number {
  switch (kindOf(w[a + 1]!)) {
    case K.INT:
    case K.DECL_TAG:
      return hashIntDeclTag(w, a);
    case K.ENUM:
    case K.ENUM64:
      return hashEnum(w, a);
    case K.STRUCT:
    case K.UNION:
      return hashStruct(w, a);
    case K.ARRAY:
      return hashArray(w, a);
    case K.FUNC_PROTO:
      return hashFnproto(w, a);
    default:
      // CONST, VOLATILE, RESTRICT, PTR, FWD, TYPEDEF (libbpf 1.5), FUNC, FLOAT, TYPE_TAG
      return hashCommon(w, a);
  }
}

/** name, info and size/type all equal. */
export function equalCommon(w: Uint32Array, a: number, b: number): boolean {
  return w[a] === w[b] && w[a + 1] === w[b + 1] && w[a + 2] === w[b + 2];
}

/** INT / DECL_TAG: common and the fourth word. */
export function equalIntTag(w: Uint32Array, a: number, b: number): boolean {
  return w[a] === w[b] && w[a + 1] === w[b + 1] && w[a + 2] === w[b + 2] && w[a + 3] === w[b + 3];
}

/** ENUM / ENUM64: common (so same kind, size, vlen, signedness) and every value. */
export function equalEnum(w: Uint32Array, a: number, b: number): boolean {
  if (!equalCommon(w, a, b)) return false;
  const info = w[a + 1]!;
  const n = vlenOf(info) * (kindOf(info) === K.ENUM ? 2 : 3);
  for (let i = 3, e = 3 + n; i < e; i++) if (w[a + i] !== w[b + i]) return false;
  return true;
}

/** An ENUM or ENUM64 without values: a forward declaration. */
export function isEnumFwd(info: number): boolean {
  const k = kindOf(info);
  return (k === K.ENUM || k === K.ENUM64) && vlenOf(info) === 0;
}

const isAnyEnum = (info: number): boolean => {
  const k = kindOf(info);
  return k === K.ENUM || k === K.ENUM64;
};

/**
 * Enums that may stand for one another: equal when neither is a forward declaration;
 * otherwise same name and both ENUM or ENUM64 (size and kind ignored, so an ENUM fwd
 * matches a full ENUM64 and vice versa).
 */
export function compatEnum(w: Uint32Array, a: number, b: number): boolean {
  const ia = w[a + 1]!;
  const ib = w[b + 1]!;
  if (!isEnumFwd(ia) && !isEnumFwd(ib)) return equalEnum(w, a, b);
  return w[a] === w[b] && isAnyEnum(ia) && isAnyEnum(ib);
}

/** STRUCT / UNION: common and each member's name and offset, ignoring member types. */
export function shallowEqualStruct(w: Uint32Array, a: number, b: number): boolean {
  if (!equalCommon(w, a, b)) return false;
  for (let i = 0, n = vlenOf(w[a + 1]!), m = 3; i < n; i++, m += 3) {
    if (w[a + m] !== w[b + m] || w[a + m + 2] !== w[b + m + 2]) return false;
  }
  return true;
}

/** ARRAY, exactly: common, element and index types, element count. */
export function equalArray(w: Uint32Array, a: number, b: number): boolean {
  return equalCommon(w, a, b) && w[a + 3] === w[b + 3] && w[a + 4] === w[b + 4] && w[a + 5] === w[b + 5];
}

/** ARRAY, ignoring the referenced types: common and element count. */
export function compatArray(w: Uint32Array, a: number, b: number): boolean {
  return equalCommon(w, a, b) && w[a + 5] === w[b + 5];
}

/** FUNC_PROTO, exactly: common (incl. return type) and each parameter's name and type. */
export function equalFnproto(w: Uint32Array, a: number, b: number): boolean {
  if (!equalCommon(w, a, b)) return false;
  for (let i = 3, e = 3 + 2 * vlenOf(w[a + 1]!); i < e; i++) if (w[a + i] !== w[b + i]) return false;
  return true;
}

/** FUNC_PROTO, ignoring the referenced types: name, info and parameter names. */
export function compatFnproto(w: Uint32Array, a: number, b: number): boolean {
  if (w[a] !== w[b] || w[a + 1] !== w[b + 1]) return false;
  for (let i = 0, n = vlenOf(w[a + 1]!), p = 3; i < n; i++, p += 2) if (w[a + p] !== w[b + p]) return false;
  return true;
}
