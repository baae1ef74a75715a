/**
 * Working state of one dedup run (libbpf `struct btf_dedup`), all typed arrays.
 *
 * Every type, base and own, is read from one word array `w`: the base chain's records,
 * then the own records; `meta[4 * id + M.OFF]` is the word offset of type `id`. Void
 * (id 0) has no record: its info is 0 (kind UNKN) and the few places that could read its
 * record check for it. Base words are never
 * written; own words are rewritten (string offsets, canonical reference ids) and
 * finally compacted into new storage. `w` is a copy of the own records unless the
 * caller lets dedup work in the BTF's own storage (`inPlace`).
 */
import { BtfError } from "../../internal/errors.js";
import type { Btf } from "../btf.js";
import { kindOf } from "../kinds.js";
import { Id, K, M } from "./consts.js";
import { DedupTable, type TableMark } from "./table.js";

/**
 * A base chain prepared for dedup, cached per base Btf, since many split BTFs (the
 * modules of a kernel) are deduplicated against one base: its records flattened into
 * the front of a reusable word buffer (base words are never written), the base part of
 * the per-type state, the dedup table with every base type filed (additions of a run are
 * rolled back at its end), and the names of the base's structs and unions.
 */
interface BaseWork {
  key: [Uint32Array, number, number];
  /** Base records, then room for one split BTF's own records. */
  words: Uint32Array;
  baseWords: number;
  /** `meta` of the base types as a run starts (offsets, self-mapped, no hypot, info). */
  metaInit: Int32Array;
  /** A reusable per-type state buffer (base part restored from `metaInit` each run). */
  meta: Int32Array;
  /** The table after split prep, or undefined until a run made it. */
  table: DedupTable | undefined;
  /** name -> the base STRUCT/UNION of that name, 0 when several (for FWD resolution). */
  names: Map<number, number> | undefined;
  /** A run is using the buffers (re-entrance gets fresh ones). */
  busy: boolean;
}

const BASES = new WeakMap<Btf, BaseWork>();

function baseWork(base: Btf): BaseWork {
  const cached = BASES.get(base);
  if (cached && cached.key[0] === base.types && cached.key[1] === base.typeWords && cached.key[2] === base.nrTypes) return cached;
  const chain: Btf[] = [];
  for (let b: Btf | undefined = base; b; b = b.base) chain.unshift(b);
  let words = 0;
  for (const b of chain) words += b.typeWords;
  const w = new Uint32Array(words);
  const metaInit = new Int32Array(4 * base.typeCount);
  metaInit[M.HYP] = Id.UNPROCESSED;
  let at = 0;
  for (const b of chain) {
    w.set(b.types.subarray(0, b.typeWords), at);
    for (let i = 0; i < b.nrTypes; i++) {
      const id = b.startId + i;
      const o = at + b.typeOffs[i]!;
      metaInit[4 * id + M.OFF] = o;
      metaInit[4 * id + M.MAP] = id; // base types are their own canonical types
      metaInit[4 * id + M.HYP] = Id.UNPROCESSED;
      metaInit[4 * id + M.INFO] = w[o + 1]! | 0;
    }
    at += b.typeWords;
  }
  const f: BaseWork = { key: [base.types, base.typeWords, base.nrTypes], words: w, baseWords: words, metaInit, meta: metaInit.slice(), table: undefined, names: undefined, busy: false };
  BASES.set(base, f);
  return f;
}

/** A growable list of type ids. */
export class IdList {
  ids = new Uint32Array(64);
  length = 0;
  push(id: number): void {
    if (this.length === this.ids.length) {
      const n = new Uint32Array(this.ids.length * 2);
      n.set(this.ids);
      this.ids = n;
    }
    this.ids[this.length++] = id;
  }
}

/**
 * Per-type state, four int32 per id in one array so that one cache line serves all of a
 * type's lookups (the walks of dedup jump around millions of types; memory latency is
 * most of their cost): `meta[4 * id + M.X]`, fields in ./consts.ts.
 */
export class DedupState {
  /** The BTF deduplicated (a pipelined run gets it at the end: see {@link extend}). */
  btf: Btf;
  /** First own type id; ids below are base types. */
  readonly startId: number;
  /** All type ids are below this (libbpf `btf__type_cnt`); grows with {@link extend}. */
  typeCount: number;
  /** All records: base, then own (see the module comment). */
  w: Uint32Array;
  /** Word offset in `w` where the own records begin. */
  readonly ownStart: number;
  /** Offset, map, hypot and info of each type (fields: {@link M}). */
  meta: Int32Array;
  /** Canonical ids set in the hypothetical map, in the order they were set. */
  hypotList: Uint32Array;
  hypotCnt = 0;
  /** Set when equivalence would need a base FWD resolved to a split type (not allowed). */
  adjustCanon = false;
  /** Canonical candidates by signature hash. */
  table: DedupTable;
  /** Own STRUCT/UNIONs that became canonical, in id order (for FWD resolution). */
  composites: IdList = new IdList();
  /** Own FWDs, in id order. */
  fwds: IdList = new IdList();
  /** The base's cached workspace, when this run uses it. */
  private readonly work: BaseWork | undefined;
  /** The table's state before this run's additions (split runs on a cached table). */
  private tableMark: TableMark | undefined;

