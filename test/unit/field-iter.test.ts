/**
 * The field visitors (src/btf/field-iter.ts): `forEachTypeRef` and the callback-free
 * `typeRefSpan` name the type-id words of every kind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBtf } from "../../src/index.js";
import { forEachTypeRef, typeRefSpan } from "../../src/btf/field-iter.js";
import { Kind, kindOf } from "../../src/btf/kinds.js";
import { assemble, R } from "../dedup/raw.js";

test("forEachTypeRef and typeRefSpan name every type-id word of every kind, in order", () => {
  // The ids each record refers to, in field order (a FWD's zero word counts, as in libbpf).
  const types: [ReturnType<typeof R.int>, number[]][] = [
    [R.int(1, 4), []], // 1
    [R.ptr(1), [1]], [R.konst(2), [2]], [R.volatile(3), [3]], [R.restrict(2), [2]], [R.typedef(2, 4), [4]], [R.typeTag(2, 5), [5]], // 2-7
    [R.fwd(3), [0]], [R.fwd(3, true), [0]], // 8-9
    [R.array(7, 1, 4), [7, 1]], // 10
    [R.struct(3, 8, [[4, 1, 0], [5, 10, 32]]), [1, 10]], [R.union(3, 4, []), []], // 11-12
    [R.enum(4, 4, [[5, 1]]), []], [R.enum64(4, 8, [[5, 1, 2]]), []], [R.float(6, 8), []], // 13-15
    [R.proto(1, [[4, 2], [5, 10]]), [1, 2, 10]], [R.proto(0, []), [0]], [R.func(4, 16), [16]], // 16-18
    [R.variable(5, 1), [1]], [R.datasec(6, 8, [[19, 0, 4], [19, 4, 4]]), [19, 19]], [R.declTag(2, 11, 0), [11]], // 19-21
  ];
  const btf = parseBtf(assemble(types.map(([t]) => t), "\0int\0t\0s\0a\0b\0sec"), { validate: false });
  const w = btf.types;
  const span = new Int32Array(3);
  const seen = new Set<number>();
  for (let id = 1; id < btf.typeCount; id++) {
    const o = btf.typeOffs[id - 1]!;
    seen.add(kindOf(w[o + 1]!));
    const want = types[id - 1]![1];
    const visited: number[] = [];
    forEachTypeRef(w, o, (i) => visited.push(w[i]!));
    assert.deepEqual(visited, want, `forEachTypeRef, type [${id}]`);
    const spanned: number[] = [];
    if (typeRefSpan(w, o, span)) for (let f = span[0]!; f < span[1]!; f += span[2]!) spanned.push(w[f]!);
    assert.deepEqual(spanned, want, `typeRefSpan, type [${id}]`);
  }
  for (const k of Object.values(Kind)) if (typeof k === "number" && k !== 0) assert.ok(seen.has(k), `kind ${k} covered`);
});
