/**
 * Worker thread running the string pass plan (./strings.ts) for ./parallel.ts. It only
 * reads the shared records and strings, and writes its results into shared buffers:
 * `status` [state, new section length], state 1 = done (unique strings), 2 = done but
 * some strings are duplicated (the caller must run the ordinary pass), 3 = failed.
 */
import { workerData } from "node:worker_threads";
import { planStrings } from "./strings.js";

interface Job {
  buf: SharedArrayBuffer;
  typesAt: number;
  words: number;
  strsAt: number;
  strLen: number;
  remap: SharedArrayBuffer;
  out: SharedArrayBuffer;
  status: SharedArrayBuffer;
}

const job = workerData as Job;
const status = new Int32Array(job.status);
let state = 3;
try {
  const w = new Uint32Array(job.buf, job.typesAt, job.words);
  const strs = new Uint8Array(job.buf, job.strsAt, job.strLen);
  const plan = planStrings(w, job.words, strs, job.strLen, new Int32Array(job.remap));
  const out = new Uint8Array(job.out);
  if (plan.bytes.length <= out.length) {
    out.set(plan.bytes);
    status[1] = plan.bytes.length;
    state = plan.unique ? 1 : 2;
  }
} finally {
  Atomics.store(status, 0, state);
  Atomics.notify(status, 0);
}
