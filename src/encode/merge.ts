/**
 * The one BTF pahole 1.30 builds (`struct btf_encoder`): CU fragments appended in CU
 * order, then the saved functions (sorted, merged across CUs, the inconsistent ones
 * left out) and the DATASECs (btf_encoder.c `btf_encoder__encode_cu`,
 * `btf_encoder__add_saved_funcs`, `btf_encoder__encode`).
 *
 * The records are built here directly in libbpf's layout (no builder call per type),
 * with libbpf's string rules: a split BTF looks strings up in its base first, and
 * each string is stored once, in first-use order.
 * @module
 */
import { BtfError } from "../internal/errors.js";
import { Int32List, Uint32List } from "../internal/lists.js";
import { OffsetIndex } from "../internal/offset-index.js";
import { Btf, type Endian } from "../btf/btf.js";
import { findStrBytes, setStringsDeduped, stringIndex } from "../btf/builder.js";
import { Kind, kindOf, kflagOf, mkInfo, vlenOf, INT_SIGNED } from "../btf/kinds.js";
import { strHash, StringSet } from "../btf/strings.js";
import { PipelinedDedup } from "../btf/dedup/pipeline.js";
import { msort } from "./libc.js";
import { KF_FASTCALL, type ElfFunctions, type SectionInfo } from "./elf-info.js";
import type { EncodeFeatures } from "./features.js";
import { FN_BY_PREFIX, FN_UNEXPECTED_REG, REF_INDEX, REF_OFF0, REF_REC, type Fragment } from "./unit.js";

const enc = new TextEncoder();

/** Flags of a saved function (see {@link SavedFuncs}). */
const SF_UNEXPECTED = 1;
const SF_INCONSISTENT = 2;

/**
 * The functions saved for the end (pahole's `struct btf_encoder_func_state`s), with
 * global ids, as columns: a kernel saves some 60 k, which as objects would sit in the
 * JS heap until the end, and be marked by every full GC meanwhile.
 */
class SavedFuncs {
  /** ELF function table entry. */
  readonly entry = new Int32List(1024);
  /** SF_* bits. */
  readonly flags = new Int32List(1024);
  /** Return type id. */
  readonly ret = new Uint32List(1024);
  /** Where its (name offset, type id) pairs are in the assembler's `parPool`, and how many words. */
  readonly pAt = new Int32List(1024);
  readonly pLen = new Int32List(1024);
  /** Where its (value offset, component index) pairs are in `annPool`, and how many words. */
  readonly aAt = new Int32List(1024);
  readonly aLen = new Int32List(1024);

  get length(): number {
    return this.entry.n;
  }

  push(entry: number, flags: number, ret: number, pAt: number, pLen: number, aAt: number, aLen: number): void {
    this.entry.push(entry);
    this.flags.push(flags);
    this.ret.push(ret);
    this.pAt.push(pAt);
    this.pLen.push(pLen);
    this.aAt.push(aAt);
    this.aLen.push(aLen);
  }
}

/** Growing raw BTF: type words, offsets, own strings (libbpf's modifiable `struct btf`). */
class RawBtf {
  types = new Uint32Array(1 << 16);
  nWords = 0;
  typeOffs = new Uint32Array(1 << 12);
  nrTypes = 0;
  readonly strs: StringSet;
  private readonly baseIndex: StringSet | undefined;
  readonly startId: number;
  readonly startStrOff: number;

  /**
   * @param sizeHint bytes of DWARF to encode: the storage starts about that big (a
   *   kernel's pre-dedup BTF is ~0.8 × its .debug_info, a module's up to 1.05 ×).
   *   Untouched capacity costs no memory, while growing by copying would briefly hold
   *   two copies.
   */
  constructor(readonly base: Btf | undefined, sizeHint = 0) {
    this.strs = new StringSet(!base, 1 << 16);
    // The string index of a base that has no base of its own, looked up once.
    this.baseIndex = base && !base.base ? stringIndex(base) : undefined;
    this.startId = base ? base.typeCount : 1;
    this.startStrOff = base ? base.startStrOff + base.strLen : 0;
    if (sizeHint > 0) {
      // Measured: up to 1.05 bytes of records and 0.92 types per 32 bytes of DWARF.
      this.types = new Uint32Array(Math.max(1 << 16, Math.ceil(sizeHint / 3)));
      this.typeOffs = new Uint32Array(Math.max(1 << 12, Math.ceil(sizeHint / 16)));
    }
  }

