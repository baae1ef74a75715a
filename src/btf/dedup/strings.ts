/**
 * The string pass as a pure plan over read-only records, so that it can run on another
 * thread while the type passes go on (./parallel.ts): for every string reference of
 * the own types, in libbpf's first-use order, the new offset of its string in a rebuilt,
 * deduplicated section. Non-split BTF only.
 */
import { StringSet } from "../strings.js";
import { K } from "./consts.js";
import { recordWords } from "../kinds.js";

export interface StringPlan {
  /** The new string section. */
  bytes: Uint8Array;
  /**
   * True when no two referenced offsets hold equal strings: then equal names already
   * are equal offsets, and the type passes may run on the old offsets.
   */
  unique: boolean;
}


/**
 * Plan the string pass of non-split BTF whose own records are `w[0, words)` and whose
 * string section is `strs[0, strLen)`. `remap` (length strLen + 1, zeroed) receives, for
 * each referenced old offset, its new offset + 1.
 */
export function planStrings(w: Uint32Array, words: number, strs: Uint8Array, strLen: number, remap: Int32Array): StringPlan {
  const out = new StringSet(true, Math.max(64, strLen >>> 1));
  let unique = true;
  const ref = (off: number): void => {
    if (off === 0 || remap[off] !== 0) return;
    let end = strs.indexOf(0, off);
    if (end < 0 || end > strLen) end = strLen;
    const before = out.length;
    const n = out.addBytes(strs, off, end);
    if (out.length === before) unique = false; // another offset holds the same string
    remap[off] = n + 1;
  };
  for (let p = 0; p < words; ) {
    const info = w[p + 1]!;
    ref(w[p]!);
    const vlen = info & 0xffff;
    switch ((info >>> 24) & 0x1f) {
      case K.STRUCT:
      case K.UNION:
      case K.ENUM64:
        for (let i = 0, m = p + 3; i < vlen; i++, m += 3) ref(w[m]!);
        break;
      case K.ENUM:
      case K.FUNC_PROTO:
        for (let i = 0, m = p + 3; i < vlen; i++, m += 2) ref(w[m]!);
        break;
    }
    p += recordWords(info);
  }
  return { bytes: out.bytes(), unique };
}
