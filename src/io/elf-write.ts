/**
 * Putting a section (`.BTF`) into an ELF file on disk: in place or into a new file,
 * written atomically (temp file + rename), keeping the file's permission bits.
 * @module
 */
import { statSync } from "node:fs";
import { ElfFile } from "../elf/elf.js";
import { setSection, type NewSection } from "../elf/write.js";
import { readInput, writeAtomic } from "./files.js";

/** Options for {@link writeElfSection}. */
export interface WriteElfSectionOptions extends Omit<NewSection, "name" | "data"> {
  /** Write the result here instead of replacing `path`. */
  output?: string;
}

/**
 * Replace (or add) section `name` of the ELF file `path` with `data`, as
 * `pahole -J` does with `.BTF`: see `setSection` for the layout rules.
 *
 * @example
 * ```ts
 * await writeElfSection("foo.ko", ".BTF", writeBtf(btf));
 * ```
 * @throws {BtfError} IO on file errors; MALFORMED/UNSUPPORTED from `setSection`.
 */
export async function writeElfSection(path: string, name: string, data: Uint8Array, opts: WriteElfSectionOptions = {}): Promise<void> {
  const { output, ...sec } = opts;
  const elf = new ElfFile(await readInput(path));
  const out = setSection(elf, name, data, sec);
  const mode = statSync(path).mode & 0o7777;
  await writeAtomic(output ?? path, out, { mode });
}
