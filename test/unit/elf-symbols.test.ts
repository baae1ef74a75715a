/**
 * ELF symbol tables against `readelf -sW` (committed goldens): 64- and 32-bit,
 * little- and big-endian (ppc64, ppc32, s390x), x86-64/i386/arm/aarch64/riscv, and a
 * kernel module; extended section indices (SHN_XINDEX) on a synthetic file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ElfFile, readSymbolTable, rewriteElf, SHN_XINDEX, SHT_STRTAB, SHT_SYMTAB, SHT_SYMTAB_SHNDX, type ElfSymbol } from "../../src/elf/index.js";
import { fixture, fixtureNames, golden, parseReadelfSyms } from "../fixtures/dwarf/helpers.js";

const TYPES = ["NOTYPE", "OBJECT", "FUNC", "SECTION", "FILE", "COMMON", "TLS"];
const BINDS = ["LOCAL", "GLOBAL", "WEAK"];
const VIS = ["DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"];

function ndx(s: ElfSymbol): string {
  if (s.rawShndx === 0) return "UND";
  if (s.rawShndx === 0xfff1) return "ABS";
  if (s.rawShndx === 0xfff2) return "COM";
  return String(s.shndx);
}

for (const name of fixtureNames()) {
  test(`symbols of ${name} match readelf -sW`, () => {
    const elf = new ElfFile(fixture(name));
    const want = parseReadelfSyms(golden(name, "sym"));
    const mine = elf.symbols(".symtab");
    assert.equal(mine.length, want.length); // 0 for a .dwo
    for (const w of want) {
      const s = mine[w.num]!;
      const label = `${name} symbol ${w.num} (${w.name})`;
      assert.equal(s.value, w.value, label);
      assert.equal(s.size, w.size, label);
      assert.equal(TYPES[s.type] ?? String(s.type), w.type, label);
      assert.equal(BINDS[s.bind] ?? String(s.bind), w.bind, label);
      assert.equal(VIS[s.visibility], w.vis, label);
      assert.equal(ndx(s), w.ndx, label);
      // readelf names section symbols after their section.
      assert.equal(s.type === 3 && s.name === "" ? elf.sections[s.shndx]!.name : s.name, w.name, label);
    }
  });
}

/**
 * A copy of `base` with `count` extra empty sections and a second symbol table
 * whose symbols point at sections past SHN_LORESERVE (through SHT_SYMTAB_SHNDX).
 */
function withManySections(base: ElfFile, count: number): { bytes: Uint8Array; targets: number[] } {
  const n0 = base.sections.length;
  const le = base.littleEndian;
  const is64 = base.is64;
  const adds: { name: string; data: Uint8Array; type?: number; link?: number; info?: number; entsize?: number; addralign?: number }[] = [];
  for (let i = 0; i < count; i++) adds.push({ name: ".x", data: new Uint8Array(0) });
  const targets = [n0 + 5, n0 + count - 1, n0 + 0xff00 - n0 + 7];
  // New symbol table, its string table and its extended-index table follow the empty sections.
  const symIdx = n0 + count;
  const strIdx = symIdx + 1;
  const names = ["", "near", "far", "farther"];
  const strs = new TextEncoder().encode("\0near\0far\0farther\0");
  const nameOff = [0, 1, 6, 10];
  const ent = is64 ? 24 : 16;
  const sym = new Uint8Array(ent * 4);
  const dv = new DataView(sym.buffer);
  const shndx = new Uint8Array(4 * 4);
  const xv = new DataView(shndx.buffer);
  for (let i = 1; i < 4; i++) {
    const o = i * ent;
    const target = targets[i - 1]!;
    dv.setUint32(o, nameOff[i]!, le);
    const info = (1 << 4) | 1; // GLOBAL OBJECT
    const st = target >= 0xff00 ? SHN_XINDEX : target;
    if (is64) {
      sym[o + 4] = info;
      dv.setUint16(o + 6, st, le);
      dv.setBigUint64(o + 8, BigInt(0x100 * i), le);
      dv.setBigUint64(o + 16, 4n, le);
    } else {
      dv.setUint32(o + 4, 0x100 * i, le);
      dv.setUint32(o + 8, 4, le);
      sym[o + 12] = info;
      dv.setUint16(o + 14, st, le);
    }
    xv.setUint32(i * 4, st === SHN_XINDEX ? target : 0, le);
  }
  adds.push({ name: ".symtab.x", data: sym, type: SHT_SYMTAB, link: strIdx, info: 1, entsize: ent, addralign: 8 });
  adds.push({ name: ".strtab.x", data: strs, type: SHT_STRTAB });
  adds.push({ name: ".symtab_shndx.x", data: shndx, type: SHT_SYMTAB_SHNDX, link: symIdx, entsize: 4, addralign: 4 });
  void names;
  return { bytes: rewriteElf(base, { add: adds }), targets };
}

