/**
 * fast-check generators of BTF blobs.
 *
 * `validBtf()` makes kernel-valid BTF: random type graphs of every kind, where each
 * record only refers to types that make sense for it (members and array elements are
 * complete and sized, FUNC points at a FUNC_PROTO, DATASEC lists VARs, DECL_TAG
 * component indexes are in range, strong references point backwards so there is no
 * cycle without a pointer, and some pointers point forwards). Optionally split on a
 * generated base. The generator draws a list of "ops" and interprets them, so every
 * draw (and every shrink) is valid by construction.
 *
 * `looseBtf()` makes BTF that only libbpf's shallow checks accept: random kinds, flags
 * and numbers, but every type id and string offset in range.
 */
import fc from "fast-check";
import { BtfAsm, info, K, LAYOUT, type Endian, type Member } from "./btf-asm.js";

export interface Op {
  k: number;
  r: number[];
  name: string;
  flag: boolean;
  list: { name: string | null; r: number; s: number; v: bigint }[];
}

const identArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/);
const anyNameArb = fc.string({ minLength: 1, maxLength: 6, unit: "grapheme" }).filter((s) => !s.includes("\u0000"));

function opArb(identOnly: boolean): fc.Arbitrary<Op> {
  const nameArb = identOnly ? identArb : fc.oneof({ weight: 4, arbitrary: identArb }, { weight: 1, arbitrary: anyNameArb });
  return fc.record({
    k: fc.nat({ max: 18 }),
    r: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
    name: nameArb,
    flag: fc.boolean(),
    list: fc.array(fc.record({ name: fc.option(nameArb, { freq: 4 }), r: fc.nat(), s: fc.nat(), v: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }) }), { maxLength: 5 }),
  });
}

/** What the interpreter knows about the types made so far (base included). */
export class GenState {
  sizes = new Map<number, number>(); // complete, sized types (usable as member/element/var)
  pointee: number[] = [0]; // anything a PTR/modifier/typedef/param may refer to
  ints: number[] = [];
  protos: number[] = [];
  funcs: { id: number; n: number }[] = [];
  vars: { id: number; size: number }[] = [];
  composites: { id: number; n: number }[] = [];
  typedefs: number[] = [];
  pending: number[] = []; // PTRs to point forward at the end

  clone(): GenState {
    const s = new GenState();
    s.sizes = new Map(this.sizes);
    s.pointee = [...this.pointee];
    s.ints = [...this.ints];
    s.protos = [...this.protos];
    s.funcs = [...this.funcs];
    s.vars = [...this.vars];
    s.composites = [...this.composites];
    s.typedefs = [...this.typedefs];
    return s;
  }
}

const MAX_SIZE = 1 << 16;
const pick = <T>(xs: T[], r: number): T => xs[r % xs.length]!;

function sized(st: GenState): number[] {
  const out: number[] = [];
  for (const [id, sz] of st.sizes) if (sz <= MAX_SIZE) out.push(id);
  return out;
}

function addInt(a: BtfAsm, st: GenState, name: string, r: number[]): number {
  const size = [1, 2, 4, 8, 16][r[0]! % 5]!;
  const enc = [0, 1, 2, 4][r[1]! % 4]!;
  const bits = r[2]! % 3 === 0 ? size * 8 : 1 + (r[3]! % Math.min(128, size * 8));
  const off = r[4]! % (Math.min(128, size * 8) - bits + 1);
  const id = a.int(name, size, enc, bits, off);
  st.sizes.set(id, size);
  st.pointee.push(id);
  st.ints.push(id);
  return id;
}

