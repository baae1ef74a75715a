/**
 * Mutation fuzzing of the ELF and DWARF readers: random byte changes and
 * truncations of the fixture objects (whole files, and the DWARF sections alone)
 * may only ever raise a BtfError, never a RangeError/TypeError or a hang.
 *
 * Time-bounded (BTFKIT_FUZZ_MS per target, default 1500 ms) and seeded
 * (BTFKIT_FUZZ_SEED, default: time). A failing input is written to the system temp
 * directory and its name printed; inputs kept under test/fixtures/dwarf/fuzz/ are
 * replayed on every run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ElfFile, readRelocations, setSection, SHT_REL, SHT_RELA } from "../../src/elf/index.js";
import { DW_AT, DwarfFile, dwarfFromElf, type DieCursor, type DwarfSectionName, type LocationEntry } from "../../src/dwarf/index.js";
import { isBtfError } from "../../src/internal/errors.js";
import { DWARF_FIXTURES, fixture } from "../fixtures/dwarf/helpers.js";

const BUDGET = Number(process.env.BTFKIT_FUZZ_MS ?? 1500);
const SEED = Number(process.env.BTFKIT_FUZZ_SEED ?? Date.now() % 2 ** 31);
const CORPUS = join(DWARF_FIXTURES, "fuzz");

/** xorshift32: a small seeded generator. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Read everything a consumer would. */
function exerciseDwarf(dwarf: DwarfFile): void {
  for (const u of dwarf.units()) {
    const c = u.cursor();
    while (c.next()) {
      c.attributes();
      if (c.has(DW_AT.location)) sameLocations(c);
      c.ranges();
      c.origin(DW_AT.name);
      if (c.depth === 1 && c.hasChildren && c.offset % 3 === 0) c.skipChildren();
    }
    void u.baseAddress;
  }
}

/**
 * `visitLocations` (no addresses, the encoder's reading) sees the expressions
 * `locations` returns, and fails where and as it fails.
 */
function sameLocations(c: DieCursor): void {
  let want: LocationEntry[] | undefined;
  let wantErr: unknown;
  try {
    want = c.locations(DW_AT.location);
  } catch (e) {
    wantErr = e;
  }
  const got: number[][] = [];
  let present = false;
  let gotErr: unknown;
  try {
    present = c.visitLocations(DW_AT.location, { addresses: false, entry: (d, s, e) => void got.push(Array.from(d.subarray(s, e))) });
  } catch (e) {
    gotErr = e;
  }
  assert.equal((gotErr as Error | undefined)?.message, (wantErr as Error | undefined)?.message, "the same failure");
  if (wantErr) throw wantErr;
  assert.equal(present, want !== undefined);
  if (want) assert.deepEqual(got, want.map((l) => Array.from(l.expr)));
}

function exerciseElf(bytes: Uint8Array): void {
  const elf = new ElfFile(bytes);
  elf.symbols();
  for (const s of elf.sections) if (s.type === SHT_REL || s.type === SHT_RELA) readRelocations(elf, s);
  exerciseDwarf(dwarfFromElf(elf));
  setSection(elf, ".BTF", new Uint8Array(32));
}

function expectOnlyBtfErrors(run: () => void, input: Uint8Array, what: string): void {
  try {
    run();
  } catch (e) {
    if (isBtfError(e)) return;
    const file = join(tmpdir(), `btfkit-fuzz-${what}-${Date.now()}.bin`);
    writeFileSync(file, input);
    assert.fail(`${what}: ${(e as Error).stack ?? e}\n(input saved to ${file}; seed ${SEED})`);
  }
}

function mutate(src: Uint8Array, r: () => number, hot: [number, number][]): Uint8Array {
  const out = src.slice();
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const [a, b] = r() < 0.6 && hot.length ? hot[Math.floor(r() * hot.length)]! : [0, out.length];
    if (b <= a) continue;
    const p = a + Math.floor(r() * (b - a));
    const k = r();
    out[p] = k < 0.3 ? 0 : k < 0.5 ? 0xff : k < 0.7 ? out[p]! ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256);
  }
  if (r() < 0.05) return out.subarray(0, Math.floor(r() * out.length));
  return out;
}

const TARGETS = ["types-gcc-dw5-O0.o", "params-gcc-dw4-O2.o", "params-clang-dw5-O2.o", "types-clang-ppc64-O0.o", "types-gcc-dw4-m32.o", "types-gcc-dw5-types.o", "types-gcc-dw5-dwarf64.o"];

test(`mutated ELF files raise only BtfError (seed ${SEED})`, (t) => {
  const r = rng(SEED);
  const inputs = TARGETS.map((n) => fixture(n));
  const deadline = Date.now() + BUDGET;
  let runs = 0;
  while (Date.now() < deadline) {
    const src = inputs[runs % inputs.length]!;
    const elf = new ElfFile(src);
    // Headers and section headers are where ELF bugs hide.
    const hot: [number, number][] = [
      [0, 64],
      [elf.shoff, elf.shoff + elf.sections.length * elf.shentsize],
    ];
    const m = mutate(src, r, hot);
    expectOnlyBtfErrors(() => exerciseElf(m), m, "elf");
    runs++;
  }
  t.diagnostic(`${runs} runs`);
  assert.ok(runs > 10, `${runs} runs`);
});

const NAMES: DwarfSectionName[] = [".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str", ".debug_str_offsets", ".debug_addr", ".debug_loclists", ".debug_loc", ".debug_rnglists", ".debug_ranges", ".debug_types"];

test(`mutated DWARF sections raise only BtfError (seed ${SEED})`, (t) => {
  const r = rng(SEED ^ 0x5a5a5a5a);
  const sets = TARGETS.map((n) => {
    const elf = new ElfFile(fixture(n));
    const d = dwarfFromElf(elf);
    const secs = new Map<DwarfSectionName, Uint8Array>();
    for (const name of NAMES) {
      const b = d.sectionData(name);
      if (b) secs.set(name, b);
    }
    return { le: elf.littleEndian, secs };
  });
  const deadline = Date.now() + BUDGET;
  let runs = 0;
  while (Date.now() < deadline) {
    const { le, secs } = sets[runs % sets.length]!;
    const names = [...secs.keys()];
    // Mostly .debug_info and .debug_abbrev; sometimes the others.
    const pick = r() < 0.45 ? ".debug_info" : r() < 0.7 ? ".debug_abbrev" : names[Math.floor(r() * names.length)]!;
    const copy = new Map(secs);
    const orig = secs.get(pick);
    if (orig) copy.set(pick, mutate(orig, r, []));
    expectOnlyBtfErrors(() => exerciseDwarf(new DwarfFile({ littleEndian: le, section: (n) => copy.get(n) })), copy.get(pick) ?? new Uint8Array(0), `dwarf${pick}`);
    runs++;
  }
  t.diagnostic(`${runs} runs`);
  assert.ok(runs > 10, `${runs} runs`);
});

test("the kept fuzz corpus raises only BtfError", () => {
  if (!existsSync(CORPUS)) mkdirSync(CORPUS, { recursive: true });
  for (const f of readdirSync(CORPUS)) {
    const b = new Uint8Array(readFileSync(join(CORPUS, f)));
    expectOnlyBtfErrors(() => exerciseElf(b), b, f);
  }
});
