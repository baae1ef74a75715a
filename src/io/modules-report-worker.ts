/**
 * Worker of {@link reportModuleTree} (src/io/modules-report.ts): loads the base once,
 * then measures the modules it is sent, one at a time — by the DWARF method (encode
 * twice: on the base, and without one) or the closure method (src/modules/report.ts).
 */
import { workerData } from "node:worker_threads";
import { serveModules } from "./module-pool.js";
import { join } from "node:path";
import { writeBtf } from "../btf/write.js";
import { BtfError, isBtfError } from "../internal/errors.js";
import { measureModule, type ModuleSize } from "../modules/report.js";
import { encodeFileVariants } from "./encode-workers.js";
import { FileError, openBtf, readInput } from "./files.js";
import { probeModule, withElfOnDisk } from "./module-file.js";
import type { ReportJob, ReportReply, ReportWorkerInit } from "./modules-report.js";

const { base: basePath, method, features, scratch, id } = workerData as ReportWorkerInit;
const basePromise = openBtf(basePath, { validate: false });
basePromise.catch(() => undefined); // reported with the first module
let n = 0;

async function measure(job: ReportJob): Promise<ModuleSize> {
  const base = await basePromise;
  const probe = await probeModule(job.path);
  if (probe.hasDwarf && method !== "closure") {
    const [split, alone] = await withElfOnDisk(probe, join(scratch, `w${id}-${n++}.ko`), (file) =>
      encodeFileVariants(file, { bases: [base, undefined], features }),
    );
    return {
      name: job.rel,
      splitTypes: split!.nrTypes,
      splitBytes: writeBtf(split!).length,
      aloneTypes: alone!.nrTypes,
      aloneBytes: writeBtf(alone!).length,
      method: "dwarf",
    };
  }
  if (method === "dwarf") throw new BtfError("NOT_FOUND", "no DWARF (.debug_info) to encode (the closure method measures split BTF: --method closure or auto)");
  return measureModule(base, job.rel, probe.bytes ?? (await readInput(job.path)));
}

serveModules<ReportReply>(
  async (job) => ({ path: job.path, size: await measure(job) }),
  () => [],
  (job, e) => {
    const err = e instanceof FileError ? e.error : e;
    return isBtfError(err)
      ? { path: job.path, name: job.rel, reason: (e as Error).message } // a FileError's names the file (the base)
      : { path: job.path, name: job.rel, reason: `internal error: ${(err as Error)?.stack ?? String(err)}`, internal: true };
  },
);
