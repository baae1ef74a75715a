/**
 * Serialise a {@link Btf} (base or split) to raw bytes: header, types, strings,
 * contiguous (libbpf `btf_get_raw_data`). The header keeps the BTF's version, flags
 * and any extra header bytes; sections are laid out as `type_off = 0`,
 * `str_off = type_len`.
 */
import type { Btf, Endian } from "./btf.js";
import { HOST_ENDIAN } from "./btf.js";
import { BtfError } from "../internal/errors.js";

export interface WriteOptions {
  /** Byte order of the output; default: the order the BTF came in. */
  endian?: Endian;
}

/**
 * @example
 * ```ts
 * const bytes = writeBtf(parseBtf(input)); // equal to input for canonical files
 * const swapped = writeBtf(btf, { endian: "big" });
 * ```
 */
export function writeBtf(btf: Btf, opts: WriteOptions = {}): Uint8Array {
  const endian = opts.endian ?? btf.endian;
  // Extra header bytes are written back verbatim, but an opposite-endian BTF must have
  // the 24-byte header (libbpf and btfkit refuse anything else): zero extras are dropped.
  let extra = btf.hdrExtra;
  if (endian !== HOST_ENDIAN && extra.length) {
    if (extra.some((b) => b !== 0))
      throw new BtfError("UNSUPPORTED", `cannot write ${endian}-endian BTF with ${extra.length} non-zero header bytes past the first 24`);
    extra = new Uint8Array(0);
  }
  const hdrLen = 24 + extra.length;
  const typeLen = btf.typeWords * 4;
  const strLen = btf.strLen;
  const out = new Uint8Array(hdrLen + typeLen + strLen);
  const dv = new DataView(out.buffer);
  const le = endian === "little";
  dv.setUint16(0, 0xeb9f, le);
  out[2] = btf.version;
  out[3] = btf.flags;
  dv.setUint32(4, hdrLen, le);
  dv.setUint32(8, 0, le);
  dv.setUint32(12, typeLen, le);
  dv.setUint32(16, typeLen, le);
  dv.setUint32(20, strLen, le);
  out.set(extra, 24);
  const words = btf.types.subarray(0, btf.typeWords);
  if (endian === HOST_ENDIAN) {
    out.set(new Uint8Array(words.buffer, words.byteOffset, typeLen), hdrLen);
  } else {
    for (let i = 0; i < words.length; i++) dv.setUint32(hdrLen + i * 4, words[i]!, le);
  }
  out.set(btf.strs.subarray(0, strLen), hdrLen + typeLen);
  return out;
}
