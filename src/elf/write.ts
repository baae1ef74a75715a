/**
 * Rewriting an ELF file with one section's contents replaced or a section added:
 * what `pahole -J` (libelf `elf_update`, or `objcopy --add-section .BTF=...`) does to
 * put BTF into a `.o`, a `.ko` or a linked vmlinux.
 *
 * Layout rules:
 * - Everything a program header maps (and every `SHF_ALLOC` section) stays at its
 *   file offset; such a section can only be replaced by data of the same size.
 * - The other sections are laid out again after that, in their original file order,
 *   each at its alignment; added sections come last. Section indices never change
 *   (added sections get the next indices), so `sh_link`, `sh_info`, symbol
 *   `st_shndx` and section groups stay valid.
 * - The section header table goes at the end; extended numbering (`SHN_XINDEX`
 *   through section 0) is used when the count reaches `SHN_LORESERVE`.
 * @module
 */
import { BtfError } from "../internal/errors.js";
import { SHF_ALLOC, SHN_LORESERVE, SHN_XINDEX, SHT_PROGBITS, SHT_REL, SHT_RELA } from "./constants.js";
import { SHF_COMPRESSED, SHT_NOBITS as SHT_NOBITS_VALUE, type ElfFile, type ElfSection } from "./elf.js";

/** A section to add. */
export interface NewSection {
  name: string;
  data: Uint8Array;
  /** Default `SHT_PROGBITS`. */
  type?: number;
  /** Default 0 (not allocated: how `objcopy --add-section` and pahole add `.BTF`). */
  flags?: number;
  /** Default 1. */
  addralign?: number;
  link?: number;
  info?: number;
  entsize?: number;
}

/** Changes for {@link rewriteElf}. */
export interface ElfEdits {
  /** New contents for existing sections, by index. Written uncompressed. */
  replace?: ReadonlyMap<number, Uint8Array>;
  /** Sections appended after the existing ones. */
  add?: readonly NewSection[];
}

/**
 * A new ELF image: `elf` with the sections in `edits.replace` given new contents and
 * the sections in `edits.add` appended (see the module comment for the layout).
 *
 * @throws {BtfError} UNSUPPORTED when an allocated (or segment-mapped) section would
 *   change size, or a replaced section is the target of relocations; ARGUMENT for a
 *   bad section index; MALFORMED when a kept section lies outside the input.
 */
