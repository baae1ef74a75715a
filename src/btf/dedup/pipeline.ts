/**
 * Dedup of a BTF while it is being built: the first passes run on the types already
 * appended, as they come, so that only the last passes remain once the BTF is whole.
 *
 * Why: the encoder builds a kernel's pre-dedup BTF (3.4 M types) from thousands of
 * compilation units on several threads; this thread appends each unit's types in
 * order. Running the primitive and struct passes on each unit as it is appended moves
 * most of dedup's work into that parallel phase, where the other threads keep
 * encoding, instead of after it, where everything waits for it.
 *
 * Why the result is the same as {@link dedup}'s on the whole BTF: both passes visit
 * types in id order, and each decision depends only on earlier types, on the type's own
 * unit, and on what the passes decided before — with two exceptions.
 *
 * 1. In the primitive pass, a full enum redirects an *earlier* canonical enum forward
 *    declaration of its name to itself. Run whole, the struct pass sees that
 *    redirection even for units before the full enum; run unit by unit, it does not. It
 *    makes no difference: the struct pass reads canonical ids only to ask whether two
 *    types have the same one, and while units before the full enum are compared, no
 *    type of their graphs (earlier units and the unit compared) can reach the full enum
 *    other than through that declaration, so each answer is the same either way. Every
 *    other reading of the canonical map (forward declaration resolution, reference
 *    types) happens in the last passes, on the whole BTF.
 * 2. Candidate order. libbpf files every canonical type in one hash map, whose growth
 *    reverses the order of candidates sharing a key (./table.ts); run whole, the struct
 *    pass starts with every primitive type filed, unit by unit with only some. So the
 *    primitive pass gets a table of its own (filed exactly as when run whole), and the
 *    struct pass another; the order of struct candidates then differs from libbpf's
 *    only in where the map's growths fall, which depends on the number of canonical
 *    primitive types — known at the end. Order decides only when two candidates are
 *    both equivalent to a struct, so each match is checked against the candidates
 *    after it; where another is equivalent too (rare: none in a whole 6.1 kernel), the
 *    choice is recorded and checked at the end against libbpf's order. Should one be
 *    wrong, the whole BTF is deduplicated again from the start (the first passes write
 *    only dedup's own state, never the records).
 *
 * Memory: after each unit's passes, {@link PipelinedDedup.release} can drop the records
 * that no later pass reads, mostly the unit's copies of structs (41 of the 6.1 vmlinux's
 * 131 MB of pre-dedup records), so the BTF being built holds little more than what
 * dedup keeps, plus what later comparisons may still walk. A run that dropped records
 * cannot start over (2. above): the caller is told so, and must deduplicate a BTF with
 * all its records.
 *
 * Requirements: no base (split BTF is not pipelined), string offsets already final and
 * unique (the writer API's guarantee: the string pass is skipped), and each unit's
 * types referring only to earlier types and to types of their own unit — true of
 * pahole's (and btfkit's encoder's) BTF, whose units are encoded independently.
 */
import { Btf } from "../btf.js";
import { BtfError } from "../../internal/errors.js";
import { isEquiv } from "./equiv.js";
import { shallowEqualStruct } from "./hash.js";
import { dedup, deepGraphError, dedupLastPasses, dedupPrimTypes, dedupStructTypes, installTypes, passTimer, resolveFwds, type StructMatchCheck } from "./index.js";
import { DedupState } from "./state.js";
import { DedupTable } from "./table.js";
import { K, M } from "./consts.js";
import { recordWords } from "../kinds.js";
import { typeRefSpan } from "../field-iter.js";

/**
 * libbpf's hash map growths while its first `n` entries are added (capacity 4, then
 * doubling whenever `(size + 1) * 4 / 3 > capacity` before an addition); each one
 * reverses the order of candidates sharing a key.
 */
export function libbpfGrowths(n: number): number {
  let g = 0;
  for (let cap = 0; ; cap = cap === 0 ? 4 : cap * 2) {
    // The size at which an addition makes the map grow past `cap`.
    const at = cap === 0 ? 0 : Math.ceil((3 * (cap + 1)) / 4) - 1;
    if (at >= n) return g;
    g++;
  }
}

/** Scratch of {@link typeRefSpan}: first word, end, step. */
const SPAN = new Int32Array(3);

/** A struct with several equivalent canonical candidates (see the module comment, 2). */
interface Ambiguous {
  /** Canonical structs filed when it was compared. */
  filed: number;
  /** The equivalent candidates: the one chosen first, then the others. */
  equiv: number[];
}

/** Checks each struct match against the candidates after it (module comment, 2). */
class LaterMatches implements StructMatchCheck {
  readonly found: Ambiguous[] = [];
  /** A comparison that the whole run would not have made failed: fall back. */
  failed = false;

