/**
 * The dedup table: a multimap from signature hash to canonical type ids, over typed
 * arrays only, that hands out candidates in exactly the order libbpf's does.
 *
 * libbpf keeps candidates in its generic `hashmap` (`hashmap__append`): a new entry is
 * pushed at the *front* of its bucket's list, and each time the map grows (capacity
 * doubles from 4 when `(size + 1) * 4 / 3 > capacity`) every bucket list is re-inserted
 * front-first, which *reverses* the relative order of entries that share a key. The
 * order matters only when two canonical candidates both match a new type (enum fwds
 * meeting several full enums, struct graphs equal only through forward declarations),
 * but then it decides the output.
 *
 * Rather than reversing lists, each key's entries sit in a doubly linked list whose
 * reading direction flips with every emulated growth: "prepend" adds at the head while
 * reading head→tail, at the tail while reading tail→head. The growth schedule is
 * computed from libbpf's own counters (size, capacity), so flips happen exactly when
 * libbpf's map would grow, whatever this table's own bucket array does.
 */

export class DedupTable {
  /** Entry fields: hash key, value (type id), links. */
  private eKey: Int32Array;
  private eVal: Uint32Array;
  private eNext: Int32Array;
  private ePrev: Int32Array;
  private n = 0;
  /** Open-addressing index of keys: slot -> key, head entry, tail entry (-1 = empty). */
  private sKey: Int32Array;
  private sHead: Int32Array;
  private sTail: Int32Array;
  private sBits: number;
  private sUsed = 0;
  /** libbpf hashmap counters and the current reading direction (1 = tail to head). */
  private libSize = 0;
  private libCap = 0;
  private flip = 0;

  constructor(capacity = 1024) {
    const c = Math.max(16, capacity);
    this.eKey = new Int32Array(c);
    this.eVal = new Uint32Array(c);
    this.eNext = new Int32Array(c);
    this.ePrev = new Int32Array(c);
    let bits = 4;
    while (1 << bits < c * 2) bits++;
    this.sBits = bits;
    this.sKey = new Int32Array(1 << bits);
    this.sHead = new Int32Array(1 << bits).fill(-1);
    this.sTail = new Int32Array(1 << bits);
  }

  /** Number of entries. */
  get size(): number {
    return this.n;
  }

  /** Slot of `key`, or -1. */
  private slot(key: number): number {
    const mask = (1 << this.sBits) - 1;
    let s = Math.imul(key, 0x9e3779b1) >>> (32 - this.sBits);
    const head = this.sHead;
    const k = this.sKey;
    for (;;) {
      if (head[s]! < 0) return -1;
      if (k[s] === key) return s;
      s = (s + 1) & mask;
    }
  }

  private growSlots(): void {
    const oldKey = this.sKey;
    const oldHead = this.sHead;
    const oldTail = this.sTail;
    const bits = this.sBits + 1;
    const size = 1 << bits;
    const mask = size - 1;
    const key = new Int32Array(size);
    const head = new Int32Array(size).fill(-1);
    const tail = new Int32Array(size);
    for (let i = 0; i < oldHead.length; i++) {
      if (oldHead[i]! < 0) continue;
      let s = Math.imul(oldKey[i]!, 0x9e3779b1) >>> (32 - bits);
      while (head[s]! >= 0) s = (s + 1) & mask;
      key[s] = oldKey[i]!;
      head[s] = oldHead[i]!;
      tail[s] = oldTail[i]!;
    }
    this.sKey = key;
    this.sHead = head;
    this.sTail = tail;
    this.sBits = bits;
  }

  private growEntries(): void {
    const c = this.eKey.length * 2;
    const k = new Int32Array(c);
    k.set(this.eKey);
    this.eKey = k;
    const v = new Uint32Array(c);
    v.set(this.eVal);
    this.eVal = v;
    const nx = new Int32Array(c);
    nx.set(this.eNext);
    this.eNext = nx;
    const pv = new Int32Array(c);
    pv.set(this.ePrev);
    this.ePrev = pv;
  }

  /** libbpf `hashmap__append(key, id)`: the new entry comes first for its key. */
  add(key: number, id: number): void {
    // libbpf grows (and so reverses every bucket) before inserting.
    if (this.libCap === 0 || Math.floor(((this.libSize + 1) * 4) / 3) > this.libCap) {
      this.libCap = this.libCap === 0 ? 4 : this.libCap * 2;
      this.flip ^= 1;
    }
    this.libSize++;
    if (this.n === this.eKey.length) this.growEntries();
    const e = this.n++;
    this.eKey[e] = key;
    this.eVal[e] = id;
    let s = this.slot(key);
    if (s < 0) {
      if ((this.sUsed + 1) * 2 > 1 << this.sBits) this.growSlots();
      const mask = (1 << this.sBits) - 1;
      s = Math.imul(key, 0x9e3779b1) >>> (32 - this.sBits);
      while (this.sHead[s]! >= 0) s = (s + 1) & mask;
      this.sKey[s] = key;
      this.sHead[s] = e;
      this.sTail[s] = e;
      this.eNext[e] = -1;
      this.ePrev[e] = -1;
      this.sUsed++;
      return;
    }
    if (this.flip === 0) {
      const h = this.sHead[s]!;
      this.eNext[e] = h;
      this.ePrev[e] = -1;
      this.ePrev[h] = e;
      this.sHead[s] = e;
    } else {
      const t = this.sTail[s]!;
      this.ePrev[e] = t;
      this.eNext[e] = -1;
      this.eNext[t] = e;
      this.sTail[s] = e;
    }
  }

  /**
   * First candidate entry for `key` in libbpf's order, or -1. Walk with {@link next};
   * read the type id with {@link id}. Entries of other keys are never returned.
   */
  first(key: number): number {
    const s = this.slot(key);
    if (s < 0) return -1;
    return this.flip ? this.sTail[s]! : this.sHead[s]!;
  }

  /** The entry after `e` for the same key, or -1. */
  next(e: number): number {
    return this.flip ? this.ePrev[e]! : this.eNext[e]!;
  }

  /** The type id stored in entry `e`. */
  id(e: number): number {
    return this.eVal[e]!;
  }

  /** An independent copy (to reuse a prepared base table for many split BTFs). */
  clone(): DedupTable {
    const t = Object.create(DedupTable.prototype) as DedupTable;
    t.eKey = this.eKey.slice();
    t.eVal = this.eVal.slice();
    t.eNext = this.eNext.slice();
    t.ePrev = this.ePrev.slice();
    t.n = this.n;
    t.sKey = this.sKey.slice();
    t.sHead = this.sHead.slice();
    t.sTail = this.sTail.slice();
    t.sBits = this.sBits;
    t.sUsed = this.sUsed;
    t.libSize = this.libSize;
    t.libCap = this.libCap;
    t.flip = this.flip;
    return t;
  }
}
