/**
 * What pahole 1.30's BTF encoder takes from the ELF file besides DWARF
 * (btf_encoder.c): the table of function symbols DWARF functions are matched
 * against, the kfunc sets of `.BTF_ids`, and the sections and object symbols that
 * decide which variables get a VAR.
 * @module
 */
import { BtfError } from "../internal/errors.js";
import type { ElfFile, ElfSection } from "../elf/elf.js";
import { relocatableLayout } from "../elf/relocations.js";
import { SymbolTable, type ElfSymbol } from "../elf/symbols.js";
import { bsearch, strcmp, strncmp } from "./libc.js";
import { cstring } from "../elf/strtab.js";

const STT_OBJECT = 1;
const STT_FUNC = 2;
const SHT_PROGBITS = 1;
const SHT_NOBITS = 8;
const SHT_SYMTAB = 2;
const SHF_ALLOC = 2;

/** kfunc flag (include/linux/btf.h) that adds a `bpf_fastcall` tag. */
export const KF_FASTCALL = 1 << 12;

/** One entry of pahole's ELF function table (`struct elf_function`). */
export interface ElfFunction {
  /** Symbol name, suffixes included (`foo.isra.0`). */
  name: string;
  /** Length of the name up to its first `.` (all of it when there is none). */
  prefixlen: number;
}

/** pahole `functions_cmp`. */
function functionsCmp(a: ElfFunction, b: ElfFunction): number {
  if (a.prefixlen && a.prefixlen === b.prefixlen) return strncmp(a.name, b.name, b.prefixlen);
  return strcmp(a.name, b.name);
}

/**
 * Sort `order` (indexes into `names` and `prefixlens`) as `msort` with pahole's
 * `functions_cmp` on (name, prefix length) sorts the entries: the same merges, so the
 * same permutation (which matters: the comparator is not a total order). Not libc.ts's
 * `msort`: its comparator call site is shared by all its callers, where V8 can inline
 * none of them (0.1-0.2 s for each of a kernel's two sorts of function names); the
 * merges here ({@link msortRuns}) serve this sort and {@link sortFunctionNameBytes}
 * only (a kernel's sort of 46 k names: 52-67 ms cold either way, as when each had its
 * own copy of the merges).
 */
export function sortByFunctionName(order: Int32Array, names: readonly string[], prefixlens: Int32Array): Int32Array {
  // functions_cmp(x, y) <= 0
  const le = (x: number, y: number): boolean => {
    const px = prefixlens[x]!;
    return px && px === prefixlens[y]! ? strncmp(names[x]!, names[y]!, px) <= 0 : names[x]! <= names[y]!;
  };
  if (order.length > 1) msortRuns(order, 0, order.length, new Int32Array(order.length), le);
  return order;
}

/**
 * {@link sortByFunctionName} over ASCII names given as bytes (each at `starts[i]` in
 * `bytes`, NUL-terminated; prefix lengths in bytes): the same merges and comparisons,
 * byte by byte, so the same permutation as over the decoded names.
 */
export function sortFunctionNameBytes(order: Int32Array, bytes: Uint8Array, starts: Int32Array, prefixlens: Int32Array): Int32Array {
  // functions_cmp(x, y) <= 0: strncmp over the prefix when both are as long, else strcmp.
  const le = (x: number, y: number): boolean => {
    const px = prefixlens[x]!;
    const limit = px && px === prefixlens[y]! ? px : 0x7fffffff;
    for (let q = 0, p = starts[x]!, r = starts[y]!; q < limit; q++, p++, r++) {
      const cx = bytes[p]!;
      const cy = bytes[r]!;
      if (cx !== cy) return cx < cy;
      if (cx === 0) break;
    }
    return true;
  };
  if (order.length > 1) msortRuns(order, 0, order.length, new Int32Array(order.length), le);
  return order;
}

/** glibc `msort`'s merges of `a[start, start + n)` (`le`: the comparator's `<= 0`). */
function msortRuns(a: Int32Array, start: number, n: number, tmp: Int32Array, le: (x: number, y: number) => boolean): void {
  if (n <= 1) return;
  let n1 = n >>> 1;
  let n2 = n - n1;
  msortRuns(a, start, n1, tmp, le);
  msortRuns(a, start + n1, n2, tmp, le);
  let i = start;
  let j = start + n1;
  let k = 0;
  while (n1 > 0 && n2 > 0) {
    const x = a[i]!;
    const y = a[j]!;
    if (le(x, y)) {
      tmp[k++] = x;
      i++;
      n1--;
    } else {
      tmp[k++] = y;
      j++;
      n2--;
    }
  }
  while (n1 > 0) {
    tmp[k++] = a[i++]!;
    n1--;
  }
  // The rest of the right run is already in place.
  for (let x = 0; x < k; x++) a[start + x] = tmp[x]!;
}

