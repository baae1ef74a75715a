/**
 * DWARF out of an ELF file: section data decompressed (`SHF_COMPRESSED`, and the old
 * GNU `.zdebug_*` form) and, for ET_REL files (`.o`, `.ko`), relocated.
 * @module
 */
import { unzlibSync } from "fflate";
import { BtfError } from "../internal/errors.js";
import type { ElfFile } from "../elf/elf.js";
import { relocatableLayout } from "../elf/relocations.js";
import { DwarfFile, type DwarfSectionName } from "./dwarf.js";

/** Options for {@link dwarfFromElf}. */
export interface DwarfFromElfOptions {
  /**
   * Addresses given to the allocated sections of an ET_REL file when relocating
   * (code addresses in `DW_AT_low_pc`, `DW_OP_addr` ...):
   * - `"section"` (default): each section at its `sh_addr` (0 in ET_REL files), so
   *   addresses are offsets in their section;
   * - `"libdwfl"`: laid out one after another from 0x10000 as elfutils does for
   *   pahole (see `relocatableLayout`);
   * - a function from section index to address.
   */
  layout?: "section" | "libdwfl" | ((shndx: number) => bigint);
  /** Read the split-DWARF sections (`.debug_info.dwo` ...) of a `.dwo` file. */
  dwo?: boolean;
  /** For a `.dwo`: the DWARF of the main object (skeleton units, `.debug_addr`). */
  skeleton?: DwarfFile;
  /** Supplementary / dwz alternate string table (`DW_FORM_strp_sup`, `DW_FORM_GNU_strp_alt`). */
  supplementaryStrings?: Uint8Array;
  /**
   * The ELF file's bytes are the caller's to change: relocate the DWARF sections of an
   * ET_REL file where they are, without a copy (see `ApplyRelocationsOptions.inPlace`).
   */
  relocateInPlace?: boolean;
}

/**
 * The DWARF of `elf`. Sections are read (and relocated) on first use.
 * @example
 * ```ts
 * const dwarf = dwarfFromElf(new ElfFile(await readInput("foo.ko")));
 * ```
 */
export function dwarfFromElf(elf: ElfFile, opts: DwarfFromElfOptions = {}): DwarfFile {
  let addr: ((shndx: number) => bigint) | undefined;
  if (typeof opts.layout === "function") addr = opts.layout;
  else if (opts.layout === "libdwfl" && elf.type === 1) addr = relocatableLayout(elf).address;
  const suffix = opts.dwo ? ".dwo" : "";
  return new DwarfFile({
    littleEndian: elf.littleEndian,
    split: opts.dwo,
    skeleton: opts.skeleton,
    section(name: DwarfSectionName): Uint8Array | undefined {
      if (name === ".debug_str.sup") return opts.supplementaryStrings;
      const full = name + suffix;
      // A relocatable object can hold several sections of one name (gcc puts each
      // type unit in its own COMDAT .debug_types/.debug_info): read them as one,
      // concatenated in section order, as a linker would.
      const secs = elf.sections.filter((s) => s.name === full);
      if (secs.length) {
        const parts = secs.map((sec) => {
          try {
            return elf.relocatedSectionData(sec, { sectionAddress: addr, inPlace: opts.relocateInPlace });
          } catch (e) {
            if (e instanceof BtfError) throw e.inSection(full);
            throw e;
          }
        });
        if (parts.length === 1) return parts[0];
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let o = 0;
        for (const p of parts) {
          out.set(p, o);
          o += p.length;
        }
        return out;
      }
      const z = elf.section(".z" + full.slice(1));
      if (!z) return undefined;
      const inflated = zdebug(elf.sectionData(z), z.name);
      return elf.relocatedSectionData(z, addr ? { sectionAddress: addr, data: inflated } : { data: inflated });
    },
  });
}

/** An old-style `.zdebug_*` section: "ZLIB", 8-byte big-endian size, zlib stream. */
function zdebug(raw: Uint8Array, name: string): Uint8Array {
  if (raw.length < 12 || raw[0] !== 0x5a || raw[1] !== 0x4c || raw[2] !== 0x49 || raw[3] !== 0x42) throw new BtfError("MALFORMED", `${name}: no ZLIB header`, { offset: 0, section: name });
  let size = 0;
  for (let i = 4; i < 12; i++) size = size * 256 + raw[i]!;
  let out: Uint8Array;
  try {
    out = unzlibSync(raw.subarray(12));
  } catch (e) {
    throw new BtfError("MALFORMED", `${name}: cannot decompress: ${(e as Error).message}`, { offset: 12, section: name });
  }
  if (out.length !== size) throw new BtfError("MALFORMED", `${name}: decompressed to ${out.length} bytes, header says ${size}`, { offset: 4, section: name });
  return out;
}

