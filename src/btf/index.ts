/**
 * BTF: the BPF Type Format (kernel `Documentation/bpf/btf.rst`).
 *
 * @example
 * ```ts
 * import { parseBtf, dumpRaw } from "btfkit/btf";
 * const btf = parseBtf(bytes);
 * console.log(dumpRaw(btf));
 * ```
 * @module
 */
export { Btf, HOST_ENDIAN, type BtfHeader, type Endian } from "./btf.js";
export * from "./kinds.js";
export { parseBtf, parseHeader, isRawBtf, BTF_MAGIC, type ParseOptions } from "./parse.js";
export { writeBtf, type WriteOptions } from "./write.js";
export { checkKernel, assertKernelValid, sizeOf, guessPointerSize, type Problem } from "./validate.js";
export { forEachStrRef, forEachTypeRef } from "./field-iter.js";
export { StringSet, strHash } from "./strings.js";
export type { BtfType, Member, Param, EnumValue, SecInfo } from "./types.js";
export { dumpRaw, dumpRawBytes, dumpTypeRaw } from "./dump/raw.js";
export { dumpJson, dumpJsonBytes, dumpTypeJson } from "./dump/json.js";
export { btfStats, formatStats, type BtfStats, type KindStats } from "./stats.js";
export { loadBtf, extractBtfBytes, type BtfSource } from "./load.js";
export {
  newBtf, addStr, findStr, addInt, addFloat, addPtr, addConst, addVolatile, addRestrict, addTypeTag, addTypedef, addArray,
  addStruct, addUnion, addField, addEnum, addEnumValue, addEnum64, addEnum64Value, addFwd, addFunc, addFuncProto, addFuncParam,
  addVar, addDatasec, addDatasecVarInfo, addDeclTag, addType, addBtf, ensureModifiable, stringsDeduped, setStringsDeduped,
  MAX_TYPE_ID, type FwdKind,
} from "./builder.js";
export { dedup, PipelinedDedup, type DedupOptions, type StringPass } from "./dedup/index.js";
