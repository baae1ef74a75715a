/**
 * Mutation fuzzing of the loaders: seeded, deterministic per case (case i of seed s is
 * always the same input), so a case can be rebuilt from (seed, i) alone.
 */
import { createHash } from "node:crypto";
import { checkKernel, dumpJsonBytes, dumpRawBytes, btfStats, extractBtfBytes, parseBtf, writeBtf, HOST_ENDIAN, type Btf } from "../../src/btf/index.js";
import { ElfFile, isElf } from "../../src/elf/elf.js";
import { isBtfError } from "../../src/internal/errors.js";
import { LAYOUT } from "./btf-asm.js";

/** A small, fast PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const caseSeed = (seed: number, i: number): number => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i + 1, 0xc2b2ae35)) >>> 0;

export interface FuzzInput {
  /** Fixture path (relative to test/fixtures) or corpus file name. */
  file: string;
  bytes: Uint8Array;
  /** Index into the base list, for split BTF. */
  base?: number;
}

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 12, 16, 23, 24, 25, 31, 32, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Build case `i` of `seed`: pick an input and apply 1..4 mutations. */
export function makeCase(seed: number, i: number, pool: FuzzInput[]): { input: FuzzInput; bytes: Uint8Array; ops: string[] } {
  const r = rng(caseSeed(seed, i));
  const int = (n: number) => Math.floor(r() * n);
  const input = pool[int(pool.length)]!;
  let b: Uint8Array = input.bytes.slice();
  const ops: string[] = [];
  const n = 1 + (r() < 0.6 ? 0 : int(3));
  for (let k = 0; k < n; k++) {
    const len = b.length;
    const pos = () => int(Math.max(1, len));
    const interesting = () => {
      const base = INTERESTING[int(INTERESTING.length)]!;
      switch (int(4)) {
        case 0: return base;
        case 1: return (len + int(9) - 4) >>> 0;
        case 2: return (base + int(9) - 4) >>> 0;
        default: return int(0x100000000);
      }
    };
    const le = b[0] === 0x9f || b[5] === 1 || !(b[0] === 0xeb || b[5] === 2);
    const setU32 = (o: number, v: number) => {
      if (o + 4 > b.length) return;
      new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(o, v >>> 0, le);
    };
    const op = pickOp(r());
    switch (op) {
      case 0: { // bit flip
        if (!len) break;
        const p = pos();
        b[p] = b[p]! ^ (1 << int(8));
        ops.push(`flip@${p}`);
        break;
      }
      case 1: { // byte set
        if (!len) break;
        const p = pos();
        b[p] = [0, 0xff, int(256)][int(3)]!;
        ops.push(`set@${p}`);
        break;
      }
      case 2: { // truncate
        const to = int(len + 1);
        b = b.slice(0, to);
        ops.push(`trunc@${to}`);
        break;
      }
      case 3: { // header field (BTF header words, or ELF header offsets)
        const o = isElf(b) ? [32, 40, 44, 48, 56, 58, 60, 62][int(8)]! : 4 + 4 * int(5);
        setU32(o, interesting());
        ops.push(`hdr@${o}`);
        break;
      }
      case 4: { // aligned word anywhere (type records, ELF section headers)
        const o = int(Math.max(1, len >> 2)) * 4;
        setU32(o, interesting());
        ops.push(`word@${o}`);
        break;
      }
      case 5: { // info word of a plausible record: random kind / vlen / kflag
        const o = 24 + int(Math.max(1, (len - 24) >> 2)) * 4;
        setU32(o, ((int(2) << 31) | (int(32) << 24) | (int(4) ? int(8) : int(0x10000))) >>> 0);
        ops.push(`info@${o}`);
        break;
      }
      case 6: { // splice from another input
        const other = pool[int(pool.length)]!.bytes;
        const at = pos();
        const from = int(Math.max(1, other.length));
        const cnt = int(Math.min(256, other.length - from) + 1);
        const nb = new Uint8Array(Math.max(len, at + cnt));
        nb.set(b);
        nb.set(other.subarray(from, from + cnt), at);
        b = nb;
        ops.push(`splice@${at}+${cnt}`);
        break;
      }
      case 7: { // duplicate a range
        const from = pos();
        const cnt = int(Math.min(512, len - from) + 1);
        const at = int(len + 1);
        b = concat(b.subarray(0, at), b.subarray(from, from + cnt), b.subarray(at));
        ops.push(`dup@${from}+${cnt}->${at}`);
        break;
      }
      case 8: { // delete a range
        const from = pos();
        const cnt = int(Math.min(64, len - from) + 1);
        b = concat(b.subarray(0, from), b.subarray(from + cnt));
        ops.push(`del@${from}+${cnt}`);
        break;
      }
      case 9: { // insert random bytes
        const at = int(len + 1);
        const ins = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        ops.push(`ins@${at}+${ins.length}`);
        break;
      }
      case 10: { // swap the magic's byte order (header says the other endianness)
        if (len >= 2) [b[0], b[1]] = [b[1]!, b[0]!];
        ops.push("magic-swap");
        break;
      }
      case 11: { // one word of one type record of a raw BTF (structure-aware)
        const recs = records(b);
        if (!recs.length) break;
        const rec = recs[int(recs.length)]!;
        const k = int(rec.words);
        const cnt = recs.length + 1;
        const v = [0, 1, int(cnt + 2), cnt - 1, cnt, int(64), int(0x100000000), ((int(2) << 31) | ((1 + int(19)) << 24) | int(6)) >>> 0, interesting()][int(9)]!;
        setU32(rec.off + 4 * k, v);
        ops.push(`rec@${rec.off}+${k}`);
        break;
      }
    }
  }
  return { input, bytes: b, ops };
}

