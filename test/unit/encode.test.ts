/**
 * The DWARF -> BTF encoder against pahole 1.30: every committed fixture object
 * (gcc and clang, -O0 and -O2, DWARF 4 and 5; see test/fixtures/encode/build.sh)
 * encodes to pahole's bytes, before dedup (dedup-spy captures) and after; feature
 * sets and split BTF too. Also the pieces whose exact behaviour pahole's output
 * depends on (glibc's sort and search, the ELF function table), and the failures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { BtfError, ElfFile, dumpRaw, parseBtf, PipelinedDedup, writeBtf } from "../../src/index.js";
import fc from "fast-check";
import { encodeBtf, parseFeatures, defaultFeatures, ElfFunctions, msort, bsearch, compileUnits, mergesUnits } from "../../src/encode/index.js";
import { FunctionNameTable, NO_NAME, ObjectSymbols, sortByFunctionName, sortFunctionNameBytes } from "../../src/encode/elf-info.js";
import { shareStrings } from "../../src/io/shared-strings.js";
import { readSymbolTable } from "../../src/elf/symbols.js";
import { strcmp, strncmp } from "../../src/encode/libc.js";
import { dwarfFromElf } from "../../src/dwarf/elf-dwarf.js";
import { encodeFile, workerUnitContext } from "../../src/io/encode-workers.js";
import { WarmUp, warmUpElf, warmUpEncoder } from "../../src/encode/warmup.js";
import { FIXTURES } from "../helpers/paths.js";

const DIR = join(FIXTURES, "encode");
const OBJ = join(DIR, "obj");
const GOLD = join(DIR, "golden");
const objPath = (name: string): string => join(OBJ, `${name}.o`);
const elfOf = (name: string): ElfFile => new ElfFile(new Uint8Array(readFileSync(objPath(name))));
const golden = (file: string): Uint8Array => new Uint8Array(readFileSync(join(GOLD, file)));

/** Equal bytes, or a failure naming the first differing line of the raw dumps. */
function assertSameBtf(got: Uint8Array, want: Uint8Array, what: string, base?: ReturnType<typeof parseBtf>): void {
  if (got.length === want.length && got.every((b, i) => b === want[i])) return;
  const g = dumpRaw(parseBtf(got, { validate: false, base })).split("\n");
  const w = dumpRaw(parseBtf(want, { validate: false, base })).split("\n");
  const i = g.findIndex((l, k) => l !== w[k]);
  assert.fail(`${what}: ${got.length} bytes, pahole ${want.length}; first difference at dump line ${i + 1}:\n  btfkit: ${g[i]}\n  pahole: ${w[i]}`);
}

/** Every object with a pahole golden (the error fixtures have none). */
const objects = readdirSync(OBJ)
  .filter((f) => f.endsWith(".o") && existsSync(join(GOLD, `${f.slice(0, -2)}.btf`)))
  .map((f) => f.slice(0, -2))
  .sort();

test("encode fixtures: the set covers both compilers, both levels, DWARF 4 and 5", () => {
  assert.ok(objects.length >= 20, `${objects.length} fixture objects`);
  for (const cc of ["gcc", "clang"]) for (const o of ["O0", "O2"]) for (const d of ["dw4", "dw5"]) assert.ok(objects.includes(`types-${cc}-${o}-${d}`));
});

for (const name of objects) {
  test(`encode ${name}: byte-identical to pahole 1.30 -J --btf_features=default`, () => {
    const btf = encodeBtf(elfOf(name));
    assertSameBtf(writeBtf(btf), golden(`${name}.btf`), name);
    assert.equal(dumpRaw(btf), readFileSync(join(GOLD, `${name}.raw.txt`), "utf8"));
  });
  if (existsSync(join(GOLD, `${name}.in.btf`))) {
    test(`encode ${name}: before dedup, identical to the BTF pahole hands to btf__dedup`, () => {
      assertSameBtf(writeBtf(encodeBtf(elfOf(name), { dedup: false })), golden(`${name}.in.btf`), `${name} (pre-dedup)`);
    });
  }
}

for (const file of readdirSync(GOLD).filter((f) => f.includes("@") && f.endsWith(".btf"))) {
  const [name, features] = file.slice(0, -4).split("@") as [string, string];
  const list = features.replace(/\+/g, ",").replace(/^,/, "+");
  test(`encode ${name} with --btf_features=${list}: byte-identical to pahole`, () => {
    assertSameBtf(writeBtf(encodeBtf(elfOf(name), { features: list })), golden(file), `${name}@${list}`);
  });
}

