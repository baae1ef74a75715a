/**
 * The encoder's limit on a record's entries: BTF keeps a record's member, parameter or
 * value count (vlen) in 16 bits. libbpf's `btf__add_field` / `btf__add_func_param` /
 * `btf__add_enum_value` do not check it (their vlen would wrap to 0 and the record's
 * entries outnumber it: a corrupt BTF); btfkit refuses the 65536th entry instead.
 * Checked on hand-built DWARF 4 units: a struct, a prototype and an enum with 65535
 * entries are encoded whole; with 65536 the unit fails with a clear error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DW_AT, DW_ATE, DW_FORM, DW_TAG, DwarfFile } from "../../src/dwarf/index.js";
import { CuLoader, compileUnits, encodeOne, ElfFunctions, ObjectSymbols, resolveFeatures, type UnitContext } from "../../src/encode/index.js";
import { isBtfError } from "../../src/internal/errors.js";
import { Kind } from "../../src/btf/kinds.js";
import { Buf } from "../helpers/dwarf-asm.js";

type Shape = "struct" | "proto" | "enum";

/**
 * One DWARF 4 unit: `int`, then a struct of `n` int members, a prototype (behind a
 * typedef) of `n` int parameters, or an enum of `n` values.
 */
function unitWith(shape: Shape, n: number): DwarfFile {
  const abbrev = new Buf(true);
  const decl = (code: number, tag: number, children: boolean, attrs: [number, number][]): void => {
    abbrev.uleb(code).uleb(tag).u8(children ? 1 : 0);
    for (const [at, form] of attrs) abbrev.uleb(at).uleb(form);
    abbrev.uleb(0).uleb(0);
  };
  decl(1, DW_TAG.compile_unit, true, [[DW_AT.name, DW_FORM.string]]);
  decl(2, DW_TAG.base_type, false, [[DW_AT.name, DW_FORM.string], [DW_AT.byte_size, DW_FORM.data1], [DW_AT.encoding, DW_FORM.data1]]);
  decl(3, DW_TAG.structure_type, true, [[DW_AT.name, DW_FORM.string], [DW_AT.byte_size, DW_FORM.data4]]);
  decl(4, DW_TAG.member, false, [[DW_AT.name, DW_FORM.string], [DW_AT.type, DW_FORM.ref4], [DW_AT.data_member_location, DW_FORM.data4]]);
  decl(5, DW_TAG.enumeration_type, true, [[DW_AT.name, DW_FORM.string], [DW_AT.byte_size, DW_FORM.data1]]);
  decl(6, DW_TAG.enumerator, false, [[DW_AT.name, DW_FORM.string], [DW_AT.const_value, DW_FORM.udata]]);
  decl(7, DW_TAG.subroutine_type, true, [[DW_AT.prototyped, DW_FORM.flag_present], [DW_AT.type, DW_FORM.ref4]]);
  decl(8, DW_TAG.formal_parameter, false, [[DW_AT.type, DW_FORM.ref4]]);
  decl(9, DW_TAG.typedef, false, [[DW_AT.name, DW_FORM.string], [DW_AT.type, DW_FORM.ref4]]);
  abbrev.u8(0);

  const info = new Buf(true);
  info.uint(0, 4).uint(4, 2).uint(0, 4).u8(8); // unit_length (set below), version, abbrev offset, address size
  info.uleb(1).cstr("t.c");
  const int = info.length; // offsets of DIEs are from the unit's start
  info.uleb(2).cstr("int").u8(4).u8(DW_ATE.signed);
  if (shape === "struct") {
    info.uleb(3).cstr("big").uint(4 * n, 4);
    for (let i = 0; i < n; i++) info.uleb(4).cstr(`m${i}`).uint(int, 4).uint(4 * i, 4);
    info.u8(0);
  } else if (shape === "enum") {
    info.uleb(5).cstr("many").u8(4);
    for (let i = 0; i < n; i++) info.uleb(6).cstr(`E${i}`).uleb(i);
    info.u8(0);
  } else {
    const proto = info.length;
    info.uleb(7).uint(int, 4);
    for (let i = 0; i < n; i++) info.uleb(8).uint(int, 4);
    info.u8(0);
    info.uleb(9).cstr("fn_t").uint(proto, 4);
  }
  info.u8(0);
  info.set(0, info.length - 4, 4);
  const sections = new Map([
    [".debug_info", info.done()],
    [".debug_abbrev", abbrev.done()],
  ]);
  return new DwarfFile({ littleEndian: true, section: (name) => sections.get(name) });
}

const features = resolveFeatures(undefined);
const ctx: UnitContext = { features, functions: new ElfFunctions([], 0), sections: [], objects: new ObjectSymbols([]) };

/** Encode the one unit; the kind and vlen of its record with the most entries, or the error's message. */
function encode(shape: Shape, n: number): { kind: number; vlen: number } | string {
  const [unit] = compileUnits(unitWith(shape, n));
  const loader = new CuLoader({ machine: 62, littleEndian: true, features });
  try {
    const f = encodeOne(loader, unit!, ctx);
    let best = { kind: -1, vlen: -1 };
    for (const o of f.offs) {
      const info = f.words[o + 1]!;
      if ((info & 0xffff) > best.vlen) best = { kind: (info >>> 24) & 0x1f, vlen: info & 0xffff };
    }
    return best;
  } catch (e) {
    if (!isBtfError(e)) throw e;
    return e.message;
  }
}

const KIND = { struct: Kind.STRUCT, enum: Kind.ENUM, proto: Kind.FUNC_PROTO };

for (const shape of ["struct", "proto", "enum"] as const) {
  test(`encode: ${shape === "enum" ? "an" : "a"} ${shape} with 65535 entries is encoded whole; with 65536 the unit fails (a vlen has 16 bits)`, () => {
    assert.deepEqual(encode(shape, 3), { kind: KIND[shape], vlen: 3 });
    assert.deepEqual(encode(shape, 65535), { kind: KIND[shape], vlen: 65535 });
    const failed = encode(shape, 65536);
    assert.equal(typeof failed, "string");
    assert.match(failed as string, /too many members \(vlen would exceed 65535\)/);
  });
}
