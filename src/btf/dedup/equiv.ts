/**
 * Type-graph equivalence for struct/union dedup (libbpf 1.5 `btf_dedup_is_equiv`,
 * `btf_dedup_merge_hypot_map`, `btf_dedup_identical_arrays/_structs`).
 */
import { Kind } from "../kinds.js";
import { compatArray, compatEnum, compatFnproto, equalArray, shallowEqualStruct } from "./hash.js";
import type { DedupState } from "./state.js";
import { K, M } from "./consts.js";

const kindOf = (info: number): number => (info >>> 24) & 0x1f;
const vlenOf = (info: number): number => info & 0xffff;

/** Two ARRAYs equal down to their element and index type ids. */
export function identicalArrays(d: DedupState, id1: number, id2: number): boolean {
  const meta = d.meta;
  if (((meta[4 * id1 + M.INFO]! >>> 24) & 0x1f) !== K.ARRAY || ((meta[4 * id2 + M.INFO]! >>> 24) & 0x1f) !== K.ARRAY) return false;
  return equalArray(d.w, meta[4 * id1 + M.OFF]!, meta[4 * id2 + M.OFF]!);
}

/**
 * Two STRUCTs (or two UNIONs) equal member by member, where each pair of member types
 * is the same id, or identical arrays, or (recursively) identical structs.
 */
export function identicalStructs(d: DedupState, id1: number, id2: number): boolean {
  const meta = d.meta;
  const k = (meta[4 * id1 + M.INFO]! >>> 24) & 0x1f;
  if ((k !== K.STRUCT && k !== K.UNION) || k !== ((meta[4 * id2 + M.INFO]! >>> 24) & 0x1f)) return false;
  const w = d.w;
  const a = meta[4 * id1 + M.OFF]!;
  const b = meta[4 * id2 + M.OFF]!;
  if (!shallowEqualStruct(w, a, b)) return false;
  for (let i = 0, n = vlenOf(w[a + 1]!), m = 4; i < n; i++, m += 3) {
    const t1 = w[a + m]!;
    const t2 = w[b + m]!;
    if (t1 !== t2 && !identicalArrays(d, t1, t2) && !identicalStructs(d, t1, t2)) return false;
  }
  return true;
}

/** Pending (candidate, canonical) pairs of the depth-first walk, reused across calls. */
let stack: Uint32Array = new Uint32Array(1024);

function growStack(): Uint32Array {
  const s = new Uint32Array(stack.length * 2);
  s.set(stack);
  return (stack = s);
}

/**
 * Is the type graph rooted at candidate `candTop` equivalent to the one rooted at
 * canonical `canonTop`?
 *
 * Both graphs are walked side by side, depth first, children in field order. Each step
 * records in the hypothetical map (the HYP field of `d.meta`) which candidate type a
 * canonical type is assumed to correspond to. Meeting a canonical type again is fine
 * when it is paired with the same candidate (a cycle through pointers closes); paired
 * with a different one it is a contradiction, and the graphs are not equivalent, unless
 * the two candidates are identical copies
 * (compilers emit duplicate arrays and structs inside one unit; libbpf 1.5 accepts
 * structurally identical ARRAYs, and STRUCT/UNIONs whose members are the same ids,
 * identical arrays or identical structs).
 *
 * At each pair:
 * 1. types already resolved to the same canonical type are equivalent;
 * 2. a canonical-side FWD that dedup already resolved is replaced by its STRUCT/UNION
 *    (forward declarations are followed on the canonical side only: the candidate side
 *    is one compilation unit, where the compiler already linked what it could);
 * 3. the hypothetical mapping is checked and recorded (above);
 * 4. names must be equal; a FWD matches a STRUCT/UNION of its flavour — and if that FWD
 *    is a base type while the candidate is the concrete type, equivalence would need
 *    the immutable base to change, so `d.adjustCanon` is set and the caller rejects it;
 * 5. otherwise kinds must be equal and the kind's own fields compatible (referenced ids
 *    aside), and then each referenced pair is compared: a modifier's or pointer's or
 *    typedef's or func's target; an array's index type, then its element type; every
 *    member type in order; a prototype's return type, then each parameter type.
 *
 * Why this is sound (libbpf's argument): the candidate graph comes from one compilation
 * unit, where the compiler already made each C type one BTF type, so one canonical type
 * can only ever correspond to one candidate type; two different candidates for one
 * canonical type prove the graphs different. FWDs break that only on the canonical
 * side, which spans units; there a FWD resolved earlier stands for its struct, and a FWD
 * paired with a struct is recorded and resolved once the comparison succeeds
 * ({@link mergeHypot}). The walk is pessimistic about nothing else: any structural
 * difference (name, size, member names or offsets, enum values, array length, parameter
 * names, kind) ends it.
 *
 * This is the hottest loop of dedup (28 M pairs for a kernel), so it is written flat:
 * the C code's recursion is an explicit stack (graphs can be deep), the first (or only)
 * child is walked without being stacked, struct members that map straight to one
 * canonical type are not stacked at all, and the helpers are inlined. The visiting order
 * is the recursion's, so hypot entries — and the FWD resolutions derived from them —
 * come out in the same order. Returns true when no step failed.
 */