test("encode split BTF (pahole --btf_base): same split BTF as pahole, before and after dedup", () => {
  for (const [name, baseName] of [
    ["funcs-gcc-O2-dw5", "funcs-gcc-O0-dw5"],
    ["types-clang-O2-dw5", "types-gcc-O0-dw5"],
  ] as const) {
    const base = parseBtf(golden(`${baseName}.btf`));
    const split = encodeBtf(elfOf(name), { base });
    assert.equal(split.startId, base.typeCount);
    assertSameBtf(writeBtf(split), golden(`split-${name}.btf`), `split ${name}`, base);
    assert.equal(dumpRaw(split), readFileSync(join(GOLD, `split-${name}.raw.txt`), "utf8"));
    assertSameBtf(writeBtf(encodeBtf(elfOf(name), { base, dedup: false })), golden(`split-${name}.in.btf`), `split ${name} (pre-dedup)`, base);
  }
});

test("encode: the kfunc, per-CPU and cross-CU function rules show in the output", () => {
  const dump = dumpRaw(encodeBtf(elfOf("funcs-gcc-O2-dw5")));
  // kfuncs of a set8 with the KFUNCS flag are tagged; KF_FASTCALL adds bpf_fastcall.
  assert.match(dump, /FUNC 'bpf_fast_op'[^\n]*\n[^\n]*DECL_TAG 'bpf_kfunc'[^\n]*\n[^\n]*DECL_TAG 'bpf_fastcall'/);
  assert.match(dump, /FUNC 'bpf_task_release'[^\n]*\n[^\n]*DECL_TAG 'bpf_kfunc'/);
  assert.doesNotMatch(dump, /FUNC 'in_plain_set'[^\n]*\n[^\n]*DECL_TAG/);
  // helper() has two different prototypes in two CUs: left out; same_proto() kept once.
  assert.doesNotMatch(dump, /FUNC 'helper'/);
  assert.equal(dump.match(/FUNC 'same_proto'/g)?.length, 1);
  // .constprop/.isra clones are found by prefix and named after the DWARF function.
  assert.match(dump, /FUNC 'scale'/);
  // Per-CPU variables of all CUs, in one DATASEC sorted by offset.
  assert.match(dump, /DATASEC '\.data\.\.percpu' size=\d+ vlen=\d+/);
});

test("encode: the same bytes for every number of worker threads", async () => {
  for (const name of ["funcs-gcc-O2-dw5", "funcs-clang-O0-dw4"]) {
    const one = writeBtf(await encodeFile(objPath(name), { jobs: 1 }));
    // parallelMin 0: use worker threads even for these small objects.
    const tm: Record<string, number> = {};
    const three = writeBtf(await encodeFile(objPath(name), { jobs: 3, parallelMin: 0, timings: tm }));
    assertSameBtf(three, one, `${name} -j3 vs -j1`);
    // Deduplicated as the units came, a copy of a struct dropped on the way (the
    // same bytes as deduplicating the whole BTF at the end).
    assert.ok(tm["pipeline.released"]! > 0, `${name}: records dropped by the pipelined dedup`);
    assertSameBtf(writeBtf(await encodeFile(objPath(name), { jobs: 3, parallelMin: 0, pipelineDedup: false })), one, `${name} -j3 without pipelined dedup`);
    // (the threads warm V8 up first by default: the same bytes without it)
    assertSameBtf(writeBtf(await encodeFile(objPath(name), { jobs: 2, parallelMin: 0, warmUp: false })), one, `${name} -j2 without warm-up`);
    assertSameBtf(one, golden(`${name}.btf`), name);
    const pre = writeBtf(await encodeFile(objPath(name), { jobs: 2, dedup: false, parallelMin: 0 }));
    if (existsSync(join(GOLD, `${name}.in.btf`))) assertSameBtf(pre, golden(`${name}.in.btf`), `${name} -j2 pre-dedup`);
  }
});