  matched(d: DedupState, id: number, entry: number): void {
    const table = d.table;
    const ent = table.ent;
    const step = table.step;
    const w = d.w;
    const meta = d.meta;
    const t = meta[4 * id + M.OFF]!;
    const chosen = ent[3 * entry]!;
    let equiv: number[] | undefined;
    let compared = false;
    for (let e = ent[3 * entry + step]!; e >= 0; e = ent[3 * e + step]!) {
      const c = ent[3 * e]!;
      if (!shallowEqualStruct(w, t, meta[4 * c + M.OFF]!)) continue;
      compared = true;
      d.clearHypot();
      let eq = false;
      try {
        eq = isEquiv(d, id, c);
      } catch {
        this.failed = true;
      }
      if (eq) (equiv ??= [chosen]).push(c);
    }
    if (!compared) return;
    // The chosen comparison's hypothetical map again, for mergeHypot.
    d.clearHypot();
    isEquiv(d, id, chosen);
    if (equiv) this.found.push({ filed: d.composites.length, equiv });
  }

  /**
   * Did every ambiguous struct take the candidate libbpf's order gives first, with
   * `prims` canonical primitive types filed before the struct pass?
   */
  agrees(d: DedupState, prims: number): boolean {
    if (this.failed) return false;
    const l = d.composites;
    /** Position of canonical struct `c` among the filed ones (they are in id order). */
    const filedAt = (c: number): number => {
      let lo = 0;
      let hi = l.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (l.ids[mid]! < c) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    for (const a of this.found) {
      // Candidates are read front to back; each new entry goes in front, each growth
      // reverses: the first is the newest filed at a growth count of the same parity as
      // at the comparison, else the oldest.
      const parity = libbpfGrowths(prims + a.filed) & 1;
      let first = -1;
      let firstAt = -1;
      let oldest = -1;
      let oldestAt = Infinity;
      for (const c of a.equiv) {
        const at = filedAt(c);
        if (at < oldestAt) [oldest, oldestAt] = [c, at];
        if ((libbpfGrowths(prims + at + 1) & 1) === parity && at > firstAt) [first, firstAt] = [c, at];
      }
      if ((first >= 0 ? first : oldest) !== a.equiv[0]) return false;
    }
    return true;
  }
}

/**
 * @example
 * ```ts
 * const pipe = new PipelinedDedup(estimatedTypes);
 * for (const unit of units) {
 *   appendUnit(builder, unit);                 // types only appended, never changed
 *   pipe.advance(builder.types, builder.typeOffs, builder.nrTypes);
 * }
 * const btf = pipe.finish(builder.toBtf());    // same as dedup(builder.toBtf())
 * ```
 */
export class PipelinedDedup {
  private readonly d: DedupState;
  /** The primitive pass's table; the struct pass's is `d.table`. */
  private readonly primTable = new DedupTable(4096);
  private readonly structTable: DedupTable;
  private readonly check = new LaterMatches();
  private done = 1;
  /** First type of the last {@link advance}. */
  private from = 1;
  private failed: unknown;
  /** A dropped record may yet be read (a unit's types referred to another unit's). */
  private unsafe = false;
  /** Where the last {@link release} left the records' end (-1: not called yet), and the end of its range. */
  private end = -1;
  private releasedTo = 0;
  /** Scratch of {@link release}: marks over the range, and a stack. */
  private marks = new Uint8Array(0);
  private walk = new Uint32Array(1024);
  private readonly outside = new Set<number>();
  /**
   * Structs matched with another candidate equivalent too, whether the run had to
   * start over, and the records dropped by {@link release} (for tests and timings).
   */
  readonly stats = { ambiguous: 0, restarted: false, released: 0, releasedWords: 0 };

  /** @param reserveTypes about how many types will come (sizes the state up front). */
  constructor(reserveTypes = 0) {
    // The struct pass's table holds the canonical structs while the units come (a
    // kernel's 3.4 M types have ~95 k canonical ones in all, most of them reference
    // types filed by the last passes): room for one in 64 types keeps it small (its
    // slots are all written when made, so all resident) until those passes grow it.
    this.d = new DedupState(new Btf({}), true, reserveTypes, Math.max(1024, reserveTypes >>> 6));
    this.structTable = this.d.table;
  }

