/**
 * A tiny assembler for hand-written raw BTF, for table tests: each type is a list of
 * words, names are given as the 1-based index of a string in the string section
 * (0 = anonymous) and turned into offsets when the blob is assembled.
 *
 * @example
 * ```ts
 * const bytes = assemble([R.int(1, 4, INT_SIGNED), R.ptr(1)], "\0int");
 * ```
 */
import { Kind, mkInfo } from "../../src/btf/kinds.js";

/** A name reference: the index of a string (1-based), 0 for none. */
type S = number;
/** One type: words, with `nameSlots` telling which words are string indexes. */
export interface RawType {
  words: number[];
  nameSlots: number[];
}

const rec = (words: number[], nameSlots: number[]): RawType => ({ words, nameSlots });

export const R = {
  /** INT: size in bytes, encoding bits, bit offset and width (default size*8). */
  int: (name: S, size: number, enc = 0, bits = size * 8, bitOff = 0): RawType =>
    rec([name, mkInfo(Kind.INT, 0, 0), size, ((enc << 24) | (bitOff << 16) | bits) >>> 0], [0]),
  float: (name: S, size: number): RawType => rec([name, mkInfo(Kind.FLOAT, 0, 0), size], [0]),
  ptr: (t: number): RawType => rec([0, mkInfo(Kind.PTR, 0, 0), t], [0]),
  konst: (t: number): RawType => rec([0, mkInfo(Kind.CONST, 0, 0), t], [0]),
  volatile: (t: number): RawType => rec([0, mkInfo(Kind.VOLATILE, 0, 0), t], [0]),
  restrict: (t: number): RawType => rec([0, mkInfo(Kind.RESTRICT, 0, 0), t], [0]),
  typedef: (name: S, t: number): RawType => rec([name, mkInfo(Kind.TYPEDEF, 0, 0), t], [0]),
  typeTag: (name: S, t: number): RawType => rec([name, mkInfo(Kind.TYPE_TAG, 0, 0), t], [0]),
  fwd: (name: S, union = false): RawType => rec([name, mkInfo(Kind.FWD, 0, union), 0], [0]),
  array: (elem: number, index: number, n: number): RawType => rec([0, mkInfo(Kind.ARRAY, 0, 0), 0, elem, index, n], [0]),
  /** STRUCT with members [name, type, bit offset]; `kflag` for bitfield-style offsets. */
  struct: (name: S, size: number, members: [S, number, number][], kflag = false): RawType => composite(Kind.STRUCT, name, size, members, kflag),
  union: (name: S, size: number, members: [S, number, number][], kflag = false): RawType => composite(Kind.UNION, name, size, members, kflag),
  /** ENUM with values [name, value]; size 4 by default; no values = a forward declaration. */
  enum: (name: S, size: number, values: [S, number][], signed = false): RawType => {
    const w = [name, mkInfo(Kind.ENUM, values.length, signed), size];
    const slots = [0];
    for (const [n, v] of values) {
      slots.push(w.length);
      w.push(n, v >>> 0);
    }
    return rec(w, slots);
  },
  /** ENUM64 with values [name, lo32, hi32]. */
  enum64: (name: S, size: number, values: [S, number, number][], signed = false): RawType => {
    const w = [name, mkInfo(Kind.ENUM64, values.length, signed), size];
    const slots = [0];
    for (const [n, lo, hi] of values) {
      slots.push(w.length);
      w.push(n, lo >>> 0, hi >>> 0);
    }
    return rec(w, slots);
  },
  func: (name: S, proto: number, linkage = 0): RawType => rec([name, mkInfo(Kind.FUNC, linkage, 0), proto], [0]),
  /** FUNC_PROTO returning `ret`, parameters [name, type]. */
  proto: (ret: number, params: [S, number][]): RawType => {
    const w = [0, mkInfo(Kind.FUNC_PROTO, params.length, 0), ret];
    const slots = [0];
    for (const [n, t] of params) {
      slots.push(w.length);
      w.push(n, t);
    }
    return rec(w, slots);
  },
  variable: (name: S, t: number, linkage = 0): RawType => rec([name, mkInfo(Kind.VAR, 0, 0), t, linkage], [0]),
  /** DATASEC with entries [type, offset, size]. */
  datasec: (name: S, size: number, vars: [number, number, number][]): RawType => {
    const w = [name, mkInfo(Kind.DATASEC, vars.length, 0), size];
    for (const v of vars) w.push(...v);
    return rec(w, [0]);
  },
  declTag: (name: S, t: number, component: number): RawType => rec([name, mkInfo(Kind.DECL_TAG, 0, 0), t, component >>> 0], [0]),
};

function composite(kind: Kind, name: S, size: number, members: [S, number, number][], kflag: boolean): RawType {
  const w = [name, mkInfo(kind, members.length, kflag), size];
  const slots = [0];
  for (const [n, t, off] of members) {
    slots.push(w.length);
    w.push(n, t, off >>> 0);
  }
  return rec(w, slots);
}

/**
 * Assemble raw little-endian BTF: 24-byte header, the types, the string section
 * `strs` (given with its leading `\0`; a trailing `\0` is added).
 *
 * For split BTF pass `strStart`, the base's string length: `strs` then has no leading
 * `\0` (its first string is index 1 all the same) and offsets start at `strStart`.
 * Type ids are always written as given (absolute).
 */
export function assemble(types: RawType[], strs: string, strStart?: number): Uint8Array {
  const split = strStart !== undefined;
  const parts = split ? ["", ...strs.split("\0")] : strs.split("\0");
  const offs: number[] = [];
  let at = split ? strStart - 1 : 0;
  for (const p of parts) {
    offs.push(at);
    at += Buffer.byteLength(p) + 1;
  }
  // offs[i] is the offset of parts[i]; parts[0] is "" for a section starting with NUL.
  const words: number[] = [];
  for (const t of types) {
    const w = t.words.slice();
    for (const s of t.nameSlots) {
      const idx = w[s]!;
      if (idx === 0) continue;
      if (idx >= parts.length) throw new Error(`string #${idx} does not exist`);
      w[s] = offs[idx]!;
    }
    words.push(...w);
  }
  const strBytes = Buffer.from(strs.length || !split ? strs + "\0" : "", "utf8");
  const out = new Uint8Array(24 + words.length * 4 + strBytes.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, words.length * 4, true);
  dv.setUint32(16, words.length * 4, true);
  dv.setUint32(20, strBytes.length, true);
  words.forEach((v, i) => dv.setUint32(24 + i * 4, v >>> 0, true));
  out.set(strBytes, 24 + words.length * 4);
  return out;
}
