/**
 * Running generated cases through btfkit's dedup and libbpf's (`btfref dedup`), and
 * describing the first difference.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Btf } from "../../src/btf/btf.js";
import { dedup } from "../../src/btf/dedup/index.js";
import { dumpRaw } from "../../src/btf/dump/raw.js";
import { parseBtf } from "../../src/btf/parse.js";
import { writeBtf } from "../../src/btf/write.js";
import { ORACLE_BIN } from "../helpers/paths.js";
import { genCase, type GenMode } from "./gen.js";

export const BTFREF = join(ORACLE_BIN, "btfref");
export const haveBtfref = (): boolean => existsSync(BTFREF);

/** A scratch directory, removed by `done()`. */
export function scratch(): { dir: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), "btfkit-dedup-"));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** libbpf's dedup of `input` (split on `base` when given); undefined when it fails. */
export function btfrefDedup(dir: string, input: Uint8Array, base?: Uint8Array): Uint8Array | undefined {
  const inPath = join(dir, "in.btf");
  const outPath = join(dir, "out.btf");
  writeFileSync(inPath, input);
  rmSync(outPath, { force: true });
  const args = ["dedup", inPath, outPath];
  if (base) {
    writeFileSync(join(dir, "base.btf"), base);
    args.push(join(dir, "base.btf"));
  }
  try {
    execFileSync(BTFREF, args, { stdio: "ignore" });
  } catch {
    return undefined;
  }
  return new Uint8Array(readFileSync(outPath));
}

/** btfkit's dedup of `input`; an Error when it throws. */
export function btfkitDedup(input: Uint8Array, base?: Uint8Array): Uint8Array | Error {
  try {
    const b = base ? parseBtf(base, { validate: false }) : undefined;
    return writeBtf(dedup(parseBtf(input, { validate: false, base: b })));
  } catch (e) {
    return e as Error;
  }
}

/** Where two outputs first differ: a raw-dump line, else the first differing byte. */
export function firstDifference(mine: Uint8Array, want: Uint8Array, base?: Uint8Array): string {
  let b: Btf | undefined;
  const dump = (x: Uint8Array): string[] => {
    try {
      b ??= base ? parseBtf(base, { validate: false }) : undefined;
      return dumpRaw(parseBtf(x, { validate: false, base: b })).split("\n");
    } catch (e) {
      return [`(unparsable: ${(e as Error).message})`];
    }
  };
  const a = dump(mine);
  const w = dump(want);
  for (let i = 0; i < Math.max(a.length, w.length); i++) {
    if (a[i] !== w[i]) return `dump line ${i + 1}: btfkit ${JSON.stringify(a[i] ?? "(end)")} vs libbpf ${JSON.stringify(w[i] ?? "(end)")}`;
  }
  let i = 0;
  while (i < mine.length && i < want.length && mine[i] === want[i]) i++;
  return `same dump; bytes differ at offset ${i} of ${mine.length} (libbpf: ${want.length}), e.g. the string section`;
}

/**
 * Generate case (`seed`, `mode`), dedup it both ways, and return undefined when the
 * outputs are identical (or both fail), else a one-line description.
 */
export function checkSeed(dir: string, seed: number, mode: GenMode, size?: number): string | undefined {
  const c = genCase(seed, mode, size);
  const where = `seed ${seed} (${mode}${size ? `, size ${size}` : ""})`;
  if (c.baseRaw) {
    // The deduplicated base the case was built on must itself be libbpf's.
    const wantBase = btfrefDedup(dir, c.baseRaw);
    if (!wantBase) return `${where}: libbpf failed to deduplicate the base`;
    if (Buffer.compare(Buffer.from(wantBase), Buffer.from(c.base!)) !== 0) return `${where}: base: ${firstDifference(c.base!, wantBase)}`;
  }
  const want = btfrefDedup(dir, c.input, c.base);
  const mine = btfkitDedup(c.input, c.base);
  if (!want) return mine instanceof Error ? undefined : `${where}: libbpf failed but btfkit did not`;
  if (mine instanceof Error) return `${where}: btfkit failed: ${mine.message}`;
  if (Buffer.compare(Buffer.from(mine), Buffer.from(want)) === 0) return undefined;
  return `${where}: ${firstDifference(mine, want, c.base)}`;
}