  /**
   * The BTF so far: `types` its record words, `typeOffs` the word offset of each type,
   * `nrTypes` how many (the storage may have moved since the last call, but records
   * given before must be unchanged). The types since the last call must be whole
   * units (see the module comment); if a type refers to a later unit, the result (and
   * the time the passes take) is unspecified.
   */
  advance(types: Uint32Array, typeOffs: Uint32Array, nrTypes: number): void {
    if (this.failed !== undefined) throw this.failed;
    const d = this.d;
    try {
      d.extend(types, typeOffs, nrTypes);
      d.table = this.primTable;
      dedupPrimTypes(d, this.done, d.typeCount);
      d.table = this.structTable;
      dedupStructTypes(d, this.done, d.typeCount, this.check);
    } catch (e) {
      this.failed = deepGraphError(e);
      throw this.failed;
    }
    this.from = this.done;
    this.done = d.typeCount;
  }

  /**
   * Drop the records that no later pass reads among the types of the last
   * {@link advance}, and move the others down over them: `types` and `typeOffs` are
   * the BTF's storage as given to that advance (no change since). Returns where the
   * range's records now end: the BTF being built goes on from there.
   *
   * Why: most of a kernel's pre-dedup BTF is copies of the same structs, one per
   * compilation unit (77 of the 6.1 vmlinux's 131 MB of records are STRUCTs, 0.7 MB of
   * them canonical). Once the struct pass has mapped a copy to its canonical type, only
   * one reader is left for its record: the canonical side of a later comparison
   * ({@link isEquiv} reads each canonical-side type's own record, copy or not, as
   * libbpf's `btf_dedup_is_equiv` does), which starts at a canonical STRUCT/UNION and
   * follows type ids within that type's unit. So the records dropped are the copied
   * STRUCT/UNIONs that no canonical STRUCT/UNION of their unit reaches, nor the unit's
   * last type (pahole's encoder refers to it from the next unit, for a member of
   * unknown type). Should a later unit's types lead to a dropped record after all, the
   * run is marked unsafe ({@link canFinish}). The rest of dedup reads canonical records, reference types,
   * FWDs and the canonical map only. A dropped type's offset becomes its canonical
   * type's: its kind and name stay readable, as the encoder's function matching reads
   * them. The records are then gone for good: should the end find libbpf's candidate
   * order disagreeing (module comment, 2), {@link finish} cannot start over, and
   * {@link canFinish} tells the caller to deduplicate a complete BTF instead.
   */
  release(types: Uint32Array, typeOffs: Uint32Array): number {
    const d = this.d;
    const from = this.from;
    const to = this.done;
    if (this.failed !== undefined) throw this.failed;
    if (d.w !== types) throw new BtfError("ARGUMENT", "dedup: release takes the storage given to the last advance");
    const meta = d.meta;
    if (to === from || this.releasedTo === to) {
      // Nothing new: where the last release left the records, or (none yet) the end of the last record.
      if (this.end < 0) this.end = to > 1 ? meta[4 * (to - 1) + M.OFF]! + recordWords(meta[4 * (to - 1) + M.INFO]!) : 0;
      return this.end;
    }
    this.releasedTo = to;
    const w = types;
    const n = to - from;
    let marks = this.marks;
    if (marks.length < n) marks = this.marks = new Uint8Array(Math.max(n, 2 * marks.length));
    else marks.fill(0, 0, n);
    // 1. What the canonical side of a later comparison can reach: the closure over
    //    type ids of the range's canonical STRUCT/UNIONs, and of its last type (see
    //    above). Ids before the range are followed too (units are not meant to refer
    //    to each other, but may): none may lead to a dropped record.
    this.outside.clear();
    for (let root = from; root < to; root++) {
      const rk = (meta[4 * root + M.INFO]! >>> 24) & 0x1f;
      if (((rk !== K.STRUCT && rk !== K.UNION) || meta[4 * root + M.MAP] !== root || marks[root - from]) && root !== to - 1) continue;
      marks[root - from] = 1;
      this.closure(root, from, to, marks);
    }
    // 1b. The range's own comparisons (made already) read the records of what its
    //     other types refer to before the range: none of those may have been dropped.
    for (let id = from; id < to; id++) {
      if (marks[id - from] || !typeRefSpan(w, meta[4 * id + M.OFF]!, SPAN)) continue;
      for (let f = SPAN[0]!, end = SPAN[1]!, step = SPAN[2]!; f < end; f += step) {
        const c = w[f]!;
        if (c < from && this.enterOutside(c)) this.closure(c, from, to, marks);
      }
    }
    // 2. Keep the reachable, canonical and other records, in order, moved down in runs
    //    (the records between two dropped ones: one copy each); drop the others.
    let dst = typeOffs[from - 1]!; // where the pending run goes
    let src = dst; // the pending run: [src, runEnd)
    let runEnd = dst;
    for (let id = from, m = 4 * from; id < to; id++, m += 4) {
      const o = meta[m + M.OFF]!;
      const info = meta[m + M.INFO]!;
      const kind = (info >>> 24) & 0x1f;
      if ((kind === K.STRUCT || kind === K.UNION) && !marks[id - from]) {
        const c = d.resolve(id);
        if (c < id && ((meta[4 * c + M.INFO]! >>> 24) & 0x1f) === kind) {
          // (c's record has its final offset: c < id)
          meta[m + M.OFF] = meta[4 * c + M.OFF]!;
          typeOffs[id - 1] = meta[4 * c + M.OFF]!;
          this.stats.released++;
          this.stats.releasedWords += recordWords(info);
          continue;
        }
      }
      if (o !== runEnd) {
        if (dst !== src) w.copyWithin(dst, src, runEnd);
        dst += runEnd - src;
        src = runEnd = o;
      }
      const at = dst + (o - src);
      if (at !== o) {
        meta[m + M.OFF] = at;
        typeOffs[id - 1] = at;
      }
      runEnd = o + recordWords(info);
    }
    if (dst !== src) w.copyWithin(dst, src, runEnd);
    return (this.end = dst + (runEnd - src));
  }

