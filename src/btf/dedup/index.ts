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
 *
 * How it is made fast (a kernel's 3.4 M types in about libbpf's time, from JavaScript):
 * - typed arrays only: the records are read in place from one word array, and each
 *   type's offset, canonical map, hypothetical map and info word sit together in one
 *   Int32Array (./state.ts), so that the graph walks touch few cache lines; constants
 *   are `const enum`s (./consts.ts) so that they compile to literals;
 * - the string pass remembers the new offset of every old offset (strings are used
 *   many times); with {@link DedupOptions.stringPass} it runs on another thread while
 *   the type passes use the old offsets (./parallel.ts, ./strings.ts);
 * - the walks are flat loops with explicit stacks (no recursion limits either);
 * - for split BTF, what depends only on the base (its flattened records, its filed
 *   table, its struct names) is prepared once per base Btf and reused, the table's
 *   additions being rolled back after each run; the base itself is never written;
 * - the encoder runs passes 2 and 3 on each compilation unit as it appends it, while
 *   other threads encode the next ones ({@link PipelinedDedup}, ./pipeline.ts, which
 *   explains why the result is the same).
 */
import { BtfError } from "../../internal/errors.js";
import type { Btf } from "../btf.js";
import { adoptTypes, findStrBytes, ownsTypes, setStringsDeduped, stringsDeduped, touch } from "../builder.js";
import { Kind, recordWords } from "../kinds.js";
import { typeRefSpan } from "../field-iter.js";
import { StringSet, strHash } from "../strings.js";
import { isEquiv, mergeHypot } from "./equiv.js";
import {
  compatEnum, equalArray, equalCommon, equalEnum, equalFnproto, equalIntTag, hashArray, hashByKind, hashCommon,
  hashEnum, hashFnproto, hashIntDeclTag, hashStruct, isEnumFwd, shallowEqualStruct,
} from "./hash.js";
import { DedupState, IdList } from "./state.js";
import type { PipelinedDedup } from "./pipeline.js";
import { Id, K, M } from "./consts.js";

export { DedupState } from "./state.js";
export { isEquiv } from "./equiv.js";
export { PipelinedDedup } from "./pipeline.js";

const kindOf = (info: number): number => (info >>> 24) & 0x1f;
const vlenOf = (info: number): number => info & 0xffff;

export interface DedupOptions {
  /**
   * The base of a split BTF. A parsed or built split BTF carries its base
   * (`btf.base`); this option only states it, and must be that same object.
   */
  base?: Btf;
  /**
   * Treat the string section as already deduplicated and keep it as it is (libbpf does
   * this for BTF built with its writer API). Default: the BTF's own flag
   * (`stringsDeduped`), which is false for parsed BTF.
   */
  stringsDeduped?: boolean;
  /**
   * Work in the BTF's type storage instead of a copy. Only when the caller owns the
   * bytes `btf` was parsed from (a parsed BTF's types may be a view of them): they are
   * overwritten. Saves a copy of the whole type section. Default false, except for BTF
   * whose storage is already private (built or changed with the writer API).
   */
  inPlace?: boolean;
  /** When given, receives the wall time of each pass in milliseconds (for benchmarks). */
  timings?: Record<string, number>;
  /**
   * The string pass, already running elsewhere (`startStringPass` in ./parallel.ts, Node
   * only). The type passes then run on the old string offsets meanwhile; if the string
   * pass reports duplicated strings, dedup starts over with its own string pass.
   */
  stringPass?: StringPass;
}

