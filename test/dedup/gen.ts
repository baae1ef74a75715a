/**
 * A seeded generator of pre-dedup BTF shaped like compiler/pahole output, for the
 * dedup conformance suite.
 *
 * A random "universe" of C types is made first: base ints and floats, enums (some
 * ENUM64, some signed), named and anonymous structs and unions with bitfields,
 * pointers (also to structs defined later: cycles), qualifier and typedef chains,
 * type tags, arrays, function prototypes, functions, variables, and decl tags on
 * several of them. Several names are shared by different types (two `struct s3` of
 * different layouts), and some structs are near-copies of others that differ only in
 * a member's type (same hash, different graph).
 *
 * Then every compilation unit (CU) emits the closure of some random roots, in its own
 * order, as a compiler would: a named struct reached only through pointers may be
 * just forward-declared (FWD) in that CU, a named enum reached only through pointers
 * may be an enum forward declaration, and arrays or anonymous structs used by struct
 * members are sometimes emitted twice, identically (the compiler quirk libbpf works
 * around). Each CU ends with its variables and a DATASEC. The CUs' types are appended
 * one after the other, as pahole does before calling dedup.
 *
 * Every cycle goes through a struct or union, so the result is valid input for
 * libbpf's dedup.
 */
import type { Btf } from "../../src/btf/btf.js";
import {
  addArray, addConst, addDatasec, addDatasecVarInfo, addDeclTag, addEnum, addEnum64, addEnum64Value, addEnumValue, addField,
  addFloat, addFunc, addFuncParam, addFuncProto, addFwd, addInt, addPtr, addRestrict, addStruct, addTypedef, addTypeTag,
  addUnion, addVar, addVolatile, newBtf,
} from "../../src/btf/builder.js";
import { writeBtf } from "../../src/btf/write.js";
import { parseBtf } from "../../src/btf/parse.js";
import { dedup } from "../../src/btf/dedup/index.js";

/** mulberry32: a small, fast, seedable PRNG. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}

// ---------------------------------------------------------------------------------
// The universe

/** References to other universe types are their index + 1; 0 is void. */
interface Member {
  name: string;
  type: number;
  bitOff: number;
  bitSize: number;
}

type UType =
  | { k: "int"; name: string; size: number; enc: number }
  | { k: "float"; name: string; size: number }
  | { k: "ptr" | "const" | "volatile" | "restrict"; to: number }
  | { k: "typetag"; name: string; to: number }
  | { k: "typedef"; name: string; to: number }
  | { k: "array"; elem: number; index: number; n: number }
  | { k: "struct" | "union"; name: string; size: number; members: Member[] }
  | { k: "enum"; name: string; size: number; signed: boolean; values: [string, number][] }
  | { k: "enum64"; name: string; size: number; signed: boolean; values: [string, bigint][] }
  | { k: "proto"; ret: number; params: { name: string; type: number }[] }
  | { k: "func"; name: string; proto: number; linkage: number }
  | { k: "var"; name: string; type: number; linkage: number };

interface DeclTag {
  name: string;
  target: number;
  component: number;
}

export interface Universe {
  types: UType[];
  tags: DeclTag[];
}

const INT_NAMES: [string, number, number][] = [
  ["char", 1, 2 | 1],
  ["unsigned char", 1, 0],
  ["short", 2, 1],
  ["unsigned short", 2, 0],
  ["int", 4, 1],
  ["unsigned int", 4, 0],
  ["long", 8, 1],
  ["unsigned long", 8, 0],
  ["_Bool", 1, 4],
  ["__int128", 16, 1],
];

const isComposite = (t: UType): boolean => t.k === "struct" || t.k === "union";