  /** libbpf `btf__type_cnt`. */
  get typeCount(): number {
    return this.startId + this.nrTypes;
  }

  reserve(words: number, types: number): void {
    if (this.nWords + words > this.types.length) {
      let cap = Math.ceil(this.types.length * 1.5);
      while (cap < this.nWords + words) cap = Math.ceil(cap * 1.5);
      const t = new Uint32Array(cap);
      t.set(this.types.subarray(0, this.nWords));
      this.types = t;
    }
    if (this.nrTypes + types > this.typeOffs.length) {
      let cap = Math.ceil(this.typeOffs.length * 1.5);
      while (cap < this.nrTypes + types) cap = Math.ceil(cap * 1.5);
      const o = new Uint32Array(cap);
      o.set(this.typeOffs.subarray(0, this.nrTypes));
      this.typeOffs = o;
    }
  }

  /** libbpf `btf__add_str` on bytes[start, end) of hash `h` (base first for split BTF). */
  addStrBytes(bytes: Uint8Array, start: number, end: number, h = strHash(bytes, start, end)): number {
    const bi = this.baseIndex;
    if (bi) {
      const off = bi.findBytes(bytes, start, end, h);
      if (off >= 0) return this.base!.startStrOff + off;
    } else if (this.base) {
      const off = findStrBytes(this.base, bytes, start, end, h);
      if (off >= 0) return off;
    }
    return this.startStrOff + this.strs.addBytes(bytes, start, end, h);
  }

  /** Bytes of the last ASCII name added with {@link addStr} (copied by addStrBytes). */
  private ascii = new Uint8Array(256);

  addStr(s: string): number {
    // Function names (tens of thousands, at the end): ASCII, copied without an encoder.
    const n = s.length;
    if (n > this.ascii.length) this.ascii = new Uint8Array(2 * n);
    const b = this.ascii;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        const u = enc.encode(s);
        return this.addStrBytes(u, 0, u.length);
      }
      b[i] = c;
    }
    return this.addStrBytes(b, 0, n);
  }

  /** Append one record; returns its id. */
  add(...w: number[]): number {
    this.reserve(w.length, 1);
    this.typeOffs[this.nrTypes++] = this.nWords;
    for (const x of w) this.types[this.nWords++] = x >>> 0;
    return this.typeCount - 1;
  }

  /** Add one more element to the last record (vlen + 1). */
  addElem(...w: number[]): void {
    const o = this.typeOffs[this.nrTypes - 1]!;
    const info = this.types[o + 1]!;
    if (vlenOf(info) === 0xffff) throw new BtfError("INVALID", `[${this.typeCount - 1}] too many elements (vlen would exceed 65535)`);
    this.reserve(w.length, 0);
    for (const x of w) this.types[this.nWords++] = x >>> 0;
    this.types[o + 1] = (info + 1) >>> 0;
  }

  /** Words and offset of type `id` (own or base). */
  record(id: number): [Uint32Array, number] {
    if (id >= this.startId) return [this.types, this.typeOffs[id - this.startId]!];
    const b = this.base!.owner(id);
    return [b.types, b.typeOffs[id - b.startId]!];
  }

  /** The string at offset `off` (own or base) as bytes [array, start, end]. */
  strSpan(off: number): [Uint8Array, number, number] {
    if (off < this.startStrOff) {
      const s = this.base!.strSpan(off);
      if (!s) return [new Uint8Array(0), 0, 0];
      return s;
    }
    const d = this.strs.data;
    const start = off - this.startStrOff;
    return [d, start, d.indexOf(0, start)];
  }

  toBtf(endian: Endian): Btf {
    const btf = new Btf({
      base: this.base,
      types: this.types,
      typeWords: this.nWords,
      typeOffs: this.typeOffs,
      nrTypes: this.nrTypes,
      strs: this.strs.data,
      strLen: this.strs.length,
      endian,
    });
    // Built through the writer API, as pahole's: libbpf skips string dedup for it.
    setStringsDeduped(btf, true);
    return btf;
  }
}