/** A string pass running elsewhere: see {@link DedupOptions.stringPass}. */
export interface StringPass {
  /**
   * Wait for it. The new offset + 1 of each old offset (indexed by old offset) and the
   * new section; undefined when it failed or when two offsets held the same string.
   */
  result(): { remap: Int32Array; bytes: Uint8Array } | undefined;
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
  if (opts.base !== undefined && opts.base !== btf.base)
    throw new BtfError("ARGUMENT", "dedup: the base given is not the base of this BTF (parse it as split BTF on that base)");
  touch(btf);
  const skipStrings = opts.stringsDeduped ?? stringsDeduped(btf);
  const lap = passTimer(opts.timings);
  const inPlace = opts.inPlace ?? ownsTypes(btf);
  let d = new DedupState(btf, inPlace);
  lap("init");
  try {
    if (btf.base) splitPrep(d);
    lap("prep");
    let strs: { data: Uint8Array; length: number } | undefined;
    let plan: { remap: Int32Array; bytes: Uint8Array } | undefined;
    if (!skipStrings && opts.stringPass && !btf.base) {
      // The type passes on the old offsets while the string pass runs elsewhere; the
      // record words they read are not written before the reference pass.
      dedupPrimTypes(d);
      lap("prim");
      dedupStructTypes(d);
      lap("struct");
      resolveFwds(d);
      lap("fwds");
      plan = opts.stringPass.result();
      lap("strings-wait");
      if (!plan) {
        // Some strings are duplicated: old offsets do not compare like new ones. Again.
        d.release();
        d = new DedupState(btf, inPlace);
      }
    }
    if (!plan) {
      strs = skipStrings ? undefined : dedupStrings(d);
      lap("strings");
      dedupPrimTypes(d);
      lap("prim");
      dedupStructTypes(d);
      lap("struct");
      resolveFwds(d);
      lap("fwds");
    }
    const compacted = dedupLastPasses(d, lap);
    if (plan) {
      applyStringPlan(compacted, plan.remap);
      strs = { data: plan.bytes, length: plan.bytes.length };
    }
    lap("strings-apply");
    if (strs) {
      btf.strs = strs.data;
      btf.strLen = strs.length;
    }
    installTypes(btf, compacted);
  } catch (e) {
    throw deepGraphError(e);
  } finally {
    d.release();
  }
  return btf;
}

/**
 * A lap timer for {@link DedupOptions.timings}: each call adds the milliseconds since the
 * previous one (or since this was made) under the pass's name; nothing without `timings`.
 */
export function passTimer(timings: Record<string, number> | undefined): (pass: string) => void {
  if (!timings) return () => {};
  let t0 = performance.now();
  return (pass) => {
    const t = performance.now();
    timings[pass] = (timings[pass] ?? 0) + (t - t0);
    t0 = t;
  };
}

/** Passes 5-7: reference types, compaction, remapping. Returns the new records. */
export function dedupLastPasses(d: DedupState, lap: (pass: string) => void = () => {}): Compacted {
  dedupRefTypes(d);
  lap("ref");
  const compacted = compactTypes(d);
  lap("compact");
  remapTypes(d, compacted);
  lap("remap");
  return compacted;
}

/** The deduplicated records become `btf`'s types (its strings are already final). */
export function installTypes(btf: Btf, compacted: Compacted): void {
  btf.types = compacted.words;
  btf.typeWords = compacted.words.length;
  btf.typeOffs = compacted.offs;
  btf.nrTypes = compacted.offs.length;
  adoptTypes(btf);
  setStringsDeduped(btf, true);
  btf.invalidate();
}

/** A RangeError out of a pass (a graph deeper than the stack) as libbpf-style INVALID. */
export function deepGraphError(e: unknown): unknown {
  return e instanceof RangeError ? new BtfError("INVALID", `dedup: type graph too deep (${e.message})`) : e;
}

/**
 * Split prep: every base type is its own canonical type (already so in `d.meta`) and is
 * filed in the table under its kind's hash, VAR and DATASEC excepted. The filed table is
 * kept for later runs on the same base.
 */
export function splitPrep(d: DedupState): void {
  if (d.takeBaseTable()) return;
  const w = d.w;
  const meta = d.meta;
  for (let id = 1; id < d.startId; id++) {
    const o = meta[4 * id + M.OFF]!;
    const k = kindOf(w[o + 1]!);
    if (k === K.VAR || k === K.DATASEC) continue;
    if (k === K.UNKN || k > K.ENUM64) d.fail(`unknown kind ${k} in base BTF`, id);
    d.table.add(hashByKind(w, o), id);
  }
  d.keepBaseTable();
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
    const o = d.off(id);
    rewrite(o);
    const info = w[o + 1]!;
    const vlen = vlenOf(info);
    switch (kindOf(info)) {
      case K.STRUCT:
      case K.UNION:
      case K.ENUM64:
        for (let i = 0, m = o + 3; i < vlen; i++, m += 3) rewrite(m);
        break;
      case K.ENUM:
      case K.FUNC_PROTO:
        for (let i = 0, m = o + 3; i < vlen; i++, m += 2) rewrite(m);
        break;
    }
  }
  return out;
}