test("encode warm-up: its ELF is the linked fixture, and it encodes and deduplicates to pahole's BTF for it", () => {
  assert.deepEqual(warmUpElf(), new Uint8Array(readFileSync(join(OBJ, "linked-gcc-O2-dw5.elf"))), "src/encode/warmup-elf.ts is stale: run scripts/warmup-elf.mjs");
  const btf = warmUpEncoder(defaultFeatures(), true);
  assert.ok(btf);
  assertSameBtf(writeBtf(btf), golden("linked-gcc-O2-dw5.btf"), "warm-up");
  // Again on the same thread (the pipelined dedup's and the loader's state start afresh).
  assertSameBtf(writeBtf(warmUpEncoder(defaultFeatures(), true)!), golden("linked-gcc-O2-dw5.btf"), "warm-up again");
  assert.equal(warmUpEncoder(defaultFeatures(), false), undefined);
  // A worker's warm-up: its units get the tables from shared memory, as its real ones do.
  let asked = 0;
  const warm = new WarmUp(defaultFeatures());
  assert.equal(warm.run(false, undefined, (e) => (asked++, workerUnitContext(defaultFeatures(), e))), undefined);
  assert.equal(asked, 1);
});

test("encode: when the pipelined dedup cannot finish (records dropped), the units are encoded again", async () => {
  // No real input is known to need it (libbpf's candidate order disagreeing, module
  // comment 2 of src/btf/dedup/pipeline.ts, or units referring to each other): the
  // pipeline is made to say so.
  const name = "funcs-gcc-O2-dw5";
  const want = writeBtf(await encodeFile(objPath(name), { jobs: 1 }));
  const proto = PipelinedDedup.prototype;
  const canFinish = Object.getOwnPropertyDescriptor(proto, "canFinish")!;
  let asked = 0;
  Object.defineProperty(proto, "canFinish", {
    ...canFinish,
    value(this: PipelinedDedup, btf: Parameters<PipelinedDedup["canFinish"]>[0]): boolean {
      asked++;
      (canFinish.value as PipelinedDedup["canFinish"]).call(this, btf);
      return false;
    },
  });
  try {
    const tm: Record<string, number> = {};
    // (warmUp false: the warm-up's own pipelined dedup would ask too)
    assertSameBtf(writeBtf(await encodeFile(objPath(name), { jobs: 2, parallelMin: 0, timings: tm, warmUp: false })), want, `${name} encoded again`);
    assert.equal(asked, 1);
    assert.ok(tm.again !== undefined, "the second encoding shows in the timings");
  } finally {
    Object.defineProperty(proto, "canFinish", canFinish);
  }
});

test("encode: a linked file's .debug_info read in windows gives pahole's bytes, for any window size and -j", async () => {
  // ET_EXEC with six CUs: encodeFile reads the unit headers, then one window of units
  // at a time (1 byte: every CU a window of its own); encodeBtf has the whole file.
  const file = join(OBJ, "linked-gcc-O2-dw5.elf");
  const want = golden("linked-gcc-O2-dw5.btf");
  assertSameBtf(writeBtf(encodeBtf(new ElfFile(new Uint8Array(readFileSync(file))))), want, "in memory");
  for (const windowBytes of [1, 4096, 1 << 30]) assertSameBtf(writeBtf(await encodeFile(file, { jobs: 1, windowBytes })), want, `windows of ${windowBytes}`);
  assertSameBtf(writeBtf(await encodeFile(file, { jobs: 2, parallelMin: 0 })), want, "-j2 (workers read their own windows)");
  assertSameBtf(writeBtf(await encodeFile(file, { jobs: 3, parallelMin: 0 })), want, "-j3");
});

