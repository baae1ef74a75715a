/**
 * V8 heap sizing in the CLI's process (Node only).
 *
 * `bin/btfkit.js` starts node with `--initial-old-space-size=64` (see the comment there):
 * V8 applies the flag to every isolate the process creates, workers included. That is
 * what `encode` wants (its worker encodes half a kernel); the `modules` commands' workers
 * gain no time from it and each keeps more garbage (a whole 6.1 tree: +45 MB peak RSS),
 * so those commands give the isolates they create V8's default start again.
 * @module
 */
import { setFlagsFromString } from "node:v8";

/** Isolates created from now on (workers) start with V8's default old-generation limit. */
export function defaultWorkerHeaps(): void {
  setFlagsFromString("--initial-old-space-size=0");
}