/**
 * pahole's ELF function table: every `STT_FUNC` symbol of `.symtab`, sorted with
 * its prefix comparator, searched with `bsearch`.
 */
export class ElfFunctions implements FunctionLookup {
  /** The entries, in table order (from {@link nameBytes}, decoded when first asked for). */
  get entries(): ElfFunction[] {
    return (this.decoded ??= this.decode());
  }
  private decoded: ElfFunction[] | undefined;
  /** Per entry: its prefix length (as its {@link ElfFunction.prefixlen}). */
  readonly prefixlens: Int32Array;
  /** Symbols with a `.` suffix (`.isra.0`, `.cold` ...). */
  readonly suffixCount: number;
  /** Per entry: 1 when `.BTF_ids` lists it as a kfunc (pahole `elf_function.kfunc`). */
  readonly kfunc: Uint8Array;
  /** Per entry: its kfunc flags (`KF_*`). */
  readonly kfuncFlags: Uint32Array;
  /**
   * The names as bytes, when the table was made from a symbol table's columns: its
   * string table, and where each entry's (NUL-terminated) name starts in it. What a
   * worker's {@link FunctionNameTable} searches, without encoding the names again.
   */
  readonly nameBytes: { bytes: Uint8Array; starts: Int32Array } | undefined;

  /**
   * @param entries the entries in table order; or, with `nameBytes`, how many there
   *   are, with their prefix lengths: the names are then decoded from `nameBytes`
   *   (ASCII) when first needed, so that a table can be handed to the workers first
   *   ({@link fromSymbols}).
   */
  constructor(entries: ElfFunction[] | Int32Array, suffixCount: number, nameBytes?: { bytes: Uint8Array; starts: Int32Array }) {
    if (Array.isArray(entries)) {
      this.decoded = entries;
      this.prefixlens = Int32Array.from(entries, (e) => e.prefixlen);
    } else {
      if (!nameBytes || nameBytes.starts.length !== entries.length) throw new BtfError("ARGUMENT", "function table: prefix lengths without as many names");
      this.prefixlens = entries;
    }
    this.count = this.prefixlens.length;
    this.suffixCount = suffixCount;
    this.kfunc = new Uint8Array(this.count);
    this.kfuncFlags = new Uint32Array(this.count);
    this.nameBytes = nameBytes;
  }

  private decode(): ElfFunction[] {
    const { bytes, starts } = this.nameBytes!;
    return Array.from(starts, (s, i): ElfFunction => ({ name: cstring(bytes, s) ?? "", prefixlen: this.prefixlens[i]! }));
  }

