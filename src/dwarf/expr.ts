/**
 * DWARF expressions (`DW_OP_*`): decoding into operations, and pahole's test of
 * whether a function parameter sits in the register the calling convention puts it
 * in (`parameter__reg` / `parameter__new` of dwarves 1.30 `dwarf_loader.c`).
 * @module
 */
import { BtfError } from "../internal/errors.js";
import { EM_AARCH64, EM_ARM, EM_PPC64, EM_RISCV, EM_S390, EM_X86_64 } from "../elf/constants.js";
import { leb, slebBig, uintBig, uleb, ulebBig } from "./bytes.js";
import { DW_AT, DW_OP, opName } from "./constants.js";
import type { DieCursor } from "./die.js";
import type { LocationEntry, LocationSink } from "./lists.js";

/** One decoded operation. */
export interface ExprOp {
  /** `DW_OP_*` */
  op: number;
  /** Offset of the operation in the expression. */
  offset: number;
  /** Numeric operands, in order (bigint for addresses and 8-byte constants, number otherwise). */
  args: (number | bigint)[];
  /** Block operand: the sub-expression of `entry_value`, the bytes of `implicit_value` / `const_type`. */
  block?: Uint8Array;
}

/** Sizes an expression's operands depend on. */
export interface ExprEncoding {
  addressSize: number;
  offsetSize: 4 | 8;
  version: number;
  littleEndian: boolean;
}

// Operand layouts. a: address; 1u/1s/2u/2s/4u/4s/8u/8s: fixed; u/s: LEB128;
// r: DIE reference (offset-sized; address-sized in DWARF 2); b: ULEB length + bytes;
// B: 1-byte length + bytes.
const OPERANDS = new Map<number, string[]>([
  [DW_OP.addr, ["a"]],
  [DW_OP.const1u, ["1u"]],
  [DW_OP.const1s, ["1s"]],
  [DW_OP.const2u, ["2u"]],
  [DW_OP.const2s, ["2s"]],
  [DW_OP.const4u, ["4u"]],
  [DW_OP.const4s, ["4s"]],
  [DW_OP.const8u, ["8u"]],
  [DW_OP.const8s, ["8s"]],
  [DW_OP.constu, ["u"]],
  [DW_OP.consts, ["s"]],
  [DW_OP.pick, ["1u"]],
  [DW_OP.plus_uconst, ["u"]],
  [DW_OP.skip, ["2s"]],
  [DW_OP.bra, ["2s"]],
  [DW_OP.regx, ["u"]],
  [DW_OP.fbreg, ["s"]],
  [DW_OP.bregx, ["u", "s"]],
  [DW_OP.piece, ["u"]],
  [DW_OP.deref_size, ["1u"]],
  [DW_OP.xderef_size, ["1u"]],
  [DW_OP.call2, ["2u"]],
  [DW_OP.call4, ["4u"]],
  [DW_OP.call_ref, ["r"]],
  [DW_OP.bit_piece, ["u", "u"]],
  [DW_OP.implicit_value, ["b"]],
  [DW_OP.implicit_pointer, ["r", "s"]],
  [DW_OP.GNU_implicit_pointer, ["r", "s"]],
  [DW_OP.addrx, ["u"]],
  [DW_OP.constx, ["u"]],
  [DW_OP.GNU_addr_index, ["u"]],
  [DW_OP.GNU_const_index, ["u"]],
  [DW_OP.entry_value, ["b"]],
  [DW_OP.GNU_entry_value, ["b"]],
  [DW_OP.const_type, ["u", "B"]],
  [DW_OP.GNU_const_type, ["u", "B"]],
  [DW_OP.regval_type, ["u", "u"]],
  [DW_OP.GNU_regval_type, ["u", "u"]],
  [DW_OP.deref_type, ["1u", "u"]],
  [DW_OP.GNU_deref_type, ["1u", "u"]],
  [DW_OP.xderef_type, ["1u", "u"]],
  [DW_OP.convert, ["u"]],
  [DW_OP.GNU_convert, ["u"]],
  [DW_OP.reinterpret, ["u"]],
  [DW_OP.GNU_reinterpret, ["u"]],
  [DW_OP.GNU_parameter_ref, ["4u"]],
  [DW_OP.GNU_variable_value, ["r"]],
]);
for (let i = 0; i < 32; i++) OPERANDS.set(DW_OP.breg0 + i, ["s"]);

