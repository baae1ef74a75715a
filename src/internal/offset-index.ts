/**
 * {@link OffsetIndex}: a map from section offsets (integers in [0, 2^31 - 1)) to
 * non-negative integers, over one typed array. For tables keyed by a string section's
 * offsets, where only a fraction of the offsets are ever looked up: a direct table as
 * long as the section costs 4 bytes per byte of it (14 MB for a kernel's
 * `.debug_str`), this costs 16-32 bytes per key present (2 MB).
 * @module
 */

/**
 * Offset -> value (>= 0) map; `get` gives -1 for a missing key. Open addressing with
 * linear probing; each slot is the key + 1 (0: empty) and its value side by side, so a
 * lookup touches one cache line.
 *
 * @example
 * const ix = new OffsetIndex(100);
 * ix.set(4096, 7);
 * ix.get(4096); // 7
 * ix.get(12); // -1
 */
export class OffsetIndex {
  private t: Int32Array;
  private shift: number;
  private n = 0;

  /** @param expected keys expected: the table is made big enough for them up front. */
  constructor(expected = 1024) {
    let bits = 4;
    while (1 << bits < 2 * expected && bits < 30) bits++;
    this.t = new Int32Array(2 << bits);
    this.shift = 32 - bits;
  }

  /** Number of keys. */
  get size(): number {
    return this.n;
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    const t = this.t;
    const mask = (t.length >>> 1) - 1;
    const k = key + 1;
    if (k <= 0) return -1; // 0 marks empty slots
    for (let j = Math.imul(k, 0x9e3779b1) >>> this.shift; ; j = (j + 1) & mask) {
      const s = t[2 * j]!;
      if (s === k) return t[2 * j + 1]!;
      if (s === 0) return -1;
    }
  }

  /** Set `key` (in [0, 2^31 - 1)) to `value` (>= 0), adding or replacing. */
  set(key: number, value: number): void {
    if (!(key >= 0 && key < 0x7fffffff && Math.floor(key) === key)) throw new RangeError(`OffsetIndex: key ${key} out of range`);
    let t = this.t;
    if (2 * (this.n + 1) > t.length >>> 1) t = this.grow();
    const mask = (t.length >>> 1) - 1;
    const k = key + 1;
    let j = Math.imul(k, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const s = t[2 * j]!;
      if (s === k) break;
      if (s === 0) {
        t[2 * j] = k;
        this.n++;
        break;
      }
      j = (j + 1) & mask;
    }
    t[2 * j + 1] = value;
  }

  private grow(): Int32Array {
    const old = this.t;
    this.t = new Int32Array(2 * old.length);
    this.shift--;
    this.n = 0;
    for (let j = 0; j < old.length; j += 2) if (old[j] !== 0) this.set(old[j]! - 1, old[j + 1]!);
    return this.t;
  }
}
