/**
 * Every attribute form, on DWARF assembled here (compilers never emit some of them:
 * ref1/2/8/udata, ref_addr, data16, indirect, strx2-4, addrx2-4, block2/4,
 * strp_sup, GNU_ref_alt ...), in both byte orders, 32- and 64-bit DWARF and DWARF
 * 2-5 unit headers: typed accessors, `attributes()`, skipping (by form size and by
 * DW_AT_sibling), type units, cross-unit references and abstract origins.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DW_AT, DW_FORM, DW_TAG, DW_UT, DwarfFile, type DwarfSectionName } from "../../src/dwarf/index.js";
import { isBtfError } from "../../src/internal/errors.js";
import { Buf } from "../helpers/dwarf-asm.js";

interface Variant {
  le: boolean;
  os: 4 | 8;
  version: number;
}

const SIG = 0x1122334455667788n;

/**
 * Assemble sections: a compile unit (every form), a type unit (v5) and a second
 * compile unit that refers into the first through ref_addr and abstract_origin.
 */
function assemble(v: Variant) {
  const { le, os, version } = v;
  const as = 8;
  const str = new Buf(le).cstr("").cstr("producer").cstr("strp name").cstr("indirect name");
  const strOff = (s: string) => {
    const d = new TextDecoder().decode(str.done());
    return d.indexOf("\0" + s + "\0") + 1;
  };
  const lineStr = new Buf(le).cstr("line name");
  const sup = new Buf(le).cstr("").cstr("sup name");
  const strx = ["s0", "s1", "s2", "s3", "s4"];
  const strStart = str.length;
  strx.forEach((s) => str.cstr(s));
  const so = new Buf(le);
  if (os === 8) so.uint(0xffffffff, 4).uint(8 + 4 * 0 + strx.length * os + 4, 8);
  else so.uint(4 + strx.length * os, 4);
  so.uint(5, 2).uint(0, 2);
  const soBase = so.length;
  let p = strStart;
  for (const s of strx) {
    so.uint(p, os);
    p += s.length + 1;
  }
  const addr = new Buf(le);
  if (os === 8) addr.uint(0xffffffff, 4).uint(4 + 5 * as, 8);
  else addr.uint(4 + 5 * as, 4);
  addr.uint(5, 2).u8(as).u8(0);
  const addrBase = addr.length;
  for (let i = 0; i < 5; i++) addr.uint(0x1000n * BigInt(i + 1) + 0xffffffff00000000n, as);

  // Abbreviations.
  const ab = new Buf(le);
  const abbrev = (code: number, tag: number, children: boolean, specs: [number, number, bigint?][]) => {
    ab.uleb(code).uleb(tag).u8(children ? 1 : 0);
    for (const [at, form, ic] of specs) {
      ab.uleb(at).uleb(form);
      if (form === DW_FORM.implicit_const) ab.sleb(ic!);
    }
    ab.uleb(0).uleb(0);
  };
  const F = DW_FORM;
  const A = DW_AT;
  abbrev(1, DW_TAG.compile_unit, true, [
    [A.producer, F.strp],
    [A.name, F.line_strp],
    [A.str_offsets_base, F.sec_offset],
    [A.addr_base, F.sec_offset],
    [A.low_pc, F.addr],
  ]);
  abbrev(2, DW_TAG.base_type, false, [
    [A.name, F.strx1],
    [A.byte_size, F.data1],
    [A.encoding, F.data1],
  ]);
  abbrev(3, DW_TAG.variable, false, [
    [A.name, F.strx2],
    [A.type, F.ref1],
    [A.location, F.exprloc],
    [A.external, F.flag_present],
    [A.decl_line, F.udata],
    [A.const_value, F.sdata],
  ]);
  abbrev(4, DW_TAG.variable, false, [
    [A.name, F.strx3],
    [A.type, F.ref2],
    [A.location, F.block1],
    [A.declaration, F.flag],
    [A.byte_size, F.data2],
  ]);
  abbrev(5, DW_TAG.subprogram, true, [
    [A.sibling, F.ref4],
    [A.name, F.strx4],
    [A.type, F.ref8],
    [A.low_pc, F.addrx1],
    [A.high_pc, F.data4],
    [A.frame_base, F.block2],
    [A.ranges, F.sec_offset],
  ]);
  abbrev(6, DW_TAG.formal_parameter, false, [
    [A.name, F.strx],
    [A.type, F.ref_udata],
    [A.low_pc, F.addrx2],
    [A.location, F.block4],
  ]);
  abbrev(7, DW_TAG.variable, false, [
    [A.name, F.string],
    [A.low_pc, F.addrx3],
    [A.const_value, F.data16],
    [A.bit_size, F.implicit_const, -5n],
    [A.upper_bound, F.data8],
  ]);
  abbrev(8, DW_TAG.variable, false, [
    [A.name, F.indirect],
    [A.upper_bound, F.indirect],
    [A.low_pc, F.addrx4],
    [A.type, F.ref_sig8],
    [A.location, F.block],
  ]);
  abbrev(9, DW_TAG.variable, false, [
    [A.name, F.strp_sup],
    [A.type, F.GNU_ref_alt],
    [A.const_value, F.data4],
    [A.lower_bound, F.data2],
  ]);
  abbrev(10, DW_TAG.lexical_block, true, []);
  abbrev(11, DW_TAG.structure_type, true, [[A.name, F.string]]);
  abbrev(12, DW_TAG.member, false, [
    [A.name, F.string],
    [A.type, F.ref4],
  ]);
  abbrev(13, DW_TAG.type_unit, true, []);
  abbrev(14, DW_TAG.subprogram, false, [
    [A.abstract_origin, F.ref_addr],
    [A.low_pc, F.addr],
  ]);
  abbrev(15, DW_TAG.compile_unit, true, [[A.name, F.string]]);
  ab.uleb(0);

  // Unit 1: the compile unit with every form.
  const info = new Buf(le);
  const header = (unitType: number) => {
    const start = info.length;
    if (os === 8) info.uint(0xffffffff, 4).uint(0, 8);
    else info.uint(0, 4);
    info.uint(version, 2);
    if (version >= 5) info.u8(unitType).u8(as).uint(0, os);
    else info.uint(0, os).u8(as);
    return start;
  };
  const finish = (start: number) => {
    const lenField = os === 8 ? 12 : 4;
    info.set(start + (os === 8 ? 4 : 0), info.length - start - lenField, os === 8 ? 8 : 4);
  };
  const u1 = header(DW_UT.compile);
  const rel = (off: number) => off - u1;
  const dies: Record<string, number> = {};
  info.uleb(1).uint(strOff("producer"), os).uint(0, os).uint(soBase, os).uint(addrBase, os).uint(0x400000n, as);
  dies.int = info.length;
  info.uleb(2).u8(0).u8(4).u8(5); // base_type "s0" 4 signed
  dies.var3 = info.length;
  info.uleb(3).uint(1, 2).uint(rel(dies.int), 1).uleb(2).raw([0x91, 0x7c]).uleb(300).sleb(-1234567);
  dies.var4 = info.length;
  info.uleb(4).uint(2, 3).uint(rel(dies.int), 2).u8(1).u8(0x50).u8(0).uint(0xbeef, 2);
  dies.sub = info.length;
  const sibPatch = info.length + 1;
  info.uleb(5).uint(0, 4).uint(3, 4).uint(rel(dies.int), 8).u8(1).uint(0x20, 4).uint(1, 2).u8(0x9c).uint(0, os);
  dies.param = info.length;
  info.uleb(6).uleb(4).uleb(rel(dies.int)).uint(2, 2).uint(2, 4).raw([0x55, 0x9f]);
  dies.block = info.length;
  info.uleb(10);
  dies.var7 = info.length;
  info.uleb(7).cstr("inline").uint(3, 3).raw(Array.from({ length: 16 }, (_, i) => i + 1)).uint(0xfedcba9876543210n, 8);
  info.u8(0); // end of lexical block
  info.u8(0); // end of subprogram children
  info.set(sibPatch, rel(info.length), 4);
  dies.after = info.length;
  info.uleb(8).uleb(DW_FORM.strp).uint(strOff("indirect name"), os).uleb(DW_FORM.data2).uint(77, 2).uint(4, 4).uint(SIG, 8).uleb(3).raw([0x30, 0x31, 0x9f]);
  dies.var9 = info.length;
  info.uleb(9).uint(1, os).uint(0x1234, os).uint(0xfffffffe, 4).uint(0x8000, 2);
  dies.struct = info.length;
  info.uleb(11).cstr("st");
  info.uleb(12).cstr("m").uint(rel(dies.int), 4);
  info.u8(0);
  info.u8(0); // end of root children
  finish(u1);

  // Unit 2 (v5 only): a type unit with signature SIG whose type DIE is a struct.
  let typeDie = -1;
  if (version >= 5) {
    const u2 = info.length;
    if (os === 8) info.uint(0xffffffff, 4).uint(0, 8);
    else info.uint(0, 4);
    info.uint(version, 2).u8(DW_UT.type).u8(as).uint(0, os).uint(SIG, 8);
    const typeOffPos = info.length;
    info.uint(0, os);
    info.uleb(13);
    typeDie = info.length;
    info.set(typeOffPos, typeDie - u2, os);
    info.uleb(11).cstr("tu struct");
    info.u8(0).u8(0);
    finish(u2);
  }

  // Unit 3: refers to unit 1 through ref_addr (abstract origin of a concrete subprogram).
  const u3 = header(DW_UT.compile);
  info.uleb(15).cstr("second");
  dies.concrete = info.length;
  info.uleb(14).uint(dies.sub, version <= 2 ? as : os).uint(0x401000n, as);
  info.u8(0);
  finish(u3);

  const sections: Partial<Record<DwarfSectionName, Uint8Array>> = {
    ".debug_info": info.done(),
    ".debug_abbrev": ab.done(),
    ".debug_str": str.done(),
    ".debug_line_str": lineStr.done(),
    ".debug_str_offsets": so.done(),
    ".debug_addr": addr.done(),
    ".debug_str.sup": sup.done(),
  };
  const rnglists = new Buf(le);
  if (os === 8) rnglists.uint(0xffffffff, 4).uint(0, 8);
  else rnglists.uint(0, 4);
  rnglists.uint(5, 2).u8(as).u8(0).uint(0, 4);
  const rngStart = rnglists.length;
  rnglists.u8(6).uint(0x500000n, as).uint(0x500010n, as); // start_end
  rnglists.u8(5).uint(0x600000n, as).u8(4).uleb(0x10).uleb(0x20); // base_address, offset_pair
  rnglists.u8(3).uleb(1).uleb(8); // startx_length
  rnglists.u8(0);
  rnglists.set(0, rnglists.length - (os === 8 ? 12 : 4), os === 8 ? 4 : 4);
  if (os === 8) rnglists.set(4, rnglists.length - 12, 8);
  sections[".debug_rnglists"] = rnglists.done();
  // The same ranges for DWARF 2-4 (.debug_ranges: pairs relative to the unit's base address 0x400000).
  const ranges = new Buf(le);
  ranges.uint(0x100000n, as).uint(0x100010n, as);
  ranges.uint(0xffffffffffffffffn, as).uint(0x600000n, as).uint(0x10n, as).uint(0x20n, as);
  ranges.uint(0xffffffffffffffffn, as).uint(0xffffffff00002000n, as).uint(0n, as).uint(8n, as);
  ranges.uint(0n, as).uint(0n, as);
  sections[".debug_ranges"] = ranges.done();
  // Patch the subprogram's DW_AT_ranges (sec_offset, last attribute of abbrev 5).
  const infoBytes = sections[".debug_info"]!;
  const rp = dies.param! - os;
  const patch = new Buf(le).uint(version >= 5 ? rngStart : 0, os).bytes;
  infoBytes.set(patch, rp);
  return { sections, dies, typeDie };
}