  /**
   * @param reserveTypes room for this many own types in `meta` (a pipelined run's
   *   estimate, see {@link extend}); more are made room for as needed.
   * @param tableCapacity canonical types the table has room for before it grows
   *   (default: one in 16 of the types).
   */
  constructor(btf: Btf, inPlace = false, reserveTypes = 0, tableCapacity?: number) {
    this.btf = btf;
    this.startId = btf.startId;
    this.typeCount = btf.typeCount;
    const own = btf.types.subarray(0, btf.typeWords);
    let w: Uint32Array;
    let meta: Int32Array;
    if (btf.base) {
      const src = baseWork(btf.base);
      const f = src.busy ? undefined : src; // re-entered: leave the cached buffers alone
      const bw = src.baseWords;
      // Words: the base's, then the own records (buffer reused between runs).
      if (f && f.words.length >= bw + own.length) w = f.words;
      else {
        w = new Uint32Array(bw + own.length + (f ? own.length >>> 1 : 0));
        w.set(src.words.subarray(0, bw));
        if (f) f.words = w;
      }
      w.set(own, bw);
      // State: the base part as every run starts it, then the own part below.
      if (f && f.meta.length >= 4 * this.typeCount) meta = f.meta;
      else {
        meta = new Int32Array(4 * this.typeCount + (f ? 2 * btf.nrTypes : 0));
        if (f) f.meta = meta;
      }
      meta.set(src.metaInit);
      this.ownStart = bw;
      if (f) {
        f.busy = true;
        this.work = f;
      }
    } else {
      w = inPlace ? btf.types : own.slice();
      meta = new Int32Array(4 * Math.max(this.typeCount, this.startId + reserveTypes));
      meta[M.HYP] = Id.UNPROCESSED;
      this.ownStart = 0;
    }
    this.w = w;
    this.meta = meta;
    this.initOwn(this.startId, this.typeCount, btf.typeOffs);
    this.hypotList = new Uint32Array(256);
    this.table = new DedupTable(tableCapacity ?? Math.max(1024, Math.max(btf.nrTypes, reserveTypes) >>> 4));
  }

  /**
   * The state of own types [from, to): void is canonical; VAR and DATASEC are
   * self-canonical (never deduped); the rest unprocessed.
   */
  private initOwn(from: number, to: number, typeOffs: Uint32Array): void {
    const w = this.w;
    const meta = this.meta;
    const base = this.ownStart;
    for (let id = from, i = from - this.startId, m = 4 * id; id < to; i++, id++, m += 4) {
      const o = base + typeOffs[i]!;
      const info = w[o + 1]!;
      const k = kindOf(info);
      meta[m + M.OFF] = o;
      meta[m + M.MAP] = k === K.VAR || k === K.DATASEC ? id : Id.UNPROCESSED;
      meta[m + M.HYP] = Id.UNPROCESSED;
      meta[m + M.INFO] = info | 0;
    }
  }

  /**
   * Pipelined dedup (no base, in place): types were appended to the BTF being built
   * since the state was made or last extended. `types`, `typeOffs` and `nrTypes` are
   * its storage now (it may have moved as it grew); the records given before must be
   * where they were, unchanged.
   */
  extend(types: Uint32Array, typeOffs: Uint32Array, nrTypes: number): void {
    if (this.ownStart !== 0 || this.btf.base) throw new BtfError("ARGUMENT", "dedup: only a BTF without base can be deduplicated as it grows");
    const to = this.startId + nrTypes;
    if (to < this.typeCount) throw new BtfError("ARGUMENT", "dedup: the BTF lost types while it was deduplicated");
    this.w = types;
    if (4 * to > this.meta.length) {
      const m = new Int32Array(4 * Math.max(to, Math.ceil(this.meta.length / 4 * 1.5)));
      m.set(this.meta.subarray(0, 4 * this.typeCount));
      this.meta = m;
    }
    this.initOwn(this.typeCount, to, typeOffs);
    this.typeCount = to;
  }

  /** The table with the base's types filed, if an earlier run made one (it is then in use). */
  takeBaseTable(): boolean {
    const f = this.work;
    if (!f?.table) return false;
    this.table = f.table;
    this.tableMark = f.table.mark();
    return true;
  }

  /** Keep the table as it is right after split prep for later runs on this base. */
  keepBaseTable(): void {
    if (!this.work) return;
    this.work.table = this.table;
    this.tableMark = this.table.mark();
  }

  /** Base struct/union names for FWD resolution (computed once per base). */
  baseNames(compute: () => Map<number, number>): Map<number, number> {
    if (!this.work) return compute();
    return (this.work.names ??= compute());
  }

  /** End of the run, successful or not: give the cached workspace back, clean. */
  release(): void {
    const f = this.work;
    if (!f) return;
    if (this.tableMark && f.table === this.table && !this.table.rollback(this.tableMark)) f.table = undefined;
    f.busy = false;
  }

  /** Word offset of type `id`'s record in `w`. */
  off(id: number): number {
    return this.meta[4 * id + M.OFF]!;
  }

  /** Kind of type `id` (0 for void). */
  kind(id: number): number {
    return (this.meta[4 * id + M.INFO]! >>> 24) & 0x1f;
  }

  /** Follow the canonical map to the representative (libbpf `resolve_type_id`). */
  resolve(id: number): number {
    const meta = this.meta;
    let m = meta[4 * id + M.MAP]!;
    while (m >= 0 && m !== id) {
      id = m;
      m = meta[4 * id + M.MAP]!;
    }
    return id;
  }

  clearHypot(): void {
    const meta = this.meta;
    const l = this.hypotList;
    for (let i = 0, n = this.hypotCnt; i < n; i++) meta[4 * l[i]! + M.HYP] = Id.UNPROCESSED;
    this.hypotCnt = 0;
    this.adjustCanon = false;
  }

  /** A failure, as libbpf's dedup returning an error. */
  fail(message: string, typeId?: number): never {
    throw new BtfError("INVALID", `dedup: ${message}`, typeId === undefined ? {} : { typeId });
  }
}
