/**
 * Working state of one dedup run (libbpf `struct btf_dedup`), all typed arrays.
 *
 * Every type, base and own, is read from one word array `w`: the base chain's records,
 * then the own records; `offs[id]` is the word offset of type `id`. Void (id 0) has
 * no record: the few places that may meet it check for it. Base words are never
 * written; own words are rewritten (string offsets, canonical reference ids) and
 * finally compacted into new storage. `w` is a copy of the own records unless the
 * caller lets dedup work in the BTF's own storage (`inPlace`).
 */
import { BtfError } from "../../internal/errors.js";
import type { Btf } from "../btf.js";
import { Kind, kindOf } from "../kinds.js";
import { DedupTable } from "./table.js";

/** `map[]` value of a type not processed yet (libbpf `BTF_UNPROCESSED_ID`, -1 too). */
export const UNPROCESSED = -1;
/** `map[]` value of a reference type being processed (loop detection). */
export const IN_PROGRESS = -2;
/** Largest real type id; `map[id] >= 0` means "mapped" (values fit an Int32Array). */
export const MAX_ID = 0x7fffffff;

/** A base chain flattened for dedup, cached per base (many modules share one vmlinux). */
interface FlatBase {
  key: [Uint32Array, number, number];
  words: Uint32Array; // every base record
  offs: Uint32Array; // by id, 0..typeCount-1
  /** Table after split prep (every base type filed), cloned for each run. */
  table: DedupTable | undefined;
}

const FLAT = new WeakMap<Btf, FlatBase>();

function flatBase(base: Btf): FlatBase {
  const cached = FLAT.get(base);
  if (cached && cached.key[0] === base.types && cached.key[1] === base.typeWords && cached.key[2] === base.nrTypes) return cached;
  const chain: Btf[] = [];
  for (let b: Btf | undefined = base; b; b = b.base) chain.unshift(b);
  let words = 0;
  for (const b of chain) words += b.typeWords;
  const w = new Uint32Array(words);
  const offs = new Uint32Array(base.typeCount);
  let at = 0;
  for (const b of chain) {
    w.set(b.types.subarray(0, b.typeWords), at);
    for (let i = 0; i < b.nrTypes; i++) offs[b.startId + i] = at + b.typeOffs[i]!;
    at += b.typeWords;
  }
  const f: FlatBase = { key: [base.types, base.typeWords, base.nrTypes], words: w, offs, table: undefined };
  FLAT.set(base, f);
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
 * most of their cost): `meta[4 * id + F]` for the fields below.
 */
export const OFF = 0; // word offset of the record in `w`
export const MAP = 1; // canonical representative (libbpf `map[]`): an id, UNPROCESSED or IN_PROGRESS
export const HYP = 2; // hypothetical canonical -> candidate map (libbpf `hypot_map[]`); new ids after compaction
export const INFO = 3; // the record's info word (kind, vlen, kflag), as int32

export class DedupState {
  readonly btf: Btf;
  /** First own type id; ids below are base types. */
  readonly startId: number;
  /** All type ids are below this (libbpf `btf__type_cnt`). */
  readonly typeCount: number;
  /** All records: base, then own (see the module comment). */
  readonly w: Uint32Array;
  /** Word offset in `w` where the own records begin. */
  readonly ownStart: number;
  /** Offset, map, hypot and info of each type: see {@link OFF}. */
  readonly meta: Int32Array;
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
  private readonly flat: FlatBase | undefined;

  constructor(btf: Btf, inPlace = false) {
    this.btf = btf;
    this.startId = btf.startId;
    this.typeCount = btf.typeCount;
    const own = btf.types.subarray(0, btf.typeWords);
    let w: Uint32Array;
    const meta = new Int32Array(4 * this.typeCount);
    if (btf.base) {
      this.flat = flatBase(btf.base);
      const bw = this.flat.words;
      w = new Uint32Array(bw.length + own.length);
      w.set(bw);
      w.set(own, bw.length);
      const bo = this.flat.offs;
      for (let id = 1; id < this.startId; id++) meta[4 * id + OFF] = bo[id]!;
      this.ownStart = bw.length;
    } else {
      w = inPlace ? btf.types : own.slice();
      this.ownStart = 0;
    }
    const start = this.startId;
    const base = this.ownStart;
    const to = btf.typeOffs;
    for (let i = 0, n = btf.nrTypes; i < n; i++) meta[4 * (start + i) + OFF] = base + to[i]!;
    this.w = w;
    // Void is canonical; VAR and DATASEC are self-canonical (never deduped); the rest unprocessed.
    meta[HYP] = UNPROCESSED;
    for (let id = 1, m = 4; id < this.typeCount; id++, m += 4) {
      const info = w[meta[m + OFF]! + 1]!;
      const k = kindOf(info);
      meta[m + MAP] = k === Kind.VAR || k === Kind.DATASEC ? id : UNPROCESSED;
      meta[m + HYP] = UNPROCESSED;
      meta[m + INFO] = info | 0;
    }
    this.meta = meta;
    this.hypotList = new Uint32Array(256);
    this.table = new DedupTable(Math.max(1024, btf.nrTypes >>> 4));
  }

  /** The prepared base table, if an earlier run on the same base made one. */
  cachedBaseTable(): DedupTable | undefined {
    return this.flat?.table?.clone();
  }

  /** Remember the table as it is right after split prep, for later runs on this base. */
  cacheBaseTable(): void {
    if (this.flat && !this.flat.table) this.flat.table = this.table.clone();
  }

  /** Word offset of type `id`'s record in `w`. */
  off(id: number): number {
    return this.meta[4 * id + OFF]!;
  }

  /** Kind of type `id` (0 for void). */
  kind(id: number): number {
    return (this.meta[4 * id + INFO]! >>> 24) & 0x1f;
  }

  /** Follow the canonical map to the representative (libbpf `resolve_type_id`). */
  resolve(id: number): number {
    const meta = this.meta;
    let m = meta[4 * id + MAP]!;
    while (m >= 0 && m !== id) {
      id = m;
      m = meta[4 * id + MAP]!;
    }
    return id;
  }

  clearHypot(): void {
    const meta = this.meta;
    const l = this.hypotList;
    for (let i = 0, n = this.hypotCnt; i < n; i++) meta[4 * l[i]! + HYP] = UNPROCESSED;
    this.hypotCnt = 0;
    this.adjustCanon = false;
  }

  /** A failure, as libbpf's dedup returning an error. */
  fail(message: string, typeId?: number): never {
    throw new BtfError("INVALID", `dedup: ${message}`, typeId === undefined ? {} : { typeId });
  }
}
