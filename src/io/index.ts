/** Node.js file helpers: open BTF from files, write atomically, write ELF sections, read large ELF files sparsely. @module */
export * from "./files.js";
export * from "./modules.js";
export * from "./elf-write.js";
export * from "./elf-sparse.js";
export * from "./encode-workers.js";