  /** pahole `elf_functions__collect`: from the symbols of `.symtab`, in table order. */
  static fromSymbols(syms: readonly ElfSymbol[] | SymbolTable): ElfFunctions {
    if (syms instanceof SymbolTable) {
      const t = ElfFunctions.fromAsciiSymbols(syms);
      if (t) return t;
    }
    const names: string[] = [];
    const offsets: number[] = [];
    if (syms instanceof SymbolTable) {
      for (let i = 0; i < syms.count; i++)
        if (syms.type(i) === STT_FUNC) {
          names.push(syms.name(i));
          offsets.push(syms.nameOffset(i));
        }
    } else for (const s of syms) if (s.type === STT_FUNC) names.push(s.name);
    let suffix = 0;
    const prefixlens = new Int32Array(names.length);
    const order = new Int32Array(names.length);
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const dot = name.indexOf(".");
      if (dot >= 0) suffix++;
      prefixlens[i] = dot >= 0 ? dot : name.length;
      order[i] = i;
    }
    sortByFunctionName(order, names, prefixlens);
    const entries = Array.from(order, (i): ElfFunction => ({ name: names[i]!, prefixlen: prefixlens[i]! }));
    // (Name offset 0 reads as "": the string table's first byte must then be its NUL.)
    const strtab = syms instanceof SymbolTable ? syms.strings : undefined;
    const nameBytes = strtab && (strtab[0] === 0 || !offsets.includes(0)) ? { bytes: strtab, starts: Int32Array.from(order, (i) => offsets[i]!) } : undefined;
    return new ElfFunctions(entries, suffix, nameBytes);
  }

  /**
   * {@link fromSymbols} without decoding a name, when every function's name is ASCII
   * (else undefined): sorted by bytes ({@link sortFunctionNameBytes}), the names decoded
   * when first needed. A kernel's table is then ready ~60 ms sooner for the workers,
   * which search its bytes.
   */
  private static fromAsciiSymbols(syms: SymbolTable): ElfFunctions | undefined {
    const strtab = syms.strings;
    const offsets: number[] = [];
    for (let i = 0; i < syms.count; i++) if (syms.type(i) === STT_FUNC) offsets.push(syms.nameOffset(i));
    const n = offsets.length;
    const starts = Int32Array.from(offsets);
    const prefixlens = new Int32Array(n);
    let suffix = 0;
    for (let i = 0; i < n; i++) {
      let p = starts[i]!;
      // (Name offset 0 reads as "": the string table's first byte must then be its NUL.)
      if (p === 0 && strtab[0] !== 0) return undefined;
      const s = p;
      let dot = -1;
      for (let c = strtab[p]!; c !== 0; c = strtab[++p]!) {
        if (c >= 0x80) return undefined;
        if (c === 0x2e && dot < 0) dot = p - s;
      }
      if (dot >= 0) suffix++;
      prefixlens[i] = dot >= 0 ? dot : p - s;
    }
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    sortFunctionNameBytes(order, strtab, starts, prefixlens);
    return new ElfFunctions(
      Int32Array.from(order, (i) => prefixlens[i]!),
      suffix,
      { bytes: strtab, starts: Int32Array.from(order, (i) => starts[i]!) },
    );
  }

  private readonly exactCache = new Map<string, number>();
  private readonly prefixCache = new Map<string, number>();

  /** Entries in the table. */
  readonly count: number;

  /** pahole `btf_encoder__find_function(name, 0)`: exact name (as bsearch finds it), or -1. */
  findExact(name: string): number {
    // Over the names' bytes when the table has them, so that no name is decoded for
    // a search (the kfuncs' in the set-up): the same finds (FunctionNameTable's contract).
    if (this.nameBytes) return this.byNames().findExact(name);
    let r = this.exactCache.get(name);
    if (r === undefined) {
      // bsearch with functions_cmp, whose key here has no prefix length: strcmp.
      r = bsearch(name, (this.names ??= this.entries.map((e) => e.name)), strcmp);
      this.exactCache.set(name, r);
    }
    return r;
  }
  private names: string[] | undefined;

  findAt(bytes: Uint8Array, start: number, prefix: boolean): number {
    // Over the names' bytes when the table has them (its names need not be decoded
    // for this): the same entries (FunctionNameTable's contract).
    if (this.nameBytes) return this.byNames().findAt(bytes, start, prefix);
    const name = cstring(bytes, start);
    if (name === undefined) return NO_NAME;
    return prefix ? this.findPrefix(name) : this.findExact(name);
  }
  private byteTable: FunctionNameTable | undefined;

  /** The searches over {@link nameBytes} (which must be set). */
  private byNames(): FunctionNameTable {
    const nb = this.nameBytes!;
    return (this.byteTable ??= new FunctionNameTable(nb.bytes, nb.starts, this.prefixlens, this.suffixCount));
  }

  /** pahole `btf_encoder__find_function(name, strlen(name))`: `name` or `name.suffix`, or -1. */
  findPrefix(name: string): number {
    if (this.nameBytes) return this.byNames().findPrefix(name);
    let r = this.prefixCache.get(name);
    if (r === undefined) {
      r = bsearch({ name, prefixlen: name.length }, this.entries, functionsCmp);
      this.prefixCache.set(name, r);
    }
    return r;
  }

  /**
   * Work out ahead what {@link orderByEntry} needs of the table alone (its names'
   * ranks), e.g. while a thread waits for others; orderByEntry does it otherwise.
   */
  prepareOrder(): void {
    this.keyRanks();
  }

  /** pahole `saved_functions_cmp` on two entries. */
  compare(a: number, b: number): number {
    return functionsCmp(this.entries[a]!, this.entries[b]!);
  }

  /**
   * The order `msort` with {@link compare} puts items in (pahole's qsort of its saved
   * functions), for items given by their entries, faster: `order[k]` is the index in
   * `entries` of the k-th item.
   */
  orderByEntry(entries: Int32Array): Int32Array {
    const n = entries.length;
    const ranks = this.keyRanks();
    if (ranks) {
      // A total preorder: any stable sort is msort's; a counting sort by rank is one.
      const count = new Int32Array(this.entries.length + 1);
      for (let i = 0; i < n; i++) count[ranks[entries[i]!]! + 1]!++;
      for (let r = 1; r < count.length; r++) count[r]! += count[r - 1]!;
      const order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[count[ranks[entries[i]!]!]!++] = i;
      return order;
    }
    const names: string[] = new Array<string>(n);
    const prefixlens = new Int32Array(n);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const e = this.entries[entries[i]!]!;
      names[i] = e.name;
      prefixlens[i] = e.prefixlen;
      order[i] = i;
    }
    return sortByFunctionName(order, names, prefixlens);
  }

  /**
   * When pahole's `functions_cmp` is a total preorder on this table's names, each
   * entry's rank in it (entries that compare equal share one: the first's index);
   * else null.
   *
   * It is one when no name has a character below '.' and none starts with '.' (C
   * identifiers, the kernel's `.isra.0`-style suffixes): then comparing two names is
   * comparing their prefixes up to the first '.'. Same prefix lengths: `strncmp` over
   * the prefixes. Different ones: `strcmp` meets the first difference inside the
   * shorter prefix, or, where that prefix ends, a '.' or the end of the name, below any
   * character the longer prefix goes on with. A name with, say, a '-' breaks it ("ab"
   * = "ab.x" and "ab" < "ab-" but "ab.x" > "ab-"): msort's own merges are replayed then.
   */
  private keyRanks(): Int32Array | null {
    if (this.ranks !== undefined) return this.ranks;
    const es = this.entries;
    for (const e of es) {
      // (A name starting with '.', or empty, has prefix length 0: compared whole.)
      if (e.prefixlen === 0) return (this.ranks = null);
      const name = e.name;
      for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) < 0x2e) return (this.ranks = null);
    }
    // (And the table sorted, as fromSymbols makes it: adjacent entries in order.)
    const ranks = new Int32Array(es.length);
    for (let i = 1; i < es.length; i++) {
      const c = functionsCmp(es[i - 1]!, es[i]!);
      if (c > 0) return (this.ranks = null);
      ranks[i] = c === 0 ? ranks[i - 1]! : i;
    }
    return (this.ranks = ranks);
  }
  private ranks: Int32Array | null | undefined;

  /** pahole `saved_functions_combine`'s name test: 0 when both are "the same" function. */
  sameFunction(a: number, b: number): boolean {
    const ea = this.entries[a]!;
    const eb = this.entries[b]!;
    return strncmp(ea.name, eb.name, Math.max(ea.prefixlen, eb.prefixlen)) === 0;
  }
}

