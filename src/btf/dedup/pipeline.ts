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
import { M } from "./consts.js";

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
  private failed: unknown;
  /** Structs matched with another candidate equivalent too, and whether the run had to start over (for tests). */
  readonly stats = { ambiguous: 0, restarted: false };

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
    this.done = d.typeCount;
  }

  /**
   * The whole BTF, with every type given to {@link advance} where it was (and the
   * rest after them): finish the passes and deduplicate it in place, as
   * `dedup(btf, { inPlace: true, stringsDeduped: true })`. Returns `btf`.
   */
  finish(btf: Btf, timings?: Record<string, number>): Btf {
    if (btf.base) throw new BtfError("ARGUMENT", "dedup: a pipelined dedup takes no base");
    this.advance(btf.types, btf.typeOffs, btf.nrTypes);
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
