/**
 * ELF files: sections and their data ({@link ElfFile}), symbols, relocations (and
 * applying them to debug sections of `.o`/`.ko` files), and rewriting a file with a
 * section replaced or added ({@link setSection}).
 * @module
 */
export * from "./elf.js";
export * from "./constants.js";
export * from "./symbols.js";
export * from "./relocations.js";
export * from "./write.js";
export { cstring } from "./strtab.js";
