/**
 * The BTF model: raw words plus an index, as libbpf keeps it.
 *
 * - `types`: the own type section as native-order `Uint32Array` words;
 * - `typeOffs[id - startId]`: word offset of each own type record (libbpf `type_offs`);
 * - `strs`: the own string section bytes, decoded only when asked.
 *
 * A split BTF has a `base`: ids below `startId` and string offsets below `startStrOff`
 * are served by the base, so the pair behaves as one BTF. No object is made per type;
 * {@link Btf.type} builds a friendly view on demand for API users.
 */
import { BtfError } from "../internal/errors.js";
import { decodeLatin1, decodeUtf8 } from "./strings.js";
import { ELEM_WORDS, INFO_WORDS, Kind, kflagOf, kindOf, vlenOf } from "./kinds.js";
import { BtfType, makeType, VOID_TYPE } from "./types.js";

/** Byte order of serialized BTF. */
export type Endian = "little" | "big";

/** The host's byte order (all in-memory words are in it). */
export const HOST_ENDIAN: Endian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? "little" : "big";

/** Header fields as read from a file (offsets relative to the end of the header). */
export interface BtfHeader {
  magic: number;
  version: number;
  flags: number;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}

export class Btf {
  /** The base of a split BTF, or undefined. */
  readonly base: Btf | undefined;
  /** First own type id: 1, or the base's type count for split BTF. */
  readonly startId: number;
  /** First own string offset: 0, or where the base's strings end. */
  readonly startStrOff: number;
  /** Own type records, native-order words; only the first `typeWords` are used. */
  types: Uint32Array;
  typeWords: number;
  /** Word offset of each own type; only the first `nrTypes` are used. */
  typeOffs: Uint32Array;
  nrTypes: number;
  /** Own string bytes; only the first `strLen` are used. */
  strs: Uint8Array;
  strLen: number;
  /** Byte order the BTF came in (and is written in by default). */
  endian: Endian;
  /** Header version and flags byte, kept for writing. */
  version = 1;
  flags = 0;
  /** Header bytes past the 24 known ones (hdr_len > 24), in file order; written back verbatim. */
  hdrExtra: Uint8Array = new Uint8Array(0);

  private nameIndex: Map<string, number[]> | undefined;
  private typeCache: Map<number, BtfType> | undefined;

  constructor(init: {
    base?: Btf;
    types?: Uint32Array;
    typeWords?: number;
    typeOffs?: Uint32Array;
    nrTypes?: number;
    strs?: Uint8Array;
    strLen?: number;
    endian?: Endian;
  }) {
    this.base = init.base;
    this.startId = init.base ? init.base.typeCount : 1;
    this.startStrOff = init.base ? init.base.startStrOff + init.base.strLen : 0;
    this.types = init.types ?? new Uint32Array(0);
    this.typeWords = init.typeWords ?? this.types.length;
    this.typeOffs = init.typeOffs ?? new Uint32Array(0);
    this.nrTypes = init.nrTypes ?? this.typeOffs.length;
    this.strs = init.strs ?? (init.base ? new Uint8Array(0) : new Uint8Array(1));
    this.strLen = init.strLen ?? this.strs.length;
    this.endian = init.endian ?? init.base?.endian ?? HOST_ENDIAN;
  }

  /** Number of type ids, void included: the last id + 1 (libbpf `btf__type_cnt`). */
  get typeCount(): number {
    return this.startId + this.nrTypes;
  }

  /** True when `id` names a type of this BTF or its base (0, void, included). */
  hasType(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.typeCount;
  }

  /** The BTF (this or an ancestor) that stores type `id` (id >= 1). */
  owner(id: number): Btf {
    let b: Btf = this;
    while (id < b.startId && b.base) b = b.base;
    return b;
  }

  /** Word offset of type `id` inside `owner(id).types`. */
  offsetOf(id: number): number {
    const b = this.owner(id);
    return b.typeOffs[id - b.startId]!;
  }

  /** The `info` word of type `id` (0 for void). */
  info(id: number): number {
    if (id === 0) return 0;
    const b = this.owner(id);
    return b.types[b.typeOffs[id - b.startId]! + 1]!;
  }

  /** Kind of type `id` (Kind.UNKN for void). */
  kind(id: number): Kind {
    return kindOf(this.info(id));
  }

  vlen(id: number): number {
    return vlenOf(this.info(id));
  }

  kflag(id: number): number {
    return kflagOf(this.info(id));
  }

