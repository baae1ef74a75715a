/**
 * Assembling DWARF by hand for tests: a growable byte buffer in the target's byte
 * order, with the encodings DWARF sections use (fixed-size integers, ULEB128/SLEB128,
 * C strings) and back-patching (a unit's length once its DIEs are written).
 * @example
 * const info = new Buf(true).uint(0, 4).uint(4, 2).uint(0, 4).u8(8); // a DWARF 4 unit header
 * info.uleb(1).cstr("t.c");                                          // a DIE of abbreviation 1
 * info.set(0, info.length - 4, 4);                                   // its unit_length
 * @module
 */

/** A growable byte buffer with the target's byte order. */
export class Buf {
  bytes: number[] = [];
  constructor(readonly le: boolean) {}
  get length(): number {
    return this.bytes.length;
  }
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  uint(v: bigint | number, size: number): this {
    let x = BigInt(v);
    const b: number[] = [];
    for (let i = 0; i < size; i++) {
      b.push(Number(x & 0xffn));
      x >>= 8n;
    }
    this.bytes.push(...(this.le ? b : b.reverse()));
    return this;
  }
  uleb(v: number | bigint): this {
    let x = BigInt(v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      this.bytes.push(b);
    } while (x !== 0n);
    return this;
  }
  sleb(v: number | bigint): this {
    let x = BigInt(v);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && !(b & 0x40)) || (x === -1n && b & 0x40)) {
        this.bytes.push(b);
        return this;
      }
      this.bytes.push(b | 0x80);
    }
  }
  cstr(s: string): this {
    for (const c of new TextEncoder().encode(s)) this.bytes.push(c);
    this.bytes.push(0);
    return this;
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]!);
    return this;
  }
  set(at: number, v: number | bigint, size: number): void {
    const t = new Buf(this.le).uint(v, size).bytes;
    for (let i = 0; i < size; i++) this.bytes[at + i] = t[i]!;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}
