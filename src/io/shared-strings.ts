/**
 * Lists of strings handed to worker threads in shared memory (see {@link SharedStrings}).
 * @module
 */
/**
 * A list of strings in shared memory: UTF-8, each followed by a NUL (`count` of them
 * in `bytes`), as a worker's `FunctionNameTable` reads them.
 *
 * Why not let `postMessage` clone a `string[]`: the clone of a kernel's function table
 * is one 2 MB message buffer, which the worker frees once it has read it. glibc's
 * malloc takes a freed block of that size (a mapping of its own) as a hint to serve
 * every smaller request from its heaps from then on, and to keep up to twice that
 * much free memory in each of them: after that one free, the fragments, tables and
 * compiler zones that come and go while the units are encoded stayed resident (peak
 * RSS ~10-15 MB higher for vmlinux at `-j2`). Shared memory is not copied, so no such
 * block is freed. See also `windowUnits` (./encode-workers.ts) and `CuLoader`'s slot table.
 */
export interface SharedStrings {
  bytes: Uint8Array;
  count: number;
}

/** `list` as {@link SharedStrings}. The strings must not contain NUL. */
export function shareStrings(list: readonly string[]): SharedStrings {
  let chars = 0;
  for (const s of list) chars += s.length + 1;
  const bytes = new Uint8Array(new SharedArrayBuffer(Math.max(1, 3 * chars)));
  let at = 0;
  const enc = new TextEncoder();
  for (const s of list) {
    at += enc.encodeInto(s, bytes.subarray(at)).written;
    bytes[at++] = 0;
  }
  return { bytes: bytes.subarray(0, at), count: list.length };
}
