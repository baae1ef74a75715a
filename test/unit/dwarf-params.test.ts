/**
 * pahole 1.30's parameter checks (`parameter__reg`, `parameter__new`): the rules on
 * hand-made location lists, then the verdicts on gcc -O2 and clang (aarch64,
 * loclistx) objects; and split DWARF resolved through its skeleton.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EM_AARCH64, EM_X86_64, ElfFile } from "../../src/elf/index.js";
import fc from "fast-check";
import { addressOperand, classifyParameter, decodeExpression, DW_AT, DW_OP, DW_TAG, exprScan, parameterRegister, parameterRegisterCount, parameterRegisters, scanExpression, type ExprEncoding, type ExprOp, type LocationEntry } from "../../src/dwarf/index.js";
import { fixture, openDwarf } from "../fixtures/dwarf/helpers.js";

const enc = { addressSize: 8, offsetSize: 4 as const, version: 5, littleEndian: true };
const loc = (...bytes: number[]): LocationEntry => ({ start: 0n, end: 16n, expr: Uint8Array.from(bytes) });
const REG = (n: number) => DW_OP.reg0 + n;

test("parameterRegister() follows pahole 1.30's parameter__reg", () => {
  const rdi = REG(5);
  const rsi = REG(4);
  const cases: [string, LocationEntry[], number, number][] = [
    ["register in the first location", [loc(rdi)], rdi, rdi],
    ["other register: returned, so the caller sees it is unexpected", [loc(rsi)], rdi, rsi],
    ["trailing stack_value is ignored", [loc(rdi, DW_OP.stack_value)], rdi, rdi],
    ["breg + stack_value is no register (1.30)", [loc(DW_OP.breg0 + 5, 0, DW_OP.stack_value)], rdi, -1],
    ["two operations are not a register", [loc(rdi, DW_OP.piece, 8)], rdi, -1],
    ["stack slot", [loc(DW_OP.fbreg, 0x6c)], rdi, -1],
    ["registers count in the first location only", [loc(rsi), loc(rdi)], rdi, rsi],
    ["entry value counts in any location", [loc(DW_OP.lit0, DW_OP.stack_value), loc(DW_OP.entry_value, 1, rdi, DW_OP.stack_value)], rdi, rdi],
    ["GNU entry value too", [loc(DW_OP.lit0), loc(DW_OP.GNU_entry_value, 1, rdi)], rdi, rdi],
    ["first match wins over a later other register", [loc(rdi), loc(DW_OP.entry_value, 1, rsi)], rdi, rdi],
    ["an entry value of another register is remembered", [loc(DW_OP.lit0), loc(DW_OP.entry_value, 1, rsi)], rdi, rsi],
    ["an entry value of two operations is ignored", [loc(DW_OP.entry_value, 3, DW_OP.breg0 + 5, 0, DW_OP.deref)], rdi, -1],
    ["an undecodable location ends the scan", [loc(0xe5), loc(rdi)], rdi, -1],
    ["no locations", [], rdi, -1],
  ];
  for (const [what, locs, expected, want] of cases) assert.equal(parameterRegister(locs, expected, enc), want, what);
});

/** Bytes that are mostly DWARF operations and their operands, sometimes cut short. */
const exprBytes = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(REG(5), REG(4), DW_OP.stack_value, DW_OP.entry_value, DW_OP.GNU_entry_value, DW_OP.breg0 + 7, DW_OP.fbreg, DW_OP.piece, DW_OP.addr, DW_OP.const_type, DW_OP.implicit_value, DW_OP.call_ref, DW_OP.bregx, DW_OP.lit0) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
  ),
  { maxLength: 24 },
);
const encodings = fc.record({ addressSize: fc.constantFrom(4, 8), offsetSize: fc.constantFrom(4 as const, 8 as const), version: fc.integer({ min: 2, max: 5 }), littleEndian: fc.boolean() });

function decoded(expr: Uint8Array, e: ExprEncoding): ExprOp[] | undefined {
  try {
    return decodeExpression(expr, e);
  } catch {
    return undefined;
  }
}

test("scanExpression() counts what decodeExpression() decodes, and fails where it throws", () => {
  fc.assert(
    fc.property(exprBytes, encodings, fc.nat(4), fc.nat(4), (bytes, e, pre, post) => {
      const expr = Uint8Array.from(bytes);
      // Scanned in place inside a larger array: the bytes around must not be read.
      const big = new Uint8Array(pre + expr.length + post).fill(0x80);
      big.set(expr, pre);
      const ops = decoded(expr, e);
      const n = scanExpression(big, pre, pre + expr.length, e);
      assert.equal(n, ops ? ops.length : -1);
      if (ops && ops.length) {
        assert.equal(exprScan.first, ops[0]!.op);
        assert.equal(exprScan.last, ops[ops.length - 1]!.op);
        const b = ops[0]!.block;
        assert.deepEqual(Array.from(big.subarray(exprScan.blockStart, exprScan.blockEnd)), b ? Array.from(b) : []);
      }
    }),
    { numRuns: 3000 },
  );
});

