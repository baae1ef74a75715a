/** ElfFile and ELF containers: 32/64-bit, both byte orders, compressed sections, damage. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { zlibSync } from "fflate";
import { ElfFile, isElf } from "../../src/elf/index.js";
import { dumpRaw, extractBtfBytes, loadBtf, parseBtf } from "../../src/btf/index.js";
import { buildElf, zstdStored } from "../helpers/elf-asm.js";
import { swapEndian } from "../helpers/btf-asm.js";
import { throwsBtf, rejectsBtf } from "../helpers/assert-btf.js";
import { readFixture } from "../helpers/fixtures.js";

const KINDS = readFixture("c/kinds.btf");
const KINDS_RAW = Buffer.from(readFixture("c/kinds.raw.txt")).toString("utf8");
const eq = (a: Uint8Array, b: Uint8Array, msg?: string) => assert.ok(Buffer.from(a).equals(Buffer.from(b)), msg ?? "bytes differ");

test("ElfFile reads gcc's 64-bit little-endian object and its .BTF section", () => {
  const elf = new ElfFile(readFixture("c/kinds.o"));
  assert.ok(elf.is64);
  assert.ok(elf.littleEndian);
  assert.equal(elf.type, 1);
  assert.equal(elf.machine, 62);
  const names = elf.sections.map((s) => s.name);
  for (const n of ["", ".text", ".data", ".bss", ".BTF", ".symtab", ".strtab", ".shstrtab"]) assert.ok(names.includes(n), n);
  eq(elf.sectionData(".BTF"), KINDS);
  assert.equal(elf.sections.find((s) => s.name === ".BTF")!.index, names.indexOf(".BTF"));
});

test("ElfFile reads gcc -m32's ELFCLASS32 object", () => {
  const elf = new ElfFile(readFixture("c/kinds.m32.o"));
  assert.ok(!elf.is64);
  assert.equal(elf.machine, 3);
  eq(elf.sectionData(".BTF"), readFixture("c/kinds.m32.btf"));
});

for (const bits of [32, 64] as const) {
  for (const endian of ["little", "big"] as const) {
    test(`a ${bits}-bit ${endian}-endian ELF yields its .BTF, which parses to the golden types`, async () => {
      const btf = endian === "big" ? swapEndian(KINDS) : KINDS;
      const file = buildElf({ bits, endian, sections: [{ name: ".text", data: new Uint8Array(16) }, { name: ".BTF", data: btf }, { name: ".BTF.ext", data: new Uint8Array(8) }] });
      const elf = new ElfFile(file);
      assert.equal(elf.is64, bits === 64);
      assert.equal(elf.littleEndian, endian === "little");
      eq(elf.sectionData(".BTF"), btf);
      const got = await extractBtfBytes(file);
      assert.equal(got.source, "elf");
      const parsed = await loadBtf(file);
      assert.equal(parsed.endian, endian);
      assert.equal(dumpRaw(parsed), KINDS_RAW);
    });
  }
}

test("an ELF without .BTF is NOT_FOUND, from the fixture and from a hand-made file", async () => {
  await rejectsBtf(extractBtfBytes(readFixture("elf/nobtf.o")), "NOT_FOUND", /no \.BTF section/);
  await rejectsBtf(loadBtf(buildElf({ sections: [{ name: ".text", data: new Uint8Array(4) }] })), "NOT_FOUND", /no \.BTF/);
  await rejectsBtf(loadBtf(buildElf({ sections: [], noSectionHeaders: true })), "NOT_FOUND", /no \.BTF/);
  const elf = new ElfFile(readFixture("elf/nobtf.o"));
  throwsBtf(() => elf.sectionData(".BTF"), "NOT_FOUND", /no \.BTF section/);
  assert.equal(elf.section(".BTF"), undefined);
});

test("SHF_COMPRESSED .BTF sections made by objcopy (zlib, zstd, 32-bit zlib) are inflated", () => {
  for (const [f, want] of [["elf/kinds.zlib.o", "c/kinds.btf"], ["elf/kinds.zstd.o", "c/kinds.btf"], ["elf/kinds.m32.zlib.o", "c/kinds.m32.btf"]] as const) {
    const elf = new ElfFile(readFixture(f));
    const sec = elf.section(".BTF")!;
    assert.ok(sec.flags & 0x800, `${f} .BTF is compressed`);
    eq(elf.sectionData(sec), readFixture(want), f);
  }
});

for (const bits of [32, 64] as const) {
  for (const endian of ["little", "big"] as const) {
    test(`hand-made ${bits}-bit ${endian}-endian ELF with zlib- and zstd-compressed .BTF`, async () => {
      for (const [type, data] of [[1, zlibSync(KINDS)], [2, zstdStored(KINDS)]] as const) {
        const file = buildElf({ bits, endian, sections: [{ name: ".BTF", data, compress: { type, size: KINDS.length } }] });
        eq(new ElfFile(file).sectionData(".BTF"), KINDS);
        assert.equal(dumpRaw(await loadBtf(file)), KINDS_RAW);
      }
    });
  }
}

test("compressed sections: unknown type is UNSUPPORTED; corrupt data, wrong size, short header are MALFORMED", () => {
  const mk = (data: Uint8Array, type: number, size = KINDS.length) => new ElfFile(buildElf({ sections: [{ name: ".BTF", data, compress: { type, size } }] }));
  throwsBtf(() => mk(zlibSync(KINDS), 3).sectionData(".BTF"), "UNSUPPORTED", /unknown compression type 3/);
  const bad = zlibSync(KINDS);
  bad.fill(0x55, 10, 40);
  throwsBtf(() => mk(bad, 1).sectionData(".BTF"), "MALFORMED", /cannot decompress/);
  throwsBtf(() => mk(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 2).sectionData(".BTF"), "MALFORMED", /cannot decompress/);
  throwsBtf(() => mk(zlibSync(KINDS), 1, KINDS.length + 1).sectionData(".BTF"), "MALFORMED", /decompressed to \d+ bytes, header says \d+/);
  const short = new ElfFile(buildElf({ sections: [{ name: ".BTF", data: new Uint8Array(8), flags: 0x800 }] }));
  throwsBtf(() => short.sectionData(".BTF"), "MALFORMED", /too short/);
});

test("ElfFile rejects a truncated header, a bad class, a bad data encoding", () => {
  const good = buildElf({ sections: [{ name: ".BTF", data: KINDS }] });
  throwsBtf(() => new ElfFile(good.subarray(0, 40)), "MALFORMED", /truncated ELF header/);
  throwsBtf(() => new ElfFile(good.subarray(0, 60)), "MALFORMED", /truncated ELF header/);
  const c = good.slice();
  c[4] = 3;
  throwsBtf(() => new ElfFile(c), "MALFORMED", /bad ELF class 3/);
  const d = good.slice();
  d[5] = 0;
  throwsBtf(() => new ElfFile(d), "MALFORMED", /bad ELF data encoding 0/);
  throwsBtf(() => new ElfFile(KINDS), "MALFORMED", /not an ELF file/);
  assert.ok(isElf(good));
  assert.ok(!isElf(good.subarray(0, 3)));
});

test("ElfFile rejects section headers past the end and a too small section header size", () => {
  const good = buildElf({ sections: [{ name: ".BTF", data: KINDS }] });
  const dv = new DataView(good.buffer);
  const t1 = good.slice();
  new DataView(t1.buffer).setBigUint64(40, BigInt(good.length - 10), true);
  throwsBtf(() => new ElfFile(t1), "MALFORMED", /section headers past the end/);
  const t2 = good.slice();
  new DataView(t2.buffer).setUint16(60, 200, true);
  throwsBtf(() => new ElfFile(t2), "MALFORMED", /section headers \(200\) past the end/);
  const t3 = good.slice();
  new DataView(t3.buffer).setUint16(58, 20, true);
  throwsBtf(() => new ElfFile(t3), "MALFORMED", /section header size 20 too small/);
  const t4 = good.slice();
  new DataView(t4.buffer).setBigUint64(40, 1n << 60n, true);
  throwsBtf(() => new ElfFile(t4), "MALFORMED", /too large/);
  assert.equal(dv.getUint16(60, true), 3);
});

test("ElfFile rejects section data past the end of the file, in both ELF classes", () => {
  for (const bits of [32, 64] as const) {
    const f = buildElf({ bits, sections: [{ name: ".BTF", data: KINDS, size: 1 << 20 }] });
    throwsBtf(() => new ElfFile(f).sectionData(".BTF"), "MALFORMED", /runs past the end of the file/);
  }
});

test("ElfFile gives SHT_NOBITS sections as empty, and a .BTF of NOBITS then fails to parse as BTF", async () => {
  const f = buildElf({ sections: [{ name: ".BTF", data: new Uint8Array(0), type: 8, size: 4096 }] });
  assert.equal(new ElfFile(f).sectionData(".BTF").length, 0);
  await rejectsBtf(loadBtf(f), "MALFORMED", /empty/);
});

test("ElfFile reads extended section numbering (e_shnum 0: count in section 0)", () => {
  const f = buildElf({ sections: [{ name: ".a", data: new Uint8Array(4) }, { name: ".BTF", data: KINDS }] });
  const dv = new DataView(f.buffer);
  const shoff = Number(dv.getBigUint64(40, true));
  dv.setUint16(60, 0, true); // e_shnum = 0 -> sh_size of section 0
  dv.setBigUint64(shoff + 32, 4n, true);
  dv.setUint16(62, 0xffff, true); // e_shstrndx = SHN_XINDEX -> sh_link of section 0
  dv.setUint32(shoff + 40, 3, true);
  const elf = new ElfFile(f);
  assert.equal(elf.sections.length, 4);
  eq(elf.sectionData(".BTF"), KINDS);
});

test("ElfFile tolerates a section name table that is missing or out of range (names become empty)", () => {
  const f = buildElf({ sections: [{ name: ".BTF", data: KINDS }] });
  const dv = new DataView(f.buffer);
  dv.setUint16(62, 40, true); // e_shstrndx out of range
  const elf = new ElfFile(f);
  assert.ok(elf.sections.every((s) => s.name === ""));
  assert.equal(elf.section(".BTF"), undefined);
});

test("ElfFile reads a very long section name without overflowing the stack", () => {
  const long = ".BTF" + "x".repeat(300000);
  const f = buildElf({ sections: [{ name: long, data: KINDS }, { name: ".BTF", data: KINDS }] });
  const elf = new ElfFile(f);
  assert.equal(elf.sections[1]!.name, long);
  eq(elf.sectionData(".BTF"), KINDS);
});
