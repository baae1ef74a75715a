/**
 * The loader's direct reading of plain members (CuLoader.newPlainMember: type and
 * location read at the offsets their abbreviation fixes) against its general reading
 * through the DIE cursor: the same fragments, or the same failure, on the fixture
 * objects and on random mutations of their `.debug_info` and `.debug_abbrev`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ElfFile } from "../../src/elf/index.js";
import { DwarfFile, dwarfFromElf, type DwarfSectionName } from "../../src/dwarf/index.js";
import { CuLoader, compileUnits, elfContext, encodeOne, resolveFeatures, type UnitContext } from "../../src/encode/index.js";
import { isBtfError } from "../../src/internal/errors.js";
import { fixture } from "../fixtures/dwarf/helpers.js";
import { rng } from "../helpers/fuzz-core.js";

const TARGETS = ["types-gcc-dw5-O0.o", "types-gcc-dw4-O0.o", "types-clang-dw5-O0.o", "types-gcc-dw4-m32.o", "types-gcc-dw5-dwarf64.o", "types-clang-ppc64-O0.o", "params-gcc-dw4-O2.o"];
const SECTIONS: DwarfSectionName[] = [".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str", ".debug_str_offsets", ".debug_addr", ".debug_loclists", ".debug_loc", ".debug_rnglists", ".debug_ranges"];
const SEED = Number(process.env.BTFKIT_FUZZ_SEED ?? Date.now() % 2 ** 31);

/** Every unit's fragment words (or its error message), and how many members were read directly. */
function encodeAll(le: boolean, machine: number, secs: Map<DwarfSectionName, Uint8Array>, ctx: UnitContext, direct: boolean): { out: string; direct: number } {
  const loader = new CuLoader({ machine, littleEndian: le, features: ctx.features, directMembers: direct });
  const out: string[] = [];
  try {
    for (const u of compileUnits(new DwarfFile({ littleEndian: le, section: (n) => secs.get(n) }))) {
      try {
        const f = encodeOne(loader, u, ctx);
        out.push(`${Array.from(f.words).join(",")}|${Array.from(f.strKeys).join(",")}`);
      } catch (e) {
        if (!isBtfError(e)) throw e;
        out.push(`error: ${e.message}`);
      }
    }
  } catch (e) {
    if (!isBtfError(e)) throw e;
    out.push(`error: ${e.message}`);
  }
  return { out: out.join("\n"), direct: loader.membersDirect };
}

function setup(name: string) {
  const elf = new ElfFile(fixture(name));
  const features = resolveFeatures(undefined);
  const ectx = elfContext(elf, features);
  const dwarf = dwarfFromElf(elf);
  const secs = new Map<DwarfSectionName, Uint8Array>();
  for (const n of SECTIONS) {
    const b = dwarf.sectionData(n);
    if (b) secs.set(n, b);
  }
  const ctx: UnitContext = { features, functions: ectx.functions, sections: ectx.sections, objects: ectx.objects };
  return { le: elf.littleEndian, machine: elf.machine, secs, ctx };
}

test("plain members read directly: the same fragments as through the cursor (fixtures)", () => {
  for (const name of TARGETS) {
    const { le, machine, secs, ctx } = setup(name);
    const a = encodeAll(le, machine, secs, ctx, true);
    const b = encodeAll(le, machine, secs, ctx, false);
    // The struct fixtures of gcc and clang have plain members (64-bit DWARF's `strp`
    // offsets are left unfixed by the abbreviation table: none are read directly there).
    if (/^types-(gcc|clang)-dw[45]-O0/.test(name)) assert.ok(a.direct > 0, `${name}: some members are read directly`);
    assert.equal(b.direct, 0);
    assert.equal(a.out, b.out, name);
  }
});

test(`plain members read directly: the same fragments or failures on mutated DWARF (seed ${SEED})`, () => {
  const r = rng(SEED);
  const sets = TARGETS.map(setup);
  let direct = 0;
  for (let run = 0; run < 150; run++) {
    const { le, machine, secs, ctx } = sets[run % sets.length]!;
    const pick: DwarfSectionName = r() < 0.75 ? ".debug_info" : ".debug_abbrev";
    const orig = secs.get(pick)!;
    const m = orig.slice();
    for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) {
      const p = Math.floor(r() * m.length);
      const k = r();
      m[p] = k < 0.3 ? 0 : k < 0.5 ? 0xff : k < 0.7 ? m[p]! ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256);
    }
    const copy = new Map(secs);
    copy.set(pick, r() < 0.05 ? m.subarray(0, Math.floor(r() * m.length)) : m);
    const a = encodeAll(le, machine, copy, ctx, true);
    const b = encodeAll(le, machine, copy, ctx, false);
    direct += a.direct;
    assert.equal(a.out, b.out, `run ${run} (${pick}, seed ${SEED})`);
  }
  assert.ok(direct > 0);
});