export function rewriteElf(elf: ElfFile, edits: ElfEdits): Uint8Array {
  const replace = edits.replace ?? new Map<number, Uint8Array>();
  const add = edits.add ?? [];
  const src = elf.bytes;
  const is64 = elf.is64;
  const le = elf.littleEndian;
  const oldCount = elf.sections.length;
  if (oldCount === 0 && (replace.size || add.length)) {
    // A file without a section table: start one with the null section.
    throw new BtfError("UNSUPPORTED", "cannot add sections to an ELF file without a section header table");
  }
  for (const i of replace.keys()) {
    const s = elf.sections[i];
    if (!s || i === 0) throw new BtfError("ARGUMENT", `no section with index ${i}`);
    if (s.type === SHT_NOBITS_VALUE) throw new BtfError("UNSUPPORTED", `section ${s.name} is SHT_NOBITS: it has no contents to replace`);
    const rel = elf.sections.find((r) => (r.type === SHT_REL || r.type === SHT_RELA) && r.info === i && r.index !== i);
    if (rel) throw new BtfError("UNSUPPORTED", `section ${s.name} is the target of relocations (${rel.name}); replacing it would invalidate them`);
  }

  // Segments (file ranges that must not move).
  const segs: [number, number][] = [];
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (elf.phnum > 0 && elf.phoff > 0) {
    if (elf.phoff + elf.phnum * elf.phentsize > src.length) throw new BtfError("MALFORMED", "program headers past the end of the file", { offset: elf.phoff });
    for (let i = 0; i < elf.phnum; i++) {
      const o = elf.phoff + i * elf.phentsize;
      const off = is64 ? Number(dv.getBigUint64(o + 8, le)) : dv.getUint32(o + 4, le);
      const filesz = is64 ? Number(dv.getBigUint64(o + 32, le)) : dv.getUint32(o + 16, le);
      if (filesz > 0) {
        if (off + filesz > src.length) throw new BtfError("MALFORMED", `program header ${i}: segment [${off}, +${filesz}) runs past the end of the file`, { offset: o });
        segs.push([off, off + filesz]);
      }
    }
  }
  const fileSize = (s: ElfSection) => (s.type === SHT_NOBITS_VALUE ? 0 : s.size);
  const inSegment = (s: ElfSection) => segs.some(([a, b]) => s.offset < b && s.offset + Math.max(fileSize(s), 1) > a);
  const pinned = new Array<boolean>(oldCount).fill(false);
  let fixedEnd = Math.max(elf.ehsize, is64 ? 64 : 52);
  if (elf.phnum > 0) fixedEnd = Math.max(fixedEnd, elf.phoff + elf.phnum * elf.phentsize);
  for (const [, b] of segs) fixedEnd = Math.max(fixedEnd, b);
  for (const s of elf.sections) {
    if (s.index === 0) continue;
    if ((segs.length > 0 && (s.flags & SHF_ALLOC) !== 0) || inSegment(s)) {
      if (s.offset + fileSize(s) > src.length) throw new BtfError("MALFORMED", `section ${s.name} runs past the end of the file`, { offset: s.offset });
      pinned[s.index] = true;
      fixedEnd = Math.max(fixedEnd, s.offset + fileSize(s));
    }
  }
  // Unchanged sections lying inside the fixed region stay where they are too.
  for (const s of elf.sections) {
    if (s.index === 0 || pinned[s.index] || replace.has(s.index)) continue;
    if (s.offset + fileSize(s) <= fixedEnd && fileSize(s) > 0) pinned[s.index] = true;
  }
  for (const [i, data] of replace) {
    const s = elf.sections[i]!;
    if (pinned[i] && data.length !== s.size)
      throw new BtfError("UNSUPPORTED", `cannot resize section ${s.name} (${s.size} -> ${data.length} bytes): it is mapped by a program header or allocated`);
  }

  // New section names go at the end of .shstrtab.
  const shstr = elf.sections[elf.shstrndx];
  if (add.length && (!shstr || shstr.index === 0 || shstr.type === SHT_NOBITS_VALUE)) throw new BtfError("MALFORMED", "cannot add a section: the file has no section-name string table");
  const nameOffsets: number[] = [];
  let newShstr: Uint8Array | undefined;
  if (add.length) {
    if (pinned[shstr!.index]) throw new BtfError("UNSUPPORTED", "cannot add a section: the section-name string table is mapped by a program header");
    const old = replace.get(shstr!.index) ?? elf.sectionData(shstr!);
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [old];
    let len = old.length;
    if (len === 0 || old[len - 1] !== 0) {
      parts.push(new Uint8Array(1));
      len++;
    }
    const known = new Map<string, number>();
    for (const a of add) {
      const k = known.get(a.name);
      if (k !== undefined) {
        nameOffsets.push(k);
        continue;
      }
      known.set(a.name, len);
      nameOffsets.push(len);
      const b = enc.encode(a.name);
      parts.push(b, new Uint8Array(1));
      len += b.length + 1;
    }
    newShstr = new Uint8Array(len);
    let p = 0;
    for (const part of parts) {
      newShstr.set(part, p);
      p += part.length;
    }
  }
  const contents = (s: ElfSection): Uint8Array => {
    if (newShstr && s.index === elf.shstrndx) return newShstr;
    const r = replace.get(s.index);
    if (r) return r;
    if (s.type === SHT_NOBITS_VALUE) return new Uint8Array(0);
    if (s.offset + s.size > src.length) throw new BtfError("MALFORMED", `section ${s.name} runs past the end of the file`, { offset: s.offset });
    return src.subarray(s.offset, s.offset + s.size);
  };

  // Lay out: fixed region, then moved sections in file order, then added ones.
  interface Out {
    offset: number;
    size: number;
    data: Uint8Array | undefined;
  }
  const outSecs: Out[] = [];
  let pos = fixedEnd;
  const order = elf.sections.filter((s) => s.index !== 0 && !pinned[s.index]).sort((a, b) => a.offset - b.offset || a.index - b.index);
  const placed = new Map<number, Out>();
  for (const s of order) {
    const data = contents(s);
    if (s.type === SHT_NOBITS_VALUE) {
      placed.set(s.index, { offset: pos, size: s.size, data: undefined });
      continue;
    }
    pos = alignTo(pos, s.addralign);
    placed.set(s.index, { offset: pos, size: data.length, data });
    pos += data.length;
  }
  const added: (Out & { sec: NewSection; nameOff: number })[] = [];
  add.forEach((a, i) => {
    pos = alignTo(pos, a.addralign ?? 1);
    added.push({ offset: pos, size: a.data.length, data: a.data, sec: a, nameOff: nameOffsets[i]! });
    pos += (a.type ?? SHT_PROGBITS) === SHT_NOBITS_VALUE ? 0 : a.data.length;
  });
  for (const s of elf.sections) {
    if (s.index === 0) outSecs.push({ offset: 0, size: 0, data: undefined });
    else if (pinned[s.index]) outSecs.push({ offset: s.offset, size: s.size, data: replace.get(s.index) });
    else outSecs.push(placed.get(s.index)!);
  }
  const total = oldCount + add.length;
  const shentsize = is64 ? 64 : 40;
  const shoff = alignTo(pos, is64 ? 8 : 4);
  const out = new Uint8Array(shoff + total * shentsize);
  out.set(src.subarray(0, Math.min(fixedEnd, src.length)));
  for (let i = 1; i < oldCount; i++) {
    const o = outSecs[i]!;
    if (o.data) out.set(o.data, o.offset);
  }
  for (const a of added) if (a.data && (a.sec.type ?? SHT_PROGBITS) !== SHT_NOBITS_VALUE) out.set(a.data, a.offset);

  const w = new DataView(out.buffer);
  const put = (o: number, v: number | bigint, size: 2 | 4 | 8) => {
    if (size === 2) w.setUint16(o, Number(v), le);
    else if (size === 4) w.setUint32(o, Number(v), le);
    else w.setBigUint64(o, BigInt(v), le);
  };
  const word = is64 ? 8 : 4;
  const writeShdr = (i: number, f: { name: number; type: number; flags: number; addr: bigint; offset: number; size: number; link: number; info: number; addralign: number; entsize: number }) => {
    const o = shoff + i * shentsize;
    put(o, f.name, 4);
    put(o + 4, f.type, 4);
    if (is64) {
      put(o + 8, BigInt(f.flags), 8);
      put(o + 16, f.addr, 8);
      put(o + 24, BigInt(f.offset), 8);
      put(o + 32, BigInt(f.size), 8);
      put(o + 40, f.link, 4);
      put(o + 44, f.info, 4);
      put(o + 48, BigInt(f.addralign), 8);
      put(o + 56, BigInt(f.entsize), 8);
    } else {
      put(o + 8, f.flags, 4);
      put(o + 12, Number(f.addr), 4);
      put(o + 16, f.offset, 4);
      put(o + 20, f.size, 4);
      put(o + 24, f.link, 4);
      put(o + 28, f.info, 4);
      put(o + 32, f.addralign, 4);
      put(o + 36, f.entsize, 4);
    }
  };
  const nameOf = (i: number) => {
    const o = elf.shoff + i * elf.shentsize;
    return dv.getUint32(o, le);
  };
  for (const s of elf.sections) {
    const o = outSecs[s.index]!;
    const replaced = replace.has(s.index) || (newShstr !== undefined && s.index === elf.shstrndx);
    writeShdr(s.index, {
      name: nameOf(s.index),
      type: s.type,
      flags: replaced ? s.flags & ~SHF_COMPRESSED : s.flags,
      addr: s.addr,
      offset: s.index === 0 ? 0 : o.offset,
      size: s.index === 0 ? 0 : replaced ? o.data!.length : s.size,
      link: s.link,
      info: s.info,
      addralign: s.addralign,
      entsize: s.entsize,
    });
  }
  added.forEach((a, k) => {
    writeShdr(oldCount + k, {
      name: a.nameOff,
      type: a.sec.type ?? SHT_PROGBITS,
      flags: a.sec.flags ?? 0,
      addr: 0n,
      offset: a.offset,
      size: a.sec.data.length,
      link: a.sec.link ?? 0,
      info: a.sec.info ?? 0,
      addralign: a.sec.addralign ?? 1,
      entsize: a.sec.entsize ?? 0,
    });
  });
  // ELF header: section table location, count, string table index (extended numbering).
  const shstrndx = elf.shstrndx;
  put(is64 ? 40 : 32, is64 ? BigInt(shoff) : shoff, word as 4 | 8);
  put(is64 ? 58 : 46, shentsize, 2);
  put(is64 ? 60 : 48, total >= SHN_LORESERVE ? 0 : total, 2);
  put(is64 ? 62 : 50, shstrndx >= SHN_LORESERVE ? SHN_XINDEX : shstrndx, 2);
  const s0 = shoff;
  put(s0 + (is64 ? 32 : 20), total >= SHN_LORESERVE ? (is64 ? BigInt(total) : total) : is64 ? 0n : 0, word as 4 | 8);
  put(s0 + (is64 ? 40 : 24), shstrndx >= SHN_LORESERVE ? shstrndx : 0, 4);
  // Keep an extended program header count (PN_XNUM) in section 0's sh_info.
  if (elf.phnum >= 0xffff) put(s0 + (is64 ? 44 : 28), elf.phnum, 4);
  return out;
}

/**
 * `elf` with section `name` holding `data`: replaced in place when it exists (same
 * index; data written uncompressed), added as a new non-allocated `SHT_PROGBITS`
 * section otherwise, as `pahole -J` does for `.BTF`.
 *
 * @example
 * ```ts
 * const out = setSection(new ElfFile(koBytes), ".BTF", writeBtf(btf));
 * ```
 * @throws {BtfError} see {@link rewriteElf}.
 */
export function setSection(elf: ElfFile, name: string, data: Uint8Array, opts: Omit<NewSection, "name" | "data"> = {}): Uint8Array {
  const s = elf.section(name);
  if (s) return rewriteElf(elf, { replace: new Map([[s.index, data]]) });
  return rewriteElf(elf, { add: [{ name, data, ...opts }] });
}

function alignTo(v: number, a: number): number {
  if (a <= 1) return v;
  // Moved sections are padded to their alignment; an absurd one (a corrupt header)
  // would make the file huge.
  if (a > 1 << 24) throw new BtfError("MALFORMED", `section alignment ${a} too large to lay out`);
  return Math.ceil(v / a) * a;
}
