/**
 * A tiny ELF writer for tests: an ET_REL file with the sections you give, 32- or
 * 64-bit, either byte order, optionally with SHF_COMPRESSED sections (you pass the
 * already compressed payload and the compression type; the Chdr is written here).
 */

export interface ElfSectionSpec {
  name: string;
  data: Uint8Array;
  /** sh_type (default 1, PROGBITS). */
  type?: number;
  /** sh_flags (default 0). SHF_COMPRESSED (0x800) is added when `compress` is set. */
  flags?: number;
  /** Write an Elf_Chdr with this ch_type (1 zlib, 2 zstd) before `data`. */
  compress?: { type: number; size: number; align?: number };
  /** Override sh_size (e.g. to point past the end of the file). */
  size?: number;
  /** Override sh_offset. */
  offset?: number;
}

export interface ElfSpec {
  bits?: 32 | 64;
  endian?: "little" | "big";
  machine?: number;
  sections: ElfSectionSpec[];
  /** Put no section header table at all (e_shoff = 0). */
  noSectionHeaders?: boolean;
}

const enc = new TextEncoder();

/** Build an ELF file. Section 0 is the null section, the last one is .shstrtab. */
export function buildElf(spec: ElfSpec): Uint8Array {
  const is64 = (spec.bits ?? 64) === 64;
  const le = (spec.endian ?? "little") === "little";
  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const chdrSize = is64 ? 24 : 12;

  // .shstrtab
  const names: number[] = [0];
  const nameOff = (n: string) => {
    const off = names.length;
    for (const c of enc.encode(n)) names.push(c);
    names.push(0);
    return off;
  };
  const secNames = spec.sections.map((s) => nameOff(s.name));
  const shstrName = nameOff(".shstrtab");
  const shstr = Uint8Array.from(names);

  // lay out section payloads after the ELF header, 8-aligned
  const align = (n: number) => (n + 7) & ~7;
  let pos = ehsize;
  const payloads: { off: number; bytes: Uint8Array }[] = [];
  for (const s of spec.sections) {
    pos = align(pos);
    let bytes = s.data;
    if (s.compress) {
      const b = new Uint8Array(chdrSize + s.data.length);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, s.compress.type, le);
      if (is64) {
        dv.setUint32(4, 0, le);
        dv.setBigUint64(8, BigInt(s.compress.size), le);
        dv.setBigUint64(16, BigInt(s.compress.align ?? 1), le);
      } else {
        dv.setUint32(4, s.compress.size, le);
        dv.setUint32(8, s.compress.align ?? 1, le);
      }
      b.set(s.data, chdrSize);
      bytes = b;
    }
    payloads.push({ off: pos, bytes });
    pos += bytes.length;
  }
  pos = align(pos);
  const shstrOff = pos;
  pos += shstr.length;
  pos = align(pos);
  const shoff = pos;
  const shnum = spec.sections.length + 2;
  const total = spec.noSectionHeaders ? shoff : shoff + shnum * shentsize;

  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0]);
  dv.setUint16(16, 1, le); // ET_REL
  dv.setUint16(18, spec.machine ?? (is64 ? 62 : 3), le);
  dv.setUint32(20, 1, le);
  if (is64) {
    dv.setBigUint64(40, spec.noSectionHeaders ? 0n : BigInt(shoff), le);
    dv.setUint16(52, ehsize, le);
    dv.setUint16(58, shentsize, le);
    dv.setUint16(60, spec.noSectionHeaders ? 0 : shnum, le);
    dv.setUint16(62, spec.noSectionHeaders ? 0 : shnum - 1, le);
  } else {
    dv.setUint32(32, spec.noSectionHeaders ? 0 : shoff, le);
    dv.setUint16(40, ehsize, le);
    dv.setUint16(46, shentsize, le);
    dv.setUint16(48, spec.noSectionHeaders ? 0 : shnum, le);
    dv.setUint16(50, spec.noSectionHeaders ? 0 : shnum - 1, le);
  }
  for (const p of payloads) out.set(p.bytes, p.off);
  out.set(shstr, shstrOff);
  if (spec.noSectionHeaders) return out;

  const writeSh = (i: number, name: number, type: number, flags: number, off: number, size: number, addralign: number) => {
    const o = shoff + i * shentsize;
    dv.setUint32(o, name, le);
    dv.setUint32(o + 4, type, le);
    if (is64) {
      dv.setBigUint64(o + 8, BigInt(flags), le);
      dv.setBigUint64(o + 24, BigInt(off), le);
      dv.setBigUint64(o + 32, BigInt(size), le);
      dv.setBigUint64(o + 48, BigInt(addralign), le);
    } else {
      dv.setUint32(o + 8, flags, le);
      dv.setUint32(o + 16, off, le);
      dv.setUint32(o + 20, size, le);
      dv.setUint32(o + 32, addralign, le);
    }
  };
  spec.sections.forEach((s, i) => {
    const p = payloads[i]!;
    const flags = (s.flags ?? 0) | (s.compress ? 0x800 : 0);
    writeSh(i + 1, secNames[i]!, s.type ?? 1, flags, s.offset ?? p.off, s.size ?? p.bytes.length, s.compress ? 8 : 4);
  });
  writeSh(shnum - 1, shstrName, 3, 0, shstrOff, shstr.length, 1);
  return out;
}

/**
 * A zstd frame made of raw (stored) blocks: valid zstd that any decoder must accept,
 * written without a compressor.
 */
export function zstdStored(data: Uint8Array): Uint8Array {
  const parts: number[] = [0x28, 0xb5, 0x2f, 0xfd];
  // Frame header: Single_Segment_Flag set, Frame_Content_Size 4 bytes (FCS flag 2).
  parts.push(0x80 | 0x20);
  const n = data.length;
  parts.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  const MAX = 1 << 17; // Block_Maximum_Size for a 128 KiB window
  let off = 0;
  do {
    const len = Math.min(MAX - 1, n - off);
    const last = off + len >= n ? 1 : 0;
    const hdr = (len << 3) | (0 << 1) | last; // Block_Type 0 = Raw
    parts.push(hdr & 0xff, (hdr >>> 8) & 0xff, (hdr >>> 16) & 0xff);
    for (let i = 0; i < len; i++) parts.push(data[off + i]!);
    off += len;
  } while (off < n);
  return Uint8Array.from(parts);
}
