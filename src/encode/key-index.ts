/**
 * {@link KeyIndex}: a map from name keys (integers of up to 2^42, negative ones too:
 * see `CuLoader.nameKey`) to non-negative integers, for the encoder's hot paths. Open
 * addressing over typed arrays: no boxing of keys beyond 2^31 as a `Map` would, and
 * `clear()` is one increment (slots carry the generation that wrote them).
 * @module
 */

/** Key -> value (>= 0) map; `get` gives -1 for a missing key. */
export class KeyIndex {
  private keys: Float64Array;
  private vals: Int32Array;
  /** Generation of each slot; a slot of an older generation is empty. */
  private gens: Int32Array;
  private gen = 1;
  private n = 0;
  private mask: number;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap);
    this.gens = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Number of keys. */
  get size(): number {
    return this.n;
  }

  private static slot(key: number): number {
    // Fold the high part of keys beyond 32 bits in, then a multiplicative hash; 30 bits,
    // so that the result is a small integer V8 never boxes (tables stay below 2^30 slots).
    const hi = (key / 4294967296) | 0;
    return Math.imul((key | 0) ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) & 0x3fffffff;
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    const mask = this.mask;
    const gens = this.gens;
    const keys = this.keys;
    const gen = this.gen;
    for (let j = KeyIndex.slot(key) & mask; ; j = (j + 1) & mask) {
      if (gens[j] !== gen) return -1;
      if (keys[j] === key) return this.vals[j]!;
    }
  }

  /** Set `key` to `value` (>= 0); the key must not be present yet. */
  set(key: number, value: number): void {
    if ((this.n + 1) * 2 > this.keys.length) this.grow();
    const mask = this.mask;
    const gens = this.gens;
    const gen = this.gen;
    let j = KeyIndex.slot(key) & mask;
    while (gens[j] === gen) j = (j + 1) & mask;
    gens[j] = gen;
    this.keys[j] = key;
    this.vals[j] = value;
    this.n++;
  }

  /** Remove every key. */
  clear(): void {
    this.n = 0;
    if (++this.gen === 0x7fffffff) {
      this.gens.fill(0);
      this.gen = 1;
    }
  }

  private grow(): void {
    const { keys, vals, gens, gen } = this;
    const cap = keys.length * 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap);
    this.gens = new Int32Array(cap);
    this.mask = cap - 1;
    this.n = 0;
    for (let j = 0; j < keys.length; j++) if (gens[j] === gen) this.set(keys[j]!, vals[j]!);
  }
}