/** Make a universe of about `size` types. */
export function genUniverse(rng: Rng, size: number): Universe {
  const types: UType[] = [];
  const tags: DeclTag[] = [];
  const add = (t: UType): number => types.push(t) - 1;
  const nameCount = Math.max(3, Math.floor(size / 4));
  const sname = (): string => (rng.chance(0.12) ? "" : `s${rng.int(nameCount)}`);
  const member = (): string => (rng.chance(0.05) ? "" : rng.pick(["a", "b", "c", "d", "next", "prev", "len", "data", "ops", "lock"]));
  const ints: number[] = [];
  for (const [name, sz, enc] of INT_NAMES) if (rng.chance(0.8) || name === "int") ints.push(add({ k: "int", name, size: sz, enc: enc & 7 }));
  if (rng.chance(0.3)) ints.push(add({ k: "int", name: "long", size: 4, enc: 1 })); // a same-named int of another size
  const intIdx = types.findIndex((t) => t.k === "int" && t.name === "int");
  if (rng.chance(0.7)) add({ k: "float", name: "double", size: 8 });
  if (rng.chance(0.3)) add({ k: "float", name: "float", size: 4 });

  // Struct/union placeholders first, so that pointers may reach any of them.
  const comps: number[] = [];
  const nComp = Math.max(2, Math.floor(size * 0.3));
  for (let i = 0; i < nComp; i++) comps.push(add({ k: rng.chance(0.8) ? "struct" : "union", name: sname(), size: 0, members: [] }));

  const anyEarlier = (limit: number): number => rng.int(limit);
  // A reference usable by value from a type made now: an earlier non-function type.
  const valueRef = (limit: number): number => {
    for (let tries = 0; tries < 20; tries++) {
      const i = anyEarlier(limit);
      const t = types[i]!;
      if (t.k === "func" || t.k === "var" || t.k === "proto") continue;
      if (isComposite(t) && !filled.has(i)) continue; // no struct inside itself, by value
      return i;
    }
    return rng.pick(ints);
  };
  const filled = new Set<number>();

  // Scalars and reference chains.
  const nRef = Math.max(4, Math.floor(size * 0.5));
  for (let i = 0; i < nRef; i++) {
    const r = rng.next();
    const limit = types.length;
    if (r < 0.3) {
      // pointer: to anything earlier, or to any struct (possibly defined later)
      add({ k: "ptr", to: rng.chance(0.5) ? rng.pick(comps) + 1 : rng.chance(0.1) ? 0 : valueRef(limit) + 1 });
    } else if (r < 0.42) add({ k: rng.pick(["const", "volatile", "restrict"] as const), to: valueRef(limit) + 1 });
    else if (r < 0.55) add({ k: "typedef", name: `t${rng.int(nameCount)}`, to: rng.chance(0.3) ? rng.pick(comps) + 1 : valueRef(limit) + 1 });
    else if (r < 0.62) add({ k: "typetag", name: rng.pick(["user", "rcu", "percpu"]), to: valueRef(limit) + 1 });
    else if (r < 0.72) add({ k: "array", elem: valueRef(limit) + 1, index: intIdx + 1, n: rng.pick([0, 1, 2, 4, 16, 32]) });
    else if (r < 0.85) {
      const signed = rng.chance(0.3);
      const values: [string, number][] = [];
      for (let v = rng.int(4); v >= 0; v--) values.push([`E${rng.int(12)}`, signed ? rng.int(20) - 10 : rng.int(20)]);
      add({ k: "enum", name: rng.chance(0.15) ? "" : `e${rng.int(Math.max(2, nameCount >> 1))}`, size: rng.chance(0.1) ? 8 : 4, signed, values });
    } else if (r < 0.9) {
      const values: [string, bigint][] = [];
      for (let v = rng.int(3); v >= 0; v--) values.push([`F${rng.int(8)}`, (BigInt(rng.int(4)) << 32n) | BigInt(rng.int(5))]);
      add({ k: "enum64", name: rng.chance(0.1) ? "" : `e${rng.int(Math.max(2, nameCount >> 1))}`, size: 8, signed: rng.chance(0.3), values });
    } else {
      const params: { name: string; type: number }[] = [];
      for (let p = rng.int(4); p > 0; p--) params.push({ name: rng.chance(0.8) ? `p${rng.int(4)}` : "", type: valueRef(limit) + 1 });
      if (params.length && rng.chance(0.1)) params.push({ name: "", type: 0 }); // varargs
      add({ k: "proto", ret: rng.chance(0.2) ? 0 : valueRef(limit) + 1, params });
    }
  }

  // Fill the structs, in order; by-value members only use earlier types.
  for (const ci of comps) {
    const t = types[ci] as Extract<UType, { k: "struct" | "union" }>;
    const n = rng.int(5);
    let off = 0;
    for (let m = 0; m < n; m++) {
      let type: number;
      const r = rng.next();
      const prev = t.members[t.members.length - 1];
      if (prev && rng.chance(0.25)) type = prev.type; // `int a[4], b[4];`: one type, two members
      else if (r < 0.35) type = rng.pick(comps) + 1; // by pointer below
      else type = valueRef(types.length) + 1;
      if (r < 0.35 && !(prev && prev.type === type)) {
        // a pointer to a struct: find or make one
        const p = types.findIndex((u) => u.k === "ptr" && u.to === type);
        type = (p >= 0 ? p : add({ k: "ptr", to: type })) + 1;
      }
      let bitSize = 0;
      if (t.k === "struct" && rng.chance(0.1)) {
        bitSize = 1 + rng.int(7);
      }
      if (!bitSize) off = (off + 7) & ~7;
      t.members.push({ name: member(), type, bitOff: t.k === "union" ? 0 : off, bitSize });
      off += bitSize ? bitSize : 64;
    }
    t.size = Math.ceil(off / 8) || rng.pick([0, 1, 4]);
    filled.add(ci);
  }

  // Near-copies: same name and shape, one member's type changed.
  for (let i = 0, n = rng.int(3); i < n; i++) {
    const src = types[rng.pick(comps)] as Extract<UType, { k: "struct" | "union" }>;
    if (!src.members.length) continue;
    const members = src.members.map((m) => ({ ...m }));
    members[rng.int(members.length)]!.type = rng.pick(ints) + 1;
    const idx = add({ k: src.k, name: src.name, size: src.size, members });
    comps.push(idx);
    filled.add(idx);
  }
  // Exact copies under the same name (two headers defining the same struct).
  for (let i = 0, n = rng.int(2); i < n; i++) {
    const src = types[rng.pick(comps)] as Extract<UType, { k: "struct" | "union" }>;
    const idx = add({ k: src.k, name: src.name, size: src.size, members: src.members.map((m) => ({ ...m })) });
    comps.push(idx);
    filled.add(idx);
  }

  // A few more reference types over the finished structs, then functions and variables.
  for (let i = 0, n = Math.floor(size * 0.15); i < n; i++) {
    const limit = types.length;
    if (rng.chance(0.5)) add({ k: "ptr", to: valueRef(limit) + 1 });
    else add({ k: "typedef", name: `t${rng.int(nameCount)}`, to: valueRef(limit) + 1 });
  }
  const protos = types.map((t, i) => (t.k === "proto" ? i : -1)).filter((i) => i >= 0);
  for (let i = 0, n = Math.floor(size * 0.15); i < n && protos.length; i++) {
    add({ k: "func", name: `f${rng.int(size)}`, proto: rng.pick(protos) + 1, linkage: rng.pick([0, 1, 1, 2]) });
  }
  for (let i = 0, n = Math.floor(size * 0.08); i < n; i++) add({ k: "var", name: `v${rng.int(size)}`, type: valueRef(types.length) + 1, linkage: rng.pick([0, 1]) });

  // Decl tags on structs, members, functions, parameters, typedefs, variables.
  for (let i = 0, n = Math.floor(size * 0.1); i < n; i++) {
    const target = rng.int(types.length);
    const t = types[target]!;
    let component = -1;
    if (isComposite(t) && (t as { members: Member[] }).members.length && rng.chance(0.5)) component = rng.int((t as { members: Member[] }).members.length);
    else if (t.k === "func") {
      const p = types[t.proto - 1] as Extract<UType, { k: "proto" }>;
      if (p.params.length && rng.chance(0.5)) component = rng.int(p.params.length);
    } else if (t.k !== "struct" && t.k !== "union" && t.k !== "typedef" && t.k !== "var") continue;
    tags.push({ name: rng.pick(["noinline", "kfunc", "user", "ctx"]), target, component });
  }
  return { types, tags };
}