  /**
   * Mark what `start` (marked, or in `outside`) reaches over type ids: types of the
   * range [from, to) in `marks`, earlier ones in `outside`, flagging the run unsafe
   * where that is a dropped record.
   */
  private closure(start: number, from: number, to: number, marks: Uint8Array): void {
    const w = this.d.w;
    const meta = this.d.meta;
    let st = this.walk;
    st[0] = start;
    let sp = 1;
    while (sp > 0) {
      const id = st[--sp]!;
      if (!typeRefSpan(w, meta[4 * id + M.OFF]!, SPAN)) continue;
      for (let f = SPAN[0]!, end = SPAN[1]!, step = SPAN[2]!; f < end; f += step) {
        const c = w[f]!;
        if (c >= from && c < to) {
          if (marks[c - from]) continue;
          marks[c - from] = 1;
        } else if (c >= to || !this.enterOutside(c)) continue;
        if (sp === st.length) {
          const g = new Uint32Array(2 * st.length);
          g.set(st);
          st = this.walk = g;
        }
        st[sp++] = c;
      }
    }
  }

  /**
   * Type `c`, before the range, met by a walk: true the first time, when it is to be
   * walked from; a dropped record makes the run unsafe instead (void: nothing to do).
   */
  private enterOutside(c: number): boolean {
    if (c === 0 || this.outside.has(c)) return false;
    if (this.isDropped(c)) {
      this.unsafe = true;
      return false;
    }
    this.outside.add(c);
    return true;
  }

  /** Was `id`'s record dropped by {@link release}? (Its offset is then its canonical type's.) */
  private isDropped(id: number): boolean {
    const meta = this.d.meta;
    const k = (meta[4 * id + M.INFO]! >>> 24) & 0x1f;
    if (k !== K.STRUCT && k !== K.UNION) return false;
    const c = this.d.resolve(id);
    return c !== id && meta[4 * c + M.OFF] === meta[4 * id + M.OFF];
  }

  /**
   * Can {@link finish} complete on `btf` (the whole BTF, as finish takes it)? Always,
   * unless {@link release} dropped records and the run must start over (module
   * comment, 2; none of a whole 6.1 kernel's structs needs it) or a dropped record
   * could have been read: then deduplicate a BTF with all its records instead (for the
   * encoder: encode again without releasing). Runs the first passes on the last types.
   */
  canFinish(btf: Btf): boolean {
    if (btf.base) throw new BtfError("ARGUMENT", "dedup: a pipelined dedup takes no base");
    this.advance(btf.types, btf.typeOffs, btf.nrTypes);
    // (records dropped: dedup can no longer start over on the BTF)
    return this.stats.released === 0 || (!this.unsafe && this.check.agrees(this.d, this.primTable.size));
  }

  /**
   * The whole BTF, with every type given to {@link advance} where it was (and the
   * rest after them): finish the passes and deduplicate it in place, as
   * `dedup(btf, { inPlace: true, stringsDeduped: true })`. Returns `btf`.
   */
  finish(btf: Btf, timings?: Record<string, number>): Btf {
    if (!this.canFinish(btf)) throw new BtfError("ARGUMENT", "dedup: the pipelined dedup must start over, but records it needs were released (see canFinish)");
    const d = this.d;
    this.stats.ambiguous = this.check.found.length;
    if (!this.check.agrees(d, this.primTable.size)) {
      this.stats.restarted = true;
      d.meta = new Int32Array(0); // (memory for the new run)
      return dedup(btf, { inPlace: true, stringsDeduped: true, timings });
    }
    d.btf = btf;
    const lap = passTimer(timings);
    try {
      resolveFwds(d);
      lap("fwds");
      installTypes(btf, dedupLastPasses(d, lap));
    } catch (e) {
      throw deepGraphError(e);
    }
    return btf;
  }
}
