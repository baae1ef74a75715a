/**
 * BTF deduplication, byte for byte as libbpf 1.5's `btf__dedup`.
 *
 * Why: a compiler (or pahole, from DWARF) describes types per compilation unit (CU).
 * Linking a kernel's few thousand CUs gives millions of BTF types that are mostly the
 * same few tens of thousands repeated: every CU that includes a header re-describes it.
 * Dedup finds, for every type, one canonical representative among the types that
 * describe the same C type, keeps only the representatives and points every reference
 * at them (3.4 M types -> 95 k for a distribution vmlinux).
 *
 * What "the same" means is the hard part. Two `struct task_struct` from different CUs
 * are the same only if everything they reach is the same, and that graph is cyclic
 * (pointers back to the struct itself). Some CUs only *declare* a struct (a FWD), which
 * must end up pointing at the full definition found elsewhere. And the result must be
 * exactly libbpf's — the same surviving types, the same ids, the same string section —
 * so the order of every decision is libbpf's too.
 *
 * The passes, in the order they run (each over the own types in id order):
 *
 * 0. split prep (split BTF only): every base type is its own canonical type and is
 *    filed in the dedup table, so that equivalent split types map onto the base; base
 *    types are never changed. VAR and DATASEC are never deduplicated at all.
 * 1. {@link dedupStrings}: strings are rebuilt in first-use order, keeping only the
 *    referenced ones, each once; a split BTF keeps only strings its base lacks. Skipped
 *    when the string section is already deduplicated (BTF built with the writer API, as
 *    pahole's is; see `stringsDeduped` in ../builder.ts). From here on, equal names are
 *    equal offsets.
 * 2. {@link dedupPrimTypes}: INT, FLOAT, FWD, ENUM, ENUM64 reference nothing; the first
 *    equal earlier type (by hash bucket) is canonical. An enum forward declaration (no
 *    values) maps onto a full enum of its name, even across ENUM/ENUM64; a full enum
 *    that meets an earlier canonical fwd redirects that fwd to itself.
 * 3. {@link dedupStructTypes}: for each STRUCT/UNION, candidates with the same shallow
 *    shape (name, size, member names and offsets) are compared as whole graphs by
 *    `isEquiv` (./equiv.ts, which explains the hypothetical mapping and the FWD rules);
 *    the first equivalent one is canonical. A successful comparison also resolves the
 *    FWDs it met and maps structs of the candidate graph.
 * 4. {@link resolveFwds}: a FWD still unresolved maps to the only canonical
 *    STRUCT/UNION of its name and flavour, if there is exactly one.
 * 5. {@link dedupRefTypes}: PTR, CONST, VOLATILE, RESTRICT, TYPEDEF (in 1.5 a reference
 *    type, not a graph type), FUNC, TYPE_TAG, DECL_TAG, ARRAY, FUNC_PROTO: referenced
 *    ids are first replaced by their canonical ids (recursively, depth first), after
 *    which an exact comparison suffices. A cycle made of reference types only is an
 *    error (libbpf: -ELOOP).
 * 6. {@link compactTypes}: the canonical own types move down in id order, renumbered
 *    from the first own id.
 * 7. {@link remapTypes}: every type-id field becomes the new id of its canonical type.
 *
 * The table of candidates keeps libbpf's hash-bucket order (./table.ts), which decides
 * the rare cases where two canonical candidates both match.
 */
import { BtfError } from "../../internal/errors.js";
import type { Btf } from "../btf.js";
import { adoptTypes, findStrBytes, setStringsDeduped, stringsDeduped, touch } from "../builder.js";
import { Kind } from "../kinds.js";
import { StringSet, strHash } from "../strings.js";
import { isEquiv, mergeHypot } from "./equiv.js";
import {
  compatEnum, equalArray, equalCommon, equalEnum, equalFnproto, equalIntTag, hashArray, hashByKind, hashCommon,
  hashEnum, hashFnproto, hashIntDeclTag, hashStruct, isEnumFwd, shallowEqualStruct,
} from "./hash.js";
import { DedupState, IN_PROGRESS, MAX_ID, UNPROCESSED } from "./state.js";

export { DedupState } from "./state.js";
export { isEquiv } from "./equiv.js";

const kindOf = (info: number): number => (info >>> 24) & 0x1f;
const vlenOf = (info: number): number => info & 0xffff;