// ---------------------------------------------------------------------------------
// Compilation units

/** A record of one CU, with references as instance numbers (resolved to ids at the end). */
interface Inst {
  node: number;
  /** FWD instead of the definition (struct/union), or enum forward declaration. */
  fwd: boolean;
  /** Instance numbers referenced, in field order (by kind). */
  refs: number[];
}

interface CuOptions {
  /** Probability that a struct reached only through pointers is just declared. */
  pFwd: number;
  /** Probability that an array or anonymous struct member gets its own identical copy. */
  pDup: number;
  /** Probability that a named enum reached only through pointers is just declared. */
  pEnumFwd: number;
}

/** Emit one CU's closure of `roots` into `out` (ids continue from `out`'s count). */
function emitCu(rng: Rng, u: Universe, roots: number[], out: Btf, o: CuOptions, start = out.typeCount, baseIds?: Map<number, number>, pBase = 0): Map<number, number> {
  const T = u.types;
  const insts: Inst[] = [];
  const primary = new Map<number, number>(); // node -> instance
  const byValue = new Set<number>();
  const pending: number[] = [];
  /** External references into the base: instance numbers < 0 mean base id -(n + 1). */
  const ref = (node: number, fromMember: boolean): number => {
    if (baseIds && pBase > 0 && baseIds.has(node) && rng.chance(pBase)) return -1 - baseIds.get(node)!;
    const t = T[node]!;
    if (fromMember && (t.k === "array" || (isComposite(t) && !(t as { name: string }).name)) && rng.chance(o.pDup)) {
      // A duplicate, identical instance of this array / anonymous struct.
      const i = insts.push({ node, fwd: false, refs: [] }) - 1;
      fill(i);
      return i;
    }
    return instOf(node);
  };
  const instOf = (node: number): number => {
    let i = primary.get(node);
    if (i !== undefined) return i;
    i = insts.push({ node, fwd: false, refs: [] }) - 1;
    primary.set(node, i);
    pending.push(i);
    return i;
  };
  // Decide lazily whether a pointer-reached struct/enum is declared only.
  const viaPtr = (node: number): number => {
    const t = T[node]!;
    const named = (t as { name?: string }).name;
    if (!byValue.has(node) && !primary.has(node) && named) {
      if ((isComposite(t) && rng.chance(o.pFwd)) || ((t.k === "enum" || t.k === "enum64") && rng.chance(o.pEnumFwd))) {
        const i = insts.push({ node, fwd: true, refs: [] }) - 1;
        primary.set(node, i);
        return i;
      }
    }
    return instOf(node);
  };
  const fill = (i: number): void => {
    const inst = insts[i]!;
    const t = T[inst.node]!;
    if (inst.fwd) return;
    switch (t.k) {
      case "ptr":
        inst.refs = [t.to === 0 ? -1 : viaPtrOrRef(t.to - 1)];
        break;
      case "const":
      case "volatile":
      case "restrict":
      case "typetag":
      case "typedef":
        inst.refs = [t.to === 0 ? -1 : ref(t.to - 1, false)];
        break;
      case "array":
        inst.refs = [ref(t.elem - 1, false), ref(t.index - 1, false)];
        break;
      case "struct":
      case "union":
        inst.refs = t.members.map((m) => ref(m.type - 1, true));
        break;
      case "proto":
        inst.refs = [t.ret === 0 ? -1 : ref(t.ret - 1, false), ...t.params.map((p) => (p.type === 0 ? -1 : ref(p.type - 1, false)))];
        break;
      case "func":
        inst.refs = [ref(t.proto - 1, false)];
        break;
      case "var":
        inst.refs = [ref(t.type - 1, false)];
        break;
    }
  };
  const viaPtrOrRef = (node: number): number => {
    if (baseIds && pBase > 0 && baseIds.has(node) && rng.chance(pBase)) return -1 - baseIds.get(node)!;
    return viaPtr(node);
  };
  // Mark by-value reachability first (so by-value structs are never declared only).
  const markValue = (node: number, seen: Set<number>): void => {
    if (seen.has(node)) return;
    seen.add(node);
    const t = T[node]!;
    byValue.add(node);
    const go = (n: number) => n > 0 && markValue(n - 1, seen);
    switch (t.k) {
      case "const":
      case "volatile":
      case "restrict":
      case "typetag":
      case "typedef":
        go(t.to);
        break;
      case "array":
        go(t.elem);
        break;
      case "struct":
      case "union":
        for (const m of t.members) go(m.type);
        break;
      case "var":
        go(t.type);
        break;
    }
  };
  const seen = new Set<number>();
  for (const r of roots) markValue(r, seen);
  for (const r of roots) instOf(r);
  while (pending.length) fill(pending.shift()!);
  // Tags whose target made it into the CU as a definition.
  const tagInsts: { tag: DeclTag; target: number }[] = [];
  for (const tag of u.tags) {
    const i = primary.get(tag.target);
    if (i !== undefined && !insts[i]!.fwd && rng.chance(0.8)) tagInsts.push({ tag, target: i });
  }
  // Order: shuffled, or roughly as a compiler walks (as discovered / reversed).
  const order = insts.map((_, i) => i);
  const mode = rng.int(3);
  if (mode === 0) rng.shuffle(order);
  else if (mode === 1) order.reverse();
  const idOf = new Int32Array(insts.length);
  order.forEach((inst, pos) => (idOf[inst] = start + pos));
  const rid = (r: number): number => (r === -1 ? 0 : r < -1 ? -1 - r : idOf[r]!);
  for (const i of order) emitInst(out, T, insts[i]!, rid);
  for (const { tag, target } of tagInsts) addDeclTag(out, tag.name, idOf[target]!, tag.component);
  // Variables of this CU and their section.
  const vars = order.filter((i) => T[insts[i]!.node]!.k === "var");
  if (vars.length && rng.chance(0.7)) {
    addDatasec(out, rng.pick([".data", ".bss"]), vars.length * 8);
    vars.forEach((v, k) => addDatasecVarInfo(out, idOf[v]!, k * 8, 8));
  }
  const ids = new Map<number, number>();
  for (const [node, i] of primary) if (!insts[i]!.fwd) ids.set(node, idOf[i]!);
  return ids;
}

