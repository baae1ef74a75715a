/** Listing a kernel's module tree (Node). */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { BtfError } from "../internal/errors.js";
import type { ModuleInput } from "../modules/check.js";
import { readInput } from "./files.js";

const MODULE_RE = /\.ko(\.(xz|zst|gz))?$/;

/** Module files under `dir` (`.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`), sorted by path. */
export function listModules(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let ents;
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      throw new BtfError("IO", `cannot read directory ${d}: ${(e as Error).message}`);
    }
    for (const e of ents) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if ((e.isFile() || e.isSymbolicLink()) && MODULE_RE.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Module inputs for the library functions, named by their path relative to `dir`. */
export function moduleInputs(dir: string): ModuleInput[] {
  return listModules(dir).map((p) => ({ name: relative(dir, p), read: () => readInput(p) }));
}
