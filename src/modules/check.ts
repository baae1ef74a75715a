/**
 * `modules check`: load every module's split BTF on one base with the full validation
 * (libbpf's load checks and the kernel-style checks) and say which do not fit.
 * Platform-neutral: modules come as named byte providers; src/io lists a directory.
 */
import type { Btf } from "../btf/btf.js";
import { extractBtfBytes, parseIn } from "../btf/load.js";
import { isBtfError } from "../internal/errors.js";
import { mapModules } from "./pool.js";

/** One module to process: a display name and a way to get its bytes. */
export interface ModuleInput {
  name: string;
  read(): Promise<Uint8Array>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Why it does not fit (when !ok). */
  reason?: string;
  /** Own (split) types, when it loaded. */
  types?: number;
  /** Size of the module's .BTF in bytes, when found. */
  btfBytes?: number;
}

export interface Progress {
  done: number;
  total: number;
  name: string;
}

export interface CheckOptions {
  /** Called after each module. */
  onProgress?: (p: Progress) => void;
  /** Modules processed at once (I/O and decompression overlap); default 4. */
  concurrency?: number;
}

/** Check one module's bytes against `base`. Never throws for bad input. */
export async function checkModule(base: Btf, name: string, bytes: Uint8Array): Promise<CheckResult> {
  let btfBytes: number | undefined;
  try {
    const { bytes: raw, source } = await extractBtfBytes(bytes);
    btfBytes = raw.length;
    const btf = parseIn(raw, source, { base });
    return { name, ok: true, types: btf.nrTypes, btfBytes };
  } catch (e) {
    if (!isBtfError(e)) throw e;
    return { name, ok: false, reason: e.message, btfBytes };
  }
}

/**
 * Check every module; results in input order.
 * @example
 * ```ts
 * const res = await checkModules(vmlinux, inputs, { onProgress: (p) => console.log(p.done, p.total) });
 * const bad = res.filter((r) => !r.ok);
 * ```
 */
export async function checkModules(base: Btf, inputs: readonly ModuleInput[], opts: CheckOptions = {}): Promise<CheckResult[]> {
  return mapModules(
    inputs,
    async (m) => {
      try {
        return await checkModule(base, m.name, await m.read());
      } catch (e) {
        if (!isBtfError(e)) throw e;
        return { name: m.name, ok: false, reason: e.message };
      }
    },
    opts,
  );
}
