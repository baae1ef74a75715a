/**
 * Abbreviation tables' `DW_FORM_implicit_const` values: read as numbers up to 7 LEB128
 * bytes and as bigints past them, each exactly what the SLEB128 says (64-bit, signed),
 * by `implicitConst`, `implicitConstNumber` and the row view alike.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DW_AT, DW_FORM, DW_TAG, parseAbbrevTable } from "../../src/dwarf/index.js";
import { Buf } from "../helpers/dwarf-asm.js";

const ENC = { addressSize: 8, offsetSize: 4 as const, version: 5 };

/** A table of one abbreviation per value: a name (strp), then the value as implicit_const, then a data1. */
function tableOf(values: bigint[]): Uint8Array {
  const b = new Buf(true);
  values.forEach((v, i) => {
    b.uleb(i + 1).uleb(DW_TAG.variable).u8(0);
    b.uleb(DW_AT.name).uleb(DW_FORM.strp);
    b.uleb(DW_AT.decl_line).uleb(DW_FORM.implicit_const).sleb(v);
    b.uleb(DW_AT.byte_size).uleb(DW_FORM.data1);
    b.uleb(0).uleb(0);
  });
  b.uleb(0);
  return b.done();
}

function check(values: bigint[]): void {
  const t = parseAbbrevTable(tableOf(values), 0, ENC);
  values.forEach((v, i) => {
    const want = BigInt.asIntN(64, v);
    const ix = t.index(i + 1);
    const k = t.attrStart[ix]! + 1; // the implicit_const attribute's global index
    assert.equal(t.implicitConst(k), want, `value ${v}`);
    assert.equal(t.implicitConstNumber(k), Number(want), `value ${v} as a number`);
    assert.deepEqual(t.row(ix).implicitConst, [undefined, want, undefined]);
    // The attributes without one read as 0.
    assert.equal(t.implicitConst(k - 1), 0n);
    assert.equal(t.implicitConstNumber(k + 1), 0);
  });
}

test("implicit_const values at the number/bigint boundaries read exactly", () => {
  const p = (e: number): bigint => 1n << BigInt(e);
  check([0n, 1n, -1n, 63n, -64n, 64n, -65n, p(48) - 1n, -p(48), p(48), -p(48) - 1n, p(53) + 1n, -p(53) - 1n, p(63) - 1n, -p(63), 1234567890123n, -5n]);
});

test("implicit_const values read as the SLEB128 says, whatever their size (property)", () => {
  fc.assert(
    fc.property(fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { maxLength: 20 }), (big, small) => {
      check([...big, ...small.map(BigInt)]);
    }),
  );
});

test("a truncated implicit_const fails as before, at the end of .debug_abbrev", () => {
  for (const v of [5n, 1n << 40n, 1n << 60n]) {
    const whole = tableOf([v]);
    // Cut inside the SLEB128 (after the code, tag, children and the first two pairs, and the second attribute's name and form).
    const valueAt = 1 + 1 + 1 + 2 + 2;
    for (let cut = valueAt; cut < whole.length - 4; cut++) {
      assert.throws(() => parseAbbrevTable(whole.subarray(0, cut), 0, ENC), /runs past the end of .debug_abbrev/, `cut at ${cut}`);
    }
  }
});
