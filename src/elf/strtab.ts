/**
 * NUL-terminated strings out of string tables (ELF `.strtab`, DWARF `.debug_str`).
 * ASCII takes a fast path; anything else is decoded as UTF-8.
 * @module
 */

const utf8 = new TextDecoder("utf-8");

/**
 * The string at `start` in `bytes`, up to the first NUL before `limit` (default: the
 * end of `bytes`). Returns undefined when no NUL terminates it before `limit`.
 */
export function cstring(bytes: Uint8Array, start: number, limit: number = bytes.length): string | undefined {
  if (start < 0 || start >= limit) return undefined;
  let end = start;
  let ascii = true;
  while (end < limit) {
    const b = bytes[end]!;
    if (b === 0) break;
    if (b >= 0x80) ascii = false;
    end++;
  }
  if (end >= limit) return undefined;
  return decodeBytes(bytes, start, end, ascii);
}

/** Decode `bytes[start, end)`; `ascii` says no byte is >= 0x80. */
export function decodeBytes(bytes: Uint8Array, start: number, end: number, ascii: boolean): string {
  if (!ascii) return utf8.decode(bytes.subarray(start, end));
  // One flat string per call (building it a character at a time would leave a chain
  // of rope nodes per string in the heap).
  if (end - start <= 4096) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  let s = "";
  for (let i = start; i < end; i += 4096) s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  return s;
}
