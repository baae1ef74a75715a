/** Reading the committed fixtures (test/fixtures, see its README.md and manifest.json). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "./paths.js";
import { loadBtf } from "../../src/btf/load.js";
import type { Btf } from "../../src/btf/btf.js";

export interface Variant {
  /** Another file with the same types (byte-swapped copy, ELF, compressed ...). */
  file: string;
  /** Its base, when different from the entry's. */
  base?: string;
  /** bpftool could read it and printed the same goldens (checked at generation time). */
  oracle: boolean;
}

export interface ManifestEntry {
  name: string;
  /** Path relative to test/fixtures. */
  file: string;
  /** Golden path prefix: GOLDEN.raw.txt and GOLDEN.json (or GOLDEN.digest.json). */
  golden: string;
  base?: string;
  validate: boolean;
  /** The JSON golden parses as JSON. */
  jsonParse: boolean;
  /** Goldens are sha256 digests (too big to commit). */
  digest?: boolean;
  note: string;
  variants: Variant[];
}

export interface Manifest {
  generatedBy: string;
  fixtures: ManifestEntry[];
}

export const fixturePath = (rel: string): string => join(FIXTURES, rel);

/** Bytes of a fixture file. */
export function readFixture(rel: string): Uint8Array {
  const b = readFileSync(fixturePath(rel));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function manifest(): Manifest {
  return JSON.parse(readFileSync(fixturePath("manifest.json"), "utf8")) as Manifest;
}

const cache = new Map<string, Promise<Btf>>();

/** Load (and cache) a fixture as BTF, from any container, on its base. */
export function loadFixture(rel: string, base?: string, validate = true): Promise<Btf> {
  const key = `${rel}|${base ?? ""}|${validate}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => loadBtf(readFixture(rel), { base: base ? await loadFixture(base) : undefined, validate }))();
    cache.set(key, p);
  }
  return p;
}

/** The raw BTF blobs among the fixtures (for fuzzing and round trips), base included for split ones. */
export function rawBlobs(opts: { maxBytes?: number } = {}): { file: string; base?: string }[] {
  const out: { file: string; base?: string }[] = [];
  for (const e of manifest().fixtures) {
    if (e.digest) continue;
    for (const f of [{ file: e.file, base: e.base }, ...e.variants.map((v) => ({ file: v.file, base: v.base ?? e.base }))]) {
      if (!f.file.endsWith(".btf")) continue;
      if (opts.maxBytes && readFixture(f.file).length > opts.maxBytes) continue;
      out.push(f);
    }
  }
  return out;
}
