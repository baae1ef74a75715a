/** Worker of {@link encodeModules}: loads the base once, then encodes the modules it is sent. */
import { workerData } from "node:worker_threads";
import { serveModules } from "./module-pool.js";
import { mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "fflate";
import type { Compression } from "../compress.js";
import { writeBtf } from "../btf/write.js";
import { ElfFile } from "../elf/elf.js";
import { setSection } from "../elf/write.js";
import { isBtfError } from "../internal/errors.js";
import { encodeFile } from "./encode-workers.js";
import { openBtf, readInput, FileError } from "./files.js";
import { probeModule, withElfOnDisk } from "./module-file.js";
import type { ReusableBuffer } from "./elf-sparse.js";
import type { EncodeJob, EncodeReply, EncodeTarget } from "./modules-encode.js";

const { base: basePath, target, features } = workerData as { base: string; target: EncodeTarget; features?: string };
const basePromise = openBtf(basePath, { validate: false });
const scratch = mkdtempSync(join(tmpdir(), "btfkit-menc-"));
let n = 0;
/** One file buffer for all the modules this thread encodes. */
const reuse: ReusableBuffer = { buffer: new Uint8Array(0) };

/** Compress as the kernel's modules_install does (scripts/Makefile.modinst). */
function recompress(data: Uint8Array, fmt: Compression): Uint8Array {
  if (fmt === "gzip") return gzipSync(data, { level: 9 });
  const [cmd, args] = fmt === "xz" ? ["xz", ["--check=crc32", "--lzma2=dict=1MiB", "-c"]] : ["zstd", ["-q", "-c", "-T1"]];
  const r = spawnSync(cmd, args, { input: data, maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) throw new Error(`cannot ${fmt}-compress: ${r.error?.message ?? r.stderr.toString().trim()}`);
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
}

async function encodeOne(job: EncodeJob): Promise<EncodeReply> {
  const base = await basePromise;
  // An uncompressed module is read by the encoder, sections only; a compressed one is
  // unpacked to a scratch file first.
  const probe = await probeModule(job.path, { dwarf: false });
  const btf = await withElfOnDisk(probe, join(scratch, `m${n++}.ko`), (file) => encodeFile(file, { base, features, jobs: 1, reuse }));
  const raw = writeBtf(btf);
  // The pool's thread writes the file (see encodeModules): this one goes on with the
  // next module meanwhile.
  let output = raw;
  let dest = join(target.kind === "detached" ? target.dir : "", job.rel.replace(/\.ko(\.(xz|zst|gz))?$/, ".btf"));
  if (target.kind !== "detached") {
    const elfBytes = probe.bytes ?? (await readInput(job.path));
    output = setSection(new ElfFile(elfBytes), ".BTF", raw);
    if (probe.compression) output = recompress(output, probe.compression);
    dest = target.kind === "in-place" ? job.path : join(target.dir, job.rel);
  }
  return { path: job.path, name: job.rel, ok: true, types: btf.nrTypes, btfBytes: raw.length, output, dest };
}

serveModules<EncodeReply>(encodeOne, (r) => (r.output && r.output.buffer instanceof ArrayBuffer ? [r.output.buffer] : []), (job, e) => {
  const err = e instanceof FileError ? e.error : e;
  const reason = isBtfError(err) ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`;
  return { path: job.path, name: job.rel, ok: false, reason };
});

process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
