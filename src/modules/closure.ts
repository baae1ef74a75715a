/**
 * What a split BTF would cost on its own: the module's types plus every base type they
 * reach, as one non-split BTF, deduplicated (libbpf's dedup). Used by `modules report`
 * for modules that ship only split BTF (no DWARF to encode them again without a base).
 */
import type { Btf } from "../btf/btf.js";
import { addType, newBtf } from "../btf/builder.js";
import { dedup } from "../btf/dedup/index.js";
import { forEachTypeRef } from "../btf/field-iter.js";

/** Ids of the base types reachable from the split's own types (ascending). */
export function baseClosure(split: Btf): Uint32Array {
  const base = split.base;
  if (!base) return new Uint32Array(0);
  const need = new Uint8Array(split.startId);
  const stack: number[] = [];
  const visit = (w: Uint32Array) => (k: number) => {
    const t = w[k]!;
    if (t !== 0 && t < split.startId && !need[t]) {
      need[t] = 1;
      stack.push(t);
    }
  };
  const own = visit(split.types);
  for (let i = 0; i < split.nrTypes; i++) forEachTypeRef(split.types, split.typeOffs[i]!, own);
  while (stack.length) {
    const id = stack.pop()!;
    const b = split.owner(id);
    forEachTypeRef(b.types, b.typeOffs[id - b.startId]!, visit(b.types));
  }
  let n = 0;
  for (let id = 1; id < need.length; id++) n += need[id]!;
  const out = new Uint32Array(n);
  for (let id = 1, j = 0; id < need.length; id++) if (need[id]) out[j++] = id;
  return out;
}

/**
 * A non-split BTF of the split's own types and the base types they reach (base types
 * first, in base order, then the split's), deduplicated.
 */
export function standaloneBtf(split: Btf): Btf {
  const ids = baseClosure(split);
  const out = newBtf({ endian: split.endian });
  const map = new Uint32Array(split.typeCount);
  let next = 1;
  for (const id of ids) map[id] = next++;
  for (let id = split.startId; id < split.typeCount; id++) map[id] = next++;
  for (const id of ids) addType(out, split, id);
  for (let id = split.startId; id < split.typeCount; id++) addType(out, split, id);
  const w = out.types;
  const remap = (k: number) => {
    w[k] = map[w[k]!]!;
  };
  for (let i = 0; i < out.nrTypes; i++) forEachTypeRef(w, out.typeOffs[i]!, remap);
  return dedup(out, { stringsDeduped: false });
}

/** Size of a BTF as written: types, record bytes, string bytes, total bytes (24-byte header). */
export interface BtfSize {
  types: number;
  typeBytes: number;
  stringBytes: number;
  totalBytes: number;
}

/**
 * The size {@link standaloneBtf} would have, computed without building it when that is
 * exact: the base is deduplicated and the split was deduplicated against it, so their
 * union is already deduplicated — unless a forward declaration could now be resolved
 * (a FWD or enum FWD whose name has a definition in the union). Then, and only then,
 * the real dedup runs. Strings: base and split share no string (split dedup points
 * equal strings at the base's copy), so distinct offsets are distinct strings.
 */
export function standaloneSize(split: Btf): BtfSize & { deduped: boolean } {
  const ids = baseClosure(split);
  const fwdNames = new Map<number, number>(); // name_off -> kind bits (1 struct fwd, 2 union fwd, 4 enum fwd)
  const defNames = new Map<number, number>(); // name_off -> kind bits (1 struct, 2 union, 4 enum)
  const strOffs = new Set<number>();
  let typeBytes = 0;
  const scan = (b: Btf, id: number) => {
    const w = b.types;
    const o = b.typeOffs[id - b.startId]!;
    const info = w[o + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    typeBytes += b.recordSize(id);
    const name = w[o]!;
    if (name) strOffs.add(name);
    switch (kind) {
      case 4: // STRUCT
      case 5: // UNION
        if (name) defNames.set(name, (defNames.get(name) ?? 0) | (kind === 4 ? 1 : 2));
        for (let j = 0, m = o + 3; j < vlen; j++, m += 3) if (w[m]) strOffs.add(w[m]!);
        break;
      case 6: // ENUM
      case 19: // ENUM64
        if (name) {
          if (vlen === 0) fwdNames.set(name, (fwdNames.get(name) ?? 0) | 4);
          else defNames.set(name, (defNames.get(name) ?? 0) | 4);
        }
        for (let j = 0, m = o + 3; j < vlen; j++, m += kind === 6 ? 2 : 3) if (w[m]) strOffs.add(w[m]!);
        break;
      case 7: // FWD
        if (name) fwdNames.set(name, (fwdNames.get(name) ?? 0) | ((info >>> 31) ? 2 : 1));
        break;
      case 13: // FUNC_PROTO
        for (let j = 0, m = o + 3; j < vlen; j++, m += 2) if (w[m]) strOffs.add(w[m]!);
        break;
    }
  };
  const base = split.base!;
  for (const id of ids) scan(base.owner(id), id);
  for (let id = split.startId; id < split.typeCount; id++) scan(split, id);
  let resolvable = false;
  for (const [name, bits] of fwdNames) if ((defNames.get(name) ?? 0) & bits) resolvable = true;
  if (resolvable) {
    const b = standaloneBtf(split);
    return { types: b.nrTypes, typeBytes: b.typeWords * 4, stringBytes: b.strLen, totalBytes: 24 + b.typeWords * 4 + b.strLen, deduped: true };
  }
  let stringBytes = 1;
  for (const off of strOffs) {
    const sp = split.strSpan(off)!;
    stringBytes += sp[2] - sp[1] + 1;
  }
  const types = ids.length + split.nrTypes;
  return { types, typeBytes, stringBytes, totalBytes: 24 + typeBytes + stringBytes, deduped: false };
}