const NO_OPERANDS = new Set<number>([
  DW_OP.deref, DW_OP.dup, DW_OP.drop, DW_OP.over, DW_OP.swap, DW_OP.rot, DW_OP.xderef, DW_OP.abs, DW_OP.and, DW_OP.div, DW_OP.minus,
  DW_OP.mod, DW_OP.mul, DW_OP.neg, DW_OP.not, DW_OP.or, DW_OP.plus, DW_OP.shl, DW_OP.shr, DW_OP.shra, DW_OP.xor, DW_OP.eq, DW_OP.ge,
  DW_OP.gt, DW_OP.le, DW_OP.lt, DW_OP.ne, DW_OP.nop, DW_OP.push_object_address, DW_OP.form_tls_address, DW_OP.call_frame_cfa,
  DW_OP.stack_value, DW_OP.GNU_push_tls_address, DW_OP.GNU_uninit,
]);
for (let i = 0; i < 32; i++) {
  NO_OPERANDS.add(DW_OP.lit0 + i);
  NO_OPERANDS.add(DW_OP.reg0 + i);
}

/**
 * Decode `expr` into operations.
 * @throws {BtfError} MALFORMED for a truncated operand; UNSUPPORTED for an unknown
 *   operation (its operand size is unknown, so decoding cannot continue).
 */
