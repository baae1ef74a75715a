/**
 * Working state of one dedup run (libbpf `struct btf_dedup`), all typed arrays.
 *
 * Every type, base and own, is read from one word array `w`: three zero words for
 * void (id 0), then the base chain's records, then the own records; `offs[id]` is the
 * word offset of type `id`. Base words are never written; own words are rewritten in
 * place (string offsets, canonical reference ids) and finally compacted.
 */
import { BtfError } from "../../internal/errors.js";
import type { Btf } from "../btf.js";
import { Kind, kindOf } from "../kinds.js";
import { DedupTable } from "./table.js";

/** `map[]` value of a type not processed yet (libbpf `BTF_UNPROCESSED_ID`). */
export const UNPROCESSED = 0xffffffff;
/** `map[]` value of a reference type being processed (loop detection). */
export const IN_PROGRESS = 0xfffffffe;
/** Largest real type id; `map[id] <= MAX_ID` means "mapped". */
export const MAX_ID = 0x7fffffff;

/** A base chain flattened for dedup, cached per base (many modules share one vmlinux). */
interface FlatBase {
  key: [Uint32Array, number, number];
  words: Uint32Array; // void + every base record
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
  let words = 3;
  for (const b of chain) words += b.typeWords;
  const w = new Uint32Array(words);
  const offs = new Uint32Array(base.typeCount);
  let at = 3;
  for (const b of chain) {
    w.set(b.types.subarray(0, b.typeWords), at);
    for (let i = 0; i < b.nrTypes; i++) offs[b.startId + i] = at + b.typeOffs[i]!;
    at += b.typeWords;
  }
  const f: FlatBase = { key: [base.types, base.typeWords, base.nrTypes], words: w, offs, table: undefined };
  FLAT.set(base, f);
  return f;
}

export class DedupState {
  readonly btf: Btf;
  /** First own type id; ids below are base types. */
  readonly startId: number;
  /** All type ids are below this (libbpf `btf__type_cnt`). */
  readonly typeCount: number;
  /** All records: void, base, own (see the module comment). */
  readonly w: Uint32Array;
  /** Word offset of each type's record, by id. */
  readonly offs: Uint32Array;
  /** Word offset in `w` where the own records begin. */
  readonly ownStart: number;
  /** Canonical representative of each type (chains end at a self-mapped id). */
  readonly map: Uint32Array;
  /** Hypothetical canonical -> candidate map of one graph comparison; reused for compaction. */
  readonly hypot: Uint32Array;
  /** Canonical ids set in `hypot`, in the order they were set. */
  hypotList: Uint32Array;
  hypotCnt = 0;
  /** Set when equivalence would need a base FWD resolved to a split type (not allowed). */
  adjustCanon = false;
  /** Canonical candidates by signature hash. */
  table: DedupTable;
  private readonly flat: FlatBase | undefined;

  constructor(btf: Btf) {
    this.btf = btf;
    this.startId = btf.startId;
    this.typeCount = btf.typeCount;
    const own = btf.types.subarray(0, btf.typeWords);
    let w: Uint32Array;
    const offs = new Uint32Array(this.typeCount);
    if (btf.base) {
      this.flat = flatBase(btf.base);
      const bw = this.flat.words;
      w = new Uint32Array(bw.length + own.length);
      w.set(bw);
      w.set(own, bw.length);
      offs.set(this.flat.offs);
      this.ownStart = bw.length;
    } else {
      w = new Uint32Array(3 + own.length);
      w.set(own, 3);
      this.ownStart = 3;
    }
    const start = this.startId;
    const base = this.ownStart;
    const to = btf.typeOffs;
    for (let i = 0, n = btf.nrTypes; i < n; i++) offs[start + i] = base + to[i]!;
    this.w = w;
    this.offs = offs;
    // map: void canonical, VAR/DATASEC self-canonical (never deduped), the rest unprocessed.
    const map = new Uint32Array(this.typeCount);
    map[0] = 0;
    for (let id = 1; id < this.typeCount; id++) {
      const k = kindOf(w[offs[id]! + 1]!);
      map[id] = k === Kind.VAR || k === Kind.DATASEC ? id : UNPROCESSED;
    }
    this.map = map;
    this.hypot = new Uint32Array(this.typeCount).fill(UNPROCESSED);
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

  /** Kind of type `id`. */
  kind(id: number): number {
    return (this.w[this.offs[id]! + 1]! >>> 24) & 0x1f;
  }

  /** Follow `map` to the canonical id (libbpf `resolve_type_id`). */
  resolve(id: number): number {
    const map = this.map;
    let m = map[id]!;
    while (m <= MAX_ID && m !== id) {
      id = m;
      m = map[id]!;
    }
    return id;
  }

  /** A FWD already resolved to a STRUCT/UNION gives that type; anything else itself. */
  resolveFwd(id: number): number {
    if (this.kind(id) !== Kind.FWD) return id;
    const r = this.resolve(id);
    return this.kind(r) !== Kind.FWD ? r : id;
  }

  hypotAdd(from: number, to: number): void {
    if (this.hypotCnt === this.hypotList.length) {
      const l = new Uint32Array(this.hypotList.length * 2);
      l.set(this.hypotList);
      this.hypotList = l;
    }
    this.hypotList[this.hypotCnt++] = from;
    this.hypot[from] = to;
  }

  clearHypot(): void {
    const h = this.hypot;
    const l = this.hypotList;
    for (let i = 0, n = this.hypotCnt; i < n; i++) h[l[i]!] = UNPROCESSED;
    this.hypotCnt = 0;
    this.adjustCanon = false;
  }

  /** A failure, as libbpf's dedup returning an error. */
  fail(message: string, typeId?: number): never {
    throw new BtfError("INVALID", `dedup: ${message}`, typeId === undefined ? {} : { typeId });
  }
}