test("encode: workers started early are stopped when the file stays on one thread, when encoding fails, and when the ELF-side tables fail", () => {
  // parallelMin 0 starts the workers as soon as the ELF headers are read; these inputs
  // (one CU each, the second failing) are then encoded on the calling thread. A worker
  // left running keeps the process alive: the child must exit on its own, with the
  // outcome expected.
  //
  // And a file that fails in the ELF-side tables, built while the workers already
  // decode their first units (and then wait for the tables): the kfunc file with its
  // .BTF_ids section cut right after a kfunc set's header, so that the set's kfuncs lie
  // outside it. The same error as on one thread, and no worker left waiting.
  const dir = mkdtempSync(join(tmpdir(), "btfkit-early-"));
  const bytes = new Uint8Array(readFileSync(objPath("funcs-gcc-O2-dw5")));
  const elf = new ElfFile(bytes);
  const ids = elf.section(".BTF_ids")!;
  assert.ok(elf.is64 && elf.littleEndian && ids, "an x86-64 object with .BTF_ids");
  const set = elf.symbols(elf.section(".symtab")!).find((x) => x.name.startsWith("__BTF_ID__set8__") && x.shndx === ids.index && x.size > 8)!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const shoff = Number(dv.getBigUint64(0x28, true));
  dv.setBigUint64(shoff + ids.index * dv.getUint16(0x3a, true) + 32, set.value - ids.addr + 8n, true); // sh_size
  const cut = join(dir, "cut-btf-ids.o");
  writeFileSync(cut, bytes);
  const mod = new URL("../../src/io/encode-workers.js", import.meta.url).href;
  const code = `import { encodeFile } from ${JSON.stringify(mod)};
    const one = await encodeFile(${JSON.stringify(objPath("types-clang-O0-dw5"))}, { jobs: 2, parallelMin: 0 });
    let failed = "";
    await encodeFile(${JSON.stringify(objPath("atomic-gcc"))}, { jobs: 2, parallelMin: 0 }).catch((e) => (failed = e.code));
    const tables = [];
    for (const jobs of [1, 2]) await encodeFile(${JSON.stringify(cut)}, { jobs, parallelMin: 0 }).then(() => tables.push("none"), (e) => tables.push(e.code + ": " + e.message));
    console.log(one.nrTypes > 0, failed, tables[0] === tables[1], tables[1]);`;
  // (A script file: run with \`node -e\`, the child exited even with a worker left running.)
  const script = join(dir, "child.mjs");
  writeFileSync(script, code);
  const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.signal, null, "the process did not exit by itself (a worker left running?)");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.trim(), /^true UNSUPPORTED true MALFORMED: .*outside section '\.BTF_ids'/);
});

test("encode: progress is reported once per compilation unit", () => {
  const seen: number[] = [];
  encodeBtf(elfOf("funcs-gcc-O0-dw5"), { onProgress: (done, total) => seen.push(done * 100 + total) });
  assert.deepEqual(seen, [105, 205, 305, 405, 505]);
});

test("encode: a DWARF tag without a BTF kind fails as in pahole (which writes nothing)", () => {
  assert.match(readFileSync(join(GOLD, "pahole.rc"), "utf8"), /^atomic-gcc [1-9]\d* nothing/);
  assert.throws(() => encodeBtf(elfOf("atomic-gcc")), (e: unknown) => e instanceof BtfError && e.code === "UNSUPPORTED" && /DW_TAG 0x47/.test(e.message));
});

test("encode: type units are skipped as pahole skips them (references into them are void)", () => {
  for (const name of ["typeunits-gcc-O0-dw4", "typeunits-gcc-O0-dw5", "typeunits-clang-O0-dw5"]) assert.ok(objects.includes(name), name);
  for (const name of ["typeunits-gcc-O0-dw4", "typeunits-gcc-O0-dw5"]) {
    const dump = dumpRaw(encodeBtf(elfOf(name)));
    // gcc moves struct everything into a type unit: not encoded; the pointer to it is void.
    assert.doesNotMatch(dump, /STRUCT 'everything'/);
    // percpu_list's type (struct list_head) is in a type unit: void, so no VAR.
    assert.match(dump, /VAR 'percpu_var'/);
    assert.doesNotMatch(dump, /VAR 'percpu_list'/);
  }
});

test("encode: an object with only a split-DWARF skeleton unit gives no types (pahole writes no file)", () => {
  assert.match(readFileSync(join(GOLD, "pahole.rc"), "utf8"), /^skeleton-gcc 0 nothing$/m);
  assert.equal(encodeBtf(elfOf("skeleton-gcc")).nrTypes, 0);
});

test("encode: LTO objects (cross-unit references, or the Linux LTO note) are encoded as one merged CU", () => {
  const unitsOf = (name: string) => compileUnits(dwarfFromElf(elfOf(name), { layout: "libdwfl" }));
  for (const name of ["lto-gcc-O0-dw4", "lto-gcc-O2-dw5", "ltonote-gcc-O2-dw5"]) {
    assert.ok(objects.includes(name), name);
    assert.equal(mergesUnits(elfOf(name), unitsOf(name)), true, name);
  }
  assert.equal(mergesUnits(elfOf("funcs-gcc-O2-dw5"), unitsOf("funcs-gcc-O2-dw5")), false);
  // Merged: one CU, so one progress step covering all units.
  const seen: string[] = [];
  encodeBtf(elfOf("ltonote-gcc-O2-dw5"), { onProgress: (d, t) => seen.push(`${d}/${t}`) });
  assert.deepEqual(seen, ["4/4"]);
});

