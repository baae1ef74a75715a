/**
 * Growing lists of 32-bit integers over typed arrays, for the hot paths that build
 * tables entry by entry (the encoder's loader and fragments, abbreviation tables, the
 * assembler's saved functions): `a` is the storage (only the first `n` entries are
 * used), reused by resetting `n`.
 * @module
 */

/** A growing list of signed 32-bit integers. */
export class Int32List {
  a: Int32Array;
  n = 0;
  constructor(capacity = 256) {
    this.a = new Int32Array(Math.max(1, capacity));
  }
  /** Append `v`; returns its index. */
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new Int32Array(2 * this.n);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = v;
    return this.n++;
  }
  /** The entries, copied. */
  copy(): Int32Array {
    return this.a.slice(0, this.n);
  }
}

/** A growing list of 32-bit words (values stored modulo 2^32). */
export class Uint32List {
  a: Uint32Array;
  n = 0;
  constructor(capacity = 256) {
    this.a = new Uint32Array(Math.max(1, capacity));
  }
  /**
   * Room for `extra` more entries; returns the storage, for a caller that writes
   * `a[n]`, `a[n + 1]` ... itself and then sets `n` (a loop without a check per entry).
   */
  reserve(extra: number): Uint32Array {
    if (this.n + extra > this.a.length) {
      const b = new Uint32Array(Math.max(2 * this.a.length, this.n + extra));
      b.set(this.a.subarray(0, this.n));
      this.a = b;
    }
    return this.a;
  }
  /** Append `v`; returns its index. */
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new Uint32Array(2 * this.n);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = v;
    return this.n++;
  }
}