  /** Name offset of type `id`. */
  nameOff(id: number): number {
    if (id === 0) return 0;
    const b = this.owner(id);
    return b.types[b.typeOffs[id - b.startId]!]!;
  }

  /** The third word: `size` or `type`, by kind. */
  sizeOrType(id: number): number {
    if (id === 0) return 0;
    const b = this.owner(id);
    return b.types[b.typeOffs[id - b.startId]! + 2]!;
  }

  /** Word `k` of type `id`'s record (0..2 common, then trailing data). */
  word(id: number, k: number): number {
    const b = this.owner(id);
    return b.types[b.typeOffs[id - b.startId]! + k]!;
  }

  /** Own string section bytes in use (a view). */
  stringBytes(): Uint8Array {
    return this.strs.subarray(0, this.strLen);
  }

  /** Locate string offset `off`: [bytes, start, end] with end at the NUL, or undefined when out of range. */
  strSpan(off: number): [Uint8Array, number, number] | undefined {
    let b: Btf = this;
    while (off < b.startStrOff && b.base) b = b.base;
    const local = off - b.startStrOff;
    if (local < 0 || local >= b.strLen) return undefined;
    let end = b.strs.indexOf(0, local);
    if (end < 0 || end >= b.strLen) end = b.strLen;
    return [b.strs, local, end];
  }

  /** True when string offset `off` resolves (libbpf `btf__str_by_offset` != NULL). */
  strValid(off: number): boolean {
    let b: Btf = this;
    while (off < b.startStrOff && b.base) b = b.base;
    const local = off - b.startStrOff;
    return local >= 0 && local < b.strLen;
  }

  /** The string at offset `off` (UTF-8), or undefined when the offset is out of range. */
  str(off: number): string | undefined {
    const s = this.strSpan(off);
    return s && decodeUtf8(s[0], s[1], s[2]);
  }

  /** The string at offset `off`, one char per byte (for byte-exact text output). */
  strLatin1(off: number): string | undefined {
    const s = this.strSpan(off);
    return s && decodeLatin1(s[0], s[1], s[2]);
  }

  /** Name of type `id` ("" when anonymous or void). */
  name(id: number): string {
    return this.str(this.nameOff(id)) ?? "";
  }

  /** Total record size in bytes of type `id`. */
  recordSize(id: number): number {
    const info = this.info(id);
    const k = kindOf(info);
    return 4 * (3 + INFO_WORDS[k]! + vlenOf(info) * ELEM_WORDS[k]!);
  }

  /**
   * Ids of the types named `name`, base first, ascending (optionally only of `kind`).
   * The index is built on first use.
   *
   * @example
   * ```ts
   * btf.findByName("task_struct", Kind.STRUCT); // [id]
   * ```
   */
  findByName(name: string, kind?: Kind): number[] {
    const own = this.ownIndex().get(name) ?? [];
    const fromBase = this.base ? this.base.findByName(name) : [];
    const all = fromBase.length ? fromBase.concat(own) : own;
    return kind === undefined ? all.slice() : all.filter((id) => this.kind(id) === kind);
  }

  private ownIndex(): Map<string, number[]> {
    if (this.nameIndex) return this.nameIndex;
    const m = new Map<string, number[]>();
    for (let i = 0; i < this.nrTypes; i++) {
      const off = this.types[this.typeOffs[i]!]!;
      if (!off) continue;
      const n = this.str(off);
      if (n === undefined) continue;
      const id = this.startId + i;
      const l = m.get(n);
      if (l) l.push(id);
      else m.set(n, [id]);
    }
    this.nameIndex = m;
    return m;
  }

  /**
   * A typed, read-only view of type `id` (made on first call, cached).
   *
   * @throws {BtfError} NOT_FOUND for an id outside the BTF.
   * @example
   * ```ts
   * const t = btf.type(1);
   * if (t.kind === Kind.STRUCT) for (const m of t.members) console.log(m.name, m.type);
   * ```
   */
  type(id: number): BtfType {
    if (!this.hasType(id)) throw new BtfError("NOT_FOUND", `no type with id ${id}`, { typeId: id });
    if (id === 0) return VOID_TYPE;
    const b = this.owner(id);
    if (b !== this) return b.type(id);
    this.typeCache ??= new Map();
    let t = this.typeCache.get(id);
    if (!t) {
      t = makeType(this, id);
      this.typeCache.set(id, t);
    }
    return t;
  }

  /** Drop lazily built indexes (after a modification). */
  invalidate(): void {
    this.nameIndex = undefined;
    this.typeCache = undefined;
  }
}
