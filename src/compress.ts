/**
 * Decompression of whole files by magic: xz, zstd, gzip (compressed kernel modules,
 * the payload of a bzImage). Pure JavaScript/WebAssembly, no Node-only imports.
 */
import { gunzipSync } from "fflate";
import { decompress as zstdDecompress } from "fzstd";
import { BtfError } from "./internal/errors.js";

export type Compression = "xz" | "zstd" | "gzip";

/** The compression format `bytes` start with, or undefined. */
export function detectCompression(bytes: Uint8Array): Compression | undefined {
  const b = bytes;
  if (b.length >= 6 && b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a && b[5] === 0) return "xz";
  if (b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return "zstd";
  if (b.length >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 8) return "gzip";
  return undefined;
}

/**
 * Decompress `bytes` in format `fmt`.
 * @throws {BtfError} MALFORMED when the data is corrupt.
 */
export async function decompress(bytes: Uint8Array, fmt: Compression): Promise<Uint8Array> {
  try {
    switch (fmt) {
      case "gzip":
        return gunzipSync(bytes);
      case "zstd":
        return zstdFirstFrames(bytes);
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

/** zstd frames, tolerating trailing non-frame bytes (a bzImage appends the size). */
function zstdFirstFrames(bytes: Uint8Array): Uint8Array {
  try {
    return zstdDecompress(bytes);
  } catch (e) {
    // Retry without the 4-byte size trailer some producers append.
    if (bytes.length > 8) {
      try {
        return zstdDecompress(bytes.subarray(0, bytes.length - 4));
      } catch {
        /* fall through to the first error */
      }
    }
    throw e;
  }
}

/** If `bytes` is an x86 bzImage, its compressed payload (the vmlinux ELF inside). */
export function bzImagePayload(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < 0x250 || bytes[0x202] !== 0x48 || bytes[0x203] !== 0x64 || bytes[0x204] !== 0x72 || bytes[0x205] !== 0x53) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let setupSects = bytes[0x1f1]!;
  if (setupSects === 0) setupSects = 4;
  const off = (setupSects + 1) * 512 + dv.getUint32(0x248, true);
  const len = dv.getUint32(0x24c, true);
  if (off + len > bytes.length || len === 0)
    throw new BtfError("MALFORMED", `bzImage payload [${off}, +${len}) past the end of the file`, { offset: 0x248 });
  return bytes.subarray(off, off + len);
}
