/**
 * `bpftool -j btf dump file X format raw`: bpftool's compact JSON (`{"types":[...]}`),
 * with its field names, order and quirks (an unsigned ENUM value is sign-extended, as
 * bpftool passes the `__s32` to its u64 printer).
 */
import type { Btf } from "../btf.js";
import { Kind, KIND_NAMES, kflagOf, kindOf, vlenOf } from "../kinds.js";
import { TextWriter } from "../../internal/text-writer.js";
import { intEncodingName, linkageName, writeEnum64, writeName } from "./raw.js";

const utf8 = new TextDecoder();

function nameField(tw: TextWriter, btf: Btf, off: number): void {
  tw.lit('"name":"');
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
  tw.lit('{"id":').uint(id).lit(',"kind":"').lit(KIND_NAMES[kind] ?? "UNKNOWN").lit('",');
  nameField(tw, btf, w[o]!);
  switch (kind) {
    case Kind.INT: {
      const v = w[o + 3]!;
      tw.lit(',"size":').uint(t).lit(',"bits_offset":').uint((v >>> 16) & 0xff).lit(',"nr_bits":').uint(v & 0xff).lit(',"encoding":"').lit(intEncodingName((v >>> 24) & 0x0f)).byte(34);
      break;
    }
    case Kind.PTR:
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.TYPEDEF:
    case Kind.TYPE_TAG:
      tw.lit(',"type_id":').uint(t);
      break;
    case Kind.ARRAY:
      tw.lit(',"type_id":').uint(w[o + 3]!).lit(',"index_type_id":').uint(w[o + 4]!).lit(',"nr_elems":').uint(w[o + 5]!);
      break;
    case Kind.STRUCT:
    case Kind.UNION: {
      tw.lit(',"size":').uint(t).lit(',"vlen":').uint(vlen).lit(',"members":[');
      for (let i = 0, m = o + 3; i < vlen; i++, m += 3) {
        const off = w[m + 2]!;
        tw.lit(i ? ",{" : "{");
        nameField(tw, btf, w[m]!);
        tw.lit(',"type_id":').uint(w[m + 1]!).lit(',"bits_offset":').uint(kflag ? off & 0xffffff : off);
        if (kflag && off >>> 24) tw.lit(',"bitfield_size":').uint(off >>> 24);
        tw.byte(125);
      }
      tw.byte(93);
      break;
    }
    case Kind.ENUM: {
      tw.lit(kflag ? ',"encoding":"SIGNED","size":' : ',"encoding":"UNSIGNED","size":').uint(t).lit(',"vlen":').uint(vlen).lit(',"values":[');
      for (let i = 0, m = o + 3; i < vlen; i++, m += 2) {
        const v = w[m + 1]!;
        tw.lit(i ? ",{" : "{");
        nameField(tw, btf, w[m]!);
        tw.lit(',"val":');
        // signed: the s32; unsigned: the s32 sign-extended to u64 (bpftool quirk)
        if (kflag || v < 0x80000000) tw.int(v | 0);
        else tw.lit(String(0xffffffff00000000n + BigInt(v)));
        tw.byte(125);
      }
      tw.byte(93);
      break;
    }
    case Kind.ENUM64: {
      tw.lit(kflag ? ',"encoding":"SIGNED","size":' : ',"encoding":"UNSIGNED","size":').uint(t).lit(',"vlen":').uint(vlen).lit(',"values":[');
      for (let i = 0, m = o + 3; i < vlen; i++, m += 3) {
        tw.lit(i ? ",{" : "{");
        nameField(tw, btf, w[m]!);
        tw.lit(',"val":');
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
      tw.lit(',"type_id":').uint(t).lit(',"linkage":"').lit(linkageName(vlen)).byte(34);
      break;
    case Kind.FUNC_PROTO:
      tw.lit(',"ret_type_id":').uint(t).lit(',"vlen":').uint(vlen).lit(',"params":[');
      for (let i = 0, p = o + 3; i < vlen; i++, p += 2) {
        tw.lit(i ? ",{" : "{");
        nameField(tw, btf, w[p]!);
        tw.lit(',"type_id":').uint(w[p + 1]!).byte(125);
      }
      tw.byte(93);
      break;
    case Kind.VAR:
      tw.lit(',"type_id":').uint(t).lit(',"linkage":"').lit(linkageName(w[o + 3]!)).byte(34);
      break;
    case Kind.DATASEC:
      tw.lit(',"size":').uint(t).lit(',"vlen":').uint(vlen).lit(',"vars":[');
      for (let i = 0, v = o + 3; i < vlen; i++, v += 3) {
        tw.lit(i ? ',{"type_id":' : '{"type_id":').uint(w[v]!).lit(',"offset":').uint(w[v + 1]!).lit(',"size":').uint(w[v + 2]!).byte(125);
      }
      tw.byte(93);
      break;
    case Kind.FLOAT:
      tw.lit(',"size":').uint(t);
      break;
    case Kind.DECL_TAG:
      tw.lit(',"type_id":').uint(t).lit(',"component_idx":').int(w[o + 3]! | 0);
      break;
  }
  tw.byte(125);
}

/** The JSON dump of the own types as bytes, ending with a newline, as bpftool prints it. */
export function dumpJsonBytes(btf: Btf): Uint8Array {
  const tw = new TextWriter(Math.max(1 << 16, btf.typeWords * 24));
  tw.lit('{"types":[');
  for (let id = btf.startId, end = btf.typeCount; id < end; id++) {
    if (id > btf.startId) tw.byte(44);
    writeTypeJson(tw, btf, id);
  }
  tw.lit("]}\n");
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
