/**
 * Node-side loading: files, directories, /sys/kernel/btf, bases, and atomic writes
 * (temp file + rename). The rest of the library has no Node-only imports.
 */
import { readFileSync, statSync } from "node:fs";
import { threadId } from "node:worker_threads";
import { chmod, rename, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { BtfError, isBtfError } from "../internal/errors.js";
import type { Btf } from "../btf/btf.js";
import { extractBtfBytes, parseIn } from "../btf/load.js";

export const SYSFS_BTF = "/sys/kernel/btf/";

/** Read a whole file, turning fs errors into {@link BtfError} IO. */
export async function readInput(path: string): Promise<Uint8Array> {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new BtfError("IO", fsReason(e));
  }
  if (st.isDirectory()) throw new BtfError("IO", "is a directory");
  try {
    // Synchronous: one read for the whole file, no thread-pool round trips per chunk.
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new BtfError("IO", fsReason(e));
  }
}

function fsReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case "ENOENT": return "no such file";
    case "EACCES": case "EPERM": return "permission denied";
    case "EISDIR": return "is a directory";
    default: return (e as Error).message ?? String(e);
  }
}

/** An error tied to the file it came from (for `btfkit: FILE: message`). */
export class FileError extends Error {
  constructor(readonly file: string, readonly error: BtfError) {
    super(`${file}: ${error.message}`);
  }
}

/** Run `fn`, tagging any BtfError with `file`. */
export async function inFile<T>(file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isBtfError(e)) throw new FileError(file, e);
    throw e;
  }
}

export interface OpenOptions {
  /** A base BTF file (raw, ELF, compressed, vmlinuz) for split BTF. */
  base?: string | Btf;
  /** Kernel-style checks of this BTF (default true); a base opened from a path gets libbpf's checks only. */
  validate?: boolean;
}

/** True for a module file under /sys/kernel/btf (bpftool takes vmlinux as its base). */
export function isSysfsModule(path: string): boolean {
  return path.startsWith(SYSFS_BTF) && basename(path) !== "vmlinux" && dirname(path) + "/" === SYSFS_BTF;
}

/**
 * Open BTF from any supported file, with its base: `opts.base`, or for
 * `/sys/kernel/btf/MODULE` the running kernel's vmlinux, as bpftool does.
 *
 * @throws {FileError} naming the file at fault.
 * @example
 * ```ts
 * const mod = await openBtf("/sys/kernel/btf/nf_tables"); // base: /sys/kernel/btf/vmlinux
 * ```
 */
export async function openBtf(path: string, opts: OpenOptions = {}): Promise<Btf> {
  let base: Btf | undefined;
  // A base gets libbpf's load checks (as bpftool gives it); the kernel-style checks are for
  // the BTF asked about, whose references into the base they follow.
  if (typeof opts.base === "string") base = await openBtf(opts.base, { validate: false });
  else if (opts.base) base = opts.base;
  else if (isSysfsModule(path)) base = await openBtf(join(SYSFS_BTF, "vmlinux"), { validate: false });
  return inFile(path, async () => {
    const { bytes, source } = await extractBtfBytes(await readInput(path));
    return parseIn(bytes, source, { base, validate: opts.validate });
  });
}

/**
 * Write `data` to `path` atomically: a temp file beside it, then rename. On failure
 * nothing is left behind and an existing `path` is untouched. `opts.mode` sets the
 * file's permission bits (e.g. to keep those of a file being replaced).
 */
export async function writeAtomic(path: string, data: Uint8Array, opts: { mode?: number } = {}): Promise<void> {
  const tmp = tempName(path);
  try {
    await writeFile(tmp, data);
    if (opts.mode !== undefined) await chmod(tmp, opts.mode);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new BtfError("IO", `cannot write: ${fsReason(e)}`);
  }
}

let tempSeq = 0;
/** A temporary name beside `path`, unique in this process (threads included). */
function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${threadId}.${Date.now()}.${tempSeq++}.tmp`);
}