test("encode: an object without DWARF is refused with a clear error", () => {
  const elf = new ElfFile(new Uint8Array(readFileSync(join(FIXTURES, "elf", "nobtf.o"))));
  assert.throws(() => encodeBtf(elf), (e: unknown) => e instanceof BtfError && e.code === "NOT_FOUND" && /no DWARF/.test(e.message));
});

test("features: parsed as pahole's --btf_features (default set, +extras, exact lists, unknown names)", () => {
  const d = defaultFeatures();
  assert.deepEqual(parseFeatures("default").features, d);
  assert.equal(d.globalVar, false);
  assert.equal(d.float && d.var && d.enum64 && d.declTag && d.typeTag && d.optimizedFunc && d.consistentFunc && d.declTagKfuncs && d.encodeForce, true);
  const plus = parseFeatures("+global_var").features;
  assert.deepEqual(plus, { ...d, globalVar: true });
  const only = parseFeatures("var,float,bogus").features;
  assert.equal(only.var && only.float, true);
  assert.equal(only.enum64 || only.declTag || only.consistentFunc, false);
  assert.deepEqual(parseFeatures("var,float,bogus").unknown, ["bogus"]);
  // Known to pahole but not available with libbpf 1.5: silently off.
  assert.deepEqual(parseFeatures("attributes,distilled_base").unknown, []);
  assert.equal(parseFeatures("default,global_var").features.globalVar, true);
});

test("msort: glibc's stable top-down merge sort", () => {
  const a = [5, 1, 4, 1, 5, 9, 2, 6, 5, 3].map((v, i) => ({ v, i }));
  msort(a, (x, y) => x.v - y.v);
  assert.deepEqual(a.map((x) => x.v), [1, 1, 2, 3, 4, 5, 5, 5, 6, 9]);
  // Stable: equal keys keep their input order.
  assert.deepEqual(a.filter((x) => x.v === 5).map((x) => x.i), [0, 4, 8]);
  assert.equal(bsearch(6, a, (k, x) => k - x.v), 8);
  assert.equal(bsearch(7, a, (k, x) => k - x.v), -1);
});

test("sortByFunctionName: msort's permutation under pahole's functions_cmp (not a total order)", () => {
  // pahole's functions_cmp, restated: the prefix up to the first '.' when both prefixes
  // are as long, else the whole names.
  const cmp = (a: { name: string; prefixlen: number }, b: { name: string; prefixlen: number }): number =>
    a.prefixlen && a.prefixlen === b.prefixlen ? strncmp(a.name, b.name, b.prefixlen) : strcmp(a.name, b.name);
  // Few letters, dots and dashes: many names equal by prefix, and intransitive triples
  // ("ab" = "ab.x", "ab" < "ab-", "ab.x" > "ab-").
  const name = fc.stringMatching(/^[ab][ab.-]{0,4}$/);
  fc.assert(
    fc.property(fc.array(name, { maxLength: 60 }), (names) => {
      const entries = names.map((n, i) => ({ name: n, prefixlen: n.indexOf(".") >= 0 ? n.indexOf(".") : n.length, i }));
      const want = msort(entries.slice(), cmp).map((e) => e.i);
      const got = sortByFunctionName(Int32Array.from(names, (_, i) => i), names, Int32Array.from(entries, (e) => e.prefixlen));
      assert.deepEqual(Array.from(got), want);
      // And the saved functions' sort, by entry.
      const f = new ElfFunctions(entries, 0);
      const items = names.map((_, i) => ({ entry: (i * 7) % names.length, i }));
      const order = f.orderByEntry(Int32Array.from(items, (x) => x.entry));
      assert.deepEqual(Array.from(order, (i) => items[i]!), msort(items.slice(), (a, b) => f.compare(a.entry, b.entry)));
    }),
    { numRuns: 300 },
  );
});

