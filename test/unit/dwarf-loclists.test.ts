/**
 * Location lists read two ways: `readLocationList` (entries with addresses) and
 * `walkLocationList` without addresses (the encoder's parameter test), on a DWARF 5
 * `.debug_loclists` and a DWARF 4 `.debug_loc` with every entry kind, whole and cut
 * at every length; and `visitLocations` against `locations` on every fixture DIE.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DW_AT, DW_LLE, DW_OP, DwarfFile, readLocationList, walkLocationList, type DwarfUnit, type LocationEntry } from "../../src/dwarf/index.js";
import { fixtureNames, openDwarf } from "../fixtures/dwarf/helpers.js";

const uleb = (v: number): number[] => {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
const u64 = (v: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
const addrTable = [0x1000n, 0x1100n, 0x1200n];

/** A unit as the list reader sees it, on the given sections. */
function unitOn(version: number, sections: Record<string, number[]>): DwarfUnit {
  const file = new DwarfFile({
    littleEndian: true,
    section: (n) => (sections[n] ? Uint8Array.from(sections[n]!) : undefined),
  });
  return { version, addressSize: 8, offsetSize: 4, loclistsBase: -1, addrBase: 0, baseAddress: 0x400000n, file } as unknown as DwarfUnit;
}

// DWARF 5: every DW_LLE kind, each expression a different register.
const e5 = (r: number): number[] => [1, DW_OP.reg0 + r];
const v5 = [
  DW_LLE.offset_pair, ...uleb(0x10), ...uleb(0x20), ...e5(1),
  DW_LLE.base_addressx, ...uleb(1),
  DW_LLE.offset_pair, ...uleb(4), ...uleb(8), ...e5(2),
  DW_LLE.startx_endx, ...uleb(0), ...uleb(2), ...e5(3),
  DW_LLE.startx_length, ...uleb(2), ...uleb(0x300), ...e5(4),
  DW_LLE.GNU_view_pair, ...uleb(1), ...uleb(2),
  DW_LLE.default_location, ...e5(5),
  DW_LLE.base_address, ...u64(0x9000n),
  DW_LLE.offset_pair, ...uleb(1), ...uleb(2), ...e5(6),
  DW_LLE.start_end, ...u64(0x5000n), ...u64(0x5008n), ...e5(7),
  DW_LLE.start_length, ...u64(0x6000n), ...uleb(0x90), 3, DW_OP.breg0 + 7, 0x7f, DW_OP.stack_value,
  DW_LLE.end_of_list,
];
const want5: [bigint, bigint, number[]][] = [
  [0x400010n, 0x400020n, [DW_OP.reg1]],
  [0x1104n, 0x1108n, [DW_OP.reg2]],
  [0x1000n, 0x1200n, [DW_OP.reg3]],
  [0x1200n, 0x1500n, [DW_OP.reg4]],
  [0n, 2n ** 64n - 1n, [DW_OP.reg5]],
  [0x9001n, 0x9002n, [DW_OP.reg6]],
  [0x5000n, 0x5008n, [DW_OP.reg7]],
  [0x6000n, 0x6090n, [DW_OP.breg0 + 7, 0x7f, DW_OP.stack_value]],
];
// DWARF 4: a pair, a base-address selection, a pair after it, the end.
const u16 = (v: number): number[] => [v & 0xff, v >> 8];
const v4 = [
  ...u64(0x10n), ...u64(0x20n), ...u16(1), DW_OP.reg1,
  ...u64(2n ** 64n - 1n), ...u64(0x8000n),
  ...u64(0x4n), ...u64(0x6n), ...u16(2), DW_OP.reg2, DW_OP.stack_value,
  ...u64(0n), ...u64(0n),
];
const want4: [bigint, bigint, number[]][] = [
  [0x400010n, 0x400020n, [DW_OP.reg1]],
  [0x8004n, 0x8006n, [DW_OP.reg2, DW_OP.stack_value]],
];

const addrSection = addrTable.flatMap(u64);
const cases = [
  { what: "DWARF 5 .debug_loclists", version: 5, section: ".debug_loclists", list: v5, want: want5 },
  { what: "DWARF 4 .debug_loc", version: 4, section: ".debug_loc", list: v4, want: want4 },
];

