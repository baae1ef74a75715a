/** Running the real CLI (`node bin/btfkit.js`) in a child process. */
import { execFile } from "node:child_process";
import { CLI, ROOT } from "./paths.js";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Run `btfkit ...args`; never rejects (the exit status is in the result). Killed after `timeoutMs`. */
export function runCli(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, encoding: "buffer", maxBuffer: 1 << 28, timeout: opts.timeoutMs ?? 20000, env: { ...process.env, BTFKIT_DEBUG: "", ...opts.env } },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: stdout as Buffer,
          stderr: (stderr as Buffer).toString("utf8"),
        });
      },
    );
  });
}
