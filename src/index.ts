/**
 * btfkit: read, validate, write, split and dump BTF.
 *
 * @example
 * ```ts
 * import { parseBtf, dumpRaw } from "btfkit";
 * ```
 * @module
 */
export * from "./btf/index.js";
export * from "./elf/index.js";
export { BtfError, isBtfError, type BtfErrorCode } from "./internal/errors.js";
export { decompress, detectCompression, bzImagePayload, type Compression } from "./compress.js";
export * from "./modules/index.js";
export * as dwarf from "./dwarf/index.js";
export * as encode from "./encode/index.js";