/**
 * The searches of pahole's ELF function table that encoding a unit makes
 * ({@link ElfFunctions}, or {@link FunctionNameTable} over its names' bytes).
 */
export interface FunctionLookup {
  /** Entries in the table. */
  readonly count: number;
  /** Symbols with a `.` suffix. */
  readonly suffixCount: number;
  /** pahole `btf_encoder__find_function(name, 0)`: an entry or -1. */
  findExact(name: string): number;
  /** pahole `btf_encoder__find_function(name, strlen(name))`: an entry or -1. */
  findPrefix(name: string): number;
  /**
   * {@link findExact} (or, `prefix`, {@link findPrefix}) of the UTF-8 name at
   * `bytes[start]`, up to its NUL: the same entry, without a JS string for an ASCII
   * name (the encoder looks up ~100 k names of `.debug_str` per kernel, per thread).
   * {@link NO_NAME} when there is no NUL-terminated name at `start`.
   */
  findAt(bytes: Uint8Array, start: number, prefix: boolean): number;
}

/** FunctionNameTable's filter: 2^(32 - this) bits (256 KB). */
const FILTER_SHIFT = 11;

/** {@link FunctionLookup.findAt}: no NUL-terminated name where it was to start. */
export const NO_NAME = -2;

/**
 * {@link ElfFunctions}' searches over the table's names as bytes (UTF-8, each followed
 * by a NUL, in table order), without a JS string per entry: a worker thread gets a
 * kernel's 46 k names this way in shared memory, and would spend ~0.1 s decoding them
 * before its first search. Finds what `ElfFunctions` over the same entries finds: an
 * ASCII key is compared byte by byte; a key with another character, with decoded
 * entries, as `ElfFunctions` does.
 *
 * @example
 * const t = new FunctionNameTable(new TextEncoder().encode("a\0b.isra.0\0"), Int32Array.of(0, 2), Int32Array.of(1, 1), 1);
 * t.findExact("a"); // 0
 * t.findPrefix("b"); // 1
 */