export interface DedupOptions {
  /**
   * Treat the string section as already deduplicated and keep it as it is (libbpf does
   * this for BTF built with its writer API). Default: the BTF's own flag
   * (`stringsDeduped`), which is false for parsed BTF.
   */
  stringsDeduped?: boolean;
}

/**
 * Deduplicate `btf` in place, as libbpf 1.5's `btf__dedup`, and return it. A split
 * BTF is deduplicated against its base (`btf.base`), which is never modified: own types
 * equivalent to base types disappear in favour of them, the rest are renumbered after
 * the base. The result is byte-identical to libbpf's for the same input.
 *
 * @throws {BtfError} INVALID when libbpf would fail (a cycle of reference types, a
 *   VAR/DATASEC/DECL_TAG inside a struct graph, a reference to an id that cannot be
 *   remapped); `btf` is then left unusable, as libbpf leaves it.
 * @example
 * ```ts
 * const btf = parseBtf(await readFile("pre-dedup.btf"));
 * dedup(btf);
 * const mod = parseBtf(modBytes, { base: vmlinux });
 * dedup(mod);          // only the module's new types remain
 * ```
 */
export function dedup(btf: Btf, opts: DedupOptions = {}): Btf {
  touch(btf);
  const skipStrings = opts.stringsDeduped ?? stringsDeduped(btf);
  const d = new DedupState(btf);
  try {
    if (btf.base) splitPrep(d);
    const strs = skipStrings ? undefined : dedupStrings(d);
    dedupPrimTypes(d);
    dedupStructTypes(d);
    resolveFwds(d);
    dedupRefTypes(d);
    const compacted = compactTypes(d);
    remapTypes(d, compacted);
    btf.types = compacted.words;
    btf.typeWords = compacted.words.length;
    btf.typeOffs = compacted.offs;
    btf.nrTypes = compacted.offs.length;
    if (strs) {
      btf.strs = strs.data;
      btf.strLen = strs.length;
    }
  } catch (e) {
    if (e instanceof RangeError) throw new BtfError("INVALID", `dedup: type graph too deep (${e.message})`);
    throw e;
  }
  adoptTypes(btf);
  setStringsDeduped(btf, true);
  btf.invalidate();
  return btf;
}

/** Split prep: every base type is canonical and filed under its kind's hash. */
export function splitPrep(d: DedupState): void {
  const map = d.map;
  for (let id = 1; id < d.startId; id++) map[id] = id;
  const cached = d.cachedBaseTable();
  if (cached) {
    d.table = cached;
    return;
  }
  const w = d.w;
  const offs = d.offs;
  for (let id = 1; id < d.startId; id++) {
    const o = offs[id]!;
    const k = kindOf(w[o + 1]!);
    if (k === Kind.VAR || k === Kind.DATASEC) continue;
    if (k === Kind.UNKN || k > Kind.ENUM64) d.fail(`unknown kind ${k} in base BTF`, id);
    d.table.add(hashByKind(w, o), id);
  }
  d.cacheBaseTable();
}

/**
 * Pass 1: rebuild the string section with only the strings the own types use, in
 * first-use order (libbpf `btf_field_iter` order: a type's name, then its members',
 * values' or parameters' names); a split BTF points strings its base has at the base.
 * Returns the new section (installed once all passes succeed).
 */
export function dedupStrings(d: DedupState): StringSet {
  const btf = d.btf;
  const base = btf.base;
  const w = d.w;
  const startStr = btf.startStrOff;
  const old = btf.strs;
  const oldLen = btf.strLen;
  const out = new StringSet(!base, Math.max(64, oldLen >>> 1));
  // New offset of each old own offset, + 1 (0 = not seen yet): most strings are used many times.
  const memo = new Int32Array(oldLen + 1);
  const rewrite = (k: number): void => {
    const off = w[k]!;
    if (off === 0 || off < startStr) return;
    const local = off - startStr;
    const m = memo[local]!;
    if (m !== 0) {
      w[k] = m - 1;
      return;
    }
    let end = old.indexOf(0, local);
    if (end < 0 || end > oldLen) end = oldLen;
    let n = -1;
    if (base) {
      const h = strHash(old, local, end);
      n = findStrBytes(base, old, local, end, h);
    }
    if (n < 0) n = startStr + out.addBytes(old, local, end);
    memo[local] = n + 1;
    w[k] = n;
  };
  for (let id = d.startId; id < d.typeCount; id++) {
    const o = d.offs[id]!;
    rewrite(o);
    const info = w[o + 1]!;
    const vlen = vlenOf(info);
    switch (kindOf(info)) {
      case Kind.STRUCT:
      case Kind.UNION:
      case Kind.ENUM64:
        for (let i = 0, m = o + 3; i < vlen; i++, m += 3) rewrite(m);
        break;
      case Kind.ENUM:
      case Kind.FUNC_PROTO:
        for (let i = 0, m = o + 3; i < vlen; i++, m += 2) rewrite(m);
        break;
    }
  }
  return out;
}

