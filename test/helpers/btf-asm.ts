/**
 * A tiny, independent BTF assembler for tests and fixture generation.
 *
 * It knows the record layout of every kind on its own (it does not import src/), so
 * blobs it makes are a second opinion on the format, not a copy of the code under test.
 * It can make any byte layout: either byte order, extra header bytes, gaps, arbitrary
 * header fields, trailing bytes, raw (even invalid) records.
 */

export type Endian = "little" | "big";

/** Kind numbers (kernel include/uapi/linux/btf.h), written out here on purpose. */
export const K = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

/** Trailing words per kind: [fixed, per vlen element]. */
export const LAYOUT: Record<number, [number, number]> = {
  1: [1, 0], 2: [0, 0], 3: [3, 0], 4: [0, 3], 5: [0, 3], 6: [0, 2], 7: [0, 0], 8: [0, 0], 9: [0, 0], 10: [0, 0],
  11: [0, 0], 12: [0, 0], 13: [0, 2], 14: [1, 0], 15: [0, 3], 16: [0, 0], 17: [1, 0], 18: [0, 0], 19: [0, 3],
};

export const info = (kind: number, vlen = 0, kflag: number | boolean = 0): number =>
  (((kflag ? 1 : 0) << 31) | (kind << 24) | (vlen & 0xffff)) >>> 0;

export interface Member {
  name?: Name;
  type: number;
  bitOff?: number;
  bitSize?: number;
}

const enc = new TextEncoder();

/** A name: a JS string (UTF-8) or raw bytes (no NUL). */
export type Name = string | Uint8Array;

/** Header field overrides; offsets are relative to the end of the header, as in the file. */
export interface HeaderFields {
  magic?: number;
  version?: number;
  flags?: number;
  hdrLen?: number;
  typeOff?: number;
  typeLen?: number;
  strOff?: number;
  strLen?: number;
}

export interface AssembleOptions {
  endian?: Endian;
  /** Extra header bytes past the first 24 (hdr_len = 24 + length). */
  hdrExtra?: ArrayLike<number>;
  /** Bytes of zero padding between the header and the type section. */
  gapBeforeTypes?: number;
  /** Bytes of zero padding between the type and the string sections. */
  gapBeforeStrs?: number;
  /** Bytes appended after the string section (not covered by the header). */
  trailing?: ArrayLike<number>;
  /** Header fields to write instead of the computed ones. */
  hdr?: HeaderFields;
}

/**
 * Lay out a raw BTF blob from type words (host numbers) and string bytes.
 * Every type-section word is a u32, so the byte order only changes how words are stored.
 */
export function assemble(words: ArrayLike<number>, strs: ArrayLike<number>, o: AssembleOptions = {}): Uint8Array {
  const le = (o.endian ?? "little") === "little";
  const extra = o.hdrExtra ?? [];
  const hdrLen = 24 + extra.length;
  const gap1 = o.gapBeforeTypes ?? 0;
  const gap2 = o.gapBeforeStrs ?? 0;
  const typeLen = words.length * 4;
  const trailing = o.trailing ?? [];
  const total = hdrLen + gap1 + typeLen + gap2 + strs.length + trailing.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const h = o.hdr ?? {};
  dv.setUint16(0, h.magic ?? 0xeb9f, le);
  out[2] = h.version ?? 1;
  out[3] = h.flags ?? 0;
  dv.setUint32(4, h.hdrLen ?? hdrLen, le);
  dv.setUint32(8, h.typeOff ?? gap1, le);
  dv.setUint32(12, h.typeLen ?? typeLen, le);
  dv.setUint32(16, h.strOff ?? gap1 + typeLen + gap2, le);
  dv.setUint32(20, h.strLen ?? strs.length, le);
  out.set(Array.from(extra), 24);
  let p = hdrLen + gap1;
  for (let i = 0; i < words.length; i++, p += 4) dv.setUint32(p, words[i]! >>> 0, le);
  p += gap2;
  out.set(Array.from(strs), p);
  out.set(Array.from(trailing), p + strs.length);
  return out;
}