/** Weighted choice of a mutation: mostly in place, so many cases get past the header. */
const WEIGHTS = [3, 2, 1, 1, 3, 2, 1, 1, 1, 1, 0.3, 6];
const TOTAL = WEIGHTS.reduce((a, b) => a + b, 0);
function pickOp(x: number): number {
  let t = x * TOTAL;
  for (let i = 0; i < WEIGHTS.length; i++) {
    t -= WEIGHTS[i]!;
    if (t < 0) return i;
  }
  return WEIGHTS.length - 1;
}

/** Record offsets (bytes) and sizes (words) of a raw little/big-endian BTF blob; [] when the header does not fit. */
function records(b: Uint8Array): { off: number; words: number }[] {
  if (b.length < 24 || !((b[0] === 0x9f && b[1] === 0xeb) || (b[0] === 0xeb && b[1] === 0x9f))) return [];
  const le = b[0] === 0x9f;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hdr = dv.getUint32(4, le), typeOff = dv.getUint32(8, le), typeLen = dv.getUint32(12, le);
  const start = hdr + typeOff;
  const end = Math.min(b.length, start + typeLen);
  const out: { off: number; words: number }[] = [];
  for (let o = start; o + 12 <= end && out.length < 100000; ) {
    const info = dv.getUint32(o + 4, le);
    const l = LAYOUT[(info >>> 24) & 0x1f];
    if (!l) break;
    const words = 3 + l[0] + (info & 0xffff) * l[1];
    out.push({ off: o, words });
    o += words * 4;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A failure that is not a BtfError, or a broken invariant. */
export class Crash extends Error {}

const ok = (e: unknown): void => {
  if (!isBtfError(e)) throw new Crash(`${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
};

/**
 * Run the library over `bytes`: containers, ELF sections, parse with and without the
 * kernel-style checks, dumps, stats, checks, write/re-parse in both byte orders, typed
 * views. Every step may throw a BtfError; anything else throws a {@link Crash}.
 */
export async function exercise(bytes: Uint8Array, base?: Btf): Promise<void> {
  if (isElf(bytes)) {
    try {
      const elf = new ElfFile(bytes);
      for (const s of elf.sections.slice(0, 64)) {
        try {
          elf.sectionData(s);
        } catch (e) {
          ok(e);
        }
      }
    } catch (e) {
      ok(e);
    }
  }
  let raw: Uint8Array;
  try {
    raw = (await extractBtfBytes(bytes)).bytes;
  } catch (e) {
    ok(e);
    return;
  }
  let btf: Btf;
  try {
    btf = parseBtf(raw, { base, validate: false });
  } catch (e) {
    ok(e);
    return;
  }
  try {
    const rawDump = dumpRawBytes(btf);
    const jsonDump = dumpJsonBytes(btf);
    btfStats(btf);
    checkKernel(btf, 50);
    for (const endian of ["little", "big"] as const) {
      if (btf.hdrExtra.length && endian !== HOST_ENDIAN) continue;
      let again: Btf;
      try {
        again = parseBtf(writeBtf(btf, { endian }), { base, validate: false });
      } catch (e) {
        throw new Crash(`written ${endian}-endian BTF does not parse back: ${(e as Error).message}`);
      }
      if (!Buffer.from(dumpRawBytes(again)).equals(Buffer.from(rawDump)) || !Buffer.from(dumpJsonBytes(again)).equals(Buffer.from(jsonDump)))
        throw new Crash(`written ${endian}-endian BTF dumps differently`);
    }
    const last = Math.min(btf.typeCount, btf.startId + 3000);
    for (let id = btf.startId; id < last; id++) {
      const t = btf.type(id);
      if (t.name) btf.findByName(t.name);
    }
  } catch (e) {
    if (e instanceof Crash) throw e;
    ok(e);
  }
  try {
    parseBtf(raw, { base, validate: true });
  } catch (e) {
    ok(e);
  }
}

export const hashName = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex").slice(0, 16);
