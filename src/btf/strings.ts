/**
 * String sections: NUL-terminated byte strings addressed by offset.
 *
 * Reading decodes lazily, straight from the bytes. Building uses {@link StringSet}, an
 * open-addressing hash index over the bytes themselves (libbpf `strset`): adding a string
 * that is already there returns its offset and stores nothing.
 */

const utf8 = new TextDecoder("utf-8");
const utf8Enc = new TextEncoder();

/** Index of the NUL ending the string at `start`, or -1 when none comes before `end`. */
export function cstrEnd(bytes: Uint8Array, start: number, end: number): number {
  const i = bytes.indexOf(0, start);
  return i < 0 || i >= end ? -1 : i;
}

/** Decode bytes[start, end) as UTF-8, with a fast path for short ASCII. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 64) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return utf8.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(bytes.subarray(start, end));
}

/** Decode bytes[start, end) one char per byte (latin1): lossless, for byte-exact output. */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return s;
}

/** UTF-8 bytes of a JS string. */
export const encodeUtf8 = (s: string): Uint8Array => utf8Enc.encode(s);

/** Hash of bytes[start, end): libbpf's `str_hash` (h = h * 31 + c), 32-bit. */
export function strHash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + bytes[i]!) | 0;
  return h >>> 0;
}

/**
 * A growable, deduplicating string section (libbpf `strset`).
 *
 * Offsets are local to this set; a split BTF adds its `startStrOff`.
 *
 * @example
 * ```ts
 * const s = new StringSet();          // starts with "" at offset 0
 * s.add("int");                        // 1
 * s.add("int");                        // 1 again
 * s.bytes();                           // "\0int\0"
 * ```
 */
export class StringSet {
  /** The section bytes; only the first `length` are used. */
  data: Uint8Array;
  /** Bytes used. */
  length = 0;
  /**
   * Open addressing, two words a slot: local offset + 1 (0 = empty), then the
   * string's hash, which a probe compares before touching the bytes (both in one
   * cache line: a lookup in a kernel's 2 MB table misses the cache once).
   */
  private table: Int32Array;
  private count = 0;

  /** @param withEmpty start with "" at offset 0 (a non-split section). */
  constructor(withEmpty = true, capacity = 256) {
    this.data = new Uint8Array(Math.max(16, capacity));
    this.table = new Int32Array(128);
    if (withEmpty) this.addBytes(new Uint8Array(0), 0, 0);
  }

  /** Build a set from an existing section (must end with NUL), indexing every string in it. */
  static fromSection(section: Uint8Array): StringSet {
    const s = new StringSet(false, section.length + 64);
    s.data.set(section);
    s.length = section.length;
    let start = 0;
    while (start < section.length) {
      let end = section.indexOf(0, start);
      if (end < 0) end = section.length;
      s.indexAt(start, end);
      start = end + 1;
    }
    return s;
  }

  private grow(need: number): void {
    let cap = this.data.length;
    while (cap < need) cap *= 2;
    const d = new Uint8Array(cap);
    d.set(this.data.subarray(0, this.length));
    this.data = d;
  }

  private rehash(): void {
    const old = this.table;
    const t = new Int32Array(old.length * 2);
    const mask = (t.length >>> 1) - 1;
    for (let i = 0; i < old.length; i += 2) {
      const v = old[i]!;
      if (!v) continue;
      const h = old[i + 1]!;
      let j = h & mask;
      while (t[2 * j]) j = (j + 1) & mask;
      t[2 * j] = v;
      t[2 * j + 1] = h;
    }
    this.table = t;
  }

  /** Index an already stored string at [start, end) unless an equal one is indexed. */
  private indexAt(start: number, end: number): void {
    if ((this.count + 1) * 4 > this.table.length) this.rehash();
    const t = this.table;
    const mask = (t.length >>> 1) - 1;
    const d = this.data;
    const len = end - start;
    const h = strHash(d, start, end) | 0;
    let j = h & mask;
    for (;;) {
      const v = t[2 * j]!;
      if (!v) break;
      const off = v - 1;
      if (t[2 * j + 1] === h && d[off + len] === 0 && equalBytes(d, off, d, start, len)) return;
      j = (j + 1) & mask;
    }
    t[2 * j] = start + 1;
    t[2 * j + 1] = h;
    this.count++;
  }

  /** Find bytes[start, end) (no NUL inside); local offset or -1. */
  findBytes(src: Uint8Array, start: number, end: number, hash = strHash(src, start, end)): number {
    const t = this.table;
    const mask = (t.length >>> 1) - 1;
    const d = this.data;
    const len = end - start;
    const h = hash | 0;
    let j = h & mask;
    for (;;) {
      const v = t[2 * j]!;
      if (!v) return -1;
      const off = v - 1;
      if (t[2 * j + 1] === h && d[off + len] === 0 && equalBytes(d, off, src, start, len)) return off;
      j = (j + 1) & mask;
    }
  }

  /**
   * Add bytes[start, end) (no NUL inside); returns the local offset (existing or new).
   * `hash`: their {@link strHash}, when the caller has it.
   */
  addBytes(src: Uint8Array, start: number, end: number, hash = strHash(src, start, end)): number {
    const len = end - start;
    const found = this.findBytes(src, start, end, hash);
    if (found >= 0) return found;
    if ((this.count + 1) * 4 > this.table.length) this.rehash();
    if (this.length + len + 1 > this.data.length) this.grow(this.length + len + 1);
    const off = this.length;
    // (names are short: a loop, not a subarray per string)
    const data = this.data;
    if (len <= 64) for (let i = 0; i < len; i++) data[off + i] = src[start + i]!;
    else data.set(src.subarray(start, end), off);
    this.data[off + len] = 0;
    this.length += len + 1;
    const t = this.table;
    const mask = (t.length >>> 1) - 1;
    let j = hash & mask;
    while (t[2 * j]) j = (j + 1) & mask;
    t[2 * j] = off + 1;
    t[2 * j + 1] = hash | 0;
    this.count++;
    return off;
  }

  /** Add a JS string (UTF-8); returns its local offset. */
  add(s: string): number {
    const b = encodeUtf8(s);
    return this.addBytes(b, 0, b.length);
  }

  /** Local offset of a JS string, or -1. */
  find(s: string): number {
    const b = encodeUtf8(s);
    return this.findBytes(b, 0, b.length);
  }

  /** The used bytes (a view). */
  bytes(): Uint8Array {
    return this.data.subarray(0, this.length);
  }
}

/** Compare a[ao, ao+len) with b[bo, bo+len). */
export function equalBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}