/** Read the 6 u32 header fields after the magic of a blob (either byte order). */
export function readHeader(b: Uint8Array): Required<HeaderFields> & { endian: Endian } {
  const le = b[0] === 0x9f;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    endian: le ? "little" : "big",
    magic: dv.getUint16(0, le),
    version: b[2]!,
    flags: b[3]!,
    hdrLen: dv.getUint32(4, le),
    typeOff: dv.getUint32(8, le),
    typeLen: dv.getUint32(12, le),
    strOff: dv.getUint32(16, le),
    strLen: dv.getUint32(20, le),
  };
}

/**
 * Byte-swap a raw BTF blob (hdr_len must be 24): header fields and every word of the
 * type section; strings are bytes and stay. Gaps and trailing bytes are copied as they are.
 */
export function swapEndian(b: Uint8Array): Uint8Array {
  const h = readHeader(b);
  if (h.hdrLen !== 24) throw new Error("swapEndian: hdr_len must be 24");
  const out = new Uint8Array(b.length);
  out.set(b);
  const inLe = h.endian === "little";
  const src = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dst = new DataView(out.buffer);
  dst.setUint16(0, 0xeb9f, !inLe);
  for (let o = 4; o < 24; o += 4) dst.setUint32(o, src.getUint32(o, inLe), !inLe);
  const start = 24 + h.typeOff;
  for (let o = start; o + 4 <= start + h.typeLen; o += 4) dst.setUint32(o, src.getUint32(o, inLe), !inLe);
  return out;
}

/** Where a split blob's ids and strings start. */
export interface SplitBase {
  /** Number of ids in the base, void included (the split's first id). */
  typeCount: number;
  /** Where the base's strings end (the split's first string offset). */
  strEnd: number;
  /** Strings of the base to reuse by offset (optional). */
  strings?: Map<string, number>;
}

/**
 * Incremental builder: `str()` interns names, each kind method appends one record and
 * returns its id. `raw()` appends arbitrary words.
 *
 * @example
 * const a = new BtfAsm();
 * const int = a.int("int", 4, 1);
 * a.ptr(int);
 * const bytes = a.bytes();
 */
export class BtfAsm {
  readonly words: number[] = [];
  /** Word offset of each record, in id order. */
  readonly recs: number[] = [];
  readonly strBytes: number[] = [];
  readonly strings = new Map<string, number>();
  readonly startId: number;
  readonly startStrOff: number;
  private readonly base: SplitBase | undefined;

  constructor(base?: SplitBase | BtfAsm) {
    if (base instanceof BtfAsm) base = base.asBase();
    this.base = base;
    this.startId = base ? base.typeCount : 1;
    this.startStrOff = base ? base.strEnd : 0;
    if (!base) {
      this.strBytes.push(0);
      this.strings.set("", 0);
    }
  }

  /** This BTF as the base of a split one. */
  asBase(): SplitBase {
    const strings = new Map(this.base?.strings ?? []);
    for (const [k, v] of this.strings) strings.set(k, v);
    return { typeCount: this.nextId, strEnd: this.startStrOff + this.strBytes.length, strings };
  }

  /** The id the next record gets. */
  get nextId(): number {
    return this.startId + this.recs.length;
  }

  /** Offset of string `s` (interned; a split reuses the base's copy). Strings may hold any bytes but NUL. */
  str(s: string | Uint8Array | undefined): number {
    if (s === undefined || s === "") return 0;
    const bytes = typeof s === "string" ? enc.encode(s) : s;
    const key = typeof s === "string" ? s : "\u0000bytes:" + Array.from(s).join(",");
    const inBase = typeof s === "string" ? this.base?.strings?.get(s) : undefined;
    if (inBase !== undefined) return inBase;
    const have = this.strings.get(key);
    if (have !== undefined) return have;
    const off = this.startStrOff + this.strBytes.length;
    for (const c of bytes) this.strBytes.push(c);
    this.strBytes.push(0);
    this.strings.set(key, off);
    return off;
  }

  /** Append raw words as one record (no checks at all). */
  raw(...w: number[]): number {
    this.recs.push(this.words.length);
    for (const x of w) this.words.push(x >>> 0);
    return this.nextId - 1;
  }