export class FunctionNameTable implements FunctionLookup {
  private readonly exactCache = new Map<string, number>();
  private readonly prefixCache = new Map<string, number>();

  /**
   * @param bytes the names, each followed by a NUL
   * @param starts where each entry's name starts in `bytes`, in table order
   * @param prefixlens each entry's prefix length, as {@link ElfFunction.prefixlen}
   * @throws {BtfError} INVALID when a name does not start and end in `bytes`
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly starts: Int32Array,
    private readonly prefixlens: Int32Array,
    readonly suffixCount: number,
  ) {
    if (prefixlens.length !== starts.length) throw new BtfError("INVALID", `function name table: ${starts.length} names, ${prefixlens.length} prefix lengths`);
    const last = bytes.lastIndexOf(0);
    for (let i = 0; i < starts.length; i++)
      if (!(starts[i]! >= 0 && starts[i]! <= last)) throw new BtfError("INVALID", `function name table: name ${i} at ${starts[i]} is not NUL-terminated in its ${bytes.length} bytes`);
  }

  /** Where the names start in bytes holding `count` NUL-terminated names in a row. */
  static startsOf(bytes: Uint8Array, count: number): Int32Array {
    const starts = new Int32Array(count);
    for (let i = 0, at = 0; i < count; i++) {
      starts[i] = at;
      at = bytes.indexOf(0, at) + 1;
      if (at === 0) throw new BtfError("INVALID", `function name table: ${count} names expected, ${i} found`);
    }
    return starts;
  }

  get count(): number {
    return this.starts.length;
  }

  /** Entry i's name, decoded. */
  name(i: number): string {
    return cstring(this.bytes, this.starts[i]!) ?? "";
  }

  findExact(name: string): number {
    return this.cached(this.exactCache, name, false);
  }

  findPrefix(name: string): number {
    return this.cached(this.prefixCache, name, true);
  }

  private cached(cache: Map<string, number>, name: string, prefix: boolean): number {
    let r = cache.get(name);
    if (r === undefined) cache.set(name, (r = this.search(name, prefix)));
    return r;
  }

  findAt(bytes: Uint8Array, start: number, prefix: boolean): number {
    // The key into kb, as search() puts an ASCII string there.
    if (!(start >= 0)) return NO_NAME;
    let n = 0;
    let h = 0;
    for (let p = start; ; p++, n++) {
      if (p >= bytes.length) return NO_NAME;
      const c = bytes[p]!;
      if (c === 0) break;
      h = (Math.imul(h, 31) + c) | 0;
      if (c >= 0x80) {
        const name = cstring(bytes, start);
        return name === undefined ? NO_NAME : this.cached(prefix ? this.prefixCache : this.exactCache, name, prefix);
      }
      if (n + 1 >= this.kb.length) {
        const g = new Uint8Array(2 * this.kb.length);
        g.set(this.kb);
        this.kb = g;
      }
      this.kb[n] = c;
    }
    this.kb[n] = 0;
    // A key that is no entry's name nor prefix compares equal to none: the search
    // would find nothing (most names the encoder looks up, ~60 % of a kernel's).
    const f = (this.filter ??= this.makeFilter());
    const bit = h >>> FILTER_SHIFT;
    if (!(f[bit >>> 5]! & (1 << (bit & 31)))) return -1;
    return this.searchKb(prefix ? n : 0);
  }

  /** The key's bytes and a NUL (ASCII keys). */
  private kb = new Uint8Array(256);

  /**
   * A bit per hash (of {@link findAt}'s) of each entry's name and of its prefix: a
   * search can find an entry only when its key is one of these (functions_cmp is
   * strcmp, or strncmp over the prefix when the key's length is the entry's prefix
   * length), so a key whose bit is clear finds none.
   */
  private filter: Int32Array | undefined;

  private makeFilter(): Int32Array {
    const f = new Int32Array(1 << (32 - FILTER_SHIFT - 5));
    const b = this.bytes;
    for (let i = 0; i < this.starts.length; i++) {
      const pl = this.prefixlens[i]!;
      let h = 0;
      for (let p = this.starts[i]!, k = 0; ; p++, k++) {
        if (k === pl) {
          const bit = h >>> FILTER_SHIFT;
          f[bit >>> 5]! |= 1 << (bit & 31);
        }
        const c = b[p]!;
        if (c === 0) break;
        h = (Math.imul(h, 31) + c) | 0;
      }
      const bit = h >>> FILTER_SHIFT;
      f[bit >>> 5]! |= 1 << (bit & 31);
    }
    return f;
  }