export function isEquiv(d: DedupState, candTop: number, canonTop: number): boolean {
  const w = d.w;
  const meta = d.meta;
  let list = d.hypotList;
  let cnt = d.hypotCnt;
  let st: Uint32Array = stack;
  let sp = 0;
  let cand = candTop;
  let canon = canonTop;
  let ok = true;
  walk: for (;;) {
    // 0. A pair met before in this walk (HYP is only ever set on a canonical type that
    //    step 2 left alone, and stays set until the walk ends): accepted at step 3.
    if (meta[4 * canon + M.HYP] === cand) {
      if (sp === 0) break;
      canon = st[--sp]!;
      cand = st[--sp]!;
      continue;
    }
    // 1. Same canonical type?
    let rc = cand;
    let m = meta[4 * rc + M.MAP]!;
    while (m >= 0 && m !== rc) {
      rc = m;
      m = meta[4 * rc + M.MAP]!;
    }
    let rk = canon;
    m = meta[4 * rk + M.MAP]!;
    while (m >= 0 && m !== rk) {
      rk = m;
      m = meta[4 * rk + M.MAP]!;
    }
    if (rc !== rk) {
      // Void is equivalent only to itself (and has no record to read).
      if (cand === 0 || canon === 0) {
        ok = false;
        break;
      }
      let ib = meta[4 * canon + M.INFO]!;
      let kb = (ib >>> 24) & 0x1f;
      // 2. A resolved canonical FWD stands for its struct.
      if (kb === K.FWD && rk !== canon) {
        const ik = meta[4 * rk + M.INFO]!;
        if (((ik >>> 24) & 0x1f) !== K.FWD) {
          canon = rk;
          ib = ik;
          kb = (ik >>> 24) & 0x1f;
        }
      }
      // 3. The hypothetical mapping.
      const hc = 4 * canon + M.HYP;
      const h = meta[hc]!;
      if (h >= 0) {
        if (h !== cand && !identicalArrays(d, h, cand) && !identicalStructs(d, h, cand)) {
          ok = false;
          break;
        }
      } else {
        if (cnt === list.length) {
          const l = new Uint32Array(list.length * 2);
          l.set(list);
          list = l;
        }
        list[cnt++] = canon;
        meta[hc] = cand;
        // 4. Names, FWD against STRUCT/UNION.
        const a = meta[4 * cand + M.OFF]!;
        const b = meta[hc - M.HYP + M.OFF]!;
        if (w[a] !== w[b]) {
          ok = false;
          break;
        }
        const ia = meta[4 * cand + M.INFO]!;
        const ka = (ia >>> 24) & 0x1f;
        if (ka !== kb) {
          if (ka !== K.FWD && kb !== K.FWD) {
            ok = false;
            break;
          }
          let real: number;
          let fwd: number;
          if (ka === K.FWD) {
            real = kb;
            fwd = ia >>> 31 ? K.UNION : K.STRUCT;
          } else {
            real = ka;
            fwd = ib >>> 31 ? K.UNION : K.STRUCT;
            if (fwd === real && canon < d.startId) d.adjustCanon = true;
          }
          if (fwd !== real) {
            ok = false;
            break;
          }
        } else {
          // 5. Same kind: its own fields, then what it refers to.
          switch (ka) {
            case K.INT:
              if (ia !== ib || w[a + 2] !== w[b + 2] || w[a + 3] !== w[b + 3]) ok = false;
              break;
            case K.ENUM:
            case K.ENUM64:
              if (!compatEnum(w, a, b)) ok = false;
              break;
            case K.FWD:
            case K.FLOAT:
              if (ia !== ib || w[a + 2] !== w[b + 2]) ok = false;
              break;
            case K.CONST:
            case K.VOLATILE:
            case K.RESTRICT:
            case K.PTR:
            case K.TYPEDEF:
            case K.FUNC:
            case K.TYPE_TAG:
              if (ia !== ib) {
                ok = false;
                break;
              }
              cand = w[a + 2]!;
              canon = w[b + 2]!;
              continue walk;
            case K.ARRAY:
              if (!compatArray(w, a, b)) {
                ok = false;
                break;
              }
              if (sp + 2 > st.length) st = growStack();
              st[sp++] = w[a + 3]!; // element type, compared second
              st[sp++] = w[b + 3]!;
              cand = w[a + 4]!; // index type first
              canon = w[b + 4]!;
              continue walk;
            case K.STRUCT:
            case K.UNION: {
              if (!shallowEqualStruct(w, a, b)) {
                ok = false;
                break;
              }
              const n = ia & 0xffff;
              if (n === 0) break;
              if (sp + 2 * n > st.length) while (sp + 2 * n > st.length) st = growStack();
              for (let i = n - 1; i > 0; i--) {
                const x = w[a + 4 + 3 * i]!;
                const y = w[b + 4 + 3 * i]!;
                // Members whose types map straight to one canonical type (ints, structs
                // done already) are equivalent: no need to stack them.
                const mx = meta[4 * x + M.MAP]!;
                if (mx >= 0 && mx === meta[4 * y + M.MAP]) continue;
                if (meta[4 * y + M.HYP] === x) continue; // step 0 would accept it
                st[sp++] = x;
                st[sp++] = y;
              }
              cand = w[a + 4]!;
              canon = w[b + 4]!;
              continue walk;
            }
            case K.FUNC_PROTO: {
              if (!compatFnproto(w, a, b)) {
                ok = false;
                break;
              }
              const n = ia & 0xffff;
              if (sp + 2 * n > st.length) while (sp + 2 * n > st.length) st = growStack();
              for (let i = n - 1; i >= 0; i--) {
                st[sp++] = w[a + 4 + 2 * i]!;
                st[sp++] = w[b + 4 + 2 * i]!;
              }
              cand = w[a + 2]!; // return type first
              canon = w[b + 2]!;
              continue walk;
            }
            default:
              d.hypotList = list;
              d.hypotCnt = cnt;
              d.fail(`unexpected ${Kind[ka] ?? ka} in a struct type graph`, cand);
          }
          if (!ok) break;
        }
      }
    }
    if (sp === 0) break;
    canon = st[--sp]!;
    cand = st[--sp]!;
  }
  d.hypotList = list;
  d.hypotCnt = cnt;
  return ok;
}

