/**
 * Relocations: parsing against `readelf -rW` (committed goldens; REL and RELA;
 * x86-64, i386, arm, aarch64, ppc32/64, s390x, riscv64; a kernel module), applying
 * them against what GNU ld produced when linking the same objects, libdwfl's
 * section layout, and the errors for bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  applyRelocations,
  ElfFile,
  readRelocations,
  relocatableLayout,
  relocationTypeName,
  rewriteElf,
  cstring,
  SHF_ALLOC,
  SHF_MERGE,
  SHF_STRINGS,
  SHT_REL,
  SHT_RELA,
  STT_SECTION,
  STT_TLS,
} from "../../src/elf/index.js";
import { isBtfError } from "../../src/internal/errors.js";
import { fixture, fixtureNames, golden, parseReadelfRelocs } from "../fixtures/dwarf/helpers.js";

for (const name of fixtureNames()) {
  test(`relocations of ${name} match readelf -rW`, () => {
    const elf = new ElfFile(fixture(name));
    const want = parseReadelfRelocs(golden(name, "rel"));
    const mine = elf.sections.filter((s) => s.type === SHT_REL || s.type === SHT_RELA).flatMap((s) => readRelocations(elf, s).map((r) => ({ ...r, section: s.name, rela: s.type === SHT_RELA })));
    assert.equal(mine.length, want.length, "relocation count");
    if (name.endsWith(".o") && !name.includes("split")) assert.ok(mine.length > 0);
    let named = 0;
    mine.forEach((r, i) => {
      const w = want[i]!;
      const label = `${name} ${w.section} #${i}`;
      assert.equal(r.section, w.section, label);
      assert.equal(BigInt(r.offset), w.offset, label);
      const type = elf.is64 ? w.info & 0xffffffffn : w.info & 0xffn;
      const sym = elf.is64 ? w.info >> 32n : w.info >> 8n;
      assert.equal(BigInt(r.type), type, label);
      assert.equal(BigInt(r.symbol), sym, label);
      if (r.rela) assert.equal(r.addend, w.addend ?? 0n, label);
      const n = relocationTypeName(elf.machine, r.type);
      if (n !== undefined) {
        named++;
        assert.equal(n, w.type, label);
      }
    });
    if (mine.length > 0 && !name.endsWith(".dwo")) assert.ok(named > 0, "some relocation types are in the tables");
  });
}

/**
 * Where GNU ld placed each allocated input section of `obj` in `linked`: found
 * through a named symbol defined in it (linked address minus object value).
 */
function linkedAddresses(obj: ElfFile, linked: ElfFile): Map<number, bigint> {
  const out = new Map<number, bigint>();
  const byName = new Map(linked.symbols().map((s) => [s.name, s]));
  for (const s of obj.symbols()) {
    if (s.type === STT_SECTION || s.type === STT_TLS || s.name === "" || s.shndx === 0 || s.shndx >= 0xff00) continue;
    const sec = obj.sections[s.shndx]!;
    if (!(sec.flags & SHF_ALLOC) || out.has(s.shndx)) continue;
    const l = byName.get(s.name);
    if (l) out.set(s.shndx, l.value - s.value);
  }
  return out;
}