/**
 * The DWARF string bytes fragments refer to by key (see {@link Fragment.strKeys}):
 * the `.debug_str` section of the file the fragments were made from.
 */
export interface StringSource {
  debugStr?: Uint8Array;
  /**
   * Units share `.debug_str` offsets (a linked file's merged section): the final
   * string of each offset met is remembered, so a name used by thousands of units is
   * hashed and looked up once. False for relocatable files (`.o`, `.ko`), whose
   * section holds each unit's strings apart: nothing to share, and the table would
   * cost four bytes per byte of the section. Default true.
   */
  sharedOffsets?: boolean;
}

/** Options of the assembly (the ELF-side tables). */
export interface AssembleOptions {
  /** Where the fragments' name keys point (the DWARF of the encoded file). */
  strings: StringSource;
  base?: Btf;
  /** Bytes of `.debug_info` (sizes the BTF storage up front; optional). */
  sizeHint?: number;
  endian: Endian;
  features: EncodeFeatures;
  functions: ElfFunctions;
  sections: readonly SectionInfo[];
  /**
   * Deduplicate as the units come (no base only): each fragment's types go through
   * dedup's first passes when appended (see ../btf/dedup/pipeline.ts); finish the
   * dedup with `pipeline.finish(asm.finish())`. For the multi-threaded encoder, where
   * that work overlaps with the other threads' encoding. The records no later pass
   * reads (copies of structs) are dropped as they are deduplicated
   * ({@link PipelinedDedup.release}): the BTF from {@link finish} is then only for the
   * pipeline's `finish`, and when its `canFinish` says no (never seen on a real
   * kernel), the units must be assembled again without `pipelineDedup`.
   */
  pipelineDedup?: boolean;
}

/**
 * pahole's encoder state across CUs: append {@link Fragment}s in CU order with
 * {@link add}, then {@link finish}.
 */
export class Assembler {
  private readonly raw: RawBtf;
  private hasIndexType = false;
  private needIndexType = false;
  private arrayIndexId = 0;
  private readonly saved = new SavedFuncs();
  /** The saved functions' parameters and annotations, all in two arrays (see SavedFuncs). */
  private readonly parPool = new Uint32List(4096);
  private readonly annPool = new Uint32List(4096);
  private readonly byPrefix: Uint8Array;
  private readonly secinfo = new Map<number, number[]>();
  /**
   * `.debug_str` offset -> final string offset, for the names met so far (a linked
   * file's `.debug_str` holds each string once, and its names are shared by thousands
   * of CUs: each is hashed and looked up once). Unused where one string can sit at
   * several offsets (`sharedOffsets` false: a module's unmerged `.debug_str`).
   */
  private strpMap: OffsetIndex | undefined;
  private strOff = new Uint32Array(1024);

  private readonly opts: AssembleOptions;
  private strings: StringSource;
  /** The dedup run as fragments are appended, with `pipelineDedup`. */
  readonly pipeline: PipelinedDedup | undefined;
  /** Milliseconds spent in it so far. */
  pipelineMs = 0;
  /** Of which dropping records ({@link PipelinedDedup.release}). */
  releaseMs = 0;

  constructor(opts: AssembleOptions) {
    // The string sections are held apart, to be dropped by finish().
    this.opts = { ...opts, strings: {} };
    this.strings = opts.strings;
    this.raw = new RawBtf(opts.base, opts.sizeHint);
    // The dedup state for about one type per 40 bytes of DWARF (a kernel has one per 46;
    // denser input makes it grow).
    if (opts.pipelineDedup && !opts.base) this.pipeline = new PipelinedDedup(Math.ceil((opts.sizeHint ?? 0) / 40));

    this.byPrefix = new Uint8Array(opts.functions.count);
  }

