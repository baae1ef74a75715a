/**
 * The few C library routines whose exact behaviour decides pahole's output: glibc's
 * `qsort` (a top-down merge sort, stable, in glibc 2.39+ as before 2.37), `bsearch`,
 * and `strcmp`/`strncmp` on byte strings. pahole sorts and searches its ELF function
 * table with a comparator that is not a total order, so a different sort or search
 * would find different functions.
 * @module
 */

/**
 * Sort `a` in place as glibc's `qsort` does when it can allocate its buffer: a
 * recursive merge sort splitting `n` into `n/2` and `n - n/2`, taking from the left
 * run while `cmp(left, right) <= 0`.
 */
export function msort<T>(a: T[], cmp: (x: T, y: T) => number): T[] {
  if (a.length <= 1) return a;
  const tmp = new Array<T>(a.length);
  sortRange(a, 0, a.length, cmp, tmp);
  return a;
}

function sortRange<T>(a: T[], start: number, n: number, cmp: (x: T, y: T) => number, tmp: T[]): void {
  if (n <= 1) return;
  let n1 = n >>> 1;
  let n2 = n - n1;
  sortRange(a, start, n1, cmp, tmp);
  sortRange(a, start + n1, n2, cmp, tmp);
  let i = start;
  let j = start + n1;
  let k = 0;
  while (n1 > 0 && n2 > 0) {
    if (cmp(a[i]!, a[j]!) <= 0) {
      tmp[k++] = a[i++]!;
      n1--;
    } else {
      tmp[k++] = a[j++]!;
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
 * glibc's `bsearch`: index of an element for which `cmp(key, element) == 0`, or -1.
 * Halves `[l, u)` at `(l + u) / 2`, exactly as glibc, so with equal elements (or a
 * comparator that is not a total order) it finds the same one.
 */
export function bsearch<K, T>(key: K, a: readonly T[], cmp: (key: K, el: T) => number): number {
  let l = 0;
  let u = a.length;
  while (l < u) {
    const idx = (l + u) >>> 1;
    const c = cmp(key, a[idx]!);
    if (c < 0) u = idx;
    else if (c > 0) l = idx + 1;
    else return idx;
  }
  return -1;
}

/**
 * `strcmp` on ELF and DWARF names: sign only. JavaScript's own comparison orders
 * strings by UTF-16 code units, which for these names (bytes decoded one to a code
 * unit, or UTF-8 decoded to the Basic Multilingual Plane) is the order of their
 * bytes, as `strcmp`'s `unsigned char` comparison; it runs natively.
 */
export function strcmp(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** `strncmp(a, b, n)`: compares at most `n` characters, stopping at the end of either. */
export function strncmp(a: string, b: string, n: number): number {
  for (let i = 0; i < n; i++) {
    const ca = i < a.length ? a.charCodeAt(i) : 0;
    const cb = i < b.length ? b.charCodeAt(i) : 0;
    if (ca !== cb) return ca - cb;
    if (ca === 0) return 0;
  }
  return 0;
}
