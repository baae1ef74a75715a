/** ELF files: sections and their data (see {@link ElfFile}). @module */
export * from "./elf.js";