  /** Types so far, void and base included (libbpf `btf__type_cnt`). */
  get typeCount(): number {
    return this.raw.typeCount;
  }

  // The fragment being appended (see add()): its first id - 1 (pahole's
  // `type_id_off`), whether the synthetic int went in after its table, the array
  // index type, and how far its strings, names and type ids are mapped or patched.
  private curOff = 0;
  private curIntInserted = false;
  private curTableRecs = 0;
  private curStrPos = 0;
  private curSide = 0;
  private curNf = 0;
  private curTf = 0;

  /** Append one CU (pahole `btf_encoder__encode_cu`). */
  add(fr: Fragment): void {
    const raw = this.raw;
    const off = raw.typeCount - 1;
    if (!this.hasIndexType) {
      if (fr.intId >= 0) {
        this.hasIndexType = true;
        this.arrayIndexId = off + fr.intId;
      } else this.arrayIndexId = off + fr.nrEntries;
    }
    if (fr.hasArray) this.needIndexType = true;
    if (this.strOff.length < fr.nrStrs + 1) this.strOff = new Uint32Array(Math.max(fr.nrStrs + 1, this.strOff.length * 2));
    this.curOff = off;
    this.curIntInserted = false;
    this.curTableRecs = fr.tableRecs;
    this.curStrPos = 0;
    this.curSide = 0;
    this.curNf = 0;
    this.curTf = 0;
    // Local strings -> offsets, in first-use order; records copied and patched.
    this.mapStrings(fr, 0, fr.strsBeforeInt);
    this.copy(fr, 0, fr.tableRecs);
    if (this.needIndexType && !this.hasIndexType) {
      const name = raw.addStr("int");
      raw.add(name, mkInfo(Kind.INT, 0, 0), 4, (INT_SIGNED << 24) | 32);
      this.hasIndexType = true;
      this.curIntInserted = true;
    }
    this.mapStrings(fr, fr.strsBeforeInt, fr.nrStrs);
    this.copy(fr, fr.tableRecs, fr.offs.length);
    this.addFragmentFunctions(fr);
    // Variables, for the DATASECs.
    for (let i = 0; i < fr.vars.length; i += 4) {
      const shndx = fr.vars[i + 1]!;
      let l = this.secinfo.get(shndx);
      if (!l) this.secinfo.set(shndx, (l = []));
      l.push(this.recId(fr.vars[i]!), fr.vars[i + 2]!, fr.vars[i + 3]!);
    }
    const p = this.pipeline;
    if (p) {
      const t = performance.now();
      p.advance(raw.types, raw.typeOffs, raw.nrTypes);
      const tr = performance.now();
      raw.nWords = p.release(raw.types, raw.typeOffs);
      this.releaseMs += performance.now() - tr;
      this.pipelineMs += performance.now() - t;
    }
  }

  /** Final id of the fragment's j-th record. */
  private recId(j: number): number {
    return this.curOff + 1 + j + (this.curIntInserted && j >= this.curTableRecs ? 1 : 0);
  }

  /** Final type id of a fragment's type field value (REF_* codes). */
  private mapType(v: number): number {
    if (v === 0) return 0;
    if (v < REF_REC) return this.curOff + v;
    if (v === REF_INDEX) return this.arrayIndexId;
    if (v === REF_OFF0) return this.curOff;
    return this.recId(v - REF_REC);
  }

  /** Final offsets of the fragment's local strings [from, to) into `strOff[i + 1]`. */
  private mapStrings(fr: Fragment, from: number, to: number): void {
    const raw = this.raw;
    const strOff = this.strOff;
    const keys = fr.strKeys;
    const sb = fr.strBytes;
    const hashes = fr.strHashes;
    const debugStr = this.strings.debugStr;
    // Room for one name per 48 bytes of .debug_str without growing (a kernel's 3.5 MB
    // hold 159 k strings, 54 k of them names met here).
    const map = debugStr && this.strings.sharedOffsets !== false ? (this.strpMap ??= new OffsetIndex(debugStr.length / 48)) : undefined;
    for (let i = from; i < to; i++) {
      const key = keys[i]!;
      let off: number;
      if (key > 0) {
        const start = key - 1;
        off = map ? map.get(start) : -1;
        if (off < 0) {
          const d = debugStr!;
          let h = 0;
          let e = start;
          for (let b = d[e]!; b !== 0 && e < d.length; b = d[++e]!) h = (Math.imul(h, 31) + b) | 0;
          off = e === start ? 0 : raw.addStrBytes(d, start, e, h >>> 0);
          if (map && start < d.length) map.set(start, off);
        }
      } else {
        const pos = this.curStrPos;
        const end = sb.indexOf(0, pos);
        off = raw.addStrBytes(sb, pos, end, hashes[this.curSide++]!);
        this.curStrPos = end + 1;
      }
      strOff[i + 1] = off;
    }
  }

