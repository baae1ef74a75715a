/**
 * Kernel-style structural checks: what the kernel's BTF verifier (`btf_check_meta`,
 * `btf_resolve`, `btf_check_all_types`) rejects beyond libbpf's shallow load checks.
 * They catch, above all, a module's split BTF on the wrong vmlinux: its ids and string
 * offsets then land on unrelated base types, which shows as a pointer to a FUNC, a
 * member wider than its struct, a VAR outside a DATASEC, or a cycle with no pointer.
 *
 * Only own types are checked (a base is checked when it is parsed); references into
 * the base are followed.
 */
import { BtfError } from "../internal/errors.js";
import { Btf } from "./btf.js";
import { Kind, KIND_NAMES, kflagOf, kindOf, vlenOf } from "./kinds.js";

/** One problem found by {@link checkKernel}. */
export interface Problem {
  typeId: number;
  message: string;
}

/** Kinds that cannot be the target of a PTR, modifier, typedef, member, param, array or VAR. */
const NOT_A_TYPE = (k: number) => k === Kind.FUNC || k === Kind.VAR || k === Kind.DATASEC || k === Kind.DECL_TAG;
const POW2_SIZES = new Set([1, 2, 4, 8, 16]);
const FLOAT_SIZES = new Set([2, 4, 8, 12, 16]);
const INFO_USED = 0x9f00ffff;

/**
 * Run the kernel-style checks on the own types of `btf`; up to `max` problems.
 *
 * @example
 * ```ts
 * const problems = checkKernel(parseBtf(mod, { base, validate: false }));
 * for (const p of problems) console.log(`[${p.typeId}] ${p.message}`);
 * ```
 */