/** Pass 2: INT, FLOAT, FWD, ENUM, ENUM64 (of the own types [from, to)). */
export function dedupPrimTypes(d: DedupState, from = d.startId, to = d.typeCount): void {
  const w = d.w;
  const meta = d.meta;
  const table = d.table;
  for (let id = from, mi = 4 * id; id < to; id++, mi += 4) {
    const info = meta[mi + M.INFO]!; // (not the record: most types are not primitive)
    const kind = kindOf(info);
    if (kind !== K.INT && kind !== K.ENUM && kind !== K.ENUM64 && kind !== K.FWD && kind !== K.FLOAT) continue;
    const t = meta[mi + M.OFF]!;
    let h: number;
    let newId = id;
    switch (kind) {
      case K.INT:
        h = hashIntDeclTag(w, t);
        for (let e = table.first(h), ent = table.ent, k = table.step; e >= 0; e = ent[3 * e + k]!) {
          const c = ent[3 * e]!;
          if (equalIntTag(w, t, meta[4 * c + M.OFF]!)) {
            newId = c;
            break;
          }
        }
        break;
      case K.ENUM:
      case K.ENUM64: {
        h = hashEnum(w, t);
        const fwd = isEnumFwd(info);
        for (let e = table.first(h), ent = table.ent, k = table.step; e >= 0; e = ent[3 * e + k]!) {
          const c = ent[3 * e]!;
          // Neither equal (needs the same info) nor compatible (needs a declaration on one
          // side): skip without reading the record. All anonymous enums share one bucket.
          const ci = meta[4 * c + M.INFO]!;
          if (ci !== info && !fwd && !isEnumFwd(ci)) continue;
          const co = meta[4 * c + M.OFF]!;
          if (equalEnum(w, t, co)) {
            newId = c;
            break;
          }
          if (compatEnum(w, t, co)) {
            if (fwd) {
              newId = c; // a declaration takes the full enum
              break;
            }
            meta[4 * c + M.MAP] = id; // an earlier canonical declaration now stands for this enum
          }
        }
        break;
      }
      case K.FWD:
      case K.FLOAT:
        if (kind === K.FWD) d.fwds.push(id);
        h = hashCommon(w, t);
        for (let e = table.first(h), ent = table.ent, k = table.step; e >= 0; e = ent[3 * e + k]!) {
          const c = ent[3 * e]!;
          if (equalCommon(w, t, meta[4 * c + M.OFF]!)) {
            newId = c;
            break;
          }
        }
        break;
      default:
        continue;
    }
    meta[4 * id + M.MAP] = newId;
    if (newId === id) table.add(h, id);
  }
}

/**
 * Told of each struct matched, with the table entry of the canonical candidate chosen
 * (the hypothetical map is that comparison's and must be left so): a pipelined run
 * (./pipeline.ts) checks the candidates after it.
 */
export interface StructMatchCheck {
  matched(d: DedupState, id: number, entry: number): void;
}

/** Pass 3: STRUCT and UNION (of the own types [from, to)), by type-graph equivalence. */
export function dedupStructTypes(d: DedupState, from = d.startId, to = d.typeCount, check?: StructMatchCheck): void {
  const w = d.w;
  const meta = d.meta;
  for (let id = from; id < to; id++) {
    if (meta[4 * id + M.MAP]! >= 0) continue; // already mapped by an earlier comparison
    const k = kindOf(meta[4 * id + M.INFO]!);
    if (k !== K.STRUCT && k !== K.UNION) continue;
    const t = meta[4 * id + M.OFF]!;
    const h = hashStruct(w, t);
    const table = d.table;
    let newId = id;
    for (let e = table.first(h), ent = table.ent, k = table.step; e >= 0; e = ent[3 * e + k]!) {
      const c = ent[3 * e]!;
      // The shallow check also keeps a FWD that shares the bucket from being picked.
      if (!shallowEqualStruct(w, t, meta[4 * c + M.OFF]!)) continue;
      d.clearHypot();
      if (!isEquiv(d, id, c)) continue;
      check?.matched(d, id, e);
      mergeHypot(d);
      if (d.adjustCanon) continue; // equivalent only if the base could change
      newId = c;
      break;
    }
    meta[4 * id + M.MAP] = newId;
    if (newId === id) {
      table.add(h, id);
      d.composites.push(id);
    }
  }
}

/**
 * Pass 4: a FWD that no comparison resolved maps to the one canonical STRUCT/UNION
 * (base or own) of its name and flavour; a name with several is left alone.
 */