  /** Copy the fragment's records [from, to) and patch their names and type ids. */
  private copy(fr: Fragment, from: number, to: number): void {
    if (from >= to) return;
    const raw = this.raw;
    const w = fr.words;
    const offsArr = fr.offs;
    const nameFields = fr.nameFields;
    const typeFields = fr.typeFields;
    const strOff = this.strOff;
    const off = this.curOff;
    const arrayIndexId = this.arrayIndexId;
    const wStart = offsArr[from]!;
    const wEnd = to < offsArr.length ? offsArr[to]! : w.length;
    raw.reserve(wEnd - wStart, to - from);
    const out = raw.types;
    const at = raw.nWords;
    const delta = at - wStart;
    out.set(w.subarray(wStart, wEnd), at);
    const typeOffs = raw.typeOffs;
    let nt = raw.nrTypes;
    for (let j = from; j < to; j++) typeOffs[nt++] = offsArr[j]! + delta;
    raw.nrTypes = nt;
    raw.nWords += wEnd - wStart;
    let nf = this.curNf;
    for (; nf < nameFields.length && nameFields[nf]! < wEnd; nf++) {
      const k = nameFields[nf]! + delta;
      out[k] = strOff[out[k]!]!;
    }
    this.curNf = nf;
    let tf = this.curTf;
    for (; tf < typeFields.length && typeFields[tf]! < wEnd; tf++) {
      const k = typeFields[tf]! + delta;
      const v = out[k]!;
      if (v === 0) continue;
      if (v < REF_REC) out[k] = off + v;
      else if (v === REF_INDEX) out[k] = arrayIndexId;
      else if (v === REF_OFF0) out[k] = off;
      else out[k] = this.recId(v - REF_REC);
    }
    this.curTf = tf;
  }

  /** The fragment's functions, saved for finish(). */
  private addFragmentFunctions(fr: Fragment): void {
    const strOff = this.strOff;
    for (let i = 0; i < fr.fnEntry.length; i++) {
      const entry = fr.fnEntry[i]!;
      const flags = fr.fnFlags[i]!;
      if (flags & FN_BY_PREFIX) this.byPrefix[entry] = 1;
      const ps = fr.fnParams[2 * i]!;
      const pn = fr.fnParams[2 * i + 1]!;
      const pAt = this.parPool.n;
      for (let k = 0; k < pn; k++) {
        this.parPool.push(strOff[fr.parName[ps + k]!]!);
        this.parPool.push(this.mapType(fr.parType[ps + k]!));
      }
      const as = fr.fnAnnots[2 * i]!;
      const an = fr.fnAnnots[2 * i + 1]!;
      const aAt = this.annPool.n;
      for (let k = 0; k < an; k++) {
        this.annPool.push(strOff[fr.annValue[as + k]!]!);
        this.annPool.push(fr.annComp[as + k]!);
      }
      this.saved.push(entry, flags & FN_UNEXPECTED_REG ? SF_UNEXPECTED : 0, this.mapType(fr.fnRet[i]!), pAt, 2 * pn, aAt, 2 * an);
    }
  }