test("object symbols: the (section, name) pairs of STT_OBJECT symbols, as a set of strings would have them", () => {
  const sym = (name: string, shndx: number, type: number) => ({ index: 0, name, value: 0n, size: 0, type, bind: 0, visibility: 0, rawShndx: shndx, shndx });
  const nameArb = fc.oneof(fc.constantFrom("", "a", "ab", "jiffies", "é", "x.y"), fc.string({ maxLength: 6 }).filter((x) => !x.includes("\0")));
  fc.assert(
    fc.property(fc.array(fc.tuple(nameArb, fc.integer({ min: 0, max: 4 }), fc.constantFrom(1, 1, 2)), { maxLength: 80 }), fc.array(fc.tuple(nameArb, fc.integer({ min: 0, max: 4 })), { maxLength: 20 }), (syms, probes) => {
      const want = new Set(syms.filter(([, , t]) => t === 1).map(([n, sh]) => `${sh}:${n}`));
      const o = new ObjectSymbols(syms.map(([n, sh, t]) => sym(n, sh, t)));
      const again = new ObjectSymbols(o.parts()); // as a worker rebuilds it
      for (const [n, sh] of [...syms.map(([n, sh]) => [n, sh] as const), ...probes]) {
        assert.equal(o.has(n, sh), want.has(`${sh}:${n}`), `${sh}:${n}`);
        assert.equal(again.has(n, sh), want.has(`${sh}:${n}`));
      }
    }),
    { numRuns: 300 },
  );
});

test("object symbols: read from a symbol table in place, the same set as from symbol objects", () => {
  for (const name of ["types-gcc-dw5-O0.linked", "params-gcc-dw4-O2.linked"]) {
    const elf = new ElfFile(new Uint8Array(readFileSync(join(FIXTURES, "dwarf", "obj", name))));
    const sec = elf.section(".symtab")!;
    const objs = elf.symbols(sec).filter((x) => x.type === 1);
    assert.ok(objs.length > 0, name);
    const a = new ObjectSymbols(readSymbolTable(elf, sec));
    const b = new ObjectSymbols(elf.symbols(sec));
    for (const x of objs) assert.ok(a.has(x.name, x.shndx) && b.has(x.name, x.shndx), x.name);
    for (const x of objs) assert.ok(!a.has(x.name + "_", x.shndx) && !a.has(x.name, x.shndx + 1000));
  }
});

test("saved functions' order: a counting sort by rank where functions_cmp is a total preorder, msort's permutation all the same, with or without prepareOrder() first", () => {
  const cmp = (a: { name: string; prefixlen: number }, b: { name: string; prefixlen: number }): number =>
    a.prefixlen && a.prefixlen === b.prefixlen ? strncmp(a.name, b.name, b.prefixlen) : strcmp(a.name, b.name);
  // Identifier characters and dots (the rank path), and now and then a '-' or a leading
  // '.' (msort replayed).
  const ident = fc.stringMatching(/^[ab_0][ab_0.]{0,4}$/);
  const names = fc.oneof(fc.array(ident, { minLength: 1, maxLength: 50 }), fc.array(fc.oneof(ident, fc.stringMatching(/^[ab.-][ab.-]{0,3}$/)), { minLength: 1, maxLength: 50 }));
  let ranked = 0;
  fc.assert(
    fc.property(names, fc.array(fc.nat(), { maxLength: 80 }), fc.boolean(), (names, picks, ahead) => {
      const order = msort(names.map((n, i) => ({ name: n, prefixlen: n.indexOf(".") >= 0 ? n.indexOf(".") : n.length, i })), cmp);
      const f = new ElfFunctions(order.map(({ name, prefixlen }) => ({ name, prefixlen })), 0); // a table as fromSymbols sorts it
      // (The encoder's main thread works the ranks out while it waits for the workers.)
      if (ahead) f.prepareOrder();
      const entries = Int32Array.from(picks, (p) => p % names.length);
      const want = msort(Array.from(entries, (e, i) => ({ e, i })), (a, b) => f.compare(a.e, b.e)).map((x) => x.i);
      assert.deepEqual(Array.from(f.orderByEntry(entries)), want);
      const total = (f as unknown as { keyRanks(): Int32Array | null }).keyRanks() !== null;
      assert.equal(total, names.every((n) => /^[ab_0][ab_0.]*$/.test(n)), "ranks exactly for identifier names");
      if (total) ranked++;
    }),
    { numRuns: 500 },
  );
  assert.ok(ranked > 100, `${ranked} runs ranked`);
});

