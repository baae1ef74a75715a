/**
 * The CLI's entry point: `bin/btfkit.js` loads it bundled (`dist/cli/btfkit.js`, made
 * by `scripts/bundle.mjs`) or, with no fresh bundle, as `dist/src/cli/bin.js`.
 *
 * Why a bundle: node loads the ~80 modules of `encode` one by one in ~100 ms, their
 * bundle in ~55 ms, and a worker thread started on the bundle's code is running it
 * 20-40 ms sooner (BENCHMARKS.md, session 12): every command starts sooner. The bundle is split (esbuild's
 * `splitting`): each command, and each module a worker is started on, stays an ES
 * module of its own, so a worker started on `import.meta.url` (src/io/encode-workers.ts)
 * loads just that module and what it imports, and a module's top-level `const`s stay
 * constants (one unsplit file would turn the lazily loaded ones into `var`s assigned
 * when first loaded).
 * @module
 */
import { main } from "./main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`btfkit: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
