/**
 * The CLI's bundle (`npm run build`: scripts/bundle.mjs, see src/cli/bin.ts) and how
 * `bin/btfkit.js` chooses between it and the modules tsc emits.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, ROOT } from "../helpers/paths.js";

const BUNDLE = join(ROOT, "dist", "cli");
const TMP = mkdtempSync(join(tmpdir(), "btfkit-bundle-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** The bundle's files and their text. */
function bundleFiles(): { name: string; text: string }[] {
  return readdirSync(BUNDLE)
    .filter((n) => n.endsWith(".js"))
    .map((name) => ({ name, text: readFileSync(join(BUNDLE, name), "utf8") }));
}

test("npm run build leaves a bundle of the CLI at least as new as tsc's output, so bin/btfkit.js runs it", () => {
  const bundle = statSync(join(BUNDLE, "btfkit.js"), { throwIfNoEntry: false });
  assert.ok(bundle, "dist/cli/btfkit.js is missing: build with `npm run build`");
  assert.ok(bundle.mtimeMs >= statSync(join(ROOT, "dist", "src", "cli", "bin.js")).mtimeMs, "dist/cli is older than dist/src: `npm run build`, not tsc alone");
});

test("every worker script the bundle starts by a path relative to itself is in the bundle", () => {
  const started = new Set<string>();
  for (const f of bundleFiles()) for (const m of f.text.matchAll(/new URL\("\.\/([\w.-]+\.js)", import\.meta\.url\)/g)) started.add(m[1]!);
  // dedup's string pass and the two module-tree pools.
  assert.deepEqual([...started].sort(), ["modules-encode-worker.js", "modules-report-worker.js", "strings-worker.js"]);
  for (const name of started) assert.ok(statSync(join(BUNDLE, name), { throwIfNoEntry: false })?.isFile(), `${name} is started from the bundle but not in it`);
});

test("the encoder's workers start on the bundle's file that runs them, and no module is wrapped in a lazy initialiser", () => {
  const files = bundleFiles();
  const self = files.filter((f) => f.text.includes("new URL(import.meta.url)"));
  assert.equal(self.length, 1, `files starting a worker on themselves: ${self.map((f) => f.name).join(", ")}`);
  // The worker's entry (its first message handler) must be in that same file.
  assert.match(self[0]!.text, /kind === "btfkit-encode"\)\s*parentPort\.once\("message"/);
  // esbuild's wrapper for modules loaded lazily from one file: its top-level consts
  // would become vars assigned on first use (src/cli/bin.ts).
  for (const f of files) assert.ok(!f.text.includes("__esm("), `${f.name} wraps a module in __esm`);
});

test("bin/btfkit.js runs the bundle when it is at least as new as tsc's entry module, else the modules", () => {
  const root = join(TMP, "pkg");
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "dist", "cli"), { recursive: true });
  mkdirSync(join(root, "dist", "src", "cli"), { recursive: true });
  writeFileSync(join(root, "package.json"), `{ "type": "module" }\n`);
  copyFileSync(CLI, join(root, "bin", "btfkit.js"));
  const bundle = join(root, "dist", "cli", "btfkit.js");
  const modules = join(root, "dist", "src", "cli", "bin.js");
  const ran = (): string => execFileSync(process.execPath, [join(root, "bin", "btfkit.js")], { encoding: "utf8" });
  writeFileSync(modules, `process.stdout.write("modules");\n`);
  assert.equal(ran(), "modules", "no bundle");
  writeFileSync(bundle, `process.stdout.write("bundle");\n`);
  utimesSync(modules, 1000, 1000);
  utimesSync(bundle, 2000, 2000);
  assert.equal(ran(), "bundle", "bundle newer");
  utimesSync(bundle, 1000, 1000);
  assert.equal(ran(), "bundle", "same age");
  utimesSync(modules, 3000, 3000);
  assert.equal(ran(), "modules", "tsc ran after the bundle was made");
});