/** Interpret `ops` on `a` (a fresh BtfAsm, maybe split), updating `st`. */
export function interpret(a: BtfAsm, st: GenState, ops: Op[]): void {
  for (const op of ops) {
    const { r, name, flag, list } = op;
    switch (op.k) {
      case 0:
        addInt(a, st, name, r);
        break;
      case 1: {
        const id = a.ptr(pick(st.pointee, r[0]!));
        if (flag) st.pending.push(id);
        st.sizes.set(id, 8);
        st.pointee.push(id);
        break;
      }
      case 2:
      case 3:
      case 4: {
        const t = pick(st.pointee, r[0]!);
        const id = op.k === 2 ? a.const(t) : op.k === 3 ? a.volatile(t) : a.restrict(t);
        if (st.sizes.has(t)) st.sizes.set(id, st.sizes.get(t)!);
        st.pointee.push(id);
        break;
      }
      case 5:
      case 6: {
        const t = pick(st.pointee, r[0]!);
        const id = op.k === 5 ? a.typedef(name, t) : a.typeTag(name, t, flag ? 1 : 0);
        if (st.sizes.has(t)) st.sizes.set(id, st.sizes.get(t)!);
        st.pointee.push(id);
        if (op.k === 5) st.typedefs.push(id);
        break;
      }
      case 7: {
        const elems = sized(st);
        if (!elems.length || !st.ints.length) {
          addInt(a, st, name, r);
          break;
        }
        const elem = pick(elems, r[0]!);
        const esz = st.sizes.get(elem)!;
        let n = r[1]! % 8;
        if (esz * n > MAX_SIZE) n = 1;
        const id = a.array(elem, pick(st.ints, r[2]!), n);
        st.sizes.set(id, esz * n);
        st.pointee.push(id);
        break;
      }
      case 8:
      case 9: {
        const union = op.k === 9;
        const pool = sized(st);
        const members: Member[] = [];
        let cursor = 0;
        let max = 0;
        let bitfields = false;
        for (const m of pool.length ? list : []) {
          const t = pick(pool, m.r);
          const tsz = st.sizes.get(t)!;
          const isBitfield = st.ints.includes(t) && m.s % 2 === 1;
          let bitOff: number;
          let bits: number;
          if (isBitfield) {
            bits = 1 + (m.s % Math.min(255, tsz * 8));
            bitOff = union ? 0 : cursor;
            bitfields = true;
          } else {
            bits = tsz * 8;
            bitOff = union ? 0 : (cursor + 7) & ~7;
          }
          members.push({ name: m.name ?? undefined, type: t, bitOff, bitSize: isBitfield ? bits : 0 });
          cursor = bitOff + bits;
          max = Math.max(max, bitOff + bits);
        }
        const size = Math.ceil(max / 8) + (r[0]! % 3);
        const nm = flag ? undefined : name;
        const id = union ? a.union(nm, size, members, bitfields || r[1]! % 5 === 0) : a.struct(nm, size, members, bitfields || r[1]! % 5 === 0);
        st.sizes.set(id, size);
        st.pointee.push(id);
        st.composites.push({ id, n: members.length });
        break;
      }
      case 10: {
        const size = [1, 2, 4, 8][r[0]! % 4]!;
        const vals: [string, number][] = list.map((m) => [m.name ?? "V", flag ? Number(BigInt.asIntN(32, m.v)) : Number(BigInt.asUintN(32, m.v))]);
        const id = a.enum(r[1]! % 4 === 0 ? undefined : name, size, vals, flag);
        st.sizes.set(id, size);
        st.pointee.push(id);
        break;
      }
      case 11: {
        const size = [1, 2, 4, 8][r[0]! % 4]!;
        const id = a.enum64(r[1]! % 4 === 0 ? undefined : name, size, list.map((m) => [m.name ?? "V", m.v]), flag);
        st.sizes.set(id, size);
        st.pointee.push(id);
        break;
      }
      case 12:
        st.pointee.push(a.fwd(name, flag));
        break;
      case 13:
      case 14: {
        let proto: number;
        if (op.k === 13 || !st.protos.length) {
          const params = list.map((m) => ({ name: m.name ?? undefined, type: pick(st.pointee.length > 1 ? st.pointee.slice(1) : [addInt(a, st, "int", r)], m.r) }));
          if (flag) params.push({ name: undefined, type: 0 });
          proto = a.funcProto(pick(st.pointee, r[0]!), params);
          st.protos.push(proto);
          st.pointee.push(proto);
          if (op.k === 13) break;
        } else proto = pick(st.protos, r[0]!);
        const id = a.func(name, proto, r[1]! % 3);
        st.funcs.push({ id, n: paramsOf(a, proto) });
        break;
      }
      case 15: {
        const pool = sized(st);
        if (!pool.length) {
          addInt(a, st, name, r);
          break;
        }
        const t = pick(pool, r[0]!);
        const id = a.var(name, t, r[1]! % 3);
        st.vars.push({ id, size: st.sizes.get(t)! });
        break;
      }
      case 16: {
        let off = 0;
        const entries = st.vars.length ? list.map((m) => {
          const v = pick(st.vars, m.r);
          const e = { type: v.id, offset: off, size: v.size };
          off += v.size;
          return e;
        }) : [];
        a.datasec(name, flag ? 0 : off + (r[0]! % 4), entries);
        break;
      }
      case 17: {
        const id = a.float(name, [2, 4, 8, 12, 16][r[0]! % 5]!);
        st.sizes.set(id, a.words[a.recs[id - a.startId]! + 2]!);
        st.pointee.push(id);
        break;
      }
      case 18: {
        const targets: { id: number; n: number }[] = [...st.composites, ...st.funcs, ...st.vars.map((v) => ({ id: v.id, n: 0 })), ...st.typedefs.map((id) => ({ id, n: 0 }))];
        if (!targets.length) {
          addInt(a, st, name, r);
          break;
        }
        const t = pick(targets, r[0]!);
        a.declTag(name, t.id, (r[1]! % (t.n + 1)) - 1, flag ? 1 : 0);
        break;
      }
    }
  }
}

/** Number of params of a FUNC_PROTO record in `a` (0 for a base type: only -1 is used then). */
function paramsOf(a: BtfAsm, proto: number): number {
  const o = a.recs[proto - a.startId];
  return o === undefined ? 0 : a.words[o + 1]! & 0xffff;
}