/** Pass 2: INT, FLOAT, FWD, ENUM, ENUM64. */
export function dedupPrimTypes(d: DedupState): void {
  const w = d.w;
  const offs = d.offs;
  const map = d.map;
  const table = d.table;
  for (let id = d.startId; id < d.typeCount; id++) {
    const t = offs[id]!;
    const info = w[t + 1]!;
    let h: number;
    let newId = id;
    switch (kindOf(info)) {
      case Kind.INT:
        h = hashIntDeclTag(w, t);
        for (let e = table.first(h); e >= 0; e = table.next(e)) {
          const c = table.id(e);
          if (equalIntTag(w, t, offs[c]!)) {
            newId = c;
            break;
          }
        }
        break;
      case Kind.ENUM:
      case Kind.ENUM64: {
        h = hashEnum(w, t);
        const fwd = isEnumFwd(info);
        for (let e = table.first(h); e >= 0; e = table.next(e)) {
          const c = table.id(e);
          const co = offs[c]!;
          if (equalEnum(w, t, co)) {
            newId = c;
            break;
          }
          if (compatEnum(w, t, co)) {
            if (fwd) {
              newId = c; // a declaration takes the full enum
              break;
            }
            map[c] = id; // an earlier canonical declaration now stands for this enum
          }
        }
        break;
      }
      case Kind.FWD:
      case Kind.FLOAT:
        h = hashCommon(w, t);
        for (let e = table.first(h); e >= 0; e = table.next(e)) {
          const c = table.id(e);
          if (equalCommon(w, t, offs[c]!)) {
            newId = c;
            break;
          }
        }
        break;
      default:
        continue;
    }
    map[id] = newId;
    if (newId === id) table.add(h, id);
  }
}

/** Pass 3: STRUCT and UNION, by type-graph equivalence. */
export function dedupStructTypes(d: DedupState): void {
  const w = d.w;
  const offs = d.offs;
  const map = d.map;
  for (let id = d.startId; id < d.typeCount; id++) {
    if (map[id]! <= MAX_ID) continue; // already mapped by an earlier comparison
    const t = offs[id]!;
    const k = kindOf(w[t + 1]!);
    if (k !== Kind.STRUCT && k !== Kind.UNION) continue;
    const h = hashStruct(w, t);
    const table = d.table;
    let newId = id;
    for (let e = table.first(h); e >= 0; e = table.next(e)) {
      const c = table.id(e);
      // The shallow check also keeps a FWD that shares the bucket from being picked.
      if (!shallowEqualStruct(w, t, offs[c]!)) continue;
      d.clearHypot();
      if (!isEquiv(d, id, c)) continue;
      mergeHypot(d);
      if (d.adjustCanon) continue; // equivalent only if the base could change
      newId = c;
      break;
    }
    map[id] = newId;
    if (newId === id) table.add(h, id);
  }
}

/**
 * Pass 4: a FWD that no comparison resolved maps to the one canonical STRUCT/UNION
 * (base or own) of its name and flavour; a name with several is left alone.
 */
export function resolveFwds(d: DedupState): void {
  const w = d.w;
  const offs = d.offs;
  const map = d.map;
  const names = new Map<number, number>();
  for (let id = 1; id < d.typeCount; id++) {
    const o = offs[id]!;
    const k = kindOf(w[o + 1]!);
    if ((k !== Kind.STRUCT && k !== Kind.UNION) || map[id] !== id) continue;
    const n = w[o]!;
    names.set(n, names.has(n) ? 0 : id);
  }
  for (let id = d.startId; id < d.typeCount; id++) {
    const o = offs[id]!;
    const info = w[o + 1]!;
    if (kindOf(info) !== Kind.FWD || map[id] !== id) continue;
    const c = names.get(w[o]!);
    if (!c) continue;
    const ck = kindOf(w[offs[c]! + 1]!);
    if (ck !== (info >>> 31 ? Kind.UNION : Kind.STRUCT)) continue;
    map[id] = c;
  }
}

