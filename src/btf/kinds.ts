/**
 * BTF kinds and the per-kind record layout (libbpf `btf_type_size`, kernel
 * `include/uapi/linux/btf.h`). A record is 12 bytes (`name_off`, `info`,
 * `size|type`) followed by `INFO_WORDS[kind]` words and `vlen * ELEM_WORDS[kind]` words.
 */

export enum Kind {
  UNKN = 0,
  INT = 1,
  PTR = 2,
  ARRAY = 3,
  STRUCT = 4,
  UNION = 5,
  ENUM = 6,
  FWD = 7,
  TYPEDEF = 8,
  VOLATILE = 9,
  CONST = 10,
  RESTRICT = 11,
  FUNC = 12,
  FUNC_PROTO = 13,
  VAR = 14,
  DATASEC = 15,
  FLOAT = 16,
  DECL_TAG = 17,
  TYPE_TAG = 18,
  ENUM64 = 19,
}

/** Highest kind number this library knows. */
export const KIND_MAX = 19;

/** Names as bpftool prints them (`btf_kind_str`). */
export const KIND_NAMES: readonly string[] = [
  "UNKNOWN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF", "VOLATILE",
  "CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG", "TYPE_TAG", "ENUM64",
];

/** Words of fixed trailing data after the 3-word common header, per kind. -1: no such kind. */
export const INFO_WORDS: Int8Array = Int8Array.from([-1, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
/** Words per vlen element, per kind (FUNC stores linkage in vlen, so 0). */
export const ELEM_WORDS: Int8Array = Int8Array.from([0, 0, 0, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 3]);

/** BTF_INT_* encoding bits. */
export const INT_SIGNED = 1;
export const INT_CHAR = 2;
export const INT_BOOL = 4;

/** FUNC / VAR linkage values. */
export const LINKAGE_STATIC = 0;
export const LINKAGE_GLOBAL = 1;
export const LINKAGE_EXTERN = 2;

/** `info` field decoding (released UAPI: 16-bit vlen, 5-bit kind). */
export const kindOf = (info: number): number => (info >>> 24) & 0x1f;
export const vlenOf = (info: number): number => info & 0xffff;
export const kflagOf = (info: number): number => info >>> 31;
/** Build an `info` word. */
export const mkInfo = (kind: number, vlen: number, kflag: number | boolean): number =>
  ((kflag ? 0x80000000 : 0) | (kind << 24) | (vlen & 0xffff)) >>> 0;

/** Size in words of a record with this `info`, or -1 for an unknown kind. */
export function recordWords(info: number): number {
  const kind = kindOf(info);
  if (kind === 0 || kind > KIND_MAX) return -1;
  return 3 + INFO_WORDS[kind]! + vlenOf(info) * ELEM_WORDS[kind]!;
}

/** Modifier kinds (libbpf `btf_is_mod`). */
export const isModifier = (kind: number): boolean =>
  kind === Kind.VOLATILE || kind === Kind.CONST || kind === Kind.RESTRICT || kind === Kind.TYPE_TAG;
