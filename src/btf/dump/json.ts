/**
 * `bpftool -j btf dump file X format raw`: bpftool's compact JSON (`{"types":[...]}`),
 * with its field names, order and quirks (an unsigned ENUM value is sign-extended, as
 * bpftool passes the `__s32` to its u64 printer).
 */
import type { Btf } from "../btf.js";
import { Kind, KIND_NAMES, kflagOf, kindOf, vlenOf } from "../kinds.js";
import { ascii, TextWriter } from "../../internal/text-writer.js";
import { intEncodingName, linkageName, writeEnum64, writeName } from "./raw.js";

/** Byte constants of the fixed text this file writes (for TextWriter.raw: no string work per call). */
const T = {
  name: ascii('"name":"'),
  o_id: ascii('{"id":'),
  c_kind: ascii(',"kind":"'),
  str_close: ascii('",'),
  c_size: ascii(',"size":'),
  c_bits_offset: ascii(',"bits_offset":'),
  c_nr_bits: ascii(',"nr_bits":'),
  c_encoding: ascii(',"encoding":"'),
  c_type_id: ascii(',"type_id":'),
  c_index_type_id: ascii(',"index_type_id":'),
  c_nr_elems: ascii(',"nr_elems":'),
  c_vlen: ascii(',"vlen":'),
  c_members: ascii(',"members":['),
  c_bitfield_size: ascii(',"bitfield_size":'),
  c_values: ascii(',"values":['),
  c_val: ascii(',"val":'),
  c_linkage: ascii(',"linkage":"'),
  c_ret_type_id: ascii(',"ret_type_id":'),
  c_params: ascii(',"params":['),
  c_vars: ascii(',"vars":['),
  c_offset: ascii(',"offset":'),
  c_component_idx: ascii(',"component_idx":'),
  o_types: ascii('{"types":['),
  types_close: ascii("]}\n"),
} as const;


const utf8 = new TextDecoder();

function nameField(tw: TextWriter, btf: Btf, off: number): void {
  tw.raw(T.name);
  writeName(tw, btf, off, true);
  tw.byte(34);
}

