/**
 * Type-graph equivalence for struct/union dedup (libbpf 1.5 `btf_dedup_is_equiv`,
 * `btf_dedup_merge_hypot_map`, `btf_dedup_identical_arrays/_structs`).
 */
import { Kind } from "../kinds.js";
import { compatArray, compatEnum, compatFnproto, equalArray, shallowEqualStruct } from "./hash.js";
import { MAX_ID, type DedupState } from "./state.js";

const kindOf = (info: number): number => (info >>> 24) & 0x1f;
const vlenOf = (info: number): number => info & 0xffff;

/** Two ARRAYs equal down to their element and index type ids. */
export function identicalArrays(d: DedupState, id1: number, id2: number): boolean {
  const w = d.w;
  const a = d.offs[id1]!;
  const b = d.offs[id2]!;
  if (kindOf(w[a + 1]!) !== Kind.ARRAY || kindOf(w[b + 1]!) !== Kind.ARRAY) return false;
  return equalArray(w, a, b);
}

/**
 * Two STRUCTs (or two UNIONs) equal member by member, where each pair of member types
 * is the same id, or identical arrays, or (recursively) identical structs.
 */
export function identicalStructs(d: DedupState, id1: number, id2: number): boolean {
  const w = d.w;
  const a = d.offs[id1]!;
  const b = d.offs[id2]!;
  const k = kindOf(w[a + 1]!);
  if ((k !== Kind.STRUCT && k !== Kind.UNION) || k !== kindOf(w[b + 1]!)) return false;
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
 * records in `d.hypot` which candidate type a canonical type is assumed to correspond
 * to. Meeting a canonical type again is fine when it is paired with the same candidate
 * (a cycle through pointers closes); paired with a different one it is a contradiction,
 * and the graphs are not equivalent, unless the two candidates are identical copies
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
 * This is the hottest loop of dedup (tens of millions of pairs for a kernel), so it is
 * written flat: the C code's recursion is an explicit stack (graphs can be deep), the
 * first (or only) child is walked without being stacked, and the helpers are inlined.
 * The visiting order is the recursion's, so hypot entries — and the FWD resolutions
 * derived from them — come out in the same order. Returns true when no step failed.
 */
export function isEquiv(d: DedupState, candTop: number, canonTop: number): boolean {
  const w = d.w;
  const offs = d.offs;
  const hypot = d.hypot;
  const map = d.map;
  let list = d.hypotList;
  let cnt = d.hypotCnt;
  let st: Uint32Array = stack;
  let sp = 0;
  let cand = candTop;
  let canon = canonTop;
  let ok = true;
  walk: for (;;) {
    // 1. Same canonical type?
    let rc = cand;
    let m = map[rc]!;
    while (m <= MAX_ID && m !== rc) {
      rc = m;
      m = map[rc]!;
    }
    let rk = canon;
    m = map[rk]!;
    while (m <= MAX_ID && m !== rk) {
      rk = m;
      m = map[rk]!;
    }
    if (rc !== rk) {
      let b = offs[canon]!;
      let ib = w[b + 1]!;
      let kb = (ib >>> 24) & 0x1f;
      // 2. A resolved canonical FWD stands for its struct.
      if (kb === Kind.FWD && rk !== canon) {
        const ob = offs[rk]!;
        const ik = w[ob + 1]!;
        if (((ik >>> 24) & 0x1f) !== Kind.FWD) {
          canon = rk;
          b = ob;
          ib = ik;
          kb = (ik >>> 24) & 0x1f;
        }
      }
      // 3. The hypothetical mapping.
      const h = hypot[canon]!;
      if (h <= MAX_ID) {
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
        hypot[canon] = cand;
        // 4. Names, FWD against STRUCT/UNION.
        const a = offs[cand]!;
        if (w[a] !== w[b]) {
          ok = false;
          break;
        }
        const ia = w[a + 1]!;
        const ka = (ia >>> 24) & 0x1f;
        if (ka !== kb) {
          if (ka !== Kind.FWD && kb !== Kind.FWD) {
            ok = false;
            break;
          }
          let real: number;
          let fwd: number;
          if (ka === Kind.FWD) {
            real = kb;
            fwd = ia >>> 31 ? Kind.UNION : Kind.STRUCT;
          } else {
            real = ka;
            fwd = ib >>> 31 ? Kind.UNION : Kind.STRUCT;
            if (fwd === real && canon < d.startId) d.adjustCanon = true;
          }
          if (fwd !== real) {
            ok = false;
            break;
          }
        } else {
          // 5. Same kind: its own fields, then what it refers to.
          switch (ka) {
            case Kind.INT:
              if (ia !== ib || w[a + 2] !== w[b + 2] || w[a + 3] !== w[b + 3]) ok = false;
              break;
            case Kind.ENUM:
            case Kind.ENUM64:
              if (!compatEnum(w, a, b)) ok = false;
              break;
            case Kind.FWD:
            case Kind.FLOAT:
              if (ia !== ib || w[a + 2] !== w[b + 2]) ok = false;
              break;
            case Kind.CONST:
            case Kind.VOLATILE:
            case Kind.RESTRICT:
            case Kind.PTR:
            case Kind.TYPEDEF:
            case Kind.FUNC:
            case Kind.TYPE_TAG:
              if (ia !== ib) {
                ok = false;
                break;
              }
              cand = w[a + 2]!;
              canon = w[b + 2]!;
              continue walk;
            case Kind.ARRAY:
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
            case Kind.STRUCT:
            case Kind.UNION: {
              if (!shallowEqualStruct(w, a, b)) {
                ok = false;
                break;
              }
              const n = ia & 0xffff;
              if (n === 0) break;
              if (sp + 2 * n > st.length) while (sp + 2 * n > st.length) st = growStack();
              for (let i = n - 1; i > 0; i--) {
                st[sp++] = w[a + 4 + 3 * i]!;
                st[sp++] = w[b + 4 + 3 * i]!;
              }
              cand = w[a + 4]!;
              canon = w[b + 4]!;
              continue walk;
            }
            case Kind.FUNC_PROTO: {
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
  const map = d.map;
  const list = d.hypotList;
  for (let i = 0, n = d.hypotCnt; i < n; i++) {
    const c0 = list[i]!;
    const t = d.resolve(d.hypot[c0]!);
    const c = d.resolve(c0);
    const tk = d.kind(t);
    const ck = d.kind(c);
    if (tk !== Kind.FWD && ck === Kind.FWD) map[c] = t;
    if (d.adjustCanon) continue;
    if (tk === Kind.FWD && ck !== Kind.FWD) map[t] = c;
    if ((tk === Kind.STRUCT || tk === Kind.UNION) && ck !== Kind.FWD && map[c]! <= MAX_ID && !(map[t]! <= MAX_ID)) map[t] = c;
  }
}
