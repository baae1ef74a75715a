/** Node.js file helpers: open BTF from files, write atomically, write ELF sections, read large ELF files sparsely, encode files and module trees in worker threads. @module */
export * from "./files.js";
export * from "./modules.js";
export * from "./elf-write.js";
export * from "./elf-sparse.js";
export * from "./encode-workers.js";
export { encodeModules, type EncodeTarget, type ModulesEncodeOptions, type ModuleEncodeResult } from "./modules-encode.js";
export { reportModuleTree, type MethodChoice, type ModulesReportOptions } from "./modules-report.js";
export { probeModule, withElfOnDisk, elfHasDwarf, type ModuleProbe } from "./module-file.js";
export { type PoolProgress } from "./module-pool.js";