function walked(unit: DwarfUnit): { exprs: number[][]; error?: string } {
  const exprs: number[][] = [];
  try {
    walkLocationList(unit, { offset: 0 }, 0, { addresses: false, entry: (d, s, e, start, end) => {
      assert.equal(start, 0n);
      assert.equal(end, 0n);
      exprs.push(Array.from(d.subarray(s, e)));
    } });
  } catch (e) {
    return { exprs, error: (e as Error).message };
  }
  return { exprs };
}

for (const c of cases) {
  test(`${c.what}: every entry kind, with and without addresses`, () => {
    const unit = unitOn(c.version, { [c.section]: c.list, ".debug_addr": addrSection });
    const got = readLocationList(unit, { offset: 0 }, 0).map((l) => [l.start, l.end, Array.from(l.expr)]);
    assert.deepEqual(got, c.want);
    assert.deepEqual(walked(unit), { exprs: c.want.map((w) => w[2]) });
  });

  test(`${c.what}: cut at every length, both readings fail alike`, () => {
    for (let n = 1; n < c.list.length; n++) {
      const unit = unitOn(c.version, { [c.section]: c.list.slice(0, n), ".debug_addr": addrSection });
      let entries: LocationEntry[] = [];
      let error: string | undefined;
      try {
        entries = readLocationList(unit, { offset: 0 }, 0);
      } catch (e) {
        error = (e as Error).message;
      }
      assert.ok(error, `cut at ${n}: no end-of-list, so an error`);
      const w = walked(unit);
      assert.equal(w.error, error, `cut at ${n}`);
      assert.deepEqual(w.exprs.slice(0, entries.length), entries.map((l) => Array.from(l.expr)));
    }
  });
}

test("a sink may walk another list from inside a walk (each walk keeps its own place)", () => {
  const u5 = unitOn(5, { ".debug_loclists": v5, ".debug_addr": addrSection });
  const u4 = unitOn(4, { ".debug_loc": v4, ".debug_addr": addrSection });
  const outer: number[][] = [];
  const inner: number[][] = [];
  walkLocationList(u5, { offset: 0 }, 0, {
    addresses: false,
    entry: (d, s, e) => {
      outer.push(Array.from(d.subarray(s, e)));
      // The nested walk, and one that fails, leave the outer walk where it was.
      walkLocationList(u4, { offset: 0 }, 0, { addresses: false, entry: (d2, s2, e2) => void inner.push(Array.from(d2.subarray(s2, e2))) });
      assert.throws(() => walkLocationList(u4, { offset: v4.length + 10 }, 0, { addresses: false, entry: () => undefined }), /offset outside/);
    },
  });
  assert.deepEqual(outer, want5.map((w) => w[2]));
  assert.deepEqual(inner, Array.from({ length: want5.length }, () => want4.map((w) => w[2])).flat());
  // And the walker is free again afterwards.
  assert.deepEqual(walked(u5), { exprs: want5.map((w) => w[2]) });
});

test("an address index outside .debug_addr fails without addresses too", () => {
  const list = [DW_LLE.startx_length, ...uleb(7), ...uleb(4), ...e5(1), DW_LLE.end_of_list];
  const unit = unitOn(5, { ".debug_loclists": list, ".debug_addr": addrSection });
  assert.throws(() => readLocationList(unit, { offset: 0 }, 0), /address index 7/);
  assert.match(walked(unit).error ?? "", /address index 7/);
});

test("visitLocations() gives the expressions locations() gives, on every fixture", () => {
  let lists = 0;
  for (const name of fixtureNames((n) => !n.endsWith(".dwo"))) {
    const dwarf = openDwarf(name);
    for (const u of dwarf.units()) {
      const c = u.cursor();
      while (c.next()) {
        if (!c.has(DW_AT.location)) continue;
        const want = c.locations(DW_AT.location);
        const got: number[][] = [];
        assert.equal(c.visitLocations(DW_AT.location, { addresses: false, entry: (d, s, e) => void got.push(Array.from(d.subarray(s, e))) }), want !== undefined);
        assert.deepEqual(got, (want ?? []).map((l) => Array.from(l.expr)), `${name} DIE ${c.offset}`);
        if (want && want.length > 1) lists++;
      }
    }
  }
  assert.ok(lists > 20, `${lists} multi-entry lists`);
});