function emitInst(out: Btf, T: UType[], inst: Inst, rid: (r: number) => number): void {
  const t = T[inst.node]!;
  const r = inst.refs.map(rid);
  switch (t.k) {
    case "int":
      addInt(out, t.name, t.size, t.enc);
      return;
    case "float":
      addFloat(out, t.name, t.size);
      return;
    case "ptr":
      addPtr(out, r[0]!);
      return;
    case "const":
      addConst(out, r[0]!);
      return;
    case "volatile":
      addVolatile(out, r[0]!);
      return;
    case "restrict":
      addRestrict(out, r[0]!);
      return;
    case "typetag":
      addTypeTag(out, t.name, r[0]!);
      return;
    case "typedef":
      addTypedef(out, t.name, r[0]!);
      return;
    case "array":
      addArray(out, r[1]!, r[0]!, t.n);
      return;
    case "struct":
    case "union":
      if (inst.fwd) {
        addFwd(out, t.name, t.k);
        return;
      }
      (t.k === "struct" ? addStruct : addUnion)(out, t.name, t.size);
      t.members.forEach((m, k) => addField(out, m.name, r[k]!, m.bitOff, m.bitSize));
      return;
    case "enum":
      if (inst.fwd) {
        addEnum(out, t.name, 4);
        return;
      }
      addEnum(out, t.name, t.size);
      for (const [n, v] of t.values) addEnumValue(out, n, v);
      return;
    case "enum64":
      if (inst.fwd) {
        addEnum64(out, t.name, 8, false);
        return;
      }
      addEnum64(out, t.name, t.size, t.signed);
      for (const [n, v] of t.values) addEnum64Value(out, n, t.signed ? -v : v);
      return;
    case "proto":
      addFuncProto(out, r[0]!);
      t.params.forEach((p, k) => addFuncParam(out, p.name, r[k + 1]!));
      return;
    case "func":
      addFunc(out, t.name, t.linkage, r[0]!);
      return;
    case "var":
      addVar(out, t.name, t.linkage, r[0]!);
      return;
  }
}