  /** glibc `bsearch` (see libc.ts) with `functions_cmp`, the key's prefix length its length (or 0). */
  private search(key: string, prefix: boolean): number {
    const n = key.length;
    if (this.kb.length <= n) this.kb = new Uint8Array(2 * n + 1);
    const kb = this.kb;
    let ascii = true;
    for (let k = 0; k < n && ascii; k++) {
      const c = key.charCodeAt(k);
      kb[k] = c;
      ascii = c < 0x80;
    }
    kb[n] = 0;
    const keyPl = prefix ? n : 0;
    if (ascii) return this.searchKb(keyPl);
    let l = 0;
    let u = this.starts.length;
    while (l < u) {
      const idx = (l + u) >>> 1;
      const c = functionsCmp({ name: key, prefixlen: keyPl }, { name: this.name(idx), prefixlen: this.prefixlens[idx]! });
      if (c < 0) u = idx;
      else if (c > 0) l = idx + 1;
      else return idx;
    }
    return -1;
  }

  /** The search of the ASCII key in `kb` (prefix length `keyPl`). */
  private searchKb(keyPl: number): number {
    let l = 0;
    let u = this.starts.length;
    while (l < u) {
      const idx = (l + u) >>> 1;
      const c = this.compareBytes(keyPl, idx);
      if (c < 0) u = idx;
      else if (c > 0) l = idx + 1;
      else return idx;
    }
    return -1;
  }

  /**
   * `functions_cmp` of the ASCII key in `kb` (prefix length `keyPl`) with entry `idx`,
   * byte by byte: `strncmp` over the prefix when both have the same length of it, else
   * `strcmp`. (An entry's non-ASCII character, a UTF-8 byte >= 0xc2 here, differs from
   * the key's ASCII one there and sorts above it, as the decoded code unit would: the
   * comparison ends there with the sign ElfFunctions gets. Both prefix lengths are in
   * code units, equal to bytes up to there.)
   */
  private compareBytes(keyPl: number, idx: number): number {
    const pl = this.prefixlens[idx]!;
    const limit = keyPl && keyPl === pl ? pl : 0x7fffffff;
    const kb = this.kb;
    const b = this.bytes;
    for (let k = 0, p = this.starts[idx]!; k < limit; k++, p++) {
      const ca = kb[k]!;
      const cb = b[p]!;
      if (ca !== cb) return ca - cb;
      if (ca === 0) return 0;
    }
    return 0;
  }
}

/** The `.symtab` section (by name, as pahole's `elf_symtab__new` looks it up). */
export function symtabSection(elf: ElfFile): ElfSection | undefined {
  return elf.section(".symtab");
}

/**
 * pahole `btf_encoder__collect_kfuncs`: mark the functions listed in `.BTF_ids`
 * kfunc sets (`__BTF_ID__set8__*` with the KFUNCS flag) with their kfunc flags.
 * @throws {BtfError} MALFORMED when a kfunc's entry lies outside `.BTF_ids` (pahole
 *   fails to create its encoder then).
 */
export function collectKfuncs(elf: ElfFile, symbols: readonly ElfSymbol[] | SymbolTable, funcs: ElfFunctions): void {
  let symShndx = -1;
  let ids: ElfSection | undefined;
  for (const s of elf.sections) {
    if (s.index === 0) continue;
    if (s.type === SHT_SYMTAB) symShndx = s.index;
    else if (s.name === ".BTF_ids") ids = s;
  }
  if (symShndx < 0 || !ids) return;
  const data = elf.sectionData(ids);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = elf.littleEndian;
  // ELF_T_WORD conversion: whole 32-bit words, in the file's byte order.
  const words = Math.floor(data.length / 4);
  const word = (off: number): number => (off >= 0 && off + 4 <= words * 4 ? dv.getUint32(off, le) : 0);
  const base = ids.addr;
  const idShndx = ids.index;
  // The symbols of .BTF_ids (a kernel's 119 k symbols have a few thousand there).
  const syms: ElfSymbol[] = [];
  if (symbols instanceof SymbolTable) {
    for (let i = 0; i < symbols.count; i++) if (symbols.rawShndx(i) === idShndx) syms.push(symbols.symbol(i));
  } else for (const s of symbols) if (s.rawShndx === idShndx) syms.push(s);
  const ranges: [bigint, bigint][] = [];
  for (const s of syms) {
    if (!s.name.startsWith("__BTF_ID__set8__")) continue;
    const off = s.value - base;
    if (off < 0n || off >= BigInt(data.length)) continue; // "out of bounds"
    if (word(Number(off) + 4) & 1) ranges.push([s.value, s.value + BigInt(s.size)]);
  }
  for (const s of syms) {
    const fn = kfuncName(s.name);
    if (fn === undefined) continue;
    let flags: number | undefined;
    for (const [start, end] of ranges) {
      if (start <= s.value && s.value < end) {
        const off = s.value - base;
        if (off < 0n || off + 8n > BigInt(data.length))
          throw new BtfError("MALFORMED", `kfunc '${fn}' offset outside section '.BTF_ids'`, { section: ".BTF_ids", offset: Number(off) });
        flags = word(Number(off) + 4);
        break;
      }
    }
    if (flags === undefined) continue;
    const i = funcs.findExact(fn);
    if (i >= 0) {
      funcs.kfunc[i] = 1;
      funcs.kfuncFlags[i] = flags;
    }
  }
}