export function checkKernel(btf: Btf, max = 1): Problem[] {
  const out: Problem[] = [];
  const add = (typeId: number, message: string) => {
    out.push({ typeId, message });
    return out.length >= max;
  };
  if (btf.version !== 1 && add(0, `unsupported BTF version ${btf.version}`)) return out;
  if (btf.flags !== 0 && add(0, `unsupported BTF header flags 0x${btf.flags.toString(16)}`)) return out;
  if (btf.hdrExtra.some((b) => b !== 0) && add(0, `unsupported BTF header: non-zero bytes past the first 24`)) return out;
  const ptrSize = guessPointerSize(btf);
  const w = btf.types;
  const kinds = kindTable(btf);
  const kindName = (id: number) => (id === 0 ? "void" : KIND_NAMES[kinds[id]!]!);
  const named = (off: number) => {
    if (off === 0) return false;
    let b: Btf = btf;
    while (off < b.startStrOff && b.base) b = b.base;
    const local = off - b.startStrOff;
    return local >= 0 && local < b.strLen && b.strs[local] !== 0;
  };
  const sizes = new Float64Array(btf.typeCount).fill(-2); // memo for sizeOf, -2: not computed
  const memberSize = (t: number): number => {
    let v = sizes[t]!;
    if (v === -2) sizes[t] = v = sizeOf(btf, t, ptrSize);
    return v;
  };
  const badTarget = (id: number, what: string, target: number): boolean => {
    if (target !== 0 && NOT_A_TYPE(kinds[target]!)) return add(id, `${what} refers to [${target}], a ${kindName(target)}`);
    return false;
  };

  for (let i = 0; i < btf.nrTypes; i++) {
    const id = btf.startId + i;
    const o = btf.typeOffs[i]!;
    const nameOff = w[o]!;
    const info = w[o + 1]!;
    const kind = kindOf(info);
    const vlen = vlenOf(info);
    const kflag = kflagOf(info);
    const third = w[o + 2]!;
    const K = KIND_NAMES[kind]!;
    if ((info & ~INFO_USED) !== 0 && add(id, `${K} has unused info bits set (0x${info.toString(16)})`)) return out;
    switch (kind) {
      case Kind.INT: {
        const iw = w[o + 3]!;
        const enc = (iw >>> 24) & 0x0f, off = (iw >>> 16) & 0xff, bits = iw & 0xff;
        if (!named(nameOff) && add(id, "INT has no name")) return out;
        if ((vlen || kflag) && add(id, "INT with vlen or kind_flag set")) return out;
        if (!POW2_SIZES.has(third) && add(id, `INT has invalid size ${third}`)) return out;
        if ((iw & 0xf0000000 || bits > 128 || off + bits > third * 8) && add(id, `INT bits ${off}+${bits} do not fit size ${third}`)) return out;
        if (enc !== 0 && enc !== 1 && enc !== 2 && enc !== 4 && add(id, `INT has invalid encoding ${enc}`)) return out;
        break;
      }
      case Kind.PTR:
      case Kind.CONST:
      case Kind.VOLATILE:
      case Kind.RESTRICT:
        if (nameOff !== 0 && add(id, `${K} has a name`)) return out;
        if ((vlen || kflag) && add(id, `${K} with vlen or kind_flag set`)) return out;
        if (badTarget(id, K, third)) return out;
        break;
      case Kind.TYPEDEF:
      case Kind.TYPE_TAG:
        if (!named(nameOff) && add(id, `${K} has no name`)) return out;
        if ((vlen || (kind === Kind.TYPEDEF && kflag)) && add(id, `${K} with vlen or kind_flag set`)) return out;
        if (badTarget(id, K, third)) return out;
        break;
      case Kind.ARRAY: {
        if ((nameOff !== 0 || vlen || kflag || third) && add(id, "ARRAY with a name, vlen, kind_flag or size set")) return out;
        if (w[o + 3] === 0 && add(id, "ARRAY of void")) return out;
        if (badTarget(id, "ARRAY element", w[o + 3]!)) return out;
        const idx = skipQualifiers(btf, w[o + 4]!);
        if (btf.kind(idx) !== Kind.INT && add(id, `ARRAY index type [${w[o + 4]}] is a ${kindName(idx)}, not an INT`)) return out;
        break;
      }
      case Kind.STRUCT:
      case Kind.UNION: {
        for (let j = 0, m = o + 3; j < vlen; j++, m += 3) {
          const mt = w[m + 1]!;
          const mo = w[m + 2]!;
          const bitOff = kflag ? mo & 0xffffff : mo;
          const bitSize = kflag ? mo >>> 24 : 0;
          const what = () => `member #${j}${w[m] ? ` '${btf.str(w[m]!)}'` : ""}`;
          if (kind === Kind.UNION && bitOff !== 0 && add(id, `UNION ${what()} at non-zero bit offset ${bitOff}`)) return out;
          if (mt === 0 && add(id, `${K} ${what()} is void`)) return out;
          if (mt !== 0 && NOT_A_TYPE(kinds[mt]!) && badTarget(id, `${K} ${what()}`, mt)) return out;
          let bits = bitSize;
          if (!bitSize) {
            const sz = memberSize(mt);
            if (sz < 0) {
              if (add(id, `${K} ${what()} has incomplete type [${mt}]`)) return out;
              continue;
            }
            bits = sz * 8;
          }
          if (bitOff + bits > third * 8 && add(id, `${K} ${what()} ends at bit ${bitOff + bits}, beyond the size ${third}`)) return out;
        }
        break;
      }
      case Kind.ENUM:
      case Kind.ENUM64:
        if (!POW2_SIZES.has(third) || third > 8) if (add(id, `${K} has invalid size ${third}`)) return out;
        break;
      case Kind.FWD:
        if (!named(nameOff) && add(id, "FWD has no name")) return out;
        if ((vlen || third) && add(id, "FWD with vlen or type set")) return out;
        break;
      case Kind.FUNC:
        if (!named(nameOff) && add(id, "FUNC has no name")) return out;
        if ((vlen > 2 || kflag) && add(id, `FUNC has invalid linkage ${vlen}`)) return out;
        break;
      case Kind.FUNC_PROTO:
        if ((nameOff !== 0 || kflag) && add(id, "FUNC_PROTO with a name or kind_flag set")) return out;
        if (badTarget(id, "FUNC_PROTO return type", third)) return out;
        for (let j = 0, p = o + 3; j < vlen; j++, p += 2) {
          const pt = w[p + 1]!;
          if (pt === 0) {
            if ((j !== vlen - 1 || w[p] !== 0) && add(id, `FUNC_PROTO param #${j} is void (only a last, unnamed param may be: varargs)`)) return out;
          } else if (badTarget(id, `FUNC_PROTO param #${j}`, pt)) return out;
        }
        break;
      case Kind.VAR:
        if (!named(nameOff) && add(id, "VAR has no name")) return out;
        if ((vlen || kflag || w[o + 3]! > 2) && add(id, "VAR with vlen, kind_flag or invalid linkage")) return out;
        if ((third === 0 || NOT_A_TYPE(kinds[third]!)) && add(id, `VAR refers to [${third}], a ${kindName(third)}`)) return out;
        break;
      case Kind.DATASEC:
        if (!named(nameOff) && add(id, "DATASEC has no name")) return out;
        for (let j = 0, s = o + 3; j < vlen; j++, s += 3) {
          const vt = w[s]!;
          const vk = kinds[vt]!;
          if (vk !== Kind.VAR && vk !== Kind.FUNC && add(id, `DATASEC entry #${j} refers to [${vt}], a ${kindName(vt)}, not a VAR`)) return out;
          if (third !== 0 && w[s + 1]! + w[s + 2]! > third && add(id, `DATASEC entry #${j} [${w[s + 1]}, +${w[s + 2]}) is beyond the section size ${third}`)) return out;
        }
        break;
      case Kind.FLOAT:
        if (!named(nameOff) && add(id, "FLOAT has no name")) return out;
        if (!FLOAT_SIZES.has(third) && add(id, `FLOAT has invalid size ${third}`)) return out;
        break;
      case Kind.DECL_TAG: {
        if (!named(nameOff) && add(id, "DECL_TAG has no value")) return out;
        const idx = w[o + 3]! | 0;
        const tk = kinds[third]!;
        if (idx < -1 && add(id, `DECL_TAG has invalid component index ${idx}`)) return out;
        if (tk !== Kind.STRUCT && tk !== Kind.UNION && tk !== Kind.VAR && tk !== Kind.FUNC && tk !== Kind.TYPEDEF && add(id, `DECL_TAG refers to [${third}], a ${kindName(third)}`)) return out;
        if (idx >= 0) {
          const limit = tk === Kind.FUNC ? btf.vlen(btf.sizeOrType(third)) : tk === Kind.STRUCT || tk === Kind.UNION ? btf.vlen(third) : 0;
          if (idx >= limit && add(id, `DECL_TAG component index ${idx} out of range for [${third}]`)) return out;
        }
        break;
      }
    }
  }
  findCycles(btf, add);
  return out;
}

