/**
 * Parse raw BTF bytes into a {@link Btf}: header, string section, type walk, then
 * libbpf's load-time sanity checks (`btf_parse_hdr`, `btf_parse_str_sec`,
 * `btf_parse_type_sec`, `btf_sanity_check`), and by default the kernel-style checks
 * of {@link checkKernel}.
 */
import { BtfError } from "../internal/errors.js";
import { Btf, HOST_ENDIAN, type BtfHeader, type Endian } from "./btf.js";
import { ELEM_WORDS, INFO_WORDS, KIND_MAX, Kind, kindOf, vlenOf } from "./kinds.js";
import { assertKernelValid } from "./validate.js";

export const BTF_MAGIC = 0xeb9f;
const HDR_MIN = 24;
const MAX_STR_OFFSET = 0x7fffffff;

export interface ParseOptions {
  /** Parse as split BTF on this base. */
  base?: Btf;
  /** Run the kernel-style structural checks too (default true). libbpf's checks always run. */
  validate?: boolean;
}

/** True when `bytes` starts with the BTF magic in either byte order. */
export function isRawBtf(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0x9f && bytes[1] === 0xeb) || (bytes[0] === 0xeb && bytes[1] === 0x9f));
}

/**
 * Read and check the header.
 * @throws {BtfError} MALFORMED / UNSUPPORTED
 */
