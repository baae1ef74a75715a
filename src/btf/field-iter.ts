/**
 * The one place that knows where type-id and string-offset fields sit in each kind's
 * record (libbpf `btf_field_iter`). Validation, writing, merging, dedup and remapping
 * all go through these visitors; callbacks get the index of the word, so they can
 * read or rewrite it in place.
 */
import { Kind, kindOf, vlenOf } from "./kinds.js";

/** Call `cb(i)` for every word `w[i]` of the record at `o` that holds a type id. */
export function forEachTypeRef(w: Uint32Array, o: number, cb: (wordIndex: number) => void): void {
  if (!typeRefSpan(w, o, SPAN)) return;
  // (read before the calls: a callback may visit another record)
  for (let f = SPAN[0]!, end = SPAN[1]!, step = SPAN[2]!; f < end; f += step) cb(f);
}

const SPAN = new Int32Array(3);

/**
 * The type-id words of the record at `o`, for loops that cannot afford a callback: they
 * are `w[f]` for `f = span[0]; f < span[1]; f += span[2]` (the same words as
 * {@link forEachTypeRef}, in the same order). Returns false for kinds without any.
 */
export function typeRefSpan(w: Uint32Array, o: number, span: Int32Array): boolean {
  const info = w[o + 1]!;
  const n = vlenOf(info);
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
      span[0] = o + 2;
      span[1] = o + 3;
      span[2] = 1;
      return true;
    case Kind.ARRAY:
      span[0] = o + 3;
      span[1] = o + 5;
      span[2] = 1;
      return true;
    case Kind.STRUCT:
    case Kind.UNION:
      span[0] = o + 4;
      span[1] = o + 4 + 3 * n;
      span[2] = 3;
      return true;
    case Kind.FUNC_PROTO: // the return type, then each parameter's
      span[0] = o + 2;
      span[1] = o + 4 + 2 * n;
      span[2] = 2;
      return true;
    case Kind.DATASEC:
      span[0] = o + 3;
      span[1] = o + 3 + 3 * n;
      span[2] = 3;
      return true;
    default:
      return false;
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
