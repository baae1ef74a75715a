/** Run an async job over every module, a few at a time, reporting progress; results in input order. */
import type { ModuleInput, Progress } from "./check.js";

export async function mapModules<R>(
  inputs: readonly ModuleInput[],
  job: (m: ModuleInput) => Promise<R>,
  opts: { concurrency?: number; onProgress?: (p: Progress) => void } = {},
): Promise<R[]> {
  const out: R[] = new Array(inputs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= inputs.length) return;
      const m = inputs[i]!;
      out[i] = await job(m);
      done++;
      opts.onProgress?.({ done, total: inputs.length, name: m.name });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  return out;
}
