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
  /**
   * Entries, 3 int32 each: type id, next, previous (-1 = none). Hot loops walk them
   * directly: `for (let e = t.first(h), ent = t.ent, k = t.step; e >= 0; e = ent[3 * e + k])`,
   * reading the id at `ent[3 * e]` (valid until the next {@link add}).
   */
  ent: Int32Array;
  private n = 0;
  /** Open-addressing index of keys, 4 int32 per slot: key, head entry, tail entry (-1 = empty slot), unused. */
  private slots: Int32Array;
  private sBits: number;
  private sUsed = 0;
  /** libbpf hashmap counters and the current reading direction (1 = tail to head). */
  private libSize = 0;
  private libCap = 0;
  private flip = 0;
  /** While logging: per add, (entry, slot index, how: 0 new key, 1 at head, 2 at tail). */
  private log: Int32Array | null = null;
  private logLen = 0;

  constructor(capacity = 1024) {
    const c = Math.max(16, capacity);
    this.ent = new Int32Array(3 * c);
    let bits = 4;
    while (1 << bits < c * 2) bits++;
    this.sBits = bits;
    this.slots = DedupTable.emptySlots(1 << bits);
  }

  private static emptySlots(size: number): Int32Array {
    const s = new Int32Array(4 * size);
    for (let i = 1; i < s.length; i += 4) s[i] = -1;
    return s;
  }

  /** Number of entries. */
  get size(): number {
    return this.n;
  }

  /** Slot index (×4) of `key`, or -1. */
  private slot(key: number): number {
    const mask = (1 << this.sBits) - 1;
    let s = Math.imul(key, 0x9e3779b1) >>> (32 - this.sBits);
    const sl = this.slots;
    for (;;) {
      const i = 4 * s;
      if (sl[i + 1]! < 0) return -1;
      if (sl[i] === key) return i;
      s = (s + 1) & mask;
    }
  }

  private growSlots(): void {
    const old = this.slots;
    const bits = this.sBits + 1;
    const mask = (1 << bits) - 1;
    const sl = DedupTable.emptySlots(1 << bits);
    for (let i = 0; i < old.length; i += 4) {
      if (old[i + 1]! < 0) continue;
      let s = Math.imul(old[i]!, 0x9e3779b1) >>> (32 - bits);
      while (sl[4 * s + 1]! >= 0) s = (s + 1) & mask;
      sl[4 * s] = old[i]!;
      sl[4 * s + 1] = old[i + 1]!;
      sl[4 * s + 2] = old[i + 2]!;
    }
    this.slots = sl;
    this.sBits = bits;
  }

  /** libbpf `hashmap__append(key, id)`: the new entry comes first for its key. */
  add(key: number, id: number): void {
    this.count();
    if (3 * (this.n + 1) > this.ent.length) {
      const e = new Int32Array(this.ent.length * 2);
      e.set(this.ent);
      this.ent = e;
    }
    const e = this.n++;
    const ent = this.ent;
    ent[3 * e] = id;
    let s = this.slot(key);
    if (s < 0) {
      if ((this.sUsed + 1) * 2 > 1 << this.sBits) this.growSlots();
      const mask = (1 << this.sBits) - 1;
      let j = Math.imul(key, 0x9e3779b1) >>> (32 - this.sBits);
      while (this.slots[4 * j + 1]! >= 0) j = (j + 1) & mask;
      s = 4 * j;
      this.slots[s] = key;
      this.slots[s + 1] = e;
      this.slots[s + 2] = e;
      ent[3 * e + 1] = -1;
      ent[3 * e + 2] = -1;
      this.sUsed++;
      if (this.log) this.note(e, s, 0);
      return;
    }
    const sl = this.slots;
    if (this.flip === 0) {
      const h = sl[s + 1]!;
      ent[3 * e + 1] = h;
      ent[3 * e + 2] = -1;
      ent[3 * h + 2] = e;
      sl[s + 1] = e;
      if (this.log) this.note(e, s, 1);
    } else {
      const t = sl[s + 2]!;
      ent[3 * e + 2] = t;
      ent[3 * e + 1] = -1;
      ent[3 * t + 1] = e;
      sl[s + 2] = e;
      if (this.log) this.note(e, s, 2);
    }
  }

  /**
   * Count an addition to libbpf's map of an entry that the caller files elsewhere (the
   * reference pass's CommonIndex, ./index.ts): libbpf's map grows, and so reverses
   * the order of the entries sharing a key here, after as many additions as it has.
   */
  count(): void {
    // libbpf grows (and so reverses every bucket) before inserting.
    if (this.libCap === 0 || Math.floor(((this.libSize + 1) * 4) / 3) > this.libCap) {
      this.libCap = this.libCap === 0 ? 4 : this.libCap * 2;
      this.flip ^= 1;
    }
    this.libSize++;
  }

  private note(e: number, s: number, how: number): void {
    let l = this.log!;
    if (this.logLen + 3 > l.length) {
      const n = new Int32Array(l.length * 2);
      n.set(l);
      this.log = l = n;
    }
    l[this.logLen++] = e;
    l[this.logLen++] = s;
    l[this.logLen++] = how;
  }

  /**
   * Start recording additions, so that {@link rollback} can take them back: a table
   * prepared with a base's types is reused for many split BTFs on that base.
   */
  mark(): TableMark {
    this.log ??= new Int32Array(3 * 1024);
    this.logLen = 0;
    return { n: this.n, libSize: this.libSize, libCap: this.libCap, flip: this.flip, sBits: this.sBits, sUsed: this.sUsed };
  }

  /**
   * Undo every addition since `m`, last first, leaving the table as it was at the mark.
   * Returns false when that is impossible (the key index was rebuilt in between): the
   * table must then be dropped.
   */
  rollback(m: TableMark): boolean {
    const l = this.log;
    this.log = null;
    if (!l || this.sBits !== m.sBits) return false;
    const ent = this.ent;
    const sl = this.slots;
    for (let i = this.logLen - 3; i >= 0; i -= 3) {
      const e = l[i]!;
      const s = l[i + 1]!;
      const how = l[i + 2]!;
      if (how === 0) {
        // The newest key: no later key probed past its slot, so it can simply go.
        sl[s] = 0;
        sl[s + 1] = -1;
        sl[s + 2] = -1;
      } else if (how === 1) {
        const h = ent[3 * e + 1]!;
        sl[s + 1] = h;
        ent[3 * h + 2] = -1;
      } else {
        const t = ent[3 * e + 2]!;
        sl[s + 2] = t;
        ent[3 * t + 1] = -1;
      }
    }
    this.logLen = 0;
    this.n = m.n;
    this.libSize = m.libSize;
    this.libCap = m.libCap;
    this.flip = m.flip;
    this.sUsed = m.sUsed;
    return true;
  }

  /**
   * First candidate entry for `key` in libbpf's order, or -1. Walk with {@link next};
   * read the type id with {@link id}. Entries of other keys are never returned.
   */
  first(key: number): number {
    const s = this.slot(key);
    if (s < 0) return -1;
    return this.slots[s + 2 - (this.flip ^ 1)]!; // head (flip 0) or tail (flip 1)
  }

  /** Offset of the link to follow within an entry (1 + the reading direction). */
  get step(): number {
    return 1 + this.flip;
  }

  /** The entry after `e` for the same key, or -1. */
  next(e: number): number {
    return this.ent[3 * e + 1 + this.flip]!;
  }

  /** The type id stored in entry `e`. */
  id(e: number): number {
    return this.ent[3 * e]!;
  }
}

/** What {@link DedupTable.mark} saves. */
export interface TableMark {
  n: number;
  libSize: number;
  libCap: number;
  flip: number;
  sBits: number;
  sUsed: number;
}