const VARIANTS: Variant[] = [];
for (const le of [true, false]) for (const os of [4, 8] as const) for (const version of [2, 4, 5]) if (!(os === 8 && version === 2)) VARIANTS.push({ le, os, version });

for (const v of VARIANTS) {
  const label = `${v.le ? "LE" : "BE"}, ${v.os * 8}-bit DWARF, version ${v.version}`;
  test(`every form reads back (${label})`, () => {
    const { sections, dies, typeDie } = assemble(v);
    const dwarf = new DwarfFile({ littleEndian: v.le, section: (n) => sections[n] });
    const units = dwarf.units();
    assert.equal(units.length, v.version >= 5 ? 3 : 2);
    const cu = units[0]!;
    assert.deepEqual([cu.version, cu.offsetSize, cu.addressSize], [v.version, v.os, 8]);
    const c = cu.cursor();
    assert.ok(c.next());
    assert.equal(c.tag, DW_TAG.compile_unit);
    assert.equal(c.string(DW_AT.producer), "producer");
    assert.equal(c.name, "line name");
    assert.equal(c.address(DW_AT.low_pc), 0x400000n);
    assert.equal(cu.baseAddress, 0x400000n);
    const at = (off: number) => dwarf.dieAt(off);
    // base_type: strx1, data1
    let d = at(dies.int!);
    assert.deepEqual([d.tag, d.name, d.unsigned(DW_AT.byte_size), d.unsigned(DW_AT.encoding), d.depth], [DW_TAG.base_type, "s0", 4, 5, 0]);
    // strx2, ref1, exprloc, flag_present, udata, sdata
    d = at(dies.var3!);
    assert.equal(d.name, "s1");
    assert.equal(d.ref(DW_AT.type), dies.int);
    assert.deepEqual(Array.from(d.block(DW_AT.location)!), [0x91, 0x7c]);
    assert.deepEqual(d.locations(DW_AT.location)!.map((l) => Array.from(l.expr)), [[0x91, 0x7c]]);
    assert.equal(d.flag(DW_AT.external), true);
    assert.equal(d.unsigned(DW_AT.decl_line), 300);
    assert.equal(d.signed(DW_AT.const_value), -1234567);
    assert.equal(d.bigConstant(DW_AT.const_value), -1234567n);
    assert.equal(d.unsigned(DW_AT.name), undefined, "a string is not a constant");
    // strx3, ref2, block1, flag, data2
    d = at(dies.var4!);
    assert.deepEqual([d.name, d.ref(DW_AT.type), Array.from(d.block(DW_AT.location)!), d.flag(DW_AT.declaration), d.unsigned(DW_AT.byte_size), d.signed(DW_AT.byte_size)], ["s2", dies.int, [0x50], false, 0xbeef, 0xbeef - 0x10000]);
    // sibling, strx4, ref8, addrx1, data4 high_pc, block2, ranges
    d = at(dies.sub!);
    assert.deepEqual([d.name, d.ref(DW_AT.type), d.address(DW_AT.low_pc), d.ref(DW_AT.sibling)], ["s3", dies.int, 0xffffffff00002000n, dies.after]);
    assert.deepEqual(Array.from(d.block(DW_AT.frame_base)!), [0x9c]);
    assert.deepEqual(
      d.ranges().map((r) => [r.start, r.end]),
      [
        [0x500000n, 0x500010n],
        [0x600010n, 0x600020n],
        [0xffffffff00002000n, 0xffffffff00002008n],
      ],
    );
    assert.ok(d.hasChildren);
    // strx, ref_udata, addrx2, block4
    d = at(dies.param!);
    assert.deepEqual([d.name, d.ref(DW_AT.type), d.address(DW_AT.low_pc), Array.from(d.block(DW_AT.location)!)], ["s4", dies.int, 0xffffffff00003000n, [0x55, 0x9f]]);
    // string, addrx3, data16, implicit_const, data8
    d = at(dies.var7!);
    assert.equal(d.name, "inline");
    assert.equal(d.address(DW_AT.low_pc), 0xffffffff00004000n);
    const want16 = Array.from({ length: 16 }, (_, i) => BigInt(i + 1));
    const as128 = v.le ? want16.reduceRight((a, b) => (a << 8n) | b, 0n) : want16.reduce((a, b) => (a << 8n) | b, 0n);
    assert.equal(d.bigConstant(DW_AT.const_value), as128);
    assert.equal(d.unsigned(DW_AT.const_value), undefined);
    assert.deepEqual([d.signed(DW_AT.bit_size), d.bigConstant(DW_AT.bit_size)], [-5, -5n]);
    assert.equal(d.bigConstant(DW_AT.upper_bound), 0xfedcba9876543210n);
    assert.equal(d.signed(DW_AT.upper_bound), Number(BigInt.asIntN(64, 0xfedcba9876543210n)));
    // indirect (strp, data2), addrx4, ref_sig8, block
    d = at(dies.after!);
    assert.deepEqual([d.name, d.formOf(DW_AT.name), d.unsigned(DW_AT.upper_bound), d.formOf(DW_AT.upper_bound), d.address(DW_AT.low_pc)], ["indirect name", DW_FORM.strp, 77, DW_FORM.data2, 0xffffffff00005000n]);
    if (v.version >= 5) assert.equal(d.ref(DW_AT.type), typeDie);
    else assert.throws(() => d.ref(DW_AT.type), (e: unknown) => isBtfError(e) && e.code === "MALFORMED" && /signature/.test(e.message));
    assert.deepEqual(Array.from(d.block(DW_AT.location)!), [0x30, 0x31, 0x9f]);
    // strp_sup (supplementary strings given), GNU_ref_alt (not supported), data4 as signed
    d = at(dies.var9!);
    assert.equal(d.name, "sup name");
    assert.throws(() => d.ref(DW_AT.type), (e: unknown) => isBtfError(e) && e.code === "UNSUPPORTED");
    assert.deepEqual([d.unsigned(DW_AT.const_value), d.signed(DW_AT.const_value), d.signed(DW_AT.lower_bound)], [0xfffffffe, -2, -0x8000]);
    // attributes(): every attribute of every DIE decodes (ref_alt gives -1 with its raw value).
    const all = cu.cursor();
    let n = 0;
    while (all.next()) n += all.attributes().length;
    assert.equal(n, 5 + 3 + 6 + 5 + 7 + 4 + 0 + 5 + 5 + 4 + 1 + 2);
    // Walks: pre-order depths, skipChildren by sibling and by sizes land on the same DIE.
    const walk: [number, number][] = [];
    const w = cu.cursor();
    while (w.next()) walk.push([w.tag, w.depth]);
    assert.deepEqual(walk, [
      [DW_TAG.compile_unit, 0],
      [DW_TAG.base_type, 1],
      [DW_TAG.variable, 1],
      [DW_TAG.variable, 1],
      [DW_TAG.subprogram, 1],
      [DW_TAG.formal_parameter, 2],
      [DW_TAG.lexical_block, 2],
      [DW_TAG.variable, 3],
      [DW_TAG.variable, 1],
      [DW_TAG.variable, 1],
      [DW_TAG.structure_type, 1],
      [DW_TAG.member, 2],
    ]);
    const bySibling = at(dies.sub!);
    bySibling.skipChildren();
    assert.ok(bySibling.next());
    assert.equal(bySibling.offset, dies.after, "DW_AT_sibling");
    const bySize = at(dies.block!); // no DW_AT_sibling: skipped by form sizes
    bySize.skipChildren();
    assert.ok(bySize.next());
    assert.equal(bySize.offset, dies.after, "form sizes");
    const last = at(dies.struct!);
    last.skipChildren();
    assert.equal(last.next(), false, "nothing after the root's last child");
    // Cross-unit: ref_addr abstract origin into unit 1, and origin() lookup.
    const concrete = at(dies.concrete!);
    assert.equal(concrete.ref(DW_AT.abstract_origin), dies.sub);
    assert.equal(concrete.origin(DW_AT.name)?.name, "s3");
    assert.equal(concrete.origin(DW_AT.low_pc), concrete, "its own attribute first");
    assert.equal(concrete.follow(DW_AT.abstract_origin)?.unit, cu);
    // The type unit.
    if (v.version >= 5) {
      const tu = units[1]!;
      assert.equal(tu.isTypeUnit, true);
      assert.equal(tu.typeSignature, SIG);
      assert.equal(dwarf.typeUnit(SIG), tu);
      assert.equal(dwarf.dieAt(tu.typeOffset!).name, "tu struct");
    }
  });
}