/** Point the pending PTRs at any valid pointee, forward references included. */
export function finish(st: GenState, a: BtfAsm, r: number[]): void {
  st.pending.forEach((id, i) => {
    if (id >= a.startId) a.patch(id, 2, pick(st.pointee, r[i % r.length]! + i));
  });
  st.pending = [];
}

export interface Generated {
  asm: BtfAsm;
  endian: Endian;
  bytes: Uint8Array;
  base?: { asm: BtfAsm; bytes: Uint8Array };
}

/**
 * Kernel-valid BTF, in either byte order; with `split`, a base and a split on it
 * (the split refers to base types freely).
 */
export function validBtf(opts: { split?: boolean; identOnly?: boolean; maxTypes?: number } = {}): fc.Arbitrary<Generated> {
  const ops = fc.array(opArb(opts.identOnly ?? false), { maxLength: opts.maxTypes ?? 60, size: "max" });
  return fc
    .record({ ops, baseOps: opts.split ? ops : fc.constant([] as Op[]), fwd: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), endian: fc.constantFrom<Endian>("little", "big") })
    .map(({ ops, baseOps, fwd, endian }) => {
      const st = new GenState();
      let base: Generated["base"];
      let a: BtfAsm;
      if (opts.split) {
        const b = new BtfAsm();
        interpret(b, st, baseOps);
        finish(st, b, fwd);
        base = { asm: b, bytes: b.bytes({ endian }) };
        a = new BtfAsm(b);
        interpret(a, st, ops);
      } else {
        a = new BtfAsm();
        interpret(a, st, ops);
      }
      finish(st, a, fwd);
      return { asm: a, endian, bytes: a.bytes({ endian }), base };
    });
}

/**
 * Records with random kinds, flags, vlen and numbers; every type-id and string-offset
 * field in range (so libbpf's load checks pass, the kernel's may not).
 */
export function looseBtf(): fc.Arbitrary<Generated> {
  const rec = fc.record({
    kind: fc.integer({ min: 1, max: 19 }),
    vlen: fc.nat({ max: 4 }),
    kflag: fc.boolean(),
    hi: fc.nat({ max: 255 }), // the unused info bits 16..23
    words: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
    raw: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 16, maxLength: 16 }),
  });
  return fc
    .record({ recs: fc.array(rec, { maxLength: 40, size: "max" }), names: fc.array(anyNameArb, { minLength: 1, maxLength: 8 }), endian: fc.constantFrom<Endian>("little", "big") })
    .map(({ recs, names, endian }) => {
      const a = new BtfAsm();
      const offs = [0, ...names.map((n) => a.str(n))];
      const n = recs.length;
      const cnt = n + 1;
      for (const r of recs) {
        const vlen = r.kind === K.FUNC ? r.vlen % 3 : r.vlen;
        const [fixed, per] = LAYOUT[r.kind]!;
        const total = fixed + vlen * per;
        const w: number[] = [pick(offs, r.words[0]!), (info(r.kind, vlen, r.kflag) | (r.hi << 16)) >>> 0, 0];
        for (let i = 0; i < total; i++) w.push(r.raw[i % 16]!);
        const id = (k: number) => r.words[k % 16]! % cnt;
        const str = (k: number) => pick(offs, r.words[k % 16]!);
        // put ids and string offsets in range where libbpf checks them
        switch (r.kind) {
          case K.INT: case K.FWD: case K.FLOAT: case K.STRUCT: case K.UNION: case K.ENUM: case K.ENUM64: case K.DATASEC:
            w[2] = r.raw[15]! % 64;
            break;
          default:
            w[2] = id(1);
        }
        if (r.kind === K.ARRAY) { w[3] = id(2); w[4] = id(3); }
        for (let j = 0; j < vlen; j++) {
          const b = 3 + fixed + j * per;
          if (r.kind === K.STRUCT || r.kind === K.UNION) { w[b] = str(4 + j); w[b + 1] = id(5 + j); }
          if (r.kind === K.ENUM || r.kind === K.ENUM64) w[b] = str(4 + j);
          if (r.kind === K.FUNC_PROTO) { w[b] = str(4 + j); w[b + 1] = id(5 + j); }
          if (r.kind === K.DATASEC) w[b] = id(5 + j);
        }
        a.raw(...w);
      }
      // FUNC must point at a FUNC_PROTO: retarget FUNCs (or turn them into TYPEDEFs when there is none)
      const protos = recs.map((r, i) => (r.kind === K.FUNC_PROTO ? i + 1 : 0)).filter(Boolean);
      recs.forEach((r, i) => {
        if (r.kind !== K.FUNC) return;
        if (protos.length) a.patch(i + 1, 2, pick(protos, r.words[9]!));
        else a.patch(i + 1, 1, info(K.TYPEDEF, 0, 0));
      });
      return { asm: a, endian, bytes: a.bytes({ endian }) };
    });
}
