// Bundle the CLI (after tsc): dist/cli/btfkit.js from dist/src/cli/bin.js, plus one
// bundle per worker script the CLI starts by a path relative to its own module
// (`new URL("./NAME.js", import.meta.url)`), under the same name beside it, where that
// URL resolves from inside the bundle. Why: src/cli/bin.ts. Run by `npm run build`.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
rmSync(new URL("../dist/cli", import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    btfkit: "dist/src/cli/bin.js",
    "strings-worker": "dist/src/btf/dedup/strings-worker.js",
    "modules-encode-worker": "dist/src/io/modules-encode-worker.js",
    "modules-report-worker": "dist/src/io/modules-report-worker.js",
  },
  outdir: "dist/cli",
  bundle: true,
  splitting: true,
  chunkNames: "[name]-[hash]",
  platform: "node",
  format: "esm",
  // npm packages stay imports: xz-decompress is CommonJS and requires node built-ins,
  // which an ES bundle cannot; they are few files each, so loading them costs little.
  packages: "external",
  target: "node20",
  logLevel: "warning",
});
