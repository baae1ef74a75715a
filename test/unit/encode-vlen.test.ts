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
import { DwarfFile } from "../../src/dwarf/index.js";
import { CuLoader, compileUnits, encodeOne, ElfFunctions, ObjectSymbols, resolveFeatures, type UnitContext } from "../../src/encode/index.js";
import { isBtfError } from "../../src/internal/errors.js";

/** DW_TAG, DW_AT and DW_FORM values used below. */
const TAG = { compile_unit: 0x11, base_type: 0x24, structure_type: 0x13, member: 0x0d, enumeration_type: 0x04, enumerator: 0x28, subroutine_type: 0x15, formal_parameter: 0x05, typedef: 0x16 };
const AT = { name: 0x03, byte_size: 0x0b, encoding: 0x3e, type: 0x49, data_member_location: 0x38, const_value: 0x1c, prototyped: 0x27 };
const FORM = { string: 0x08, data1: 0x0b, data4: 0x06, ref4: 0x13, udata: 0x0f, flag_present: 0x19 };

/** Bytes, little-endian, growing. */
class Bytes {
  private a: number[] = [];
  get length(): number {
    return this.a.length;
  }
  u8(...v: number[]): this {
    this.a.push(...v);
    return this;
  }
  u16(v: number): this {
    return this.u8(v & 0xff, v >>> 8);
  }
  u32(v: number): this {
    return this.u8(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  }
  uleb(v: number): this {
    do {
      const b = v & 0x7f;
      v >>>= 7;
      this.u8(v ? b | 0x80 : b);
    } while (v);
    return this;
  }
  str(s: string): this {
    for (const c of s) this.u8(c.charCodeAt(0));
    return this.u8(0);
  }
  patch32(at: number, v: number): void {
    this.a[at] = v & 0xff;
    this.a[at + 1] = (v >>> 8) & 0xff;
    this.a[at + 2] = (v >>> 16) & 0xff;
    this.a[at + 3] = v >>> 24;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.a);
  }
}

type Shape = "struct" | "proto" | "enum";

/**
 * One DWARF 4 unit: `int`, then a struct of `n` int members, a prototype (behind a
 * typedef) of `n` int parameters, or an enum of `n` values.
 */
function unitWith(shape: Shape, n: number): DwarfFile {
  const abbrev = new Bytes();
  const decl = (code: number, tag: number, children: boolean, attrs: [number, number][]): void => {
    abbrev.uleb(code).uleb(tag).u8(children ? 1 : 0);
    for (const [at, form] of attrs) abbrev.uleb(at).uleb(form);
    abbrev.u8(0, 0);
  };
  decl(1, TAG.compile_unit, true, [[AT.name, FORM.string]]);
  decl(2, TAG.base_type, false, [[AT.name, FORM.string], [AT.byte_size, FORM.data1], [AT.encoding, FORM.data1]]);
  decl(3, TAG.structure_type, true, [[AT.name, FORM.string], [AT.byte_size, FORM.data4]]);
  decl(4, TAG.member, false, [[AT.name, FORM.string], [AT.type, FORM.ref4], [AT.data_member_location, FORM.data4]]);
  decl(5, TAG.enumeration_type, true, [[AT.name, FORM.string], [AT.byte_size, FORM.data1]]);
  decl(6, TAG.enumerator, false, [[AT.name, FORM.string], [AT.const_value, FORM.udata]]);
  decl(7, TAG.subroutine_type, true, [[AT.prototyped, FORM.flag_present], [AT.type, FORM.ref4]]);
  decl(8, TAG.formal_parameter, false, [[AT.type, FORM.ref4]]);
  decl(9, TAG.typedef, false, [[AT.name, FORM.string], [AT.type, FORM.ref4]]);
  abbrev.u8(0);

  const info = new Bytes();
  info.u32(0).u16(4).u32(0).u8(8); // unit_length (patched), version, abbrev offset, address size
  info.uleb(1).str("t.c");
  const int = info.length; // offsets of DIEs are from the unit's start
  info.uleb(2).str("int").u8(4).u8(5); // DW_ATE_signed
  if (shape === "struct") {
    info.uleb(3).str("big").u32(4 * n);
    for (let i = 0; i < n; i++) info.uleb(4).str(`m${i}`).u32(int).u32(4 * i);
    info.u8(0);
  } else if (shape === "enum") {
    info.uleb(5).str("many").u8(4);
    for (let i = 0; i < n; i++) info.uleb(6).str(`E${i}`).uleb(i);
    info.u8(0);
  } else {
    const proto = info.length;
    info.uleb(7).u32(int);
    for (let i = 0; i < n; i++) info.uleb(8).u32(int);
    info.u8(0);
    info.uleb(9).str("fn_t").u32(proto);
  }
  info.u8(0);
  info.patch32(0, info.length - 4);
  const sections = new Map([
    [".debug_info", info.bytes()],
    [".debug_abbrev", abbrev.bytes()],
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

const KIND = { struct: 4, enum: 6, proto: 13 };

for (const shape of ["struct", "proto", "enum"] as const) {
  test(`encode: ${shape === "enum" ? "an" : "a"} ${shape} with 65535 entries is encoded whole; with 65536 the unit fails (a vlen has 16 bits)`, () => {
    assert.deepEqual(encode(shape, 3), { kind: KIND[shape], vlen: 3 });
    assert.deepEqual(encode(shape, 65535), { kind: KIND[shape], vlen: 65535 });
    const failed = encode(shape, 65536);
    assert.equal(typeof failed, "string");
    assert.match(failed as string, /too many members \(vlen would exceed 65535\)/);
  });
}
