/**
 * Find BTF in whatever bytes a user hands over: raw BTF, an ELF file's `.BTF` section
 * (vmlinux, .ko, .o), a compressed file (xz, zstd, gzip: `.ko.xz` ...), or an x86
 * bzImage (vmlinuz), whose compressed vmlinux is unpacked first.
 */
import { BtfError } from "../internal/errors.js";
import type { Btf } from "./btf.js";
import { isRawBtf, parseBtf, type ParseOptions } from "./parse.js";

/** What container the BTF came from. */
export type BtfSource = "raw" | "elf" | "compressed-elf" | "bzimage";

/**
 * Extract the raw BTF bytes from `bytes` (see the module comment).
 * @throws {BtfError} NOT_FOUND for an ELF without `.BTF`, MALFORMED for anything unrecognised.
 */
export async function extractBtfBytes(bytes: Uint8Array): Promise<{ bytes: Uint8Array; source: BtfSource }> {
  if (isRawBtf(bytes)) return { bytes, source: "raw" };
  // ELF and decompression code loads only when a file needs it: raw BTF stays cheap.
  const { ElfFile, isElf } = await import("../elf/elf.js");
  const elfBtf = (b: Uint8Array): Uint8Array => {
    const elf = new ElfFile(b);
    const sec = elf.section(".BTF");
    if (!sec) throw new BtfError("NOT_FOUND", "ELF file has no .BTF section");
    return elf.sectionData(sec);
  };
  if (isElf(bytes)) return { bytes: elfBtf(bytes), source: "elf" };
  const { bzImagePayload, decompress, detectCompression } = await import("../compress.js");
  const comp = detectCompression(bytes);
  if (comp) {
    const inner = await decompress(bytes, comp);
    if (isRawBtf(inner)) return { bytes: inner, source: "raw" };
    if (isElf(inner)) return { bytes: elfBtf(inner), source: "compressed-elf" };
    throw new BtfError("MALFORMED", `${comp}-compressed data is neither BTF nor ELF`);
  }
  const payload = bzImagePayload(bytes);
  if (payload) {
    const fmt = detectCompression(payload.data);
    if (!fmt) throw new BtfError("UNSUPPORTED", "bzImage payload compression not recognised (xz, zstd, lz4 and gzip are supported)");
    const vmlinux = await decompress(payload.data, fmt, payload.size);
    if (!isElf(vmlinux)) throw new BtfError("MALFORMED", "bzImage payload is not an ELF vmlinux");
    return { bytes: elfBtf(vmlinux), source: "bzimage" };
  }
  if (bytes.length === 0) throw new BtfError("MALFORMED", "empty file");
  throw new BtfError("MALFORMED", "not BTF, ELF, a compressed module or a bzImage");
}


/**
 * Parse BTF out of any supported container.
 * @example
 * ```ts
 * const base = await loadBtf(await readFile("vmlinux"));
 * const mod = await loadBtf(await readFile("ext4.ko.xz"), { base });
 * ```
 */
export async function loadBtf(bytes: Uint8Array, opts: ParseOptions = {}): Promise<Btf> {
  const { bytes: raw, source } = await extractBtfBytes(bytes);
  return parseIn(raw, source, opts);
}

/** parseBtf, with error offsets marked as relative to `.BTF` when the BTF came from a container. */
export function parseIn(raw: Uint8Array, source: BtfSource, opts: ParseOptions = {}): Btf {
  try {
    return parseBtf(raw, opts);
  } catch (e) {
    if (source !== "raw" && e instanceof BtfError) throw e.inSection(".BTF");
    throw e;
  }
}
