/**
 * The worker-thread pool of `modules encode` and `modules report`: `jobs` workers,
 * each started with its own `workerData`, are sent module paths largest file first
 * (the long poles start early, the small ones fill the gaps), two queued per worker so
 * a worker never waits for this thread between modules. A worker answers each path
 * with one message carrying that `path`; it handles its queue one module at a time
 * ({@link serveModules}).
 * @module
 */
import { parentPort, Worker } from "node:worker_threads";
import { detachEarly } from "./detach.js";
import { defaultJobs } from "./encode-workers.js";
import { relative } from "node:path";
import { statSync } from "node:fs";

/** What a worker is sent per module. */
export interface ModuleJob {
  path: string;
  /** The path relative to the tree (the module's name in reports). */
  rel: string;
}

/** Progress after each module; `bytes`/`totalBytes` are file sizes (for an ETA). */
export interface PoolProgress {
  done: number;
  total: number;
  name: string;
  bytes: number;
  totalBytes: number;
}

/**
 * Send every path of `paths` (under `dir`) to a pool of workers running `url`;
 * replies in the order of `paths`.
 */
export async function runModulePool<R extends { path: string }>(
  url: URL,
  dir: string,
  paths: readonly string[],
  opts: { jobs?: number; workerData: (id: number) => unknown; onProgress?: (p: PoolProgress, reply: R) => void },
): Promise<R[]> {
  const sizes = paths.map((p) => statSync(p).size);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const jobs = Math.max(1, Math.min(opts.jobs ?? defaultJobs(), paths.length || 1));
  const replies: R[] = new Array(paths.length);
  const order = paths.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  let next = 0;
  let done = 0;
  let bytesDone = 0;
  await Promise.all(
    Array.from({ length: jobs }, (_, id) => {
      if (next >= order.length) return Promise.resolve();
      const w = new Worker(url, { workerData: opts.workerData(id) });
      return new Promise<void>((resolve, reject) => {
        const sent: number[] = [];
        const send = (): void => {
          const i = order[next];
          if (i === undefined) return;
          next++;
          sent.push(i);
          w.postMessage({ path: paths[i]!, rel: relative(dir, paths[i]!) } satisfies ModuleJob);
        };
        w.on("message", (reply: R) => {
          const at = sent.findIndex((k) => paths[k] === reply.path);
          const i = sent.splice(at < 0 ? 0 : at, 1)[0]!;
          replies[i] = reply;
          done++;
          bytesDone += sizes[i]!;
          opts.onProgress?.({ done, total: paths.length, name: relative(dir, paths[i]!), bytes: bytesDone, totalBytes }, reply);
          send();
          if (sent.length === 0) void w.terminate().then(() => resolve(), reject);
        });
        w.on("error", (e) => {
          void w.terminate();
          reject(e);
        });
        send();
        send();
      });
    }),
  );
  return replies;
}

/**
 * The worker side: answer each {@link ModuleJob} with `handle`'s reply (or
 * `onError`'s), one module at a time, in the order received; `transfer` names the
 * buffers a reply hands over instead of copying.
 */
export function serveModules<R extends { path: string }>(
  handle: (job: ModuleJob) => Promise<R>,
  transfer: (reply: R) => ArrayBuffer[],
  onError: (job: ModuleJob, e: unknown) => R,
): void {
  detachEarly(); // replies transfer their buffers
  let queue: Promise<void> = Promise.resolve();
  parentPort!.on("message", (job: ModuleJob) => {
    queue = queue
      .then(() => handle(job))
      .then(
        (r) => parentPort!.postMessage(r, transfer(r)),
        (e: unknown) => parentPort!.postMessage(onError(job, e)),
      );
  });
}