/**
 * After a successful comparison, turn the hypothetical mapping into real resolutions
 * (libbpf `btf_dedup_merge_hypot_map`), pair by pair in the order they were recorded:
 * - a canonical FWD paired with a concrete type resolves to it (even a base FWD: split
 *   FWDs resolve through it);
 * - unless `adjustCanon` is set (then nothing else is recorded): a candidate FWD paired
 *   with a concrete canonical type resolves to it; a candidate STRUCT/UNION not yet
 *   mapped takes the canonical type as representative, when that one is itself mapped
 *   (a shortcut that spares comparing it again later).
 */
export function mergeHypot(d: DedupState): void {
  const meta = d.meta;
  const list = d.hypotList;
  const adjust = d.adjustCanon;
  for (let i = 0, n = d.hypotCnt; i < n; i++) {
    const c0 = list[i]!;
    // Only FWD, STRUCT and UNION pairs can change anything. In a successful comparison
    // every recorded pair passed its checks, so a canonical type of another kind was
    // paired with a candidate of the same kind, and both resolve within that kind.
    const k0 = (meta[4 * c0 + M.INFO]! >>> 24) & 0x1f;
    if (k0 !== K.FWD && k0 !== K.STRUCT && k0 !== K.UNION) continue;
    let t = meta[4 * c0 + M.HYP]!;
    let m = meta[4 * t + M.MAP]!;
    while (m >= 0 && m !== t) {
      t = m;
      m = meta[4 * t + M.MAP]!;
    }
    let c = c0;
    m = meta[4 * c + M.MAP]!;
    while (m >= 0 && m !== c) {
      c = m;
      m = meta[4 * c + M.MAP]!;
    }
    const tk = (meta[4 * t + M.INFO]! >>> 24) & 0x1f;
    const ck = (meta[4 * c + M.INFO]! >>> 24) & 0x1f;
    if (tk !== K.FWD && ck === K.FWD) meta[4 * c + M.MAP] = t;
    if (adjust) continue;
    if (tk === K.FWD && ck !== K.FWD) meta[4 * t + M.MAP] = c;
    if ((tk === K.STRUCT || tk === K.UNION) && ck !== K.FWD && meta[4 * c + M.MAP]! >= 0 && meta[4 * t + M.MAP]! < 0) meta[4 * t + M.MAP] = c;
  }
}