export function resolveFwds(d: DedupState): void {
  const w = d.w;
  const meta = d.meta;
  if (d.fwds.length === 0) return;
  // name -> the canonical STRUCT/UNION of that name, 0 when there are several: base
  // composites (always canonical; computed once per base), then own canonical ones
  // (listed by the struct pass; they stay canonical).
  const baseNames = d.baseNames(() => {
    const m = new Map<number, number>();
    for (let id = 1; id < d.startId; id++) {
      const k = (meta[4 * id + M.INFO]! >>> 24) & 0x1f;
      if (k !== K.STRUCT && k !== K.UNION) continue;
      const n = w[meta[4 * id + M.OFF]!]!;
      m.set(n, m.has(n) ? 0 : id);
    }
    return m;
  });
  const own = new Map<number, number>();
  for (let i = 0, l = d.composites; i < l.length; i++) {
    const id = l.ids[i]!;
    const n = w[meta[4 * id + M.OFF]!]!;
    own.set(n, own.has(n) || baseNames.has(n) ? 0 : id);
  }
  for (let i = 0, l = d.fwds; i < l.length; i++) {
    const id = l.ids[i]!;
    if (meta[4 * id + M.MAP] !== id) continue;
    const o = meta[4 * id + M.OFF]!;
    const n = w[o]!;
    const c = own.has(n) ? own.get(n)! : (baseNames.get(n) ?? 0);
    if (!c) continue;
    const ck = (meta[4 * c + M.INFO]! >>> 24) & 0x1f;
    if (ck !== (w[o + 1]! >>> 31 ? K.UNION : K.STRUCT)) continue;
    meta[4 * id + M.MAP] = c;
  }
}

/**
 * The reference pass's own canonical PTR, CONST, VOLATILE, RESTRICT, TYPEDEF, FUNC and
 * TYPE_TAG types (three words each: name, info, target), keyed by those words, which the
 * index holds: a lookup reads one slot, not the table's entry and then the candidate's
 * record (most of a kernel's 2.2 M reference types are of these kinds, and ~97 % of them
 * match). Which candidate matches cannot depend on order, unlike the table's (./table.ts):
 * two canonical types equal word for word would have been one.
 */
class CommonIndex {
  /** Slots of 4 words: name, info, target (as in the record), id + 1 (0: empty). */
  private s: Uint32Array;
  private shift: number;
  private n = 0;

  constructor(expected: number) {
    let bits = 4;
    while (1 << bits < 2 * expected) bits++;
    this.s = new Uint32Array(4 << bits);
    this.shift = 32 - bits;
  }

  /**
   * The type whose record's three words (at `w[t]`, hash `h`) are these, or `id` after
   * it is added as that type.
   */
  findOrAdd(h: number, w: Uint32Array, t: number, id: number): number {
    const s = this.s;
    const mask = (s.length >> 2) - 1;
    const name = w[t]!;
    const info = w[t + 1]!;
    const target = w[t + 2]!;
    let j = Math.imul(h, 0x9e3779b1) >>> this.shift;
    for (; ; j = (j + 1) & mask) {
      const c = s[4 * j + 3]!;
      if (c === 0) break;
      if (s[4 * j + 2] === target && s[4 * j + 1] === info && s[4 * j] === name) return c - 1;
    }
    s[4 * j] = name;
    s[4 * j + 1] = info;
    s[4 * j + 2] = target;
    s[4 * j + 3] = id + 1;
    if (2 * ++this.n > mask) this.grow();
    return id;
  }

  private grow(): void {
    const old = this.s;
    const s = (this.s = new Uint32Array(2 * old.length));
    this.shift--;
    const mask = (s.length >> 2) - 1;
    for (let i = 0; i < old.length; i += 4) {
      if (old[i + 3] === 0) continue;
      let j = Math.imul(hashCommon(old, i), 0x9e3779b1) >>> this.shift;
      while (s[4 * j + 3] !== 0) j = (j + 1) & mask;
      s.set(old.subarray(i, i + 4), 4 * j);
    }
  }
}

let refStack: Uint32Array = new Uint32Array(256);

/** Is `kind` deduplicated by the reference pass? */
const isRefKind = (kind: number): boolean =>
  kind === K.PTR || kind === K.CONST || kind === K.VOLATILE || kind === K.RESTRICT || kind === K.TYPEDEF ||
  kind === K.FUNC || kind === K.TYPE_TAG || kind === K.DECL_TAG || kind === K.ARRAY || kind === K.FUNC_PROTO;

