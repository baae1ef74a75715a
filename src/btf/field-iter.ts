/**
 * The one place that knows where type-id and string-offset fields sit in each kind's
 * record (libbpf `btf_field_iter`). Validation, writing, merging, dedup and remapping
 * all go through these visitors; callbacks get the index of the word, so they can
 * read or rewrite it in place.
 */
import { Kind, kindOf, vlenOf } from "./kinds.js";

/** Call `cb(i)` for every word `w[i]` of the record at `o` that holds a type id. */
export function forEachTypeRef(w: Uint32Array, o: number, cb: (wordIndex: number) => void): void {
  const info = w[o + 1]!;
  switch (kindOf(info)) {
    case Kind.FWD: // its `type` word is 0, but libbpf visits it as an id all the same
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
    case Kind.FUNC:
    case Kind.VAR:
    case Kind.DECL_TAG:
    case Kind.TYPE_TAG:
      cb(o + 2);
      return;
    case Kind.ARRAY:
      cb(o + 3);
      cb(o + 4);
      return;
    case Kind.STRUCT:
    case Kind.UNION: {
      const n = vlenOf(info);
      for (let i = 0, m = o + 4; i < n; i++, m += 3) cb(m);
      return;
    }
    case Kind.FUNC_PROTO: {
      cb(o + 2);
      const n = vlenOf(info);
      for (let i = 0, p = o + 4; i < n; i++, p += 2) cb(p);
      return;
    }
    case Kind.DATASEC: {
      const n = vlenOf(info);
      for (let i = 0, s = o + 3; i < n; i++, s += 3) cb(s);
      return;
    }
    default:
      return;
  }
}

/** Call `cb(i)` for every word `w[i]` of the record at `o` that holds a string offset, name first. */
export function forEachStrRef(w: Uint32Array, o: number, cb: (wordIndex: number) => void): void {
  cb(o);
  const info = w[o + 1]!;
  switch (kindOf(info)) {
    case Kind.STRUCT:
    case Kind.UNION: {
      const n = vlenOf(info);
      for (let i = 0, m = o + 3; i < n; i++, m += 3) cb(m);
      return;
    }
    case Kind.ENUM:
    case Kind.FUNC_PROTO: {
      const n = vlenOf(info);
      for (let i = 0, m = o + 3; i < n; i++, m += 2) cb(m);
      return;
    }
    case Kind.ENUM64: {
      const n = vlenOf(info);
      for (let i = 0, m = o + 3; i < n; i++, m += 3) cb(m);
      return;
    }
    default:
      return;
  }
}
