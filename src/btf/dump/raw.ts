/**
 * `bpftool btf dump file X format raw`, byte for byte (bpftool `dump_btf_type`).
 *
 * Output is built as bytes: names are copied straight from the string section, so
 * they pass through exactly as bpftool prints them. For split BTF only the own types
 * are printed, numbered from the base's type count, as bpftool does.
 */
import type { Btf } from "../btf.js";
import { Kind, KIND_NAMES, kflagOf, kindOf, vlenOf } from "../kinds.js";
import { ascii, TextWriter } from "../../internal/text-writer.js";

/** Byte constants of the fixed text this file writes (for TextWriter.raw: no string work per call). */
const T = {
  anon: ascii("(anon)"),
  invalid: ascii("(invalid)"),
  id_close: ascii("] "),
  name_open: ascii(" '"),
  size: ascii(" size="),
  bits_offset: ascii(" bits_offset="),
  nr_bits: ascii(" nr_bits="),
  encoding: ascii(" encoding="),
  type_id: ascii(" type_id="),
  index_type_id: ascii(" index_type_id="),
  nr_elems: ascii(" nr_elems="),
  vlen: ascii(" vlen="),
  nl_name: ascii("\n\t'"),
  name_type_id: ascii("' type_id="),
  bitfield_size: ascii(" bitfield_size="),
  name_val: ascii("' val="),
  linkage: ascii(" linkage="),
  ret_type_id: ascii(" ret_type_id="),
  c_linkage: ascii(", linkage="),
  nl_type_id: ascii("\n\ttype_id="),
  offset: ascii(" offset="),
  paren_open: ascii(" ("),
  name_close: ascii("')"),
  component_idx: ascii(" component_idx="),
} as const;


const utf8 = new TextDecoder();

/** bpftool `btf_int_enc_str`. */
export function intEncodingName(enc: number): string {
  switch (enc) {
    case 0: return "(none)";
    case 1: return "SIGNED";
    case 2: return "CHAR";
    case 4: return "BOOL";
    default: return "UNKN";
  }
}

/** bpftool `btf_func_linkage_str` / `btf_var_linkage_str` (same words). */
export function linkageName(l: number): string {
  return l === 0 ? "static" : l === 1 ? "global" : l === 2 ? "extern" : "(unknown)";
}

const ESC: Record<number, string> = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\" };

/**
 * Write a name as bpftool's `btf_str`: `(anon)` for offset 0, `(invalid)` when the
 * offset does not resolve, else the bytes; `json` escapes as bpftool's `jsonw_puts`.
 */
export function writeName(tw: TextWriter, btf: Btf, off: number, json = false): void {
  if (off === 0) {
    tw.raw(T.anon);
    return;
  }
  let b: Btf = btf;
  while (off < b.startStrOff && b.base) b = b.base;
  const local = off - b.startStrOff;
  if (local < 0 || local >= b.strLen) {
    tw.raw(T.invalid);
    return;
  }
  const s = b.strs;
  let end = s.indexOf(0, local);
  if (end < 0 || end > b.strLen) end = b.strLen;
  if (!json) {
    tw.bytes(s, local, end);
    return;
  }
  let from = local;
  for (let i = local; i < end; i++) {
    const e = ESC[s[i]!];
    if (e) {
      tw.bytes(s, from, i).lit(e);
      from = i + 1;
    }
  }
  tw.bytes(s, from, end);
}

const U32 = 0x100000000;

/** ENUM64 value from its two words, signed when kflag, into `tw`. */
export function writeEnum64(tw: TextWriter, lo: number, hi: number, kflag: number): void {
  if (hi < 0x200000) tw.uint(hi * U32 + lo);
  else if (kflag && hi >= 0xffe00000) tw.int((hi - U32) * U32 + lo);
  else {
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    tw.lit(String(kflag ? BigInt.asIntN(64, v) : v));
  }
}