  /**
   * The saved functions and the DATASECs (pahole `btf_encoder__encode` before
   * dedup); returns the pre-dedup BTF.
   */
  finish(): Btf {
    // No fragment comes after this: let go of the DWARF string sections (views of
    // the input file, which can then be freed before dedup).
    this.strings = {};
    this.strpMap = undefined;
    this.addSavedFuncs();
    const secs = this.opts.sections;
    for (let shndx = 1; shndx < secs.length; shndx++) {
      const l = this.secinfo.get(shndx);
      if (l && l.length) this.addDatasec(secs[shndx]!.name, l);
    }
    return this.raw.toBtf(this.opts.endian);
  }

  /** pahole `btf_encoder__add_saved_funcs`. */
  private addSavedFuncs(): void {
    const funcs = this.opts.functions;
    const sv = this.saved;
    const n = sv.length;
    if (n === 0) return;
    const all = funcs.orderByEntry(sv.entry.a.subarray(0, n));
    const flags = sv.flags.a;
    const skipInconsistent = this.opts.features.consistentFunc;
    for (let i = 0, j: number; i < n; i = j) {
      const s = all[i]!;
      j = i + 1;
      while (j < n && this.combine(s, all[j]!)) j++;
      const add = !skipInconsistent || flags[s] === 0;
      if (add) this.addFunc(s);
    }
  }

  /** pahole `saved_functions_combine`: true when saved function b is the same function as a (flags shared). */
  private combine(a: number, b: number): boolean {
    const sv = this.saved;
    if (!this.opts.functions.sameFunction(sv.entry.a[a]!, sv.entry.a[b]!)) return false;
    const flags = sv.flags.a;
    let f = flags[a]! | flags[b]!;
    if (f === 0 && !this.funcsMatch(a, b)) f = SF_INCONSISTENT;
    flags[a] = flags[b] = f;
    return true;
  }

  /** pahole `funcs__match` on saved functions a and b. */
  private funcsMatch(a: number, b: number): boolean {
    const sv = this.saved;
    const len = sv.pLen.a[a]!;
    if (len !== sv.pLen.a[b]!) return false;
    const p = this.parPool.a;
    if (!this.typesMatch(sv.ret.a[a]!, sv.ret.a[b]!)) return false;
    const pa = sv.pAt.a[a]!;
    const pb = sv.pAt.a[b]!;
    for (let i = 1; i < len; i += 2) if (!this.typesMatch(p[pa + i]!, p[pb + i]!)) return false;
    return true;
  }

  /** pahole `fwd__kind`. */
  private fwdKind(info: number): number {
    const k = kindOf(info);
    if (k === Kind.FWD) return kflagOf(info) ? Kind.UNION : Kind.STRUCT;
    return k;
  }

  private namesMatch(n1: number, n2: number): boolean {
    if (n1 === n2) return true;
    const [a, as, ae] = this.raw.strSpan(n1);
    const [b, bs, be] = this.raw.strSpan(n2);
    if (ae - as !== be - bs) return false;
    for (let i = 0; i < ae - as; i++) if (a[as + i] !== b[bs + i]) return false;
    return true;
  }