/** Append type `id` as bpftool's JSON object. */
export function writeTypeJson(tw: TextWriter, btf: Btf, id: number): void {
  let b: Btf = btf;
  while (id < b.startId && b.base) b = b.base;
  const w = b.types;
  const o = b.typeOffs[id - b.startId]!;
  const info = w[o + 1]!;
  const kind = kindOf(info);
  const vlen = vlenOf(info);
  const kflag = kflagOf(info);
  const t = w[o + 2]!;
  tw.raw(T.o_id).uint(id).raw(T.c_kind).lit(KIND_NAMES[kind] ?? "UNKNOWN").raw(T.str_close);
  nameField(tw, btf, w[o]!);
  switch (kind) {
    case Kind.INT: {
      const v = w[o + 3]!;
      tw.raw(T.c_size).uint(t).raw(T.c_bits_offset).uint((v >>> 16) & 0xff).raw(T.c_nr_bits).uint(v & 0xff).raw(T.c_encoding).lit(intEncodingName((v >>> 24) & 0x0f)).byte(34);
      break;
    }
    case Kind.PTR:
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.TYPEDEF:
    case Kind.TYPE_TAG:
      tw.raw(T.c_type_id).uint(t);
      break;
    case Kind.ARRAY:
      tw.raw(T.c_type_id).uint(w[o + 3]!).raw(T.c_index_type_id).uint(w[o + 4]!).raw(T.c_nr_elems).uint(w[o + 5]!);
      break;
    case Kind.STRUCT:
    case Kind.UNION: {
      tw.raw(T.c_size).uint(t).raw(T.c_vlen).uint(vlen).raw(T.c_members);
      for (let i = 0, m = o + 3; i < vlen; i++, m += 3) {
        const off = w[m + 2]!;
        tw.lit(i ? ",{" : "{");
        nameField(tw, btf, w[m]!);
        tw.raw(T.c_type_id).uint(w[m + 1]!).raw(T.c_bits_offset).uint(kflag ? off & 0xffffff : off);
        if (kflag && off >>> 24) tw.raw(T.c_bitfield_size).uint(off >>> 24);
        tw.byte(125);
      }
      tw.byte(93);
      break;
    }
    case Kind.ENUM: {
      tw.lit(kflag ? ',"encoding":"SIGNED","size":' : ',"encoding":"UNSIGNED","size":').uint(t).raw(T.c_vlen).uint(vlen).raw(T.c_values);
      for (let i = 0, m = o + 3; i < vlen; i++, m += 2) {
        const v = w[m + 1]!;
        tw.lit(i ? ",{" : "{");
        nameField(tw, btf, w[m]!);
        tw.raw(T.c_val);
        // signed: the s32; unsigned: the s32 sign-extended to u64 (bpftool quirk)
        if (kflag || v < 0x80000000) tw.int(v | 0);
        else tw.lit(String(0xffffffff00000000n + BigInt(v)));
        tw.byte(125);
      }
      tw.byte(93);
      break;
    }
    case Kind.ENUM64: {
      tw.lit(kflag ? ',"encoding":"SIGNED","size":' : ',"encoding":"UNSIGNED","size":').uint(t).raw(T.c_vlen).uint(vlen).raw(T.c_values);
      for (let i = 0, m = o + 3; i < vlen; i++, m += 3) {
        tw.lit(i ? ",{" : "{");
        nameField(tw, btf, w[m]!);
        tw.raw(T.c_val);
        writeEnum64(tw, w[m + 1]!, w[m + 2]!, kflag);
        tw.byte(125);
      }
      tw.byte(93);
      break;
    }
    case Kind.FWD:
      tw.lit(kflag ? ',"fwd_kind":"union"' : ',"fwd_kind":"struct"');
      break;
    case Kind.FUNC:
      tw.raw(T.c_type_id).uint(t).raw(T.c_linkage).lit(linkageName(vlen)).byte(34);
      break;
    case Kind.FUNC_PROTO:
      tw.raw(T.c_ret_type_id).uint(t).raw(T.c_vlen).uint(vlen).raw(T.c_params);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 2) {
        tw.lit(i ? ",{" : "{");
        nameField(tw, btf, w[p]!);
        tw.raw(T.c_type_id).uint(w[p + 1]!).byte(125);
      }
      tw.byte(93);
      break;
    case Kind.VAR:
      tw.raw(T.c_type_id).uint(t).raw(T.c_linkage).lit(linkageName(w[o + 3]!)).byte(34);
      break;
    case Kind.DATASEC:
      tw.raw(T.c_size).uint(t).raw(T.c_vlen).uint(vlen).raw(T.c_vars);
      for (let i = 0, v = o + 3; i < vlen; i++, v += 3) {
        tw.lit(i ? ',{"type_id":' : '{"type_id":').uint(w[v]!).raw(T.c_offset).uint(w[v + 1]!).raw(T.c_size).uint(w[v + 2]!).byte(125);
      }
      tw.byte(93);
      break;
    case Kind.FLOAT:
      tw.raw(T.c_size).uint(t);
      break;
    case Kind.DECL_TAG:
      tw.raw(T.c_type_id).uint(t).raw(T.c_component_idx).int(w[o + 3]! | 0);
      break;
  }
  tw.byte(125);
}

/** The JSON dump of the own types as bytes, ending with a newline, as bpftool prints it. */
export function dumpJsonBytes(btf: Btf): Uint8Array {
  const tw = new TextWriter(Math.max(1 << 16, btf.typeWords * 24));
  tw.raw(T.o_types);
  for (let id = btf.startId, end = btf.typeCount; id < end; id++) {
    if (id > btf.startId) tw.byte(44);
    writeTypeJson(tw, btf, id);
  }
  tw.raw(T.types_close);
  return tw.result();
}

/**
 * The JSON dump as a string.
 * @example
 * ```ts
 * JSON.parse(dumpJson(btf)).types[0].kind; // "INT"
 * ```
 */
export function dumpJson(btf: Btf): string {
  return utf8.decode(dumpJsonBytes(btf));
}

/** One type as bpftool's JSON object text. */
export function dumpTypeJson(btf: Btf, id: number): string {
  const tw = new TextWriter(256);
  writeTypeJson(tw, btf, id);
  return utf8.decode(tw.result());
}