// ---------------------------------------------------------------------------------
// Whole inputs

export type GenMode = "plain" | "split-raw" | "split-deduped";

export interface GenCase {
  seed: number;
  mode: GenMode;
  /** Pre-dedup input: non-split, or split BTF on `base`. */
  input: Uint8Array;
  /** For split modes: the base (as generated, or deduplicated for "split-deduped"). */
  base?: Uint8Array;
  /** For "split-deduped": the base as generated, before dedup. */
  baseRaw?: Uint8Array;
  /** For "plain": the number of own types after each CU. */
  cuEnds?: number[];
}

function cuOptions(rng: Rng): CuOptions {
  return { pFwd: rng.pick([0, 0.2, 0.5]), pDup: rng.pick([0, 0.05, 0.2]), pEnumFwd: rng.pick([0, 0.1, 0.3]) };
}

function pickRoots(rng: Rng, u: Universe): number[] {
  const n = 1 + rng.int(Math.max(2, u.types.length >> 3));
  const roots = new Set<number>();
  for (let i = 0; i < n; i++) roots.add(rng.int(u.types.length));
  return [...roots];
}

/**
 * A non-split input (mode "plain") or a base plus split input. Strings of a split
 * input either go through the base first (as libbpf's writer does) or are all own
 * copies (as a raw section would have them), chosen by the seed.
 */
