/**
 * A growable byte buffer for text output: ASCII literals, decimal numbers and raw
 * bytes copied straight from a string section, with no string building on the way.
 */
const enc = new TextEncoder();

export class TextWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  /** An ASCII string (callers pass literals and other pure-ASCII text). */
  lit(s: string): this {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
    return this;
  }

  /** Precomputed bytes (see {@link ascii}): the fastest way to write a constant. */
  raw(b: Uint8Array): this {
    const n = b.length;
    if (this.pos + n > this.buf.length) this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i]!;
    this.pos = p;
    return this;
  }

  /** Any string, UTF-8 encoded. */
  text(s: string): this {
    const b = enc.encode(s);
    return this.bytes(b, 0, b.length);
  }

  /** One byte. */
  byte(c: number): this {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = c;
    return this;
  }

  /** src[start, end). */
  bytes(src: Uint8Array, start: number, end: number): this {
    const n = end - start;
    this.ensure(n);
    if (n < 32) {
      const b = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) b[p++] = src[i]!;
      this.pos = p;
    } else {
      this.buf.set(src.subarray(start, end), this.pos);
      this.pos += n;
    }
    return this;
  }

  /** An unsigned integer below 2^53, in decimal. */
  uint(n: number): this {
    if (this.pos + 20 > this.buf.length) this.ensure(20);
    const b = this.buf;
    if (n < 10) {
      b[this.pos++] = 48 + n;
      return this;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      b[--p] = 48 + (n - q * 10);
      n = q;
    }
    b[--p] = 48 + n;
    return this;
  }

  /** A signed integer (|n| below 2^53), in decimal. */
  int(n: number): this {
    if (n < 0) {
      this.byte(45);
      return this.uint(-n);
    }
    return this.uint(n);
  }

  /** The bytes written so far (a view). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** The bytes of an ASCII constant, for {@link TextWriter.raw}. */
export const ascii = (s: string): Uint8Array => enc.encode(s);