test("addressOperand() gives decodeExpression()'s DW_OP_addr / DW_OP_addrx operand, and nothing where it throws", () => {
  const starts = fc.constantFrom(DW_OP.addr, DW_OP.addrx, DW_OP.addr, DW_OP.addrx, DW_OP.lit0);
  fc.assert(
    fc.property(starts, exprBytes, encodings, (first, rest, e) => {
      const expr = Uint8Array.from([first, ...rest]);
      const ops = decoded(expr, e);
      const got = addressOperand(expr, e);
      const op = ops?.[0];
      if (!op || (op.op !== DW_OP.addr && op.op !== DW_OP.addrx)) return assert.equal(got, undefined);
      const want = op.args[0]!;
      if (op.op === DW_OP.addr) return assert.equal(got, want);
      // An index: a number, exact while it is one (any larger one is no index of .debug_addr either way).
      assert.equal(typeof got, "number");
      if (typeof want === "number") assert.equal(got, want);
      else assert.ok((got as number) > Number.MAX_SAFE_INTEGER);
    }),
    { numRuns: 3000 },
  );
  const le = { addressSize: 8, offsetSize: 4 as const, version: 5, littleEndian: true };
  assert.equal(addressOperand(Uint8Array.of(DW_OP.addr, 1, 2, 3, 4, 5, 6, 7, 8), le), 0x0807060504030201n);
  assert.equal(addressOperand(Uint8Array.of(DW_OP.addr, 1, 2, 3, 4, 5, 6, 7, 8, 0xe5), le), undefined, "an unknown operation after the address");
  assert.equal(addressOperand(Uint8Array.of(DW_OP.addr, 1, 2, 3), le), undefined, "a truncated address");
  assert.equal(addressOperand(Uint8Array.of(DW_OP.addrx, 0x81, 0x01, DW_OP.plus_uconst, 8), le), 129);
  assert.equal(addressOperand(Uint8Array.of(DW_OP.fbreg, 0x10), le), undefined);
});

/** parameter__reg read directly off decodeExpression(): the reference for the scanning version. */
function registerByDecoding(locs: LocationEntry[], expected: number, e: ExprEncoding): number {
  let ret = -1;
  for (let i = 0; i < locs.length; i++) {
    const ops = decoded(locs[i]!.expr, e);
    if (!ops) return ret;
    const len = ops.length > 1 && ops[ops.length - 1]!.op === DW_OP.stack_value ? ops.length - 1 : ops.length;
    if (len !== 1) continue;
    const op = ops[0]!.op;
    if (op >= DW_OP.reg0 && op <= DW_OP.reg31) {
      if (i !== 0) continue;
      ret = op;
    } else if (op === DW_OP.entry_value || op === DW_OP.GNU_entry_value) {
      const sub = decoded(ops[0]!.block!, e);
      if (sub?.length !== 1) continue;
      ret = sub[0]!.op;
    } else continue;
    if (ret === expected) return ret;
  }
  return ret;
}

test("parameterRegister() agrees with a reading by decodeExpression() on generated lists", () => {
  fc.assert(
    fc.property(fc.array(exprBytes, { maxLength: 5 }), encodings, fc.constantFrom(REG(5), REG(4), -1), (lists, e, expected) => {
      const locs = lists.map((b) => loc(...b));
      assert.equal(parameterRegister(locs, expected, e), registerByDecoding(locs, expected, e));
    }),
    { numRuns: 3000 },
  );
});

test("parameter registers per machine as pahole 1.30 lists them", () => {
  assert.deepEqual(parameterRegisters(EM_X86_64), [5, 4, 1, 2, 8, 9].map(REG));
  assert.deepEqual(parameterRegisters(EM_AARCH64), [0, 1, 2, 3, 4, 5, 6, 7].map(REG));
  assert.equal(parameterRegisterCount(EM_X86_64), 6);
  assert.equal(parameterRegisterCount(EM_AARCH64), 8);
  assert.equal(parameterRegisterCount(243 /* riscv */), 8);
  assert.deepEqual(parameterRegisters(243), []);
  assert.equal(parameterRegisterCount(3 /* i386 */), 0);
});

/** Verdicts for every parameter of every out-of-line subprogram: name -> "param:flags". */
function verdicts(name: string, machine: number): Map<string, string[]> {
  const dwarf = openDwarf(name);
  const out = new Map<string, string[]>();
  for (const u of dwarf.units()) {
    const c = u.cursor();
    let fn: string | undefined;
    let idx = 0;
    let fnDepth = -1;
    while (c.next()) {
      if (c.depth <= fnDepth) fn = undefined;
      if (c.tag === DW_TAG.subprogram && c.has(DW_AT.low_pc)) {
        fn = c.origin(DW_AT.name)?.name;
        fnDepth = c.depth;
        idx = 0;
        out.set(fn!, []);
        continue;
      }
      if (c.tag === DW_TAG.inlined_subroutine || c.tag === DW_TAG.lexical_block) c.skipChildren();
      if (fn && c.tag === DW_TAG.formal_parameter && c.depth === fnDepth + 1) {
        const v = classifyParameter(c, idx++, machine);
        const flags = [v.hasLocation ? "loc" : "", v.optimized ? "optimized" : "", v.unexpectedRegister ? "unexpected" : ""].filter(Boolean).join(",");
        out.get(fn)!.push(`${c.origin(DW_AT.name)?.name}:${flags}`);
      }
    }
  }
  return out;
}

