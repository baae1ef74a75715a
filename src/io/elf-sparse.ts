/**
 * Reading only part of a large ELF file (a 600 MB debug vmlinux): the headers and
 * the sections a caller wants, placed at their file offsets in a buffer the size of
 * the file. The rest of the buffer is never written, so the operating system does
 * not back it with memory (zero-filled allocations are mapped lazily), and an
 * {@link ElfFile} over it works as over the whole file for the sections read.
 * @module
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { BtfError } from "../internal/errors.js";
import { ElfFile, SHT_NOBITS, type ElfSection } from "../elf/elf.js";

const CHUNK = 1 << 30;

/** One `readSync`; bytes read. @throws {BtfError} IO (a directory named as such). */
function readOnce(fd: number, buf: Uint8Array, offset: number, length: number, pos: number): number {
  try {
    return readSync(fd, buf, offset, length, pos);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new BtfError("IO", err.code === "EISDIR" ? "is a directory, not an ELF file" : `cannot read: ${err.message}`);
  }
}

/** Read `length` bytes at file position `pos` (default `offset`) into buf[offset ...]. */
function readAt(fd: number, buf: Uint8Array, offset: number, length: number, pos = offset): void {
  let done = 0;
  while (done < length) {
    const n = readOnce(fd, buf, offset + done, Math.min(CHUNK, length - done), pos + done);
    if (n <= 0) throw new BtfError("IO", `short read at offset ${pos + done}`);
    done += n;
  }
}

/** The first `n` bytes of the file at `path`, or fewer when it is shorter. @throws {BtfError} IO. */
export function readHead(path: string, n: number): Uint8Array {
  const fd = openOrThrow(path);
  try {
    const head = new Uint8Array(n);
    return head.subarray(0, readOnce(fd, head, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * A buffer {@link readElfSections} fills again for each file (a thread reading many
 * modules one after the other): no new allocation, no fresh pages to fault in. The
 * bytes of one file are valid until the next is read into it.
 */
export interface ReusableBuffer {
  buffer: Uint8Array;
}

/**
 * The bytes of `path` with only the ELF header, the program and section header
 * tables, the section-name table and the sections `want` selects filled in
 * (in shared memory with `opts.shared`).
 * @throws {BtfError} IO on read errors, MALFORMED for a bad ELF header.
 */
export async function readElfSections(
  path: string,
  want: (s: ElfSection, elf: ElfFile) => boolean,
  opts: { shared?: boolean; reuse?: ReusableBuffer } = {},
): Promise<Uint8Array> {
  const fd = openOrThrow(path);
  try {
    const size = fstatSync(fd).size;
    // A SharedArrayBuffer (opts.shared) can be handed to worker threads without a copy.
    let buf: Uint8Array;
    if (opts.shared) buf = new Uint8Array(new SharedArrayBuffer(size));
    else if (opts.reuse) {
      if (opts.reuse.buffer.length < size) opts.reuse.buffer = new Uint8Array(Math.max(size, Math.min(2 * opts.reuse.buffer.length, 256 << 20)));
      buf = opts.reuse.buffer.subarray(0, size);
      buf.fill(0); // the headers are parsed before all of them are read
    } else buf = new Uint8Array(size);
    readAt(fd, buf, 0, Math.min(size, 64));
    let elf = new ElfFile(buf.subarray(0, size));
    const tables: [number, number][] = [];
    if (elf.phnum > 0) tables.push([elf.phoff, elf.phnum * elf.phentsize]);
    if (elf.shoff > 0) tables.push([elf.shoff, Math.max(1, elf.sections.length || 1) * elf.shentsize]);
    // The section count may come from section 0 (extended numbering): read the table once more.
    for (const [o, n] of tables) readAt(fd, buf, o, Math.min(n, size - o));
    elf = new ElfFile(buf);
    if (elf.shoff > 0) readAt(fd, buf, elf.shoff, Math.min(elf.sections.length * elf.shentsize, size - elf.shoff));
    elf = new ElfFile(buf);
    const shstr = elf.sections[elf.shstrndx];
    if (shstr && shstr.type !== SHT_NOBITS) readAt(fd, buf, shstr.offset, Math.min(shstr.size, size - shstr.offset));
    elf = new ElfFile(buf);
    for (const s of elf.sections) {
      if (s.index === 0 || s.type === SHT_NOBITS || !want(s, elf)) continue;
      if (s.offset + s.size > size) continue; // ElfFile.sectionData reports it
      readAt(fd, buf, s.offset, s.size);
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/**
 * A `want` for {@link readElfSections}: the DWARF sections, and for ET_REL files
 * their relocation sections and symbol/string tables (needed to relocate them).
 */
export function wantDwarf(s: ElfSection, elf: ElfFile): boolean {
  if (s.name.startsWith(".debug_") || s.name.startsWith(".zdebug_")) return true;
  if (elf.type !== 1) return false;
  return s.name.startsWith(".rela.debug_") || s.name.startsWith(".rel.debug_") || s.type === 2 || s.type === 3 || s.type === 18;
}

/**
 * Fill in only the unit headers of section `sec` (`.debug_info`) of the file at
 * `path` into `buf` (the file-sized buffer of {@link readElfSections}): enough for
 * `DwarfFile.units()` to list the units, their abbreviation tables and sizes, while
 * the units' DIEs stay on disk (see {@link readFileRange}).
 * @throws {BtfError} IO on read errors.
 */
export function readUnitHeaders(path: string, buf: Uint8Array, sec: ElfSection, littleEndian: boolean): void {
  const fd = openOrThrow(path);
  try {
    const size = Math.min(sec.size, buf.length - sec.offset);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let pos = 0; pos + 4 <= size; ) {
      // The longest header: 64-bit length (12) + version (2) + unit type and address
      // size (2) + abbreviation offset (8) + signature or id (8) + type offset (8).
      const at = sec.offset + pos;
      readAt(fd, buf, at, Math.min(40, size - pos));
      let len = dv.getUint32(at, littleEndian);
      let head = 4;
      if (len === 0xffffffff) {
        if (pos + 12 > size) break;
        len = Number(dv.getBigUint64(at + 4, littleEndian));
        head = 12;
      }
      if (len === 0 || len >= 0xfffffff0) break; // padding, or bad: units() reports it
      pos += head + len;
    }
  } finally {
    closeSync(fd);
  }
}

/** `length` bytes of the file at `fd` from `offset`, into `into` (default: a new buffer). @throws {BtfError} IO. */
export function readFileRange(fd: number, offset: number, length: number, into = new Uint8Array(length)): Uint8Array {
  readAt(fd, into, 0, length, offset);
  return into;
}

/** Open `path` for reading. @throws {BtfError} IO. */
export function openOrThrow(path: string): number {
  try {
    return openSync(path, "r");
  } catch (e) {
    throw new BtfError("IO", `cannot open: ${(e as Error).message}`);
  }
}

/** Read section `sec` of the file at `path` into its place in `buf` (see {@link readElfSections}). @throws {BtfError} IO. */
export function readSectionInto(path: string, buf: Uint8Array, sec: ElfSection): void {
  const fd = openOrThrow(path);
  try {
    readAt(fd, buf, sec.offset, Math.min(sec.size, buf.length - sec.offset));
  } finally {
    closeSync(fd);
  }
}
