/**
 * A module file (`.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`, or raw split BTF under such a
 * name) looked at before it is measured or encoded: is it an ELF file with DWARF, and
 * where is it as an uncompressed ELF on disk (what the encoder reads, see
 * src/io/encode-workers.ts). An uncompressed ELF is probed by its headers only;
 * anything else is read whole (and decompressed).
 * @module
 */
import { rmSync, writeFileSync } from "node:fs";
import { decompress, detectCompression, type Compression } from "../compress.js";
import { ElfFile, isElf } from "../elf/elf.js";
import { readElfSections, readHead } from "./elf-sparse.js";
import { readInput } from "./files.js";

/** What {@link probeModule} found. */
export interface ModuleProbe {
  path: string;
  /** An ELF file (after decompression) with `.debug_info` (or `.zdebug_info`). */
  hasDwarf: boolean;
  /** The compression of the file, if any. */
  compression?: Compression;
  /**
   * The whole (decompressed) contents when they had to be read: compressed files and
   * files that are no ELF. Undefined for an uncompressed ELF (only its headers were read).
   */
  bytes?: Uint8Array;
}

/** True when the ELF file has DWARF type information (`.debug_info`). */
export function elfHasDwarf(elf: ElfFile): boolean {
  return elf.section(".debug_info") !== undefined || elf.section(".zdebug_info") !== undefined;
}

function startsWithElfMagic(path: string): boolean {
  const head = readHead(path, 4);
  return head.length === 4 && isElf(head);
}

/**
 * Look at the module file at `path`: ELF or not, compressed or not, with DWARF or not
 * (for an uncompressed ELF with `dwarf: false`, only its first bytes are read and
 * `hasDwarf` is true: not looked at).
 * @throws {BtfError} IO, MALFORMED (a bad ELF header, bad compressed data).
 */
export async function probeModule(path: string, opts: { dwarf?: boolean } = {}): Promise<ModuleProbe> {
  if (startsWithElfMagic(path)) {
    // `dwarf: false`: the caller does not need hasDwarf (the encoder finds out itself).
    if (opts.dwarf === false) return { path, hasDwarf: true };
    const elf = new ElfFile(await readElfSections(path, () => false));
    return { path, hasDwarf: elfHasDwarf(elf) };
  }
  const raw = await readInput(path);
  const compression = detectCompression(raw);
  if (!compression) return { path, hasDwarf: false, bytes: raw };
  const bytes = await decompress(raw, compression);
  return { path, hasDwarf: isElf(bytes) && elfHasDwarf(new ElfFile(bytes)), compression, bytes };
}

/**
 * Run `fn` on the module as an uncompressed ELF file on disk: the file itself, or its
 * decompressed bytes written to `scratch` (a file name), removed when `fn` is done.
 */
export async function withElfOnDisk<T>(probe: ModuleProbe, scratch: string, fn: (path: string) => Promise<T>): Promise<T> {
  if (!probe.compression || !probe.bytes) return fn(probe.path);
  writeFileSync(scratch, probe.bytes);
  try {
    return await fn(scratch);
  } finally {
    rmSync(scratch, { force: true });
  }
}