/** Word index of field `k` of a reference type (ARRAY: element, index; FUNC_PROTO: return, params). */
const refField = (kind: number, t: number, k: number): number =>
  kind === K.ARRAY ? t + 3 + k : kind === K.FUNC_PROTO && k > 0 ? t + 2 + 2 * k : t + 2;

/**
 * Pass 5: reference types — PTR, CONST, VOLATILE, RESTRICT, TYPEDEF, FUNC, TYPE_TAG,
 * DECL_TAG, ARRAY, FUNC_PROTO (libbpf `btf_dedup_ref_type`, whose recursion is an
 * explicit stack of (type, next field) frames here).
 *
 * A type's referenced ids become canonical ids first, written into the record (ARRAY:
 * element, then index; FUNC_PROTO: return type, then each parameter): a mapped target
 * (primitive, struct, VAR, base type, or a reference type done earlier) resolves
 * through the canonical map, an unmapped reference type is processed on the spot. Then the record
 * is final and an exact comparison with the candidates of its hash decides. Meeting a
 * type still in progress means a cycle of reference types only: an error (-ELOOP).
 */
export function dedupRefTypes(d: DedupState): void {
  const meta = d.meta;
  const w = d.w;
  const table = d.table;
  const split = d.startId > 1;
  const common = new CommonIndex(Math.max(1024, (d.typeCount - d.startId) >>> 6));
  let st = refStack;
  for (let top = d.startId; top < d.typeCount; top++) {
    if (meta[4 * top + M.MAP]! >= 0) continue; // primitives, structs, VAR/DATASEC, types done already
    if (!isRefKind((meta[4 * top + M.INFO]! >>> 24) & 0x1f)) d.fail("cannot deduplicate this kind as a reference type", top);
    meta[4 * top + M.MAP] = Id.IN_PROGRESS;
    st[0] = top;
    st[1] = 0;
    let sp = 2;
    frames: while (sp > 0) {
      const id = st[sp - 2]!;
      const t = meta[4 * id + M.OFF]!;
      const info = meta[4 * id + M.INFO]!;
      const kind = (info >>> 24) & 0x1f;
      const nf = kind === K.ARRAY ? 2 : kind === K.FUNC_PROTO ? 1 + (info & 0xffff) : 1;
      for (let k = st[sp - 1]!; k < nf; k++) {
        const f = refField(kind, t, k);
        let child = w[f]!;
        let m = meta[4 * child + M.MAP]!;
        if (m >= 0) {
          while (m !== child) {
            child = m;
            m = meta[4 * child + M.MAP]!;
            if (m < 0) break;
          }
          w[f] = child;
          continue;
        }
        // An unprocessed reference type: do it first, then come back to field k.
        if (m === Id.IN_PROGRESS) d.fail("loop of reference types", child);
        if (!isRefKind((meta[4 * child + M.INFO]! >>> 24) & 0x1f)) d.fail("cannot deduplicate this kind as a reference type", child);
        meta[4 * child + M.MAP] = Id.IN_PROGRESS;
        st[sp - 1] = k;
        if (sp + 2 > st.length) {
          const s = new Uint32Array(st.length * 2);
          s.set(st);
          st = refStack = s;
        }
        st[sp++] = child;
        st[sp++] = 0;
        continue frames;
      }
      // Every referenced id is canonical now: look for an exact match.
      let h: number;
      let newId = id;
      // Filed in CommonIndex (then only counted in the table).
      let common3 = false;
      switch (kind) {
        case K.DECL_TAG:
          h = hashIntDeclTag(w, t);
          for (let e = table.first(h), ent = table.ent, k = table.step; e >= 0; e = ent[3 * e + k]!) {
            const c = ent[3 * e]!;
            if (equalIntTag(w, t, meta[4 * c + M.OFF]!)) {
              newId = c;
              break;
            }
          }
          break;
        case K.ARRAY:
          h = hashArray(w, t);
          for (let e = table.first(h), ent = table.ent, k = table.step; e >= 0; e = ent[3 * e + k]!) {
            const c = ent[3 * e]!;
            if (equalArray(w, t, meta[4 * c + M.OFF]!)) {
              newId = c;
              break;
            }
          }
          break;
        case K.FUNC_PROTO:
          h = hashFnproto(w, t);
          for (let e = table.first(h), ent = table.ent, k = table.step; e >= 0; e = ent[3 * e + k]!) {
            const c = ent[3 * e]!;
            if (equalFnproto(w, t, meta[4 * c + M.OFF]!)) {
              newId = c;
              break;
            }
          }
          break;
        default: {
          // The kinds of three words (name, info, target): the own canonical ones in an
          // index of their own (see CommonIndex); the table only has base ones.
          h = hashCommon(w, t);
          if (split) {
            for (let e = table.first(h), ent = table.ent, k = table.step; e >= 0; e = ent[3 * e + k]!) {
              const c = ent[3 * e]!;
              if (equalCommon(w, t, meta[4 * c + M.OFF]!)) {
                newId = c;
                break;
              }
            }
          }
          if (newId === id) {
            newId = common.findOrAdd(h, w, t, id);
            common3 = true;
          }
        }
      }
      meta[4 * id + M.MAP] = newId;
      if (newId === id) {
        if (common3) table.count();
        else table.add(h, id);
      }
      sp -= 2;
      if (sp > 0) {
        // Hand the result to the referring type's current field.
        const pid = st[sp - 2]!;
        const pk = st[sp - 1]!;
        const pt = meta[4 * pid + M.OFF]!;
        w[refField((meta[4 * pid + M.INFO]! >>> 24) & 0x1f, pt, pk)] = newId;
        st[sp - 1] = pk + 1;
      }
    }
  }
}

