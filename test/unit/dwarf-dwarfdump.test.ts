/**
 * The DWARF reader against llvm-dwarfdump (committed goldens): strings (where
 * readelf 2.40 is wrong: clang root DIEs, .dwo files), references, resolved
 * addresses (addrx through .debug_addr), address ranges (rnglists/ranges) and
 * location lists (loclists/loc: ranges with base addresses, and the operations).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ElfFile } from "../../src/elf/index.js";
import { atName, decodeExpression, DW_AT, opName, type DieCursor, type DwarfUnit } from "../../src/dwarf/index.js";
import { dumpedRanges, fixture, fixtureNames, golden, openDwarf, parseDwarfdump } from "../fixtures/dwarf/helpers.js";

function opNames(expr: Uint8Array, u: DwarfUnit): string[] {
  const enc = { addressSize: u.addressSize, offsetSize: u.offsetSize, version: u.version, littleEndian: u.file.littleEndian };
  const out: string[] = [];
  for (const op of decodeExpression(expr, enc)) {
    out.push(opName(op.op) ?? `0x${op.op.toString(16)}`);
    if (op.block && (opName(op.op) ?? "").includes("entry_value")) out.push(...opNames(op.block, u));
  }
  return out;
}

for (const name of fixtureNames()) {
  test(`strings, references, addresses, ranges and locations of ${name} match llvm-dwarfdump`, () => {
    const dwarf = openDwarf(name);
    const elf = new ElfFile(fixture(name));
    const dies = parseDwarfdump(golden(name, "dwarfdump"));
    assert.ok(dies.length > 0, "the golden has DIEs");
    const base = (section: string, occurrence: number) =>
      elf.sections
        .filter((s) => s.name === section)
        .slice(0, occurrence)
        .reduce((n, s) => n + elf.sectionData(s).length, 0);
    const typesBase = dwarf.typesBase;
    const cursors = new Map<number, DieCursor>();
    let checked = 0;
    const problems: string[] = [];
    for (const d of dies) {
      if (problems.length > 20) break;
      const rebase = base(d.section, d.occurrence);
      const global = d.offset + rebase + (d.section.startsWith(".debug_types") ? typesBase : 0);
      let c = cursors.get(global);
      if (!c) {
        c = dwarf.dieAt(global);
        cursors.set(global, c);
      }
      const where = `${d.section}+0x${d.offset.toString(16)}`;
      const attrs = c.attributes();
      for (const a of d.attrs) {
        const at = Object.entries(DW_AT).find(([k]) => "DW_AT_" + k === a.name)?.[1];
        if (at === undefined) continue;
        const mine = attrs.find((x) => x.at === at);
        if (!mine) {
          problems.push(`${where}: no ${a.name}`);
          continue;
        }
        const str = /^\("((?:[^"\\]|\\.)*)"\)$/.exec(a.value);
        if (str && mine.cls === "string") {
          checked++;
          if (JSON.parse(`"${str[1]}"`) !== mine.value) problems.push(`${where} ${a.name}: ${JSON.stringify(mine.value)} vs ${a.value}`);
          continue;
        }
        const ref = /^\(0x([0-9a-f]+)(?: "[^"]*")?\)$/.exec(a.value);
        if (ref && mine.cls === "reference" && mine.form !== 0x20 /* ref_sig8: printed as the signature */) {
          checked++;
          const target = parseInt(ref[1]!, 16) + (mine.form === 0x10 ? 0 : rebase) + (d.section.startsWith(".debug_types") && mine.form !== 0x10 ? typesBase : 0);
          if (target !== mine.value) problems.push(`${where} ${a.name}: <0x${(mine.value as number).toString(16)}> vs ${a.value}`);
          continue;
        }
        if ((at === DW_AT.low_pc || at === DW_AT.high_pc) && !name.endsWith(".dwo")) {
          const v = /^\(0x([0-9a-f]+)\)$/.exec(a.value);
          if (!v) continue;
          checked++;
          const r = c.ranges();
          const mineV = at === DW_AT.low_pc ? r[0]?.start : r[0]?.end;
          if (mineV !== BigInt("0x" + v[1])) problems.push(`${where} ${a.name}: ${mineV} vs ${a.value}`);
          continue;
        }
        if (at === DW_AT.ranges && !name.endsWith(".dwo")) {
          checked++;
          const want = dumpedRanges(a.value).map((x) => `${x.start}-${x.end}`);
          const got = c.ranges().map((x) => `${x.start}-${x.end}`);
          if (want.join(" ") !== got.join(" ")) problems.push(`${where} ${a.name}: ${got.join(" ")} vs ${want.join(" ")}`);
          continue;
        }
        if (at === DW_AT.location && !name.endsWith(".dwo")) {
          const locs = c.locations(DW_AT.location);
          if (!locs) {
            problems.push(`${where}: location unreadable`);
            continue;
          }
          checked++;
          const want = dumpedRanges(a.value);
          if (want.length === 0) {
            // A single expression: (DW_OP_...)
            const names = a.value.match(/DW_OP_\w+/g) ?? [];
            const got = locs.length === 1 && locs[0]!.start === undefined ? opNames(locs[0]!.expr, c.unit) : ["<list>"];
            if (names.join(" ") !== got.join(" ")) problems.push(`${where} ${a.name}: ${got.join(" ")} vs ${a.value}`);
            continue;
          }
          const got = locs.map((l) => `[${l.start}, ${l.end}): ${opNames(l.expr, c.unit).join(" ")}`);
          const exp = want.map((w) => `[${w.start}, ${w.end}): ${(w.rest.match(/DW_OP_\w+/g) ?? []).join(" ")}`);
          if (got.join("\n") !== exp.join("\n")) problems.push(`${where} ${a.name}:\n${got.join("\n")}\nvs\n${exp.join("\n")}`);
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked > 0, "some values were compared");
    void atName;
  });
}