  /**
   * pahole `types__match`, loose on purpose (names only for structs, const ignored),
   * including its quirk of comparing a nested prototype's return type once per
   * parameter instead of the parameters.
   */
  private typesMatch(id1: number, id2: number): boolean {
    for (let guard = 0; guard < 1 << 20; guard++) {
      if (id1 === id2) return true;
      if (!id1 || !id2) return id1 === id2;
      const [w1, o1] = this.raw.record(id1);
      const [w2, o2] = this.raw.record(id2);
      const k1 = this.fwdKind(w1[o1 + 1]!);
      const k2 = this.fwdKind(w2[o2 + 1]!);
      if (k1 !== k2) {
        if (k1 === Kind.CONST) {
          id1 = w1[o1 + 2]!;
          continue;
        }
        if (k2 === Kind.CONST) {
          id2 = w2[o2 + 2]!;
          continue;
        }
        return false;
      }
      switch (k1) {
        case Kind.INT:
          if (w1[o1 + 2] !== w2[o2 + 2]) return false;
          if (w1[o1 + 3] !== w2[o2 + 3]) return false;
          return this.namesMatch(w1[o1]!, w2[o2]!);
        case Kind.FLOAT:
          if (w1[o1 + 2] !== w2[o2 + 2]) return false;
          return this.namesMatch(w1[o1]!, w2[o2]!);
        case Kind.TYPEDEF:
        case Kind.STRUCT:
        case Kind.UNION:
        case Kind.ENUM:
        case Kind.ENUM64:
          return this.namesMatch(w1[o1]!, w2[o2]!);
        case Kind.PTR:
        case Kind.VOLATILE:
        case Kind.CONST:
        case Kind.RESTRICT:
        case Kind.TYPE_TAG:
          id1 = w1[o1 + 2]!;
          id2 = w2[o2 + 2]!;
          break;
        case Kind.ARRAY:
          if (w1[o1 + 5] !== w2[o2 + 5]) return false;
          id1 = w1[o1 + 3]!;
          id2 = w2[o2 + 3]!;
          break;
        case Kind.FUNC_PROTO: {
          const vlen = vlenOf(w1[o1 + 1]!);
          if (vlen !== vlenOf(w2[o2 + 1]!)) return false;
          const r1 = w1[o1 + 2]!;
          const r2 = w2[o2 + 2]!;
          if (!this.typesMatch(r1, r2)) return false;
          for (let i = 0; i < vlen; i++) if (!this.typesMatch(r1, r2)) return false;
          return true;
        }
        default:
          return false;
      }
    }
    return false;
  }

  /** pahole `btf_encoder__add_func`: FUNC_PROTO, FUNC, kfunc and annotation DECL_TAGs. */
  private addFunc(k: number): void {
    const raw = this.raw;
    const funcs = this.opts.functions;
    const sv = this.saved;
    const entry = sv.entry.a[k]!;
    const e = funcs.entries[entry]!;
    raw.add(0, mkInfo(Kind.FUNC_PROTO, 0, 0), sv.ret.a[k]!);
    const p = this.parPool.a;
    for (let i = sv.pAt.a[k]!, end = i + sv.pLen.a[k]!; i < end; i += 2) raw.addElem(p[i]!, p[i + 1]!);
    const protoId = raw.typeCount - 1;
    const name = this.byPrefix[entry] ? e.name.slice(0, e.prefixlen) : e.name;
    if (name === "") throw new BtfError("INVALID", `error: failed to encode function '': invalid func`);
    const fnId = raw.add(raw.addStr(name), mkInfo(Kind.FUNC, 0, 0), protoId);
    if (funcs.kfunc[entry] && this.opts.features.declTagKfuncs && this.opts.features.declTag) {
      raw.add(raw.addStr("bpf_kfunc"), mkInfo(Kind.DECL_TAG, 0, 0), fnId, 0xffffffff);
      if (funcs.kfuncFlags[entry]! & KF_FASTCALL) raw.add(raw.addStr("bpf_fastcall"), mkInfo(Kind.DECL_TAG, 0, 0), fnId, 0xffffffff);
    }
    const an = this.annPool.a;
    for (let i = sv.aAt.a[k]!, end = i + sv.aLen.a[k]!; i < end; i += 2) raw.add(an[i]!, mkInfo(Kind.DECL_TAG, 0, 0), fnId, an[i + 1]!);
  }

  /** pahole `btf_encoder__add_datasec`: entries sorted by offset, size up to the last one's end. */
  private addDatasec(name: string, l: number[]): void {
    const raw = this.raw;
    const n = l.length / 3;
    const idx: number[] = [];
    for (let i = 0; i < n; i++) idx.push(i);
    // qsort with `av->offset - bv->offset` as an int.
    msort(idx, (a, b) => (l[3 * a + 1]! - l[3 * b + 1]!) | 0);
    const last = idx[n - 1]!;
    const size = (l[3 * last + 1]! + l[3 * last + 2]!) >>> 0;
    if (name === "") throw new BtfError("INVALID", "DATASEC (anon) Error emitting BTF type");
    raw.add(raw.addStr(name), mkInfo(Kind.DATASEC, 0, 0), size);
    for (const i of idx) raw.addElem(l[3 * i]!, l[3 * i + 1]!, l[3 * i + 2]!);
  }
}