test("symbols with SHN_XINDEX resolve through SHT_SYMTAB_SHNDX (64-bit LE and 32-bit BE)", () => {
  for (const name of ["types-gcc-dw5-O0.o", "types-clang-ppc32-O0.o"]) {
    const base = new ElfFile(fixture(name));
    const count = 0xff10 - base.sections.length + 16;
    const { bytes, targets } = withManySections(base, count);
    const elf = new ElfFile(bytes);
    assert.equal(elf.sections.length, base.sections.length + count + 3, `${name}: section count from section 0 (e_shnum = 0)`);
    assert.equal(elf.sections[elf.shstrndx]!.name, base.sections[base.shstrndx]!.name);
    const symtab = elf.sections.find((s) => s.name === ".symtab.x")!;
    const syms = elf.symbols(symtab);
    assert.deepEqual(
      syms.slice(1).map((s) => [s.name, s.shndx, s.rawShndx === SHN_XINDEX]),
      [
        ["near", targets[0], false],
        ["far", targets[1], true],
        ["farther", targets[2], true],
      ],
    );
    // The original symbols and sections are untouched.
    assert.deepEqual(elf.symbols(".symtab"), base.symbols(".symtab"));
    for (const s of base.sections) {
      const data = elf.sectionData(elf.sections[s.index]!);
      if (s.index === base.shstrndx) assert.deepEqual(data.subarray(0, s.size), base.sectionData(s), "names are appended");
      else assert.deepEqual(data, base.sectionData(s), s.name);
    }
  }
});

test("readelf agrees on a file with extended section numbering (when binutils is installed)", (t) => {
  let readelf = true;
  try {
    execFileSync("readelf", ["--version"], { stdio: "ignore" });
  } catch {
    readelf = false;
  }
  if (!readelf) return t.skip("readelf not installed");
  const base = new ElfFile(fixture("types-gcc-dw5-O0.o"));
  const { bytes, targets } = withManySections(base, 0xff10 - base.sections.length + 16);
  const dir = mkdtempSync(join(tmpdir(), "btfkit-elf-"));
  try {
    writeFileSync(join(dir, "x.o"), bytes);
    const out = execFileSync("readelf", ["-sW", join(dir, "x.o")], { encoding: "utf8", maxBuffer: 1 << 26 });
    const syms = parseReadelfSyms(out).filter((s) => s.table === ".symtab.x");
    assert.deepEqual(
      syms.slice(1).map((s) => [s.name, s.ndx]),
      [
        ["near", String(targets[0])],
        ["far", String(targets[1])],
        ["farther", String(targets[2])],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SymbolTable: its accessors read the same fields as the symbols", () => {
  for (const name of fixtureNames()) {
    const elf = new ElfFile(fixture(name));
    const sec = elf.section(".symtab");
    if (!sec) continue;
    const t = readSymbolTable(elf, sec);
    const syms = elf.symbols(sec);
    assert.equal(t.count, syms.length, name);
    for (let i = 0; i < t.count; i++) {
      const s = syms[i]!;
      const label = `${name} symbol ${i}`;
      assert.deepEqual([t.name(i), t.value(i), t.size(i), t.type(i), t.bind(i), t.visibility(i), t.rawShndx(i), t.shndx(i)], [s.name, s.value, s.size, s.type, s.bind, s.visibility, s.rawShndx, s.shndx], label);
    }
  }
});

test("a symbol name outside its string table, or running off its end, is MALFORMED (both readers)", () => {
  const name = fixtureNames().find((n) => new ElfFile(fixture(n)).section(".symtab"))!;
  const base = new ElfFile(fixture(name));
  const sym = base.section(".symtab")!;
  const str = base.sections[sym.link]!;
  const stride = sym.entsize || (base.is64 ? 24 : 16);
  const le = base.littleEndian;
  // Symbol 1's st_name past the end of the string table.
  const past = fixture(name).slice();
  new DataView(past.buffer, past.byteOffset).setUint32(sym.offset + stride, str.size + 5, le);
  // The string table's last NUL replaced, symbol 1 named by its last string.
  const open = fixture(name).slice();
  const sdata = base.sectionData(str);
  const lastStart = sdata.lastIndexOf(0, sdata.length - 2) + 1;
  open[str.offset + str.size - 1] = 0x78;
  new DataView(open.buffer, open.byteOffset).setUint32(sym.offset + stride, lastStart, le);
  for (const bytes of [past, open]) {
    const elf = new ElfFile(bytes);
    const want = { code: "MALFORMED", message: /symbol 1 of \.symtab: name offset \d+ not in its string table/ };
    assert.throws(() => readSymbolTable(elf, elf.section(".symtab")!), want);
    assert.throws(() => elf.symbols(".symtab"), want);
  }
});
