/**
 * The Node helpers for large inputs: reading only the DWARF sections of an ELF file
 * (sparse buffer), and walking units on worker threads (same totals as one thread).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ElfFile } from "../../src/elf/index.js";
import { dwarfFromElf } from "../../src/dwarf/index.js";
import { readElfSections, wantDwarf } from "../../src/io/elf-sparse.js";
import { walkParallel, walkUnit } from "../../src/io/dwarf-workers.js";
import { fixture, OBJ } from "../fixtures/dwarf/helpers.js";

test("readElfSections() fills in the selected sections only, at their file offsets", async () => {
  const name = "params-gcc-dw4-O2.o";
  const whole = new ElfFile(fixture(name));
  const sparse = new ElfFile(await readElfSections(join(OBJ, name), wantDwarf));
  assert.equal(sparse.sections.length, whole.sections.length);
  for (const s of whole.sections) {
    const wanted = wantDwarf(s, whole);
    const same = Buffer.compare(sparse.sectionData(sparse.sections[s.index]!), whole.sectionData(s)) === 0;
    if (wanted) assert.ok(same, `${s.name} read`);
    else if (s.size > 0 && s.type !== 8 && whole.sectionData(s).some((b) => b !== 0)) assert.ok(!same, `${s.name} not read`);
  }
  // The relocated DWARF is the same as from the whole file.
  const a = dwarfFromElf(sparse).sectionData(".debug_info")!;
  const b = dwarfFromElf(whole).sectionData(".debug_info")!;
  assert.deepEqual(a, b);
});

test("walkParallel() on 2 workers counts the same DIEs as one thread", async () => {
  for (const name of ["types-gcc-dw5-types.o", "params-clang-dw5-O2.o"]) {
    const dwarf = dwarfFromElf(new ElfFile(fixture(name)));
    let dies = 0;
    let check = 0;
    for (const u of dwarf.units()) {
      const r = walkUnit(u, "names");
      dies += r.dies;
      check += r.check;
    }
    const par = await walkParallel(join(OBJ, name), { workers: 2, mode: "names" });
    assert.deepEqual([par.units, par.dies, par.check], [dwarf.units().length, dies, check], name);
    assert.ok(dies > 50);
  }
});