test("classifyParameter() on gcc 12 -O2 x86-64 code (as read in the llvm-dwarfdump golden)", () => {
  const v = verdicts("params-gcc-dw5-O2.o", EM_X86_64);
  assert.deepEqual(Object.fromEntries(v), {
    caller: ["v:loc"],
    clobbers: ["a:loc", "b:loc"],
    // p in rdi:rsi pieces (not a single register), b on the stack, tail in rdx (3rd register).
    by_value: ["p:loc,optimized", "b:loc,optimized", "tail:loc"],
    // pahole only looks at the 6 register parameters; g and h count as having no location.
    many_params: ["a:loc", "b:loc", "c:loc", "d:loc", "e:loc", "f:loc", "g:", "h:"],
    // Concrete clones: a constant parameter has DW_AT_const_value and no location.
    const_param: ["a:loc", "b:optimized"],
    unused_param: ["used:loc", "unused:optimized"],
  });
});

test("classifyParameter() on clang -O2 aarch64 code (DW_FORM_loclistx lists)", () => {
  const v = verdicts("params-clang-aarch64-O2.o", EM_AARCH64);
  assert.deepEqual(v.get("many_params"), ["a", "b", "c", "d", "e", "f", "g", "h"].map((p) => `${p}:loc`));
  // The register found for each parameter is its ABI register x0..x7.
  const dwarf = openDwarf("params-clang-aarch64-O2.o");
  const regs: number[] = [];
  for (const u of dwarf.units()) {
    const c = u.cursor();
    let inFn = false;
    while (c.next()) {
      if (c.tag === DW_TAG.subprogram) inFn = c.name === "many_params";
      else if (inFn && c.tag === DW_TAG.formal_parameter) regs.push(classifyParameter(c, regs.length, EM_AARCH64).register);
    }
  }
  assert.deepEqual(regs, [0, 1, 2, 3, 4, 5, 6, 7].map(REG));
});

for (const base of ["types-gcc-dw5-split", "types-gcc-dw4-split", "types-clang-dw5-split"]) {
  test(`split DWARF ${base}.dwo reads through its skeleton`, () => {
    const dwarf = openDwarf(`${base}.dwo`);
    const obj = new ElfFile(fixture(`${base}.o`));
    const syms = new Map(obj.symbols().map((s) => [s.name, s.value]));
    const [u] = dwarf.units();
    assert.ok(u && u.skeletonUnit(), "skeleton found by DWO id");
    assert.equal(u!.skeletonUnit()!.splitId, u!.splitId);
    const seen = new Map<string, string>();
    const addrs = new Map<string, bigint>();
    const c = u!.cursor();
    while (c.next()) {
      if (c.tag === DW_TAG.typedef && c.name) seen.set(c.name, c.follow(DW_AT.type)?.name ?? "?");
      if (c.tag === DW_TAG.subprogram && c.has(DW_AT.low_pc)) addrs.set(c.name!, c.address(DW_AT.low_pc)!);
      if (c.tag === DW_TAG.variable && c.depth === 1 && c.name === "global_counter") {
        const [op] = decodeExpression(c.block(DW_AT.location)!, { ...enc, version: u!.version });
        assert.ok(op!.op === DW_OP.addrx || op!.op === DW_OP.GNU_addr_index);
        addrs.set("global_counter", dwarf.addrx(u!, op!.args[0] as number));
      }
    }
    assert.equal(seen.get("u8"), "unsigned char");
    assert.ok(["long long unsigned int", "unsigned long long"].includes(seen.get("u64")!), "gcc and clang spellings");
    assert.ok(addrs.size >= 3);
    for (const [n, a] of addrs) assert.equal(a, syms.get(n), `${n}: address from the skeleton's .debug_addr = symbol value`);
  });
}

test("split DWARF without its skeleton: addresses are UNSUPPORTED, the rest reads", async () => {
  const { dwarfFromElf } = await import("../../src/dwarf/index.js");
  const dwarf = dwarfFromElf(new ElfFile(fixture("types-gcc-dw5-split.dwo")), { dwo: true });
  const c = dwarf.units()[0]!.cursor();
  let names = 0;
  let threw = 0;
  while (c.next()) {
    if (c.name) names++;
    if (c.tag === DW_TAG.subprogram && c.has(DW_AT.low_pc)) assert.throws(() => c.address(DW_AT.low_pc), (e: unknown) => (e as { code?: string }).code === "UNSUPPORTED" && ++threw > 0);
  }
  assert.ok(names > 20 && threw > 0);
});