export function decodeExpression(expr: Uint8Array, enc: ExprEncoding): ExprOp[] {
  const out: ExprOp[] = [];
  const le = enc.littleEndian;
  let pos = 0;
  const n = expr.length;
  const bad = (msg: string, at: number): never => {
    throw new BtfError("MALFORMED", `DWARF expression: ${msg} at byte ${at}`);
  };
  while (pos < n) {
    const at = pos;
    const op = expr[pos++]!;
    if (NO_OPERANDS.has(op)) {
      out.push({ op, offset: at, args: [] });
      continue;
    }
    const layout = OPERANDS.get(op);
    if (!layout) throw new BtfError("UNSUPPORTED", `DWARF expression: unknown operation 0x${op.toString(16)} at byte ${at}`);
    const args: (number | bigint)[] = [];
    let block: Uint8Array | undefined;
    for (const k of layout) {
      switch (k) {
        case "a":
        case "r":
        case "1u":
        case "2u":
        case "4u":
        case "8u":
        case "1s":
        case "2s":
        case "4s":
        case "8s": {
          const size = k === "a" ? enc.addressSize : k === "r" ? (enc.version <= 2 ? enc.addressSize : enc.offsetSize) : Number(k[0]);
          if (pos + size > n) bad(`truncated operand of ${opName(op) ?? op}`, at);
          let v = uintBig(expr, pos, size, le);
          if (k.endsWith("s")) v = BigInt.asIntN(size * 8, v);
          pos += size;
          args.push(size === 8 || k === "a" ? v : Number(v));
          break;
        }
        case "u": {
          const v = ulebBig(expr, pos);
          if (leb.end > n) bad(`truncated operand of ${opName(op) ?? op}`, at);
          pos = leb.end;
          args.push(v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
          break;
        }
        case "s": {
          const v = slebBig(expr, pos);
          if (leb.end > n) bad(`truncated operand of ${opName(op) ?? op}`, at);
          pos = leb.end;
          args.push(v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
          break;
        }
        case "b":
        case "B": {
          let len: number;
          if (k === "b") {
            len = uleb(expr, pos);
            pos = leb.end;
          } else {
            len = expr[pos++]!;
          }
          if (!(pos + len <= n)) bad(`truncated block of ${opName(op) ?? op}`, at);
          block = expr.subarray(pos, pos + len);
          pos += len;
          break;
        }
      }
    }
    out.push(block ? { op, offset: at, args, block } : { op, offset: at, args });
  }
  return out;
}

// Operand kinds for scanExpression, from OPERANDS: up to two per operation.
const O_NONE = 0, O_ADDR = 9, O_REF = 10, O_LEB = 11, O_BLOCK_LEB = 12, O_BLOCK_1 = 13; // 1, 2, 4, 8: fixed sizes
const OPND = new Uint8Array(512);
const KNOWN = new Uint8Array(256);
for (const op of NO_OPERANDS) KNOWN[op] = 1;
for (const [op, layout] of OPERANDS) {
  KNOWN[op] = 1;
  layout.forEach((k, i) => {
    OPND[2 * op + i] = k === "a" ? O_ADDR : k === "r" ? O_REF : k === "u" || k === "s" ? O_LEB : k === "b" ? O_BLOCK_LEB : k === "B" ? O_BLOCK_1 : Number(k[0]);
  });
}

/** What {@link scanExpression} found besides the count. */
export const exprScan = {
  /** The first and the last operation (`DW_OP_*`). */
  first: 0,
  last: 0,
  /** The block operand of the first operation (`entry_value`'s sub-expression), as offsets into the scanned bytes; 0, 0 if none. */
  blockStart: 0,
  blockEnd: 0,
};

/**
 * How many operations {@link decodeExpression} would decode from `d[start, end)`, or
 * -1 where it would throw (an unknown operation, a truncated operand), without
 * building them: pahole's parameter test needs only the count, the first and last
 * operations and the first one's block ({@link exprScan}), for millions of
 * parameters.
 */
export function scanExpression(d: Uint8Array, start: number, end: number, enc: ExprEncoding): number {
  let pos = start;
  let count = 0;
  exprScan.blockStart = exprScan.blockEnd = 0;
  while (pos < end) {
    const op = d[pos++]!;
    if (!KNOWN[op]) return -1;
    if (count === 0) exprScan.first = op;
    exprScan.last = op;
    count++;
    for (let i = 0; i < 2; i++) {
      const k = OPND[2 * op + i]!;
      if (k === O_NONE) break;
      if (k === O_LEB) {
        while (pos < end && d[pos]! >= 0x80) pos++;
        if (pos >= end) return -1; // no last byte: the operand runs past the end
        pos++;
      } else if (k === O_BLOCK_LEB || k === O_BLOCK_1) {
        let len: number;
        if (k === O_BLOCK_1) {
          if (pos >= end) return -1;
          len = d[pos++]!;
        } else {
          len = 0;
          let mul = 1;
          for (;;) {
            if (pos >= end) return -1;
            const b = d[pos++]!;
            len += (b & 0x7f) * mul;
            if (b < 0x80) break;
            mul *= 128;
          }
        }
        if (!(pos + len <= end)) return -1;
        if (count === 1) {
          exprScan.blockStart = pos;
          exprScan.blockEnd = pos + len;
        }
        pos += len;
      } else {
        const size = k === O_ADDR ? enc.addressSize : k === O_REF ? (enc.version <= 2 ? enc.addressSize : enc.offsetSize) : k;
        if (pos + size > end) return -1;
        pos += size;
      }
    }
  }
  return count;
}

/**
 * The operand of a location expression whose first operation is `DW_OP_addr` (the
 * address, a bigint) or `DW_OP_addrx` (the `.debug_addr` index, a number), as
 * {@link decodeExpression} gives it (`Number` of it for the index); undefined when
 * the first operation is another, or the expression does not decode (pahole's
 * `dwarf__location`, via libdw, takes only a whole decoded expression). Allocates
 * nothing but the address.
 */
export function addressOperand(expr: Uint8Array, enc: ExprEncoding): bigint | number | undefined {
  const op = expr[0];
  if ((op !== DW_OP.addr && op !== DW_OP.addrx) || scanExpression(expr, 0, expr.length, enc) < 0) return undefined;
  return op === DW_OP.addr ? uintBig(expr, 1, enc.addressSize, enc.littleEndian) : uleb(expr, 1);
}

/**
 * The encoding of a DIE's unit, for {@link decodeExpression}: the unit itself (it has
 * the four fields), so that the millions of parameters looked at allocate nothing.
 */
export function exprEncoding(die: DieCursor): ExprEncoding {
  return die.unit;
}

/**
 * Registers (as `DW_OP_regN` operations) holding the first integer arguments in the
 * calling convention of `machine`, as pahole 1.30 lists them
 * (`arch__set_register_params`): s390, x86-64, arm and aarch64; empty for the
 * others (pahole still counts register parameters on some of them, see
 * {@link parameterRegisterCount}, but expects no particular register).
 */
export function parameterRegisters(machine: number): readonly number[] {
  switch (machine) {
    case EM_S390:
      return REGS_S390;
    case EM_X86_64:
      return REGS_X86_64;
    case EM_ARM:
    case EM_AARCH64:
      return REGS_ARM;
    default:
      return NO_REGS;
  }
}

// (constants: parameterRegisters is asked once per parameter)
const REGS_S390: readonly number[] = Object.freeze([DW_OP.reg2, DW_OP.reg3, DW_OP.reg4, DW_OP.reg5, DW_OP.reg6]);
const REGS_X86_64: readonly number[] = Object.freeze([DW_OP.reg5, DW_OP.reg4, DW_OP.reg1, DW_OP.reg2, DW_OP.reg8, DW_OP.reg9]);
const REGS_ARM: readonly number[] = Object.freeze([DW_OP.reg0, DW_OP.reg1, DW_OP.reg2, DW_OP.reg3, DW_OP.reg4, DW_OP.reg5, DW_OP.reg6, DW_OP.reg7]);
const NO_REGS: readonly number[] = Object.freeze([]);

/**
 * How many parameters pahole 1.30 considers register-passed on `machine`
 * (`arch__nr_register_params`): 6 on x86-64 (and SPARC), 5 on s390, 8 on arm,
 * aarch64, mips, ppc, ppc64, riscv, arc; 0 elsewhere (no checks).
 */
export function parameterRegisterCount(machine: number): number {
  switch (machine) {
    case EM_S390:
      return 5;
    case EM_X86_64:
    case 2 /* EM_SPARC */:
    case 43 /* EM_SPARCV9 */:
      return 6;
    case EM_AARCH64:
    case EM_ARM:
    case 8 /* EM_MIPS */:
    case 20 /* EM_PPC */:
    case EM_PPC64:
    case EM_RISCV:
    case 195 /* EM_ARC_COMPACT2 */:
      return 8;
    default:
      return 0;
  }
}

/**
 * pahole 1.30's `parameter__reg`: the register a parameter's location names, judged
 * against `expected` (a `DW_OP_regN`, or -1):
 * - each location's expression is decoded; a trailing `DW_OP_stack_value` is dropped;
 *   only single-operation expressions count;
 * - `DW_OP_regN` counts in the *first* location only;
 * - `DW_OP_entry_value` / `DW_OP_GNU_entry_value` whose sub-expression is one
 *   operation counts in any location, as that operation;
 * - the first match of `expected` wins; otherwise the last register seen; -1 if none.
 *
 * A location that cannot be decoded ends the scan, as libdw's error does.
 */
export function parameterRegister(locs: readonly LocationEntry[], expected: number, enc: ExprEncoding): number {
  const list = LOCS;
  list.n = 0;
  for (const l of locs) list.entry(l.expr, 0, l.expr.length);
  return registerIn(list, expected, enc);
}

/** The expressions of one location description, as ranges of byte arrays (reused). */
class ExprList implements LocationSink {
  readonly addresses = false;
  n = 0;
  data: Uint8Array[] = [];
  start = new Int32Array(16);
  end = new Int32Array(16);
  entry(data: Uint8Array, s: number, e: number): void {
    if (this.n === this.start.length) {
      const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.start = grow(this.start);
      this.end = grow(this.end);
    }
    this.data[this.n] = data;
    this.start[this.n] = s;
    this.end[this.n++] = e;
  }
}

const LOCS = new ExprList();

/** {@link parameterRegister} over `list`. */
function registerIn(list: ExprList, expected: number, enc: ExprEncoding): number {
  let ret = -1;
  for (let locNum = 0; locNum < list.n; locNum++) {
    const d = list.data[locNum]!;
    const count = scanExpression(d, list.start[locNum]!, list.end[locNum]!, enc);
    if (count < 0) return ret;
    let len = count;
    if (len > 1 && exprScan.last === DW_OP.stack_value) len--;
    if (len !== 1) continue;
    const op = exprScan.first;
    if (op >= DW_OP.reg0 && op <= DW_OP.reg31) {
      if (locNum !== 0) continue;
      ret = op;
      if (ret === expected) return ret;
    } else if (op === DW_OP.entry_value || op === DW_OP.GNU_entry_value) {
      if (scanExpression(d, exprScan.blockStart, exprScan.blockEnd, enc) === 1) {
        ret = exprScan.first;
        if (ret === expected) return ret;
      }
    }
  }
  return ret;
}

/** What pahole 1.30's `parameter__new` concludes about one `DW_TAG_formal_parameter`. */
export interface ParameterLocation {
  /** Has `DW_AT_location` (pahole's `has_loc`; false for stack-passed parameters, which pahole does not look at). */
  hasLocation: boolean;
  /** No register could be found in the location, or no location but a `DW_AT_const_value` (`optimized`). */
  optimized: boolean;
  /** The location names a register other than the expected one (`unexpected_reg`). */
  unexpectedRegister: boolean;
  /** The `DW_OP_regN` found (-1 if none). */
  register: number;
}

/**
 * pahole 1.30's verdict on the parameter DIE under `die` (the `index`-th
 * `DW_TAG_formal_parameter` of its function, from 0) for an ELF `machine`.
 *
 * Only parameters passed in registers (`index < parameterRegisterCount(machine)`)
 * are examined; for the others every field is false/-1, as in pahole (which then
 * counts them as having no location). Merging with abstract-origin parameters and
 * the function-level flags (`optimized_parms`, `unexpected_reg` unless a struct
 * parameter) are the encoder's job.
 */
export function classifyParameter(die: DieCursor, index: number, machine: number): ParameterLocation {
  return classifyParameterInto(die, index, machine, { hasLocation: false, optimized: false, unexpectedRegister: false, register: -1 });
}

/**
 * {@link classifyParameter} into `res` (every field set): for a caller that reuses one
 * object over the ~400 k register parameters of a kernel. Returns `res`.
 */
export function classifyParameterInto(die: DieCursor, index: number, machine: number, res: ParameterLocation): ParameterLocation {
  res.hasLocation = res.optimized = res.unexpectedRegister = false;
  res.register = -1;
  if (index < 0 || index >= parameterRegisterCount(machine)) return res;
  const hasConst = die.has(DW_AT.const_value);
  res.hasLocation = die.has(DW_AT.location);
  if (res.hasLocation) {
    const expected = parameterRegisters(machine)[index] ?? -1;
    const list = LOCS;
    list.n = 0;
    try {
      die.visitLocations(DW_AT.location, list);
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
      list.n = 0; // libdw fails the lookup: no register
    }
    const reg = registerIn(list, expected, exprEncoding(die));
    res.register = reg;
    if (reg < 0) res.optimized = true;
    else if (expected >= 0 && expected !== reg) res.unexpectedRegister = true;
  } else if (hasConst) res.optimized = true;
  return res;
}