/** Append the raw text of type `id` (no trailing newline) to `tw`. */
export function writeTypeRaw(tw: TextWriter, btf: Btf, id: number): void {
  let b: Btf = btf;
  while (id < b.startId && b.base) b = b.base;
  const w = b.types;
  const o = b.typeOffs[id - b.startId]!;
  const info = w[o + 1]!;
  const kind = kindOf(info);
  const vlen = vlenOf(info);
  const kflag = kflagOf(info);
  const t = w[o + 2]!;
  tw.byte(91).uint(id).raw(T.id_close).lit(KIND_NAMES[kind] ?? "UNKNOWN").raw(T.name_open);
  writeName(tw, btf, w[o]!);
  tw.byte(39);
  switch (kind) {
    case Kind.INT: {
      const v = w[o + 3]!;
      tw.raw(T.size).uint(t).raw(T.bits_offset).uint((v >>> 16) & 0xff).raw(T.nr_bits).uint(v & 0xff).raw(T.encoding).lit(intEncodingName((v >>> 24) & 0x0f));
      break;
    }
    case Kind.PTR:
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.TYPEDEF:
    case Kind.TYPE_TAG:
      tw.raw(T.type_id).uint(t);
      break;
    case Kind.ARRAY:
      tw.raw(T.type_id).uint(w[o + 3]!).raw(T.index_type_id).uint(w[o + 4]!).raw(T.nr_elems).uint(w[o + 5]!);
      break;
    case Kind.STRUCT:
    case Kind.UNION: {
      tw.raw(T.size).uint(t).raw(T.vlen).uint(vlen);
      for (let i = 0, m = o + 3; i < vlen; i++, m += 3) {
        const off = w[m + 2]!;
        tw.raw(T.nl_name);
        writeName(tw, btf, w[m]!);
        tw.raw(T.name_type_id).uint(w[m + 1]!).raw(T.bits_offset).uint(kflag ? off & 0xffffff : off);
        if (kflag && off >>> 24) tw.raw(T.bitfield_size).uint(off >>> 24);
      }
      break;
    }
    case Kind.ENUM: {
      tw.lit(kflag ? " encoding=SIGNED size=" : " encoding=UNSIGNED size=").uint(t).raw(T.vlen).uint(vlen);
      for (let i = 0, m = o + 3; i < vlen; i++, m += 2) {
        tw.raw(T.nl_name);
        writeName(tw, btf, w[m]!);
        tw.raw(T.name_val);
        if (kflag) tw.int(w[m + 1]! | 0);
        else tw.uint(w[m + 1]!);
      }
      break;
    }
    case Kind.ENUM64: {
      tw.lit(kflag ? " encoding=SIGNED size=" : " encoding=UNSIGNED size=").uint(t).raw(T.vlen).uint(vlen);
      for (let i = 0, m = o + 3; i < vlen; i++, m += 3) {
        tw.raw(T.nl_name);
        writeName(tw, btf, w[m]!);
        tw.raw(T.name_val);
        writeEnum64(tw, w[m + 1]!, w[m + 2]!, kflag);
        tw.lit(kflag ? "LL" : "ULL");
      }
      break;
    }
    case Kind.FWD:
      tw.lit(kflag ? " fwd_kind=union" : " fwd_kind=struct");
      break;
    case Kind.FUNC:
      tw.raw(T.type_id).uint(t).raw(T.linkage).lit(linkageName(vlen));
      break;
    case Kind.FUNC_PROTO:
      tw.raw(T.ret_type_id).uint(t).raw(T.vlen).uint(vlen);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 2) {
        tw.raw(T.nl_name);
        writeName(tw, btf, w[p]!);
        tw.raw(T.name_type_id).uint(w[p + 1]!);
      }
      break;
    case Kind.VAR:
      tw.raw(T.type_id).uint(t).raw(T.c_linkage).lit(linkageName(w[o + 3]!));
      break;
    case Kind.DATASEC: {
      tw.raw(T.size).uint(t).raw(T.vlen).uint(vlen);
      const cnt = btf.typeCount;
      for (let i = 0, v = o + 3; i < vlen; i++, v += 3) {
        const vt = w[v]!;
        tw.raw(T.nl_type_id).uint(vt).raw(T.offset).uint(w[v + 1]!).raw(T.size).uint(w[v + 2]!);
        if (vt < cnt) {
          tw.raw(T.paren_open).lit(vt === 0 ? "UNKNOWN" : KIND_NAMES[btf.kind(vt)]!).raw(T.name_open);
          writeName(tw, btf, btf.nameOff(vt));
          tw.raw(T.name_close);
        }
      }
      break;
    }
    case Kind.FLOAT:
      tw.raw(T.size).uint(t);
      break;
    case Kind.DECL_TAG:
      tw.raw(T.type_id).uint(t).raw(T.component_idx).int(w[o + 3]! | 0);
      break;
  }
}

/** The raw dump of the own types as bytes (what the CLI writes). */
export function dumpRawBytes(btf: Btf): Uint8Array {
  const tw = new TextWriter(Math.max(1 << 16, btf.typeWords * 16));
  for (let id = btf.startId, end = btf.typeCount; id < end; id++) {
    writeTypeRaw(tw, btf, id);
    tw.byte(10);
  }
  return tw.result();
}

/**
 * The raw dump of the own types, one line (plus member lines) per type.
 * @example
 * ```ts
 * dumpRaw(btf).split("\n")[0]; // "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED"
 * ```
 */
export function dumpRaw(btf: Btf): string {
  return utf8.decode(dumpRawBytes(btf));
}

/** The raw text of one type (no trailing newline). */
export function dumpTypeRaw(btf: Btf, id: number): string {
  const tw = new TextWriter(256);
  writeTypeRaw(tw, btf, id);
  return utf8.decode(tw.result());
}
