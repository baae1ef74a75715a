/**
 * The fuzz loop, in a worker thread so the test can kill it when one case hangs.
 * Protocol: posts {t:"case", i} before each case (i < 0: corpus entry -i-1), and
 * {t:"crash", i, message, ops} for each failure, then {t:"done", cases}.
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadBtf } from "../../src/btf/load.js";
import type { Btf } from "../../src/btf/btf.js";
import { Crash, exercise, makeCase, type FuzzInput } from "./fuzz-core.js";

export interface WorkerData {
  seed: number;
  seconds: number;
  maxCases: number;
  /** Base BTF files (raw or compressed), by index. */
  bases: Uint8Array[];
  pool: FuzzInput[];
  corpus: FuzzInput[];
}

const d = workerData as WorkerData;
const post = (m: unknown) => parentPort!.postMessage(m);

async function run(): Promise<void> {
  const bases: Btf[] = [];
  for (const b of d.bases) bases.push(await loadBtf(b));
  const one = async (i: number, bytes: Uint8Array, base: number | undefined, ops: string[]) => {
    post({ t: "case", i });
    try {
      await exercise(bytes, base === undefined ? undefined : bases[base]);
    } catch (e) {
      const msg = e instanceof Crash ? e.message : `unexpected: ${(e as Error)?.stack ?? e}`;
      const cause = e instanceof Crash && e.cause instanceof Error ? `\n${e.cause.stack}` : "";
      post({ t: "crash", i, message: msg + cause, ops });
    }
  };
  for (let k = 0; k < d.corpus.length; k++) await one(-k - 1, d.corpus[k]!.bytes, d.corpus[k]!.base, []);
  const end = Date.now() + d.seconds * 1000;
  let i = 0;
  for (; i < d.maxCases && Date.now() < end; i++) {
    const c = makeCase(d.seed, i, d.pool);
    await one(i, c.bytes, c.input.base, c.ops);
  }
  post({ t: "done", cases: i });
}

run().catch((e) => post({ t: "fatal", message: String((e as Error)?.stack ?? e) }));