/** pahole `get_func_name`: `__BTF_ID__func__NAME__N` -> NAME. */
function kfuncName(sym: string): string | undefined {
  const PFX = "__BTF_ID__func__";
  if (!sym.startsWith(PFX)) return undefined;
  const rest = sym.slice(PFX.length);
  if (!rest.includes("__")) return undefined;
  const end = rest.lastIndexOf("_");
  if (end <= 0 || rest[end - 1] !== "_") return undefined;
  return rest.slice(0, end - 1);
}

/** A section as pahole's variable encoder indexes it (`struct elf_secinfo`). */
export interface SectionInfo {
  name: string;
  /** Address as pahole sees it (for ET_REL files: libdwfl's layout). */
  addr: bigint;
  size: bigint;
  /** `addr + size` (so that {@link sectionOf} compares without making bigints). */
  end: bigint;
  type: number;
  /** Variables in this section are encoded. */
  include: boolean;
}

/**
 * pahole's section index for variables (`btf_encoder__new`): every section with
 * its address; `.data..percpu` included with the `var` feature, all with `global_var`.
 */
export function sectionInfos(elf: ElfFile, opts: { percpu: boolean; global: boolean }): SectionInfo[] {
  const layout = elf.type === 1 ? relocatableLayout(elf) : undefined;
  return elf.sections.map((s) => {
    const addr = layout && s.flags & SHF_ALLOC ? layout.address(s.index) : s.addr;
    const size = BigInt(s.size);
    return { name: s.name, addr, size, end: addr + size, type: s.type, include: opts.global || (opts.percpu && s.name === ".data..percpu") };
  });
}

/** pahole `get_elf_section`: the first PROGBITS/NOBITS section holding `addr` (0: none). */
export function sectionOf(secs: readonly SectionInfo[], addr: bigint): number {
  for (let i = 1; i < secs.length; i++) {
    const s = secs[i]!;
    if (s.type !== SHT_PROGBITS && s.type !== SHT_NOBITS) continue;
    if (s.addr <= addr && addr < s.end) return i;
  }
  return 0;
}

/** The arrays of an {@link ObjectSymbols} set (to rebuild it elsewhere, e.g. in shared memory). */
export interface ObjectSymbolParts {
  /** The names, UTF-8, each followed by a NUL. */
  names: Uint8Array;
  /** Per entry: where its name starts in `names`, and its section index. */
  starts: Int32Array;
  shndx: Int32Array;
  /** Open addressing: entry index + 1, or 0 for an empty slot (a power-of-two count). */
  slots: Int32Array;
}

const utf8 = new TextEncoder();

/**
 * The (section index, name) pairs of the `STT_OBJECT` symbols, which decide whether a
 * variable at address 0 gets a VAR (pahole `variable_in_sec`, built once into a set). A hash set over typed arrays: no string per symbol
 * (a kernel has 70 k, which as strings would be decoded, joined to their section
 * index and hashed before the first unit, then kept in the JS heap to the end).
 */
export class ObjectSymbols {
  private readonly p: ObjectSymbolParts;
  private scratch = new Uint8Array(256);

