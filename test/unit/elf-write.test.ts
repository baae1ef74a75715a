/**
 * Writing ELF files: adding `.BTF` to a gcc-built object, replacing the `.BTF` of a
 * real kernel module with a modified one (different size), reading both back
 * (sections, symbols, relocations, DWARF all intact), extended numbering, linked
 * files (allocated sections keep their place), and the atomic on-disk write.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ElfFile, rewriteElf, setSection } from "../../src/elf/index.js";
import { dumpUnit, dwarfFromElf } from "../../src/dwarf/index.js";
import { writeElfSection } from "../../src/io/elf-write.js";
import { isBtfError } from "../../src/internal/errors.js";
import { fixture } from "../fixtures/dwarf/helpers.js";

/** Everything a consumer reads from `elf`, by section index: must survive a rewrite. */
function snapshot(elf: ElfFile, skip: Set<number>, count = elf.sections.length): unknown {
  return {
    type: elf.type,
    machine: elf.machine,
    sections: elf.sections.slice(0, count).map((s) => (skip.has(s.index) ? s.name : { name: s.name, type: s.type, flags: s.flags, addr: s.addr, size: s.size, link: s.link, info: s.info, align: s.addralign, entsize: s.entsize, data: Buffer.from(elf.sectionData(s)).toString("base64") })),
    symbols: elf.symbols(),
    relocations: elf.sections.filter((s) => s.type === 4 || s.type === 9).map((s) => elf.relocations(elf.sections[s.info]!)),
  };
}

function dwarfText(elf: ElfFile): string {
  const lines: string[] = [];
  for (const u of dwarfFromElf(elf).units()) dumpUnit(u, (l) => lines.push(l));
  return lines.join("\n");
}

/** A valid BTF blob changed by appending a string to its string section. */
function modifiedBtf(btf: Uint8Array, extra: string): Uint8Array {
  const add = new TextEncoder().encode(extra + "\0");
  const out = new Uint8Array(btf.length + add.length);
  out.set(btf);
  out.set(add, btf.length);
  const dv = new DataView(out.buffer);
  const le = dv.getUint16(0, true) === 0xeb9f;
  const hdr = dv.getUint32(4, le);
  const strOff = dv.getUint32(16, le);
  const strLen = dv.getUint32(20, le);
  assert.equal(hdr + strOff + strLen, btf.length, "string section last");
  dv.setUint32(20, strLen + add.length, le);
  return out;
}

test("setSection() adds .BTF to a gcc object and leaves everything else readable as before", () => {
  const before = new ElfFile(fixture("types-gcc-dw5-O0.o"));
  assert.equal(before.section(".BTF"), undefined);
  const btf = modifiedBtf(new ElfFile(fixture("crc7.ko")).sectionData(".BTF"), "x");
  const after = new ElfFile(setSection(before, ".BTF", btf));
  const sec = after.section(".BTF")!;
  assert.equal(sec.index, before.sections.length, "appended after the existing sections");
  assert.deepEqual([sec.type, sec.flags, sec.addralign], [1, 0, 1], "PROGBITS, not allocated, like objcopy --add-section");
  assert.deepEqual(after.sectionData(sec), btf);
  const shstr = new Set([before.shstrndx]);
  assert.deepEqual(snapshot(after, shstr, before.sections.length), snapshot(before, shstr));
  assert.equal(dwarfText(after), dwarfText(before));
  // Replacing it again (other size) keeps the index.
  const again = new ElfFile(setSection(after, ".BTF", btf.subarray(0, 24 + 8)));
  assert.equal(again.section(".BTF")!.index, sec.index);
  assert.equal(again.sectionData(".BTF").length, 32);
  assert.deepEqual(snapshot(again, new Set([sec.index])), snapshot(after, new Set([sec.index])));
});

test("setSection() replaces the .BTF of a kernel module with a larger one, in place", () => {
  const ko = new ElfFile(fixture("crc7.ko"));
  const old = ko.section(".BTF")!;
  const btf = modifiedBtf(ko.sectionData(old), "btfkit_was_here");
  const out = setSection(ko, ".BTF", btf);
  const back = new ElfFile(out);
  assert.equal(back.sections.length, ko.sections.length);
  assert.equal(back.section(".BTF")!.index, old.index);
  assert.deepEqual(back.sectionData(".BTF"), btf);
  assert.deepEqual(snapshot(back, new Set([old.index])), snapshot(ko, new Set([old.index])));
  assert.equal(dwarfText(back), dwarfText(ko));
  // The same contents again give back the original file, byte for byte.
  assert.deepEqual(setSection(ko, ".BTF", ko.sectionData(old)), ko.bytes);
});

test("setSection() keeps allocated sections of a linked file in place and refuses to resize them", () => {
  const exe = new ElfFile(fixture("types-gcc-dw5-O0.linked"));
  const text = exe.section(".text")!;
  const btf = new Uint8Array(100).fill(7);
  const out = new ElfFile(setSection(exe, ".BTF", btf));
  for (const s of exe.sections.filter((x) => x.flags & 2)) assert.equal(out.sections[s.index]!.offset, s.offset, `${s.name} stays`);
  assert.deepEqual(out.bytes.subarray(0, exe.phoff + exe.phnum * exe.phentsize), exe.bytes.subarray(0, exe.phoff + exe.phnum * exe.phentsize).map((b, i) => (i >= 40 && i < 64 ? out.bytes[i]! : b)), "program headers unchanged");
  const same = new Uint8Array(text.size).fill(0x90);
  assert.deepEqual(new ElfFile(setSection(exe, ".text", same)).sectionData(".text"), same);
  assert.throws(
    () => setSection(exe, ".text", new Uint8Array(text.size + 1)),
    (e: unknown) => isBtfError(e) && e.code === "UNSUPPORTED",
  );
});

test("rewriteElf() refuses to replace a section that relocations apply to", () => {
  const obj = new ElfFile(fixture("types-gcc-dw5-O0.o"));
  assert.throws(
    () => rewriteElf(obj, { replace: new Map([[obj.section(".debug_info")!.index, new Uint8Array(4)]]) }),
    (e: unknown) => isBtfError(e) && e.code === "UNSUPPORTED",
  );
});

test("writeElfSection() writes atomically in place (keeping the mode) or to another file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "btfkit-elfw-"));
  try {
    const path = join(dir, "crc7.ko");
    writeFileSync(path, fixture("crc7.ko"));
    chmodSync(path, 0o750);
    const btf = modifiedBtf(new ElfFile(fixture("crc7.ko")).sectionData(".BTF"), "in_place");
    await writeElfSection(path, ".BTF", btf);
    assert.equal(statSync(path).mode & 0o777, 0o750);
    assert.deepEqual(new ElfFile(new Uint8Array(readFileSync(path))).sectionData(".BTF"), btf);
    const other = join(dir, "out.o");
    writeFileSync(join(dir, "in.o"), fixture("types-gcc-dw4-m32.o"));
    await writeElfSection(join(dir, "in.o"), ".BTF", btf, { output: other });
    assert.deepEqual(new ElfFile(new Uint8Array(readFileSync(other))).sectionData(".BTF"), btf);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, "in.o"))), fixture("types-gcc-dw4-m32.o"), "input untouched");
    await assert.rejects(writeElfSection(join(dir, "missing.o"), ".BTF", btf), (e: unknown) => isBtfError(e) && e.code === "IO");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