/** Kind of every type id of `btf` and its bases (index 0: void), one pass over the records. */
export function kindTable(btf: Btf): Uint8Array {
  const t = new Uint8Array(btf.typeCount);
  for (let b: Btf | undefined = btf; b; b = b.base) {
    const w = b.types, offs = b.typeOffs;
    for (let i = 0, n = b.nrTypes, id = b.startId; i < n; i++, id++) t[id] = (w[offs[i]! + 1]! >>> 24) & 0x1f;
  }
  return t;
}

/**
 * Throw the first kernel-style problem as a {@link BtfError} (code INVALID).
 * @throws {BtfError}
 */
export function assertKernelValid(btf: Btf): void {
  const p = checkKernel(btf, 1);
  if (p.length) {
    const msg = btf.base ? `${p[0]!.message}; split BTF does not fit this base?` : p[0]!.message;
    throw new BtfError(btf.base ? "MISMATCH" : "INVALID", msg, p[0]!.typeId ? { typeId: p[0]!.typeId } : {});
  }
}

function skipQualifiers(btf: Btf, id: number): number {
  for (let depth = 0; depth < 32 && id !== 0; depth++) {
    const k = btf.kind(id);
    if (k !== Kind.TYPEDEF && k !== Kind.CONST && k !== Kind.VOLATILE && k !== Kind.RESTRICT && k !== Kind.TYPE_TAG) return id;
    id = btf.sizeOrType(id);
  }
  return id;
}

