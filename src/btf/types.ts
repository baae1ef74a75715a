/**
 * Friendly, lazily built views of single types for library users.
 * Never used on hot paths: parsing, validation, dumping and dedup read the raw words.
 */
import type { Btf } from "./btf.js";
import { Kind, KIND_NAMES, kflagOf, kindOf, vlenOf } from "./kinds.js";

export interface Member {
  name: string;
  type: number;
  /** Offset in bits from the start of the struct. */
  bitOffset: number;
  /** Bitfield width in bits, 0 when not a bitfield. */
  bitfieldSize: number;
}
export interface Param {
  name: string;
  type: number;
}
export interface EnumValue {
  name: string;
  /** The value; ENUM64 values beyond 2^53 lose precision here, use `value64`. */
  value: number;
  value64: bigint;
}
export interface SecInfo {
  type: number;
  offset: number;
  size: number;
}

/** A view of one type. Fields that a kind does not have are undefined. */
export interface BtfType {
  readonly id: number;
  readonly kind: Kind;
  readonly kindName: string;
  readonly name: string;
  readonly kflag: number;
  readonly vlen: number;
  /** Byte size (INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT). */
  readonly size: number | undefined;
  /** Referenced type (PTR, TYPEDEF, modifiers, FUNC, VAR, DECL_TAG, TYPE_TAG; FUNC_PROTO: return type). */
  readonly type: number | undefined;
  /** INT: encoding bits, bit offset and bit count. */
  readonly encoding: number | undefined;
  readonly bitsOffset: number | undefined;
  readonly bits: number | undefined;
  /** ARRAY. */
  readonly elemType: number | undefined;
  readonly indexType: number | undefined;
  readonly nelems: number | undefined;
  readonly members: readonly Member[];
  readonly params: readonly Param[];
  readonly values: readonly EnumValue[];
  readonly vars: readonly SecInfo[];
  /** FUNC and VAR linkage. */
  readonly linkage: number | undefined;
  /** DECL_TAG component index (-1: the whole declaration). */
  readonly componentIdx: number | undefined;
  /** ENUM/ENUM64: signed values (kflag). */
  readonly signed: boolean | undefined;
}

const SIZED = new Set<number>([Kind.INT, Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.ENUM64, Kind.DATASEC, Kind.FLOAT]);
const REFS = new Set<number>([Kind.PTR, Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.FUNC, Kind.FUNC_PROTO, Kind.VAR, Kind.DECL_TAG, Kind.TYPE_TAG]);

/** Build the view of type `id` of `btf` (which must own it). */
export function makeType(btf: Btf, id: number): BtfType {
  const w = btf.types;
  const o = btf.typeOffs[id - btf.startId]!;
  const info = w[o + 1]!;
  const kind = kindOf(info) as Kind;
  const vlen = vlenOf(info);
  const kflag = kflagOf(info);
  const third = w[o + 2]!;
  const s = (off: number) => btf.str(off) ?? "";
  let members: Member[] = [];
  let params: Param[] = [];
  let values: EnumValue[] = [];
  let vars: SecInfo[] = [];
  if (kind === Kind.STRUCT || kind === Kind.UNION) {
    members = [];
    for (let i = 0; i < vlen; i++) {
      const m = o + 3 + i * 3;
      const off = w[m + 2]!;
      members.push({ name: s(w[m]!), type: w[m + 1]!, bitOffset: kflag ? off & 0xffffff : off, bitfieldSize: kflag ? off >>> 24 : 0 });
    }
  } else if (kind === Kind.FUNC_PROTO) {
    for (let i = 0; i < vlen; i++) params.push({ name: s(w[o + 3 + i * 2]!), type: w[o + 4 + i * 2]! });
  } else if (kind === Kind.ENUM) {
    for (let i = 0; i < vlen; i++) {
      const raw = w[o + 4 + i * 2]!;
      const v = kflag ? raw | 0 : raw;
      values.push({ name: s(w[o + 3 + i * 2]!), value: v, value64: BigInt(v) });
    }
  } else if (kind === Kind.ENUM64) {
    for (let i = 0; i < vlen; i++) {
      const lo = w[o + 4 + i * 3]!, hi = w[o + 5 + i * 3]!;
      let v = (BigInt(hi) << 32n) | BigInt(lo);
      if (kflag) v = BigInt.asIntN(64, v);
      values.push({ name: s(w[o + 3 + i * 3]!), value: Number(v), value64: v });
    }
  } else if (kind === Kind.DATASEC) {
    for (let i = 0; i < vlen; i++) vars.push({ type: w[o + 3 + i * 3]!, offset: w[o + 4 + i * 3]!, size: w[o + 5 + i * 3]! });
  }
  const intWord = kind === Kind.INT ? w[o + 3]! : 0;
  return Object.freeze({
    id,
    kind,
    kindName: KIND_NAMES[kind] ?? "UNKNOWN",
    name: s(w[o]!),
    kflag,
    vlen,
    size: SIZED.has(kind) ? third : undefined,
    type: REFS.has(kind) ? third : undefined,
    encoding: kind === Kind.INT ? (intWord >>> 24) & 0x0f : undefined,
    bitsOffset: kind === Kind.INT ? (intWord >>> 16) & 0xff : undefined,
    bits: kind === Kind.INT ? intWord & 0xff : undefined,
    elemType: kind === Kind.ARRAY ? w[o + 3]! : undefined,
    indexType: kind === Kind.ARRAY ? w[o + 4]! : undefined,
    nelems: kind === Kind.ARRAY ? w[o + 5]! : undefined,
    members,
    params,
    values,
    vars,
    linkage: kind === Kind.FUNC ? vlen : kind === Kind.VAR ? w[o + 3]! : undefined,
    componentIdx: kind === Kind.DECL_TAG ? w[o + 3]! | 0 : undefined,
    signed: kind === Kind.ENUM || kind === Kind.ENUM64 ? kflag === 1 : undefined,
  });
}

/** The view of id 0, void: kind UNKN, no name, no size. */
export const VOID_TYPE: BtfType = Object.freeze({
  id: 0, kind: Kind.UNKN, kindName: "void", name: "", kflag: 0, vlen: 0, size: undefined, type: undefined,
  encoding: undefined, bitsOffset: undefined, bits: undefined, elemType: undefined, indexType: undefined,
  nelems: undefined, members: [], params: [], values: [], vars: [], linkage: undefined, componentIdx: undefined,
  signed: undefined,
});