/** Word indexes of the type ids a reference type refers to, in dedup order. */
function refFieldCount(w: Uint32Array, o: number): number {
  const info = w[o + 1]!;
  switch (kindOf(info)) {
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.FUNC:
    case Kind.TYPE_TAG:
    case Kind.DECL_TAG:
      return 1;
    case Kind.ARRAY:
      return 2;
    case Kind.FUNC_PROTO:
      return 1 + vlenOf(info);
    default:
      return -1;
  }
}

/** Word index of reference field `k` (ARRAY: element, then index; FUNC_PROTO: return, then params). */
function refField(w: Uint32Array, o: number, k: number): number {
  switch (kindOf(w[o + 1]!)) {
    case Kind.ARRAY:
      return o + 3 + k;
    case Kind.FUNC_PROTO:
      return k === 0 ? o + 2 : o + 2 + 2 * k;
    default:
      return o + 2;
  }
}

let refStack = new Uint32Array(256);

/**
 * Canonical id of reference type `top`, deduplicating it and, first, everything it
 * refers to (libbpf `btf_dedup_ref_type`, recursion made an explicit stack). Types
 * already mapped resolve through `map`; an unmapped reference type is processed on the
 * spot: its ids become canonical ids (written into the record), then it is compared
 * exactly with the candidates of its hash.
 */
function dedupRefType(d: DedupState, top: number): number {
  const map = d.map;
  const w = d.w;
  const offs = d.offs;
  const m0 = map[top]!;
  if (m0 === IN_PROGRESS) d.fail("loop of reference types", top);
  if (m0 <= MAX_ID) return d.resolve(top);
  let sp = 0; // frames: (id, next field)
  const enter = (id: number): void => {
    if (refFieldCount(w, offs[id]!) < 0) d.fail(`cannot deduplicate ${Kind[kindOf(w[offs[id]! + 1]!)] ?? "unknown kind"} as a reference type`, id);
    map[id] = IN_PROGRESS;
    if (sp + 2 > refStack.length) {
      const s = new Uint32Array(refStack.length * 2);
      s.set(refStack);
      refStack = s;
    }
    refStack[sp++] = id;
    refStack[sp++] = 0;
  };
  enter(top);
  let result = 0;
  while (sp > 0) {
    const id = refStack[sp - 2]!;
    const k = refStack[sp - 1]!;
    const t = offs[id]!;
    if (k < refFieldCount(w, t)) {
      const f = refField(w, t, k);
      const child = w[f]!;
      const m = map[child]!;
      if (m === IN_PROGRESS) d.fail("loop of reference types", child);
      if (m <= MAX_ID) {
        w[f] = d.resolve(child);
        refStack[sp - 1] = k + 1;
      } else {
        enter(child);
      }
      continue;
    }
    // All referenced ids are canonical: find an exact match.
    const table = d.table;
    let h: number;
    let newId = id;
    switch (kindOf(w[t + 1]!)) {
      case Kind.DECL_TAG:
        h = hashIntDeclTag(w, t);
        for (let e = table.first(h); e >= 0; e = table.next(e)) {
          const c = table.id(e);
          if (equalIntTag(w, t, offs[c]!)) {
            newId = c;
            break;
          }
        }
        break;
      case Kind.ARRAY:
        h = hashArray(w, t);
        for (let e = table.first(h); e >= 0; e = table.next(e)) {
          const c = table.id(e);
          if (equalArray(w, t, offs[c]!)) {
            newId = c;
            break;
          }
        }
        break;
      case Kind.FUNC_PROTO:
        h = hashFnproto(w, t);
        for (let e = table.first(h); e >= 0; e = table.next(e)) {
          const c = table.id(e);
          if (equalFnproto(w, t, offs[c]!)) {
            newId = c;
            break;
          }
        }
        break;
      default:
        h = hashCommon(w, t);
        for (let e = table.first(h); e >= 0; e = table.next(e)) {
          const c = table.id(e);
          if (equalCommon(w, t, offs[c]!)) {
            newId = c;
            break;
          }
        }
    }
    map[id] = newId;
    if (newId === id) table.add(h, id);
    sp -= 2;
    if (sp > 0) {
      const pid = refStack[sp - 2]!;
      const pk = refStack[sp - 1]!;
      w[refField(w, offs[pid]!, pk)] = newId;
      refStack[sp - 1] = pk + 1;
    } else {
      result = newId;
    }
  }
  return result;
}

