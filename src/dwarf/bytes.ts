/**
 * Allocation-free readers over a byte array: fixed-size integers of either byte order
 * and LEB128. A LEB128 read returns its value and leaves the position after it in
 * {@link leb.end} (one module-level slot instead of an object per read).
 * @module
 */

/** Where the last {@link uleb}/{@link sleb}/{@link ulebBig}/{@link slebBig} read ended. */
export const leb = { end: 0 };

/**
 * Unsigned LEB128 at `pos` as a number (exact below 2^53; larger values lose low
 * bits). Past the end of `data` it stops, leaving `leb.end` beyond `data.length`.
 */
export function uleb(data: Uint8Array, pos: number): number {
  let b = data[pos++]!;
  if (b < 0x80) {
    leb.end = pos;
    return b;
  }
  let result = b & 0x7f;
  let mul = 128;
  for (;;) {
    b = data[pos++]!;
    if (b === undefined) {
      leb.end = pos;
      return result;
    }
    result += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  leb.end = pos;
  return result;
}

/** Signed LEB128 at `pos` as a number (exact within +-2^53). */
export function sleb(data: Uint8Array, pos: number): number {
  let result = 0;
  let mul = 1;
  let b: number;
  for (;;) {
    b = data[pos++]!;
    if (b === undefined) {
      leb.end = pos;
      return result;
    }
    result += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) break;
  }
  if (b & 0x40) result -= mul;
  leb.end = pos;
  return result;
}

/** Unsigned LEB128 at `pos`, exact, truncated to 64 bits. */
export function ulebBig(data: Uint8Array, pos: number): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = data[pos++];
    if (b === undefined) break;
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if (b < 0x80) break;
  }
  leb.end = pos;
  return BigInt.asUintN(64, result);
}

/** Signed LEB128 at `pos`, exact, truncated to 64 bits. */
export function slebBig(data: Uint8Array, pos: number): bigint {
  let result = 0n;
  let shift = 0n;
  let b = 0;
  for (;;) {
    const x = data[pos++];
    if (x === undefined) break;
    b = x;
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if (b < 0x80) break;
  }
  if (b & 0x40) result -= 1n << shift;
  leb.end = pos;
  return BigInt.asIntN(64, result);
}

/** u16 at `p`. */
export function u16(d: Uint8Array, p: number, le: boolean): number {
  return le ? d[p]! | (d[p + 1]! << 8) : (d[p]! << 8) | d[p + 1]!;
}

/** u24 at `p` (DW_FORM_strx3/addrx3). */
export function u24(d: Uint8Array, p: number, le: boolean): number {
  return le ? d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) : (d[p]! << 16) | (d[p + 1]! << 8) | d[p + 2]!;
}

/** u32 at `p`. */
export function u32(d: Uint8Array, p: number, le: boolean): number {
  return le ? (d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16)) + d[p + 3]! * 0x1000000 : d[p]! * 0x1000000 + ((d[p + 1]! << 16) | (d[p + 2]! << 8) | d[p + 3]!);
}

/** u64 at `p` as a number (exact below 2^53). */
export function u64(d: Uint8Array, p: number, le: boolean): number {
  return le ? u32(d, p, true) + u32(d, p + 4, true) * 0x100000000 : u32(d, p, false) * 0x100000000 + u32(d, p + 4, false);
}

/** u64 at `p`, exact. */
export function u64Big(d: Uint8Array, p: number, le: boolean): bigint {
  const a = BigInt(u32(d, p, le));
  const b = BigInt(u32(d, p + 4, le));
  return le ? a | (b << 32n) : (a << 32n) | b;
}

/** An unsigned integer of `size` bytes (1, 2, 3, 4, 8) at `p`, exact. */
export function uintBig(d: Uint8Array, p: number, size: number, le: boolean): bigint {
  switch (size) {
    case 1:
      return BigInt(d[p]!);
    case 2:
      return BigInt(u16(d, p, le));
    case 3:
      return BigInt(u24(d, p, le));
    case 4:
      return BigInt(u32(d, p, le));
    case 8:
      return u64Big(d, p, le);
    default: {
      let v = 0n;
      for (let i = 0; i < size; i++) v = le ? v | (BigInt(d[p + i]!) << BigInt(8 * i)) : (v << 8n) | BigInt(d[p + i]!);
      return v;
    }
  }
}

/** An unsigned integer of `size` bytes at `p` as a number (exact below 2^53). */
export function uint(d: Uint8Array, p: number, size: number, le: boolean): number {
  switch (size) {
    case 1:
      return d[p]!;
    case 2:
      return u16(d, p, le);
    case 4:
      return u32(d, p, le);
    case 8:
      return u64(d, p, le);
    default:
      return Number(uintBig(d, p, size, le));
  }
}
