/** Type counts and bytes per kind, and section sizes (`btfkit stats`). */
import type { Btf } from "./btf.js";
import { ELEM_WORDS, INFO_WORDS, KIND_MAX, KIND_NAMES, kindOf, vlenOf } from "./kinds.js";

export interface KindStats {
  kind: string;
  count: number;
  bytes: number;
}
export interface BtfStats {
  /** Own types only (split: without the base). */
  types: number;
  /** First own id (1, or the base's count). */
  startId: number;
  typeBytes: number;
  stringBytes: number;
  /** Header + types + strings, as written. */
  totalBytes: number;
  kinds: KindStats[];
}

/**
 * @example
 * ```ts
 * const s = btfStats(btf);
 * s.kinds.find((k) => k.kind === "STRUCT")?.count;
 * ```
 */
export function btfStats(btf: Btf): BtfStats {
  const count = new Float64Array(KIND_MAX + 1);
  const bytes = new Float64Array(KIND_MAX + 1);
  const w = btf.types;
  for (let i = 0; i < btf.nrTypes; i++) {
    const info = w[btf.typeOffs[i]! + 1]!;
    const k = kindOf(info);
    count[k] = count[k]! + 1;
    bytes[k] = bytes[k]! + 4 * (3 + INFO_WORDS[k]! + vlenOf(info) * ELEM_WORDS[k]!);
  }
  const kinds: KindStats[] = [];
  for (let k = 1; k <= KIND_MAX; k++) if (count[k]) kinds.push({ kind: KIND_NAMES[k]!, count: count[k]!, bytes: bytes[k]! });
  return {
    types: btf.nrTypes,
    startId: btf.startId,
    typeBytes: btf.typeWords * 4,
    stringBytes: btf.strLen,
    totalBytes: 24 + btf.hdrExtra.length + btf.typeWords * 4 + btf.strLen,
    kinds,
  };
}

/** The stats as an aligned text table, kinds sorted by bytes (largest first). */
export function formatStats(s: BtfStats): string {
  const rows = [...s.kinds].sort((a, b) => b.bytes - a.bytes || a.kind.localeCompare(b.kind));
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(12)}${b.padStart(10)}${c.padStart(12)}${d.padStart(8)}\n`;
  const pct = (n: number) => (s.totalBytes ? ((100 * n) / s.totalBytes).toFixed(1) + "%" : "-");
  let out = line("kind", "types", "bytes", "share");
  for (const r of rows) out += line(r.kind, String(r.count), String(r.bytes), pct(r.bytes));
  out += line("types", String(s.types), String(s.typeBytes), pct(s.typeBytes));
  out += line("strings", "", String(s.stringBytes), pct(s.stringBytes));
  out += line("total", "", String(s.totalBytes), "100.0%");
  if (s.startId > 1) out += `split BTF: ids ${s.startId}..${s.startId + s.types - 1} on a base of ${s.startId - 1} types\n`;
  return out;
}