/** Pass 5: reference types (and TYPEDEF, ARRAY, FUNC_PROTO), recursively. */
export function dedupRefTypes(d: DedupState): void {
  for (let id = d.startId; id < d.typeCount; id++) dedupRefType(d, id);
}

/** The surviving own types, packed, and their offsets. */
export interface Compacted {
  words: Uint32Array;
  offs: Uint32Array;
}

/**
 * Pass 6: keep the canonical own types (`map[id] == id`) in id order, packed. `d.hypot`
 * becomes the old -> new id map (base ids map to themselves).
 */
export function compactTypes(d: DedupState): Compacted {
  const w = d.w;
  const offs = d.offs;
  const map = d.map;
  const newId = d.hypot;
  for (let id = 0; id < d.startId; id++) newId[id] = id;
  let count = 0;
  let words = 0;
  for (let id = d.startId; id < d.typeCount; id++) {
    if (map[id] !== id) {
      newId[id] = UNPROCESSED;
      continue;
    }
    newId[id] = d.startId + count++;
    words += recordLen(w, offs[id]!);
  }
  const out = new Uint32Array(words);
  const outOffs = new Uint32Array(count);
  let at = 0;
  let i = 0;
  for (let id = d.startId; id < d.typeCount; id++) {
    if (map[id] !== id) continue;
    const o = offs[id]!;
    const n = recordLen(w, o);
    out.set(w.subarray(o, o + n), at);
    outOffs[i++] = at;
    at += n;
  }
  return { words: out, offs: outOffs };
}

function recordLen(w: Uint32Array, o: number): number {
  const info = w[o + 1]!;
  const vlen = vlenOf(info);
  switch (kindOf(info)) {
    case Kind.INT:
    case Kind.VAR:
    case Kind.DECL_TAG:
      return 4;
    case Kind.ARRAY:
      return 6;
    case Kind.STRUCT:
    case Kind.UNION:
    case Kind.ENUM64:
    case Kind.DATASEC:
      return 3 + 3 * vlen;
    case Kind.ENUM:
    case Kind.FUNC_PROTO:
      return 3 + 2 * vlen;
    default:
      return 3;
  }
}

/**
 * Pass 7: every type-id field of the surviving types (libbpf 1.5's `btf_field_iter`,
 * which counts a FWD's third word too) becomes the new id of its canonical type.
 */
export function remapTypes(d: DedupState, c: Compacted): void {
  const w = c.words;
  const newId = d.hypot;
  const cnt = d.typeCount;
  const remap = (k: number, id: number): void => {
    const old = w[k]!;
    if (old >= cnt) d.fail(`reference to type [${old}] cannot be remapped`, id);
    const n = newId[d.resolve(old)]!;
    if (n > MAX_ID) d.fail(`reference to type [${old}] has no deduplicated type`, id);
    w[k] = n;
  };
  for (let i = 0; i < c.offs.length; i++) {
    const o = c.offs[i]!;
    const id = d.startId + i;
    const info = w[o + 1]!;
    const vlen = vlenOf(info);
    switch (kindOf(info)) {
      case Kind.FWD:
      case Kind.PTR:
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.FUNC:
      case Kind.VAR:
      case Kind.DECL_TAG:
      case Kind.TYPE_TAG:
        remap(o + 2, id);
        break;
      case Kind.ARRAY:
        remap(o + 3, id);
        remap(o + 4, id);
        break;
      case Kind.STRUCT:
      case Kind.UNION:
        for (let j = 0, m = o + 4; j < vlen; j++, m += 3) remap(m, id);
        break;
      case Kind.FUNC_PROTO:
        remap(o + 2, id);
        for (let j = 0, p = o + 4; j < vlen; j++, p += 2) remap(p, id);
        break;
      case Kind.DATASEC:
        for (let j = 0, s = o + 3; j < vlen; j++, s += 3) remap(s, id);
        break;
    }
  }
}
