/** Running the real CLI (`node bin/btfkit.js`) in a child process. */
import { execFile } from "node:child_process";
import { CLI, ROOT } from "./paths.js";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Run `btfkit ...args`; never rejects (the exit status is in the result). Killed after
 * `timeoutMs`. With `asCommand`, the file is executed itself (its `#!` line starts node),
 * as the installed `btfkit` is; else it is run as `node bin/btfkit.js`.
 */
export function runCli(args: string[], opts: { timeoutMs?: number; env?: Record<string, string>; asCommand?: boolean } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      opts.asCommand ? CLI : process.execPath,
      opts.asCommand ? args : [CLI, ...args],
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