export function parseHeader(bytes: Uint8Array): BtfHeader & { endian: Endian } {
  if (bytes.length < 2) throw new BtfError("MALFORMED", bytes.length === 0 ? "empty file" : "too short for BTF", { offset: 0 });
  let endian: Endian;
  if (bytes[0] === 0x9f && bytes[1] === 0xeb) endian = "little";
  else if (bytes[0] === 0xeb && bytes[1] === 0x9f) endian = "big";
  else throw new BtfError("MALFORMED", `not BTF: bad magic 0x${hex2(bytes[0]!)}${hex2(bytes[1]!)}`, { offset: 0 });
  if (bytes.length < HDR_MIN) throw new BtfError("MALFORMED", `truncated BTF header: ${bytes.length} bytes, need ${HDR_MIN}`, { offset: bytes.length });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = endian === "little";
  const h = {
    endian,
    magic: BTF_MAGIC,
    version: bytes[2]!,
    flags: bytes[3]!,
    hdrLen: dv.getUint32(4, le),
    typeOff: dv.getUint32(8, le),
    typeLen: dv.getUint32(12, le),
    strOff: dv.getUint32(16, le),
    strLen: dv.getUint32(20, le),
  };
  if (h.hdrLen < HDR_MIN) throw new BtfError("MALFORMED", `BTF header length ${h.hdrLen} is less than ${HDR_MIN}`, { offset: 4 });
  if (endian !== HOST_ENDIAN && h.hdrLen !== HDR_MIN)
    throw new BtfError("UNSUPPORTED", `opposite-endian BTF with header length ${h.hdrLen} (only ${HDR_MIN} supported, as libbpf)`, { offset: 4 });
  if (h.hdrLen > bytes.length) throw new BtfError("MALFORMED", `BTF header length ${h.hdrLen} is past the end of the data (${bytes.length} bytes)`, { offset: 4 });
  const meta = bytes.length - h.hdrLen;
  if (h.strOff + h.strLen > meta)
    throw new BtfError("MALFORMED", `string section [${h.strOff}, +${h.strLen}) runs past the end of the data (${meta} bytes after the header)`, { offset: 16 });
  if (h.typeOff + h.typeLen > h.strOff)
    throw new BtfError("MALFORMED", `type section [${h.typeOff}, +${h.typeLen}) overlaps or follows the string section at ${h.strOff}`, { offset: 8 });
  if (h.typeOff % 4 !== 0) throw new BtfError("MALFORMED", `type section offset ${h.typeOff} is not 4-byte aligned`, { offset: 8 });
  return h;
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");

/**
 * Parse raw BTF (either byte order), non-split or split on `opts.base`.
 *
 * @throws {BtfError} MALFORMED for bytes that are not valid BTF, INVALID when a check fails.
 * @example
 * ```ts
 * const vmlinux = parseBtf(bytes);
 * const mod = parseBtf(modBytes, { base: vmlinux });
 * mod.typeCount; // vmlinux's count + the module's own types
 * ```
 */
export function parseBtf(bytes: Uint8Array, opts: ParseOptions = {}): Btf {
  const h = parseHeader(bytes);
  const base = opts.base;
  const strStart = h.hdrLen + h.strOff;
  const strs = bytes.subarray(strStart, strStart + h.strLen);
  // String section (btf_parse_str_sec).
  if (!(base && h.strLen === 0)) {
    if (h.strLen === 0) throw new BtfError("MALFORMED", "empty string section", { offset: strStart });
    if (h.strLen - 1 > MAX_STR_OFFSET) throw new BtfError("MALFORMED", `string section too large (${h.strLen} bytes)`, { offset: 20 });
    if (strs[h.strLen - 1] !== 0) throw new BtfError("MALFORMED", "string section is not NUL-terminated", { offset: strStart + h.strLen - 1 });
    if (!base && strs[0] !== 0)
      throw new BtfError("MALFORMED", "string section does not start with NUL: split BTF needs its base (--base)", { offset: strStart });
  }
  // Type section: native-order words, zero-copy when possible.
  const typeStart = h.hdrLen + h.typeOff;
  const nWords = h.typeLen >>> 2;
  let words: Uint32Array;
  const abs = bytes.byteOffset + typeStart;
  if (h.endian === HOST_ENDIAN && abs % 4 === 0) {
    words = new Uint32Array(bytes.buffer, abs, nWords);
  } else {
    words = new Uint32Array(nWords);
    const dv = new DataView(bytes.buffer, abs, nWords * 4);
    const le = h.endian === "little";
    for (let i = 0; i < nWords; i++) words[i] = dv.getUint32(i * 4, le);
  }
  const startId = base ? base.typeCount : 1;
  let offs = new Uint32Array(Math.max(16, h.typeLen >>> 5));
  let n = 0;
  let p = 0;
  while (p + 3 <= nWords) {
    const info = words[p + 1]!;
    const kind = kindOf(info);
    if (kind === 0 || kind > KIND_MAX)
      throw new BtfError("MALFORMED", `unknown BTF kind ${kind}`, { typeId: startId + n, offset: typeStart + p * 4 });
    const size = 3 + INFO_WORDS[kind]! + vlenOf(info) * ELEM_WORDS[kind]!;
    if (p + size > nWords)
      throw new BtfError("MALFORMED", `type record runs past the end of the type section`, { typeId: startId + n, offset: typeStart + p * 4 });
    if (n === offs.length) {
      const o2 = new Uint32Array(offs.length * 2);
      o2.set(offs);
      offs = o2;
    }
    offs[n++] = p;
    p += size;
  }
  if (p * 4 !== h.typeLen)
    throw new BtfError("MALFORMED", `type section has ${h.typeLen - p * 4} trailing bytes`, { offset: typeStart + p * 4 });

  const btf = new Btf({ base, types: words, typeWords: nWords, typeOffs: offs, nrTypes: n, strs, strLen: h.strLen, endian: h.endian });
  btf.version = h.version;
  btf.flags = h.flags;
  if (h.hdrLen > HDR_MIN) btf.hdrExtra = bytes.slice(HDR_MIN, h.hdrLen);
  sanityCheck(btf, typeStart);
  if (opts.validate !== false) assertKernelValid(btf);
  return btf;
}

/**
 * libbpf's `btf_sanity_check`: every string offset resolves, every type id is in range,
 * FUNC points at a FUNC_PROTO.
 */
function sanityCheck(btf: Btf, typeStart: number): void {
  const w = btf.types;
  const cnt = btf.typeCount;
  const strStart = btf.startStrOff;
  const strEnd = strStart + btf.strLen;
  // On a base, these failures mostly mean the split BTF was built for another base.
  const fail = (msg: string, typeId: number, k: number): never => {
    if (btf.base) throw new BtfError("MISMATCH", `${msg}; split BTF does not fit this base?`, { typeId, offset: typeStart + k * 4 });
    throw new BtfError("MALFORMED", msg, { typeId, offset: typeStart + k * 4 });
  };
  const badStr = (off: number) => (off >= strStart ? off >= strEnd : !btf.strValid(off));
  const checkStr = (k: number, id: number, o: number) => {
    if (badStr(w[k]!)) fail(`invalid string offset ${w[k]}${k === o ? " for the name" : ""}`, id, k);
  };
  const checkRef = (k: number, id: number) => {
    if (w[k]! >= cnt) fail(`reference to type [${w[k]}] past the last type [${cnt - 1}]`, id, k);
  };
  // Unrolled per kind (same fields as forEachStrRef/forEachTypeRef): this loop runs over every type.
  for (let i = 0, n = btf.nrTypes; i < n; i++) {
    const o = btf.typeOffs[i]!;
    const id = btf.startId + i;
    if (w[o]! !== 0 && badStr(w[o]!)) checkStr(o, id, o);
    const info = w[o + 1]!;
    const vlen = info & 0xffff;
    switch (kindOf(info)) {
      case Kind.PTR:
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.VAR:
      case Kind.DECL_TAG:
      case Kind.TYPE_TAG:
        checkRef(o + 2, id);
        break;
      case Kind.FUNC:
        checkRef(o + 2, id);
        if (btf.kind(w[o + 2]!) !== Kind.FUNC_PROTO) fail(`FUNC refers to type [${w[o + 2]}], which is not a FUNC_PROTO`, id, o + 2);
        break;
      case Kind.ARRAY:
        checkRef(o + 3, id);
        checkRef(o + 4, id);
        break;
      case Kind.STRUCT:
      case Kind.UNION:
        for (let j = 0, m = o + 3; j < vlen; j++, m += 3) {
          if (badStr(w[m]!)) checkStr(m, id, o);
          if (w[m + 1]! >= cnt) checkRef(m + 1, id);
        }
        break;
      case Kind.ENUM:
        for (let j = 0, m = o + 3; j < vlen; j++, m += 2) if (badStr(w[m]!)) checkStr(m, id, o);
        break;
      case Kind.ENUM64:
        for (let j = 0, m = o + 3; j < vlen; j++, m += 3) if (badStr(w[m]!)) checkStr(m, id, o);
        break;
      case Kind.FUNC_PROTO:
        checkRef(o + 2, id);
        for (let j = 0, m = o + 3; j < vlen; j++, m += 2) {
          if (badStr(w[m]!)) checkStr(m, id, o);
          if (w[m + 1]! >= cnt) checkRef(m + 1, id);
        }
        break;
      case Kind.DATASEC:
        for (let j = 0, m = o + 3; j < vlen; j++, m += 3) if (w[m]! >= cnt) checkRef(m, id);
        break;
    }
  }
}