/** The surviving own types, packed, and their offsets. */
export interface Compacted {
  words: Uint32Array;
  offs: Uint32Array;
}

/**
 * Pass 6: keep the canonical own types (mapped to themselves) in id order, packed. The
 * hypot field of `d.meta` becomes the old -> new id map (base ids map to themselves).
 */
export function compactTypes(d: DedupState): Compacted {
  const w = d.w;
  const meta = d.meta;
  for (let id = 0; id < d.startId; id++) meta[4 * id + M.HYP] = id;
  const keep = new IdList();
  let words = 0;
  for (let id = d.startId, mi = 4 * id; id < d.typeCount; id++, mi += 4) {
    if (meta[mi + M.MAP] !== id) {
      meta[mi + M.HYP] = Id.UNPROCESSED;
      continue;
    }
    meta[mi + M.HYP] = d.startId + keep.length;
    keep.push(id);
    words += recordWords(w[meta[mi + M.OFF]! + 1]!);
  }
  const out = new Uint32Array(words);
  const outOffs = new Uint32Array(keep.length);
  let at = 0;
  for (let i = 0; i < keep.length; i++) {
    const o = meta[4 * keep.ids[i]! + M.OFF]!;
    const n = recordWords(w[o + 1]!);
    out.set(w.subarray(o, o + n), at);
    outOffs[i] = at;
    at += n;
  }
  return { words: out, offs: outOffs };
}


/** Rewrite the string offsets of the surviving types through a planned remap (old offset -> new + 1). */
function applyStringPlan(c: Compacted, remap: Int32Array): void {
  const w = c.words;
  const fix = (k: number): void => {
    const off = w[k]!;
    if (off !== 0) w[k] = remap[off]! - 1;
  };
  for (let i = 0; i < c.offs.length; i++) {
    const o = c.offs[i]!;
    fix(o);
    const info = w[o + 1]!;
    const vlen = vlenOf(info);
    switch (kindOf(info)) {
      case K.STRUCT:
      case K.UNION:
      case K.ENUM64:
        for (let j = 0, m = o + 3; j < vlen; j++, m += 3) fix(m);
        break;
      case K.ENUM:
      case K.FUNC_PROTO:
        for (let j = 0, m = o + 3; j < vlen; j++, m += 2) fix(m);
        break;
    }
  }
}

/**
 * Pass 7: every type-id field of the surviving types (libbpf 1.5's `btf_field_iter`,
 * which counts a FWD's third word too) becomes the new id of its canonical type.
 */
export function remapTypes(d: DedupState, c: Compacted): void {
  const w = c.words;
  const meta = d.meta;
  const cnt = d.typeCount;
  const remap = (k: number, id: number): void => {
    const old = w[k]!;
    if (old >= cnt) d.fail(`reference to type [${old}] cannot be remapped`, id);
    const n = meta[4 * d.resolve(old) + M.HYP]!;
    if (n < 0) d.fail(`reference to type [${old}] has no deduplicated type`, id);
    w[k] = n;
  };
  const span = new Int32Array(3);
  for (let i = 0; i < c.offs.length; i++) {
    if (!typeRefSpan(w, c.offs[i]!, span)) continue;
    for (let f = span[0]!, end = span[1]!, step = span[2]!; f < end; f += step) remap(f, d.startId + i);
  }
}