test("function name table: a worker's searches over the names' bytes find what ElfFunctions' find", () => {
  // Tables sorted as fromSymbols sorts them (so with pahole's quirks: equal prefixes,
  // intransitive triples) and unsorted ones; names with dots, dashes, non-ASCII
  // characters (compared decoded) and duplicates; probes of every name, of prefixes
  // and of strangers.
  const piece = fc.oneof(fc.stringMatching(/^[ab_.-]{1,4}$/), fc.constantFrom("é", "ß", "\u{1F600}", "a.é", "z"));
  const nameArb = fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join(""));
  const sym = (name: string, i: number) => ({ index: i, name, value: 0n, size: 0, type: 2, bind: 0, visibility: 0, rawShndx: 1, shndx: 1 });
  fc.assert(
    fc.property(fc.array(nameArb, { maxLength: 60 }), fc.array(nameArb, { maxLength: 20 }), fc.boolean(), (names, probes, sorted) => {
      const f = sorted
        ? ElfFunctions.fromSymbols(names.map(sym))
        : new ElfFunctions(names.map((name) => ({ name, prefixlen: name.indexOf(".") >= 0 ? name.indexOf(".") : name.length })), 1);
      const sh = shareStrings(f.entries.map((e) => e.name));
      const t = new FunctionNameTable(sh.bytes, FunctionNameTable.startsOf(sh.bytes, sh.count), Int32Array.from(f.entries, (e) => e.prefixlen), f.suffixCount);
      assert.equal(t.count, f.count);
      assert.equal(t.suffixCount, f.suffixCount);
      const keys = [...names, ...names.map((n) => n.slice(0, n.indexOf(".") >= 0 ? n.indexOf(".") : n.length)), ...probes, ""];
      // The keys as the encoder has them too: NUL-terminated in a string section.
      const sec = new TextEncoder().encode("x\0" + keys.join("\0") + "\0");
      const g = ElfFunctions.fromSymbols(names.map(sym)); // with its names' bytes when all are ASCII
      for (let i = 0, at = 2; i < keys.length; at += new TextEncoder().encode(keys[i]!).length + 1, i++) {
        const k = keys[i]!;
        assert.equal(t.findExact(k), f.findExact(k), `exact ${JSON.stringify(k)}`);
        assert.equal(t.findPrefix(k), f.findPrefix(k), `prefix ${JSON.stringify(k)}`);
        for (const [l, what] of [[t, "bytes table"], [f, "table"], [g, "sorted table"]] as const) {
          assert.equal(l.findAt(sec, at, false), l.findExact(k), `${what}: exact at ${JSON.stringify(k)}`);
          assert.equal(l.findAt(sec, at, true), l.findPrefix(k), `${what}: prefix at ${JSON.stringify(k)}`);
        }
      }
      // No NUL-terminated name there: the caller decodes (and fails) as before.
      for (const l of [t, f, g]) {
        assert.equal(l.findAt(sec, sec.length, false), NO_NAME);
        // (the last key without its NUL)
        assert.equal(l.findAt(sec.subarray(0, sec.length - 1), sec.length - 1 - new TextEncoder().encode(keys.at(-1)!).length, true), NO_NAME);
        assert.equal(l.findAt(sec, -1, false), NO_NAME);
      }
      for (let i = 0; i < t.count; i++) assert.equal(t.name(i), f.entries[i]!.name);
    }),
    { numRuns: 500 },
  );
  assert.throws(() => FunctionNameTable.startsOf(new TextEncoder().encode("a\0b"), 2), /2 names expected, 1 found/);
  assert.throws(() => new FunctionNameTable(new TextEncoder().encode("a\0b"), Int32Array.of(0, 2), Int32Array.of(1, 1), 0), /name 1 at 2 is not NUL-terminated/);
});

test("sortFunctionNameBytes: over ASCII names as bytes, the permutation sortByFunctionName gives the decoded names", () => {
  // Dots, dashes and controls below '.', empty names, shared prefixes.
  const name = fc.stringMatching(/^[ab.\-\x01_]{0,5}$/);
  fc.assert(
    fc.property(fc.array(name, { maxLength: 70 }), (names) => {
      const pl = Int32Array.from(names, (n) => (n.indexOf(".") >= 0 ? n.indexOf(".") : n.length));
      const want = sortByFunctionName(Int32Array.from(names, (_, i) => i), names, pl);
      // The names in a shuffled string table, as a symbol table holds them.
      const bytes = new TextEncoder().encode("\0" + names.slice().reverse().join("\0") + "\0");
      const starts = new Int32Array(names.length);
      for (let i = names.length - 1, at = 1; i >= 0; at += names[i]!.length + 1, i--) starts[i] = at;
      const got = sortFunctionNameBytes(Int32Array.from(names, (_, i) => i), bytes, starts, pl);
      assert.deepEqual(Array.from(got), Array.from(want));
    }),
    { numRuns: 500 },
  );
});