  int(name: Name, size: number, encoding = 0, bits = size * 8, offset = 0): number {
    return this.raw(this.str(name), info(K.INT), size, ((encoding & 0xf) << 24) | ((offset & 0xff) << 16) | (bits & 0xff));
  }
  ptr(type: number): number {
    return this.raw(0, info(K.PTR), type);
  }
  const(type: number): number {
    return this.raw(0, info(K.CONST), type);
  }
  volatile(type: number): number {
    return this.raw(0, info(K.VOLATILE), type);
  }
  restrict(type: number): number {
    return this.raw(0, info(K.RESTRICT), type);
  }
  typedef(name: Name, type: number): number {
    return this.raw(this.str(name), info(K.TYPEDEF), type);
  }
  typeTag(value: Name, type: number, kflag = 0): number {
    return this.raw(this.str(value), info(K.TYPE_TAG, 0, kflag), type);
  }
  array(elem: number, index: number, nelems: number): number {
    return this.raw(0, info(K.ARRAY), 0, elem, index, nelems);
  }
  private composite(kind: number, name: Name | undefined, size: number, members: Member[], kflag?: boolean): number {
    const kf = kflag ?? members.some((m) => m.bitSize);
    const w = [this.str(name), info(kind, members.length, kf), size];
    for (const m of members) {
      const off = kf ? (((m.bitSize ?? 0) << 24) | ((m.bitOff ?? 0) & 0xffffff)) >>> 0 : (m.bitOff ?? 0);
      w.push(this.str(m.name), m.type, off);
    }
    return this.raw(...w);
  }
  struct(name: Name | undefined, size: number, members: Member[] = [], kflag?: boolean): number {
    return this.composite(K.STRUCT, name, size, members, kflag);
  }
  union(name: Name | undefined, size: number, members: Member[] = [], kflag?: boolean): number {
    return this.composite(K.UNION, name, size, members, kflag);
  }
  /** ENUM; `signed` defaults to "some value is negative". */
  enum(name: Name | undefined, size: number, values: [Name, number][], signed?: boolean): number {
    const sg = signed ?? values.some(([, v]) => v < 0);
    const w = [this.str(name), info(K.ENUM, values.length, sg), size];
    for (const [n, v] of values) w.push(this.str(n), v >>> 0);
    return this.raw(...w);
  }
  enum64(name: Name | undefined, size: number, values: [Name, bigint][], signed = false): number {
    const w = [this.str(name), info(K.ENUM64, values.length, signed), size];
    for (const [n, v] of values) {
      const u = BigInt.asUintN(64, v);
      w.push(this.str(n), Number(u & 0xffffffffn), Number(u >> 32n));
    }
    return this.raw(...w);
  }
  fwd(name: Name, union = false): number {
    return this.raw(this.str(name), info(K.FWD, 0, union), 0);
  }
  func(name: Name, proto: number, linkage = 1): number {
    return this.raw(this.str(name), info(K.FUNC, linkage), proto);
  }
  funcProto(ret: number, params: { name?: Name; type: number }[] = []): number {
    const w = [0, info(K.FUNC_PROTO, params.length), ret];
    for (const p of params) w.push(this.str(p.name), p.type);
    return this.raw(...w);
  }
  var(name: Name, type: number, linkage = 1): number {
    return this.raw(this.str(name), info(K.VAR), type, linkage);
  }
  datasec(name: Name, size: number, vars: { type: number; offset: number; size: number }[]): number {
    const w = [this.str(name), info(K.DATASEC, vars.length), size];
    for (const v of vars) w.push(v.type, v.offset, v.size);
    return this.raw(...w);
  }
  float(name: Name, size: number): number {
    return this.raw(this.str(name), info(K.FLOAT), size);
  }
  declTag(value: Name, type: number, componentIdx = -1, kflag = 0): number {
    return this.raw(this.str(value), info(K.DECL_TAG, 0, kflag), type, componentIdx >>> 0);
  }

  /** Patch word `k` of the record of type `id`. */
  patch(id: number, k: number, value: number): this {
    this.words[this.recs[id - this.startId]! + k] = value >>> 0;
    return this;
  }

  /** The blob. */
  bytes(o: AssembleOptions = {}): Uint8Array {
    return assemble(this.words, this.strBytes, o);
  }
}