export function genCase(seed: number, mode: GenMode, size?: number): GenCase {
  const rng = new Rng(seed * 2654435761 + (mode === "plain" ? 1 : mode === "split-raw" ? 2 : 3));
  const u = genUniverse(rng, size ?? 20 + rng.int(120));
  const nCu = 2 + rng.int(8);
  const o = cuOptions(rng);
  if (mode === "plain") {
    const btf = newBtf();
    const cuEnds: number[] = [];
    for (let i = 0; i < nCu; i++) {
      emitCu(rng, u, pickRoots(rng, u), btf, rng.chance(0.2) ? cuOptions(rng) : o);
      cuEnds.push(btf.nrTypes);
    }
    return { seed, mode, input: rawCopy(btf), cuEnds };
  }
  const base = newBtf();
  const baseIds = new Map<number, number>();
  const nBase = 1 + rng.int(4);
  for (let i = 0; i < nBase; i++) {
    const ids = emitCu(rng, u, pickRoots(rng, u), base, o);
    for (const [k, v] of ids) if (!baseIds.has(k)) baseIds.set(k, v);
  }
  const baseRaw = rawCopy(base);
  // An already deduplicated base (libbpf's result is byte-identical; the suite checks it).
  const splitBase = mode === "split-deduped" ? dedup(parseBtf(baseRaw, { validate: false })) : base;
  const baseBytes = mode === "split-deduped" ? rawCopy(splitBase) : baseRaw;
  const pBase = mode === "split-raw" && rng.chance(0.3) ? 0.1 : 0;
  const ownStrings = rng.chance(0.5);
  // With own strings, split CUs are built in a scratch non-split BTF whose records use
  // the split's final ids; its strings are then moved after the base's.
  const scratch = newBtf();
  const shift = splitBase.typeCount - 1;
  const parts = newBtf({ base: splitBase });
  for (let i = 0; i < nCu; i++) {
    const out = ownStrings ? scratch : parts;
    emitCu(rng, u, pickRoots(rng, u), out, rng.chance(0.2) ? cuOptions(rng) : o, ownStrings ? scratch.typeCount + shift : parts.typeCount, baseIds, pBase);
  }
  const input = ownStrings ? splitFromScratch(scratch, splitBase.strLen) : rawCopy(parts);
  return { seed, mode, input, base: baseBytes, baseRaw: mode === "split-deduped" ? baseRaw : undefined };
}

/** Raw split BTF from a scratch non-split BTF: strings become own copies after the base's. */
function splitFromScratch(scratch: Btf, baseStrLen: number): Uint8Array {
  // Every string offset o > 0 moves to baseStrLen + o - 1 (the leading NUL is dropped).
  const w = scratch.types.slice(0, scratch.typeWords);
  const fix = (k: number): void => {
    if (w[k]) w[k] = baseStrLen + w[k]! - 1;
  };
  for (let i = 0; i < scratch.nrTypes; i++) {
    const o = scratch.typeOffs[i]!;
    const info = w[o + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    fix(o);
    if (kind === 4 || kind === 5 || kind === 19) for (let m = 0; m < vlen; m++) fix(o + 3 + 3 * m);
    if (kind === 6 || kind === 13) for (let m = 0; m < vlen; m++) fix(o + 3 + 2 * m);
  }
  const strs = scratch.strs.subarray(1, scratch.strLen);
  const out = new Uint8Array(24 + w.length * 4 + strs.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  dv.setUint32(4, 24, true);
  dv.setUint32(12, w.length * 4, true);
  dv.setUint32(16, w.length * 4, true);
  dv.setUint32(20, strs.length, true);
  for (let i = 0; i < w.length; i++) dv.setUint32(24 + 4 * i, w[i]!, true);
  out.set(strs, 24 + w.length * 4);
  return out;
}

function rawCopy(btf: Btf): Uint8Array {
  return writeBtf(btf, { endian: "little" });
}