test("bad input: unknown abbreviation, DIE past its unit, bad unit header, reference outside the unit", () => {
  const v: Variant = { le: true, os: 4, version: 5 };
  const cases: [string, (s: Record<string, Uint8Array>) => void, RegExp][] = [
    ["unknown abbreviation code", (s) => (s[".debug_info"]![12] = 99), /abbreviation code 99/],
    ["unit length past the section", (s) => (s[".debug_info"]![0] = 0xf0), /runs past the end/],
    ["bad version", (s) => (s[".debug_info"]![4] = 9), /version 9/],
    ["reserved length", (s) => s[".debug_info"]!.set([0xf5, 0xff, 0xff, 0xff], 0), /reserved unit length/],
    ["abbreviation table offset", (s) => s[".debug_info"]!.set([0xff, 0xff, 0, 0], 8), /abbreviation table offset/],
  ];
  for (const [what, mutate, re] of cases) {
    const { sections } = assemble(v);
    const s = sections as Record<string, Uint8Array>;
    mutate(s);
    const dwarf = new DwarfFile({ littleEndian: true, section: (n) => s[n] });
    assert.throws(
      () => {
        for (const u of dwarf.units()) {
          const c = u.cursor();
          while (c.next()) c.attributes();
        }
      },
      (e: unknown) => isBtfError(e) && e.code === "MALFORMED" && re.test(e.message) && (e.section === ".debug_info" || e.section === ".debug_abbrev"),
      what,
    );
  }
});