/** Pointer size: from a `long` INT when there is one (libbpf `determine_ptr_size`), else 8. */
export function guessPointerSize(btf: Btf): number {
  const longs = new Set(LONG_NAMES);
  for (let b: Btf | undefined = btf; b; b = b.base) {
    for (let i = 0; i < b.nrTypes; i++) {
      const o = b.typeOffs[i]!;
      if (kindOf(b.types[o + 1]!) !== Kind.INT) continue;
      const s = b.types[o + 2]!;
      if ((s === 4 || s === 8) && longs.has(b.name(b.startId + i))) return s;
    }
  }
  return 8;
}

/** The spellings of `long` libbpf's `determine_ptr_size` looks for. */
const LONG_NAMES = ["long", "long int", "int long", "unsigned long", "long unsigned", "unsigned long int",
  "unsigned int long", "long unsigned int", "long int unsigned", "int unsigned long", "int long unsigned"];

/** Byte size of a type, -1 when it has none (void, FWD, FUNC, too deep). */
export function sizeOf(btf: Btf, id: number, ptrSize = 8): number {
  let mult = 1;
  for (let depth = 0; depth < 32; depth++) {
    if (id === 0) return -1;
    const k = btf.kind(id);
    switch (k) {
      case Kind.INT:
      case Kind.STRUCT:
      case Kind.UNION:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.FLOAT:
      case Kind.DATASEC:
        return mult * btf.sizeOrType(id);
      case Kind.PTR:
        return mult * ptrSize;
      case Kind.TYPEDEF:
      case Kind.CONST:
      case Kind.VOLATILE:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
      case Kind.VAR:
      case Kind.DECL_TAG:
        id = btf.sizeOrType(id);
        break;
      case Kind.ARRAY:
        mult *= btf.word(id, 5);
        id = btf.word(id, 3);
        break;
      default:
        return -1;
    }
  }
  return -1;
}

/**
 * Cycles the kernel rejects: a type that contains itself without a pointer in between
 * (through modifiers, typedefs, arrays, members, VAR). PTR and FUNC_PROTO break cycles.
 * Iterative DFS with colours; base types are taken as checked.
 */
function findCycles(btf: Btf, add: (id: number, msg: string) => boolean): void {
  const n = btf.nrTypes;
  const start = btf.startId;
  const colour = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const stack = new Uint32Array(n + 1);
  const next = new Uint32Array(n + 1); // index of the next edge to follow per stack slot
  const w = btf.types;
  const edge = (o: number, j: number): number => {
    // j-th strong edge of the record at o, or -1 when none left
    const info = w[o + 1]!;
    switch (kindOf(info)) {
      case Kind.TYPEDEF:
      case Kind.CONST:
      case Kind.VOLATILE:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
      case Kind.VAR:
        return j === 0 ? w[o + 2]! : -1;
      case Kind.ARRAY:
        return j === 0 ? w[o + 3]! : -1;
      case Kind.STRUCT:
      case Kind.UNION:
        return j < vlenOf(info) ? w[o + 4 + j * 3]! : -1;
      default:
        return -1;
    }
  };
  for (let root = 0; root < n; root++) {
    if (colour[root]) continue;
    let sp = 0;
    stack[0] = root;
    next[0] = 0;
    colour[root] = 1;
    while (sp >= 0) {
      const cur = stack[sp]!;
      const t = edge(btf.typeOffs[cur]!, next[sp]!);
      if (t < 0) {
        colour[cur] = 2;
        sp--;
        continue;
      }
      next[sp] = next[sp]! + 1;
      const ti = t - start;
      if (ti < 0 || ti >= n) continue;
      if (colour[ti] === 1) {
        add(start + ti, `reference cycle not broken by a pointer through [${start + cur}]`);
        return;
      }
      if (colour[ti] === 0) {
        colour[ti] = 1;
        sp++;
        stack[sp] = ti;
        next[sp] = 0;
      }
    }
  }
}