  constructor(syms: readonly ElfSymbol[] | SymbolTable | ObjectSymbolParts) {
    if (!(syms instanceof SymbolTable) && !Array.isArray(syms)) {
      this.p = syms as ObjectSymbolParts;
      return;
    }
    // The names, as each symbol's name decodes and encodes again (as a string set of
    // decoded names compared them: an invalid UTF-8 name reads as its replacement).
    const chunks: Uint8Array[] = [];
    const shndx: number[] = [];
    if (syms instanceof SymbolTable) {
      const strs = syms.strings;
      for (let i = 0; i < syms.count; i++) {
        if (syms.type(i) !== STT_OBJECT) continue;
        const off = syms.nameOffset(i);
        let e = off;
        let ascii = true;
        if (off !== 0) for (; strs[e] !== 0; e++) if (strs[e]! >= 0x80) ascii = false;
        chunks.push(off === 0 ? new Uint8Array(0) : ascii ? strs.subarray(off, e) : utf8.encode(syms.name(i)));
        shndx.push(syms.shndx(i));
      }
    } else {
      for (const s of syms as readonly ElfSymbol[]) {
        if (s.type !== STT_OBJECT) continue;
        chunks.push(utf8.encode(s.name));
        shndx.push(s.shndx);
      }
    }
    let total = 0;
    for (const c of chunks) total += c.length + 1;
    const names = new Uint8Array(Math.max(1, total));
    const starts = new Int32Array(chunks.length);
    let at = 0;
    chunks.forEach((c, i) => {
      starts[i] = at;
      names.set(c, at);
      at += c.length + 1;
    });
    let cap = 16;
    while (cap < 2 * chunks.length) cap *= 2;
    this.p = { names, starts, shndx: Int32Array.from(shndx), slots: new Int32Array(cap) };
    for (let i = 0; i < chunks.length; i++) {
      const len = chunks[i]!.length;
      if (this.find(names, starts[i]!, len, shndx[i]!) < 0) this.insert(i, names, starts[i]!, len, shndx[i]!);
    }
  }

  /** Its arrays (see {@link ObjectSymbolParts}). */
  parts(): ObjectSymbolParts {
    return this.p;
  }

  /** Is there an object symbol `name` in section `shndx`? */
  has(name: string, shndx: number): boolean {
    if (this.scratch.length < 3 * name.length) this.scratch = new Uint8Array(3 * name.length);
    const n = utf8.encodeInto(name, this.scratch).written;
    return this.find(this.scratch, 0, n, shndx) >= 0;
  }

  private static hash(b: Uint8Array, start: number, len: number, shndx: number): number {
    let h = Math.imul(shndx ^ 0x811c9dc5, 0x01000193);
    for (let i = 0; i < len; i++) h = Math.imul(h ^ b[start + i]!, 0x01000193);
    return h >>> 0;
  }

  /** The entry with these name bytes and section, or -1. */
  private find(b: Uint8Array, start: number, len: number, shndx: number): number {
    const { names, starts, slots } = this.p;
    const mask = slots.length - 1;
    for (let j = ObjectSymbols.hash(b, start, len, shndx) & mask; ; j = (j + 1) & mask) {
      const e = slots[j]! - 1;
      if (e < 0) return -1;
      if (this.p.shndx[e] !== shndx) continue;
      const s = starts[e]!;
      if (names[s + len] !== 0) continue;
      let k = 0;
      while (k < len && names[s + k] === b[start + k]) k++;
      if (k === len) return e;
    }
  }

  private insert(e: number, b: Uint8Array, start: number, len: number, shndx: number): void {
    const slots = this.p.slots;
    const mask = slots.length - 1;
    let j = ObjectSymbols.hash(b, start, len, shndx) & mask;
    while (slots[j] !== 0) j = (j + 1) & mask;
    slots[j] = e + 1;
  }
}

/** pahole `filter_variable_name`: names that never get a VAR. */
export function filteredVariableName(name: string): boolean {
  if (name[0] !== "_") return false;
  return (
    name.startsWith("__UNIQUE_ID") ||
    name.startsWith("__tpstrtab_") ||
    name.startsWith("__exitcall_") ||
    name.startsWith("__gendwarfksyms_ptr_") ||
    name.startsWith("__func_stack_frame_non_standard_")
  );
}

/** pahole `btf_name_valid`: a C identifier (dots allowed) of at most 128 characters. */
export function validBtfName(name: string): boolean {
  if (name.length === 0) return false;
  const ok = (c: number, first: boolean): boolean =>
    c === 0x5f || c === 0x2e || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (!first && c >= 0x30 && c <= 0x39);
  if (!ok(name.charCodeAt(0), true)) return false;
  const n = Math.min(name.length, 128);
  for (let i = 1; i < n; i++) if (!ok(name.charCodeAt(i), false)) return false;
  return name.length <= 128;
}
