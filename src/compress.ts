/**
 * Decompression of whole files by magic: xz, zstd, gzip (compressed kernel modules,
 * the payload of a bzImage). Pure JavaScript/WebAssembly, no Node-only imports.
 */
import { gunzipSync } from "fflate";
import { decompress as zstdDecompress } from "fzstd";
import { BtfError } from "./internal/errors.js";

export type Compression = "xz" | "zstd" | "gzip" | "lz4-legacy";

/** The compression format `bytes` start with, or undefined. */
export function detectCompression(bytes: Uint8Array): Compression | undefined {
  const b = bytes;
  if (b.length >= 6 && b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a && b[5] === 0) return "xz";
  if (b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return "zstd";
  if (b.length >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 8) return "gzip";
  if (b.length >= 4 && b[0] === 0x02 && b[1] === 0x21 && b[2] === 0x4c && b[3] === 0x18) return "lz4-legacy";
  return undefined;
}

/**
 * Decompress `bytes` in format `fmt`.
 * @throws {BtfError} MALFORMED when the data is corrupt.
 */
export async function decompress(bytes: Uint8Array, fmt: Compression, expectedSize?: number): Promise<Uint8Array> {
  try {
    switch (fmt) {
      case "gzip":
        return gunzipSync(bytes);
      case "zstd":
        return await zstd(bytes, expectedSize);
      case "lz4-legacy":
        return lz4Legacy(bytes);
      case "xz": {
        const { XzReadableStream } = ((await import("xz-decompress")) as unknown as { default: typeof import("xz-decompress") }).default;
        const stream = new XzReadableStream(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream());
        return new Uint8Array(await new Response(stream as ReadableStream<Uint8Array>).arrayBuffer());
      }
    }
  } catch (e) {
    if (e instanceof BtfError) throw e;
    throw new BtfError("MALFORMED", `corrupt ${fmt} data: ${(e as Error).message ?? e}`);
  }
}

let zstdDecoder: Promise<{ decode(a: Uint8Array, size?: number): Uint8Array }> | undefined;

/**
 * zstd through the WebAssembly decoder (zstddec: ~100 MB/s, against ~7 MB/s for the
 * pure-JS fzstd, which stays as the fallback where WebAssembly is unavailable).
 */
async function zstd(bytes: Uint8Array, expectedSize?: number): Promise<Uint8Array> {
  const size = expectedSize ?? frameContentSize(bytes);
  // zstddec reports no errors (corrupt input gives a short or garbage result) and needs the
  // size up front: use it only with a known, plausible size and check what it returns;
  // anything else goes to fzstd, which throws on corrupt data.
  if ((globalThis as { WebAssembly?: unknown }).WebAssembly === undefined || size === undefined || size === 0 || size > Math.max(1 << 24, bytes.length * 64))
    return zstdDecompress(bytes);
  zstdDecoder ??= import("zstddec").then(async ({ ZSTDDecoder }) => {
    const d = new ZSTDDecoder();
    await d.init();
    return d;
  });
  const d = await zstdDecoder;
  const out = d.decode(bytes, size);
  return out.length === size ? out : zstdDecompress(bytes);
}

/** The Frame_Content_Size of a zstd frame header, when present; undefined otherwise. */
function frameContentSize(b: Uint8Array): number | undefined {
  if (b.length < 6) return undefined;
  const fhd = b[4]!;
  const fcsFlag = fhd >>> 6;
  const single = (fhd >>> 5) & 1;
  const didFlag = fhd & 3;
  let p = 5 + (single ? 0 : 1) + [0, 1, 2, 4][didFlag]!;
  const size = fcsFlag === 0 ? (single ? 1 : 0) : [1, 2, 4, 8][fcsFlag]!;
  if (size === 0 || p + size > b.length) return undefined;
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + b[p + i]!;
  if (size === 2) v += 256;
  return v;
}

/**
 * If `bytes` is an x86 bzImage, its compressed payload (the vmlinux ELF inside), and
 * for the formats the kernel build appends it to (all but gzip) the uncompressed size
 * from the 4-byte trailer, which is then cut off.
 */
export function bzImagePayload(bytes: Uint8Array): { data: Uint8Array; size?: number } | undefined {
  if (bytes.length < 0x250 || bytes[0x202] !== 0x48 || bytes[0x203] !== 0x64 || bytes[0x204] !== 0x72 || bytes[0x205] !== 0x53) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let setupSects = bytes[0x1f1]!;
  if (setupSects === 0) setupSects = 4;
  const off = (setupSects + 1) * 512 + dv.getUint32(0x248, true);
  const len = dv.getUint32(0x24c, true);
  if (off + len > bytes.length || len === 0)
    throw new BtfError("MALFORMED", `bzImage payload [${off}, +${len}) past the end of the file`, { offset: 0x248 });
  const data = bytes.subarray(off, off + len);
  if (detectCompression(data) === "gzip" || len < 8) return { data };
  return { data: data.subarray(0, len - 4), size: dv.getUint32(off + len - 4, true) };
}

const LZ4_LEGACY_MAGIC = 0x184c2102;

/**
 * The LZ4 "legacy" frame the kernel uses for compressed images: a magic, then blocks
 * of (u32 LE compressed size, LZ4 block). Stops at the end, at a trailer too short to
 * be a block (a bzImage appends the 4-byte uncompressed size), or at a block size
 * that does not fit.
 */
export function lz4Legacy(src: Uint8Array): Uint8Array {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let out = new Uint8Array(Math.max(1 << 16, src.length * 4));
  let op = 0;
  let ip = 0;
  const need = (n: number) => {
    if (op + n <= out.length) return;
    let cap = out.length * 2;
    while (cap < op + n) cap *= 2;
    const o = new Uint8Array(cap);
    o.set(out.subarray(0, op));
    out = o;
  };
  if (src.length < 4 || dv.getUint32(0, true) !== LZ4_LEGACY_MAGIC) throw new BtfError("MALFORMED", "not an LZ4 legacy frame", { offset: 0 });
  ip = 4;
  while (ip + 4 < src.length) {
    const size = dv.getUint32(ip, true);
    if (size === LZ4_LEGACY_MAGIC) {
      ip += 4;
      continue;
    }
    if (ip + 4 + size > src.length) break; // trailer (uncompressed size) or garbage
    ip += 4;
    const end = ip + size;
    while (ip < end) {
      const token = src[ip++]!;
      let lit = token >>> 4;
      if (lit === 15) {
        let b;
        do {
          if (ip >= end) throw new BtfError("MALFORMED", "corrupt LZ4 block", { offset: ip });
          b = src[ip++]!;
          lit += b;
        } while (b === 255);
      }
      if (ip + lit > end) throw new BtfError("MALFORMED", "corrupt LZ4 block: literals past the block", { offset: ip });
      need(lit);
      out.set(src.subarray(ip, ip + lit), op);
      op += lit;
      ip += lit;
      if (ip >= end) break;
      if (ip + 2 > end) throw new BtfError("MALFORMED", "corrupt LZ4 block: truncated match", { offset: ip });
      const dist = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      if (dist === 0 || dist > op) throw new BtfError("MALFORMED", `corrupt LZ4 block: match distance ${dist}`, { offset: ip - 2 });
      let len = token & 15;
      if (len === 15) {
        let b;
        do {
          if (ip >= end) throw new BtfError("MALFORMED", "corrupt LZ4 block", { offset: ip });
          b = src[ip++]!;
          len += b;
        } while (b === 255);
      }
      len += 4;
      need(len);
      let from = op - dist;
      if (dist >= len) {
        out.copyWithin(op, from, from + len);
        op += len;
      } else {
        for (let i = 0; i < len; i++) out[op++] = out[from++]!;
      }
    }
  }
  return out.subarray(0, op);
}