test("ELF function table from a symbol table (names sorted as bytes, decoded when needed): the table made from its symbol objects", () => {
  for (const name of ["types-gcc-dw5-O0.linked", "params-gcc-dw4-O2.linked", "types-gcc-dw4-m32.linked", "params-gcc-dw5-O2.o", "params-clang-dw5-O2.o"]) {
    const elf = new ElfFile(new Uint8Array(readFileSync(join(FIXTURES, "dwarf", "obj", name))));
    const sec = elf.section(".symtab")!;
    const a = ElfFunctions.fromSymbols(readSymbolTable(elf, sec));
    const b = ElfFunctions.fromSymbols(elf.symbols(sec));
    assert.ok(a.count > 0, name);
    assert.equal(a.count, b.count, name);
    assert.equal(a.suffixCount, b.suffixCount, name);
    assert.deepEqual(Array.from(a.prefixlens), Array.from(b.prefixlens), name);
    assert.deepEqual(a.entries, b.entries, name);
  }
});

test("function name table: over a symbol table's own strings (where fromSymbols leaves them), the same finds", () => {
  for (const name of ["types-gcc-dw5-O0.linked", "params-gcc-dw4-O2.linked", "types-gcc-dw4-m32.linked"]) {
    const elf = new ElfFile(new Uint8Array(readFileSync(join(FIXTURES, "dwarf", "obj", name))));
    const f = ElfFunctions.fromSymbols(readSymbolTable(elf, elf.section(".symtab")!));
    assert.ok(f.nameBytes && f.count > 0, name);
    // The reference: the table from symbol objects, which searches its decoded names.
    const ref = ElfFunctions.fromSymbols(elf.symbols(elf.section(".symtab")!));
    assert.equal(ref.nameBytes, undefined);
    const t = new FunctionNameTable(f.nameBytes.bytes, f.nameBytes.starts, Int32Array.from(f.entries, (e) => e.prefixlen), f.suffixCount);
    for (let i = 0; i < t.count; i++) assert.equal(t.name(i), f.entries[i]!.name);
    for (const e of f.entries)
      for (const k of [e.name, e.name.slice(0, e.prefixlen), e.name + "x", e.name.slice(0, -1)]) {
        // (f searches its names' bytes too, without decoding them)
        for (const l of [t, f]) {
          assert.equal(l.findExact(k), ref.findExact(k), k);
          assert.equal(l.findPrefix(k), ref.findPrefix(k), k);
          const sec = new TextEncoder().encode(k + "\0");
          assert.equal(l.findAt(sec, 0, false), ref.findExact(k), k);
          assert.equal(l.findAt(sec, 0, true), ref.findPrefix(k), k);
        }
      }
  }
  // Built from symbol objects, there are no such bytes.
  assert.equal(ElfFunctions.fromSymbols([]).nameBytes, undefined);
});

test("ELF function table: pahole's prefix order can hide an exact name from bsearch", () => {
  const sym = (name: string) => ({ index: 0, name, value: 0n, size: 0, type: 2, bind: 0, visibility: 0, rawShndx: 1, shndx: 1 });
  const f = ElfFunctions.fromSymbols([sym("foo.isra.0"), sym("a"), sym("foo"), sym("data")].map((s, i) => ({ ...s, index: i, type: s.name === "data" ? 1 : 2 })));
  // Sorted by prefix, stable: foo.isra.0 stays before foo.
  assert.deepEqual(f.entries.map((e) => e.name), ["a", "foo.isra.0", "foo"]);
  assert.equal(f.suffixCount, 1);
  // bsearch for "foo" probes "foo.isra.0" ("foo" < "foo.isra.0") and goes left: not found.
  assert.equal(f.findExact("foo"), -1);
  assert.equal(f.findPrefix("foo"), 1);
  assert.equal(f.findExact("a"), 0);
  assert.ok(f.sameFunction(1, 2));
  assert.ok(!f.sameFunction(0, 2));
});