for (const base of ["types-gcc-dw5-O0", "params-gcc-dw4-O2", "types-gcc-dw4-m32"]) {
  test(`relocated debug sections of ${base}.o equal what ld wrote into ${base}.linked`, () => {
    const obj = new ElfFile(fixture(`${base}.o`));
    const linked = new ElfFile(fixture(`${base}.linked`));
    const addrs = linkedAddresses(obj, linked);
    const unknown = obj.sections.filter((s) => s.flags & SHF_ALLOC && s.size > 0 && !addrs.has(s.index) && obj.symbols().some((y) => y.shndx === s.index && y.type === STT_SECTION));
    let compared = 0;
    let strings = 0;
    const syms = obj.symbols();
    for (const s of obj.sections) {
      if (!s.name.startsWith(".debug_") || s.name === ".debug_str" || s.name === ".debug_line_str") continue;
      const mine = applyRelocations(obj, s, { sectionAddress: (i) => addrs.get(i) ?? 0n }).slice();
      const theirs = linked.sectionData(s.name).slice();
      assert.equal(mine.length, theirs.length, s.name);
      // ld merges string sections (SHF_MERGE|SHF_STRINGS), so offsets into them
      // differ: those fields must name the same string; then they are blanked.
      for (const r of obj.relocations(s)) {
        const sym = syms[r.symbol]!;
        const target = obj.sections[sym.shndx];
        if (!target || !(target.flags & SHF_MERGE) || !(target.flags & SHF_STRINGS)) continue;
        const size = relocationTypeName(obj.machine, r.type)!.endsWith("64") ? 8 : 4;
        const read = (b: Uint8Array) => Number(size === 8 ? new DataView(b.buffer, b.byteOffset).getBigUint64(r.offset, obj.littleEndian) : BigInt(new DataView(b.buffer, b.byteOffset).getUint32(r.offset, obj.littleEndian)));
        assert.equal(cstring(linked.sectionData(target.name), read(theirs)), cstring(obj.sectionData(target), read(mine)), `${s.name}+${r.offset}: same string`);
        mine.fill(0, r.offset, r.offset + size);
        theirs.fill(0, r.offset, r.offset + size);
        strings++;
      }
      const diff = mine.findIndex((b, i) => b !== theirs[i]);
      assert.equal(diff, -1, `${s.name}: first difference at ${diff} (sections without a symbol to place them: ${unknown.map((u) => u.name).join(" ") || "none"})`);
      if (obj.relocations(s).length > 0) compared++;
    }
    assert.ok(compared >= 3, "several relocated sections compared");
    assert.ok(strings > 10, "string references compared");
  });
}

test("string sections are not relocated, and linked files are returned as they are", () => {
  const linked = new ElfFile(fixture("types-gcc-dw5-O0.linked"));
  const info = linked.section(".debug_info")!;
  assert.deepEqual(linked.relocatedSectionData(info), linked.sectionData(info));
  const obj = new ElfFile(fixture("types-gcc-dw5-O0.o"));
  assert.deepEqual(obj.relocatedSectionData(".debug_str"), obj.sectionData(".debug_str"));
});

test("relocatableLayout() places allocated sections as libdwfl does for an offline module", () => {
  const ko = new ElfFile(fixture("crc7.ko"));
  const lay = relocatableLayout(ko);
  const alloc = ko.sections.filter((s) => s.flags & SHF_ALLOC);
  assert.ok(alloc.length > 3);
  let end = -1n;
  for (const s of alloc) {
    const a = lay.address(s.index);
    const align = BigInt(s.addralign || 1);
    assert.equal(a % align, 0n, `${s.name} aligned`);
    assert.ok(a >= end, `${s.name} after the previous section`);
    if (end >= 0n) assert.ok(a - end < align, `${s.name} packed`);
    end = a + BigInt(s.size);
  }
  assert.equal(lay.start, lay.address(alloc[0]!.index));
  assert.ok(lay.start >= 0x10000n && lay.start < 0x10000n + 0x1000n, "first module base: 0x10000 (rounded to the largest alignment)");
  assert.equal(lay.end, end);
  for (const s of ko.sections.filter((x) => !(x.flags & SHF_ALLOC))) assert.equal(lay.address(s.index), 0n, `${s.name} (not allocated) stays at 0`);
});

test("an unknown relocation type is UNSUPPORTED and a relocation outside its section MALFORMED", () => {
  const obj = new ElfFile(fixture("types-gcc-dw5-O0.o"));
  const rs = obj.section(".rela.debug_info")!;
  const data = obj.sectionData(rs).slice();
  const dv = new DataView(data.buffer);
  // Entry 0: type 0x7777.
  const bad = data.slice();
  new DataView(bad.buffer).setUint32(8, 0x7777, true);
  const e1 = new ElfFile(rewriteElf(obj, { replace: new Map([[rs.index, bad]]) }));
  assert.throws(
    () => e1.relocatedSectionData(".debug_info"),
    (e: unknown) => isBtfError(e) && e.code === "UNSUPPORTED" && /relocation type 30583/.test(e.message),
  );
  // Entry 0: offset far past the end.
  dv.setBigUint64(0, 1n << 40n, true);
  const e2 = new ElfFile(rewriteElf(obj, { replace: new Map([[rs.index, data]]) }));
  assert.throws(
    () => e2.relocatedSectionData(".debug_info"),
    (e: unknown) => isBtfError(e) && e.code === "MALFORMED",
  );
});
