/**
 * {@link KeyIndex}: a map from name keys (integers of up to 2^42, negative ones too:
 * see `CuLoader.nameKey`) to non-negative integers, for the encoder's hot paths. Open
 * addressing over one typed array: no boxing of keys beyond 2^31 as a `Map` would, and
 * `clear()` is one increment (slots carry the generation that wrote them).
 * @module
 */

/** 2^31: a slot's second word is `generation * GEN + value` (value < 2^31). */
const GEN = 2147483648;

/** Key -> value (>= 0, < 2^31) map; `get` gives -1 for a missing key. */
export class KeyIndex {
  /**
   * Slot j is words 2j (the key) and 2j + 1 (`gen * GEN + value`, or less than the
   * current `gen * GEN` when empty): both in one cache line, one miss per probe.
   */
  private t: Float64Array;
  private gen = 1;
  /** `gen * GEN`. */
  private base = GEN;
  private n = 0;
  private mask: number;
  private readonly maxGen: number;

  /**
   * @param capacity keys expected before the first growth.
   * @param maxGen generations before the slots are zeroed (2^21 - 1 keeps
   *   `gen * GEN + value` below 2^53; smaller only for tests).
   */
  constructor(capacity = 1024, maxGen = 2 ** 21 - 1) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.t = new Float64Array(2 * cap);
    this.mask = cap - 1;
    this.maxGen = maxGen;
  }

  /** Number of keys. */
  get size(): number {
    return this.n;
  }

  private static slot(key: number): number {
    // Fold the high part of keys beyond 32 bits in, then a multiplicative hash; 30 bits,
    // so that the result is a small integer V8 never boxes (tables stay below 2^30 slots).
    // (Most keys fit 32 bits: no division for them.)
    const hi = key >= -2147483648 && key <= 2147483647 ? 0 : (key / 4294967296) | 0;
    return Math.imul((key | 0) ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) & 0x3fffffff;
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    const t = this.t;
    const mask = this.mask;
    const base = this.base;
    for (let j = KeyIndex.slot(key) & mask; ; j = (j + 1) & mask) {
      const v = t[2 * j + 1]!;
      if (v < base) return -1;
      if (t[2 * j] === key) return v - base;
    }
  }

  /** Set `key` to `value` (in [0, 2^31)); the key must not be present yet. */
  set(key: number, value: number): void {
    if ((this.n + 1) * 2 > this.mask + 1) this.grow();
    const t = this.t;
    const mask = this.mask;
    const base = this.base;
    let j = KeyIndex.slot(key) & mask;
    while (t[2 * j + 1]! >= base) j = (j + 1) & mask;
    t[2 * j] = key;
    t[2 * j + 1] = base + value;
    this.n++;
  }

  /**
   * Remove every key. With `expected`, the next keys (about that many) are spread over
   * a table of their own size, the first slots of the storage: a table grown once for
   * a big unit stays allocated, but the small units after it do not probe all of it
   * (a probe into a table many times the size of the cache is a miss).
   */
  clear(expected?: number): void {
    this.n = 0;
    this.nextGen();
    if (expected !== undefined) {
      let cap = 16;
      while (cap < expected * 2 && 4 * cap <= this.t.length) cap *= 2; // 2 words a slot
      this.mask = cap - 1;
    }
  }

  private nextGen(): void {
    if (++this.gen > this.maxGen) {
      this.t.fill(0);
      this.gen = 1;
    }
    this.base = this.gen * GEN;
  }

  /** Twice the slots: the storage's next slots if it has them, else new storage. */
  private grow(): void {
    const used = 2 * (this.mask + 1);
    const old = this.t.slice(0, used);
    const base = this.base;
    const cap = used; // twice the slots
    if (2 * cap > this.t.length) this.t = new Float64Array(2 * cap);
    // The keys go in again under a new generation: the old slots read as empty.
    this.nextGen();
    this.mask = cap - 1;
    this.n = 0;
    for (let j = 0; j < old.length; j += 2) if (old[j + 1]! >= base) this.set(old[j]!, old[j + 1]! - base);
  }
}
