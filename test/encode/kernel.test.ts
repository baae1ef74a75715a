/**
 * Conformance of the DWARF -> BTF encoder on a real kernel: the Debian 6.1 cloud
 * kernel with debug info (~/.cache/btfkit/kernels/6.1-dbg: vmlinux, 590 MB, DWARF 5,
 * and its 1121 modules), against pahole 1.30 `-J --btf_features=default`:
 *
 * - vmlinux: the BTF before dedup byte-identical to what pahole hands to btf__dedup
 *   (dedup-spy capture), and the final BTF byte-identical to pahole's;
 * - modules, split on pahole's vmlinux BTF (`--btf_base`): byte-identical to pahole.
 *
 * pahole's outputs are cached in ~/.cache/btfkit/pahole-1.30 (scripts/encode-pahole-cache.sh
 * makes them all; a missing one is made here with pahole when the oracle is installed).
 *
 * Environment:
 *   BTFKIT_ENCODE_SAMPLE   modules to check: a number (default 60, spread evenly over
 *                          the sorted tree, plus mlx5_core) or "all" (the full run:
 *                          about 35 s on 2 cores, 1121 modules)
 *   BTFKIT_ENCODE_VMLINUX  0 skips vmlinux (about 20 s, 1 GB)
 *   BTFKIT_ENCODE_JOBS     worker threads for vmlinux (default 2)
 *   BTFKIT_SKIP_CONFORMANCE=1 skips everything (the suite otherwise fails without its data)
 *
 * Full run:  npm run build && BTFKIT_ENCODE_SAMPLE=all node --test dist/test/encode/
 *
 * Known difference with Debian's shipped vmlinux BTF (6.1-dbg/vmlinux.btf): Debian built
 * it with an older pahole, so pahole 1.30 itself does not reproduce it; pahole 1.30's own
 * output is the reference here.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { ElfFile, parseBtf, writeBtf, type Btf } from "../../src/index.js";
import { encodeBtf, finishDedup } from "../../src/encode/index.js";
import { encodeFile } from "../../src/io/encode-workers.js";
import { CLI, KERNELS, ORACLE_BIN } from "../helpers/paths.js";
import { SKIP, firstDiff, requirePaths, run, sameBytes } from "../conformance/helpers.js";

const TREE = join(KERNELS, "6.1-dbg");
const VMLINUX = join(TREE, "vmlinux");
const MODULES = join(TREE, "modules");
const CACHE = process.env.BTFKIT_PAHOLE_CACHE ?? join(homedir(), ".cache", "btfkit", "pahole-1.30");
const PAHOLE = join(ORACLE_BIN, "pahole");
const SPY = join(ORACLE_BIN, "..", "lib", "dedup-spy.so");
const SAMPLE = process.env.BTFKIT_ENCODE_SAMPLE ?? "60";
const JOBS = Number(process.env.BTFKIT_ENCODE_JOBS ?? 2);

/** Modules under `dir`, sorted by path. */
function modules(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ko")) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** `n` modules spread evenly over the sorted list (always with mlx5_core, the largest). */
function sample(all: string[], spec: string): string[] {
  if (spec === "all") return all;
  const n = Math.max(1, Number(spec));
  if (!Number.isInteger(n)) throw new Error(`BTFKIT_ENCODE_SAMPLE: a number or "all", not '${spec}'`);
  const pick = new Set<string>();
  for (let i = 0; i < n && i < all.length; i++) pick.add(all[Math.floor((i * all.length) / Math.min(n, all.length))]!);
  const big = all.find((p) => p.endsWith("/mlx5_core.ko"));
  if (big) pick.add(big);
  return [...pick].sort();
}

/** pahole's BTF for `obj` (cached); `spyIn` also saves the pre-dedup capture. */
async function paholeBtf(obj: string, cached: string, opts: { base?: string; spyIn?: string } = {}): Promise<Uint8Array> {
  if (!existsSync(cached) || (opts.spyIn && !existsSync(opts.spyIn))) {
    requirePaths([PAHOLE, SPY]);
    mkdirSync(dirname(cached), { recursive: true });
    const spy = join(tmpdir(), `btfkit-spy-${process.pid}-${Date.now()}`);
    mkdirSync(spy, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    rmSync(tmp, { force: true }); // pahole does not truncate its output
    const args = ["-J", "--btf_features=default", "-j1", ...(opts.base ? ["--btf_base", opts.base] : []), `--btf_encode_detached=${tmp}`, obj];
    const r = await run(PAHOLE, args, { env: { ...process.env, SPY_DIR: spy, LD_PRELOAD: SPY } });
    if (r.code !== 0) throw new Error(`pahole failed on ${obj}: ${r.stderr}`);
    renameSync(tmp, cached);
    if (opts.spyIn) renameSync(join(spy, "1.in.btf"), opts.spyIn);
    rmSync(spy, { recursive: true, force: true });
  }
  return new Uint8Array(readFileSync(cached));
}

function assertSame(got: Uint8Array, want: Uint8Array, what: string): void {
  if (sameBytes(got, want)) return;
  assert.fail(`${what}: ${firstDiff(got, want, "btfkit", "pahole 1.30") ?? "differs"}`);
}

describe("encoder conformance: 6.1-dbg kernel vs pahole 1.30", { skip: SKIP }, () => {
  let base: Btf;
  let baseFile: string;

  before(async () => {
    requirePaths([VMLINUX, MODULES]);
    baseFile = join(CACHE, "vmlinux.btf");
    base = parseBtf(await paholeBtf(VMLINUX, baseFile, { spyIn: join(CACHE, "vmlinux.in.btf") }));
  });

  it("vmlinux: pre-dedup and final BTF byte-identical to pahole", { skip: process.env.BTFKIT_ENCODE_VMLINUX === "0" ? "BTFKIT_ENCODE_VMLINUX=0" : false }, async () => {
    const pre = await encodeFile(VMLINUX, { jobs: JOBS, dedup: false });
    assertSame(writeBtf(pre), new Uint8Array(readFileSync(join(CACHE, "vmlinux.in.btf"))), "vmlinux before dedup");
    assertSame(writeBtf(finishDedup(pre)), new Uint8Array(readFileSync(baseFile)), "vmlinux");
  });

  it("vmlinux by the `btfkit encode` command, on several threads, deduplicated unit by unit as it is encoded: byte-identical to pahole", { skip: process.env.BTFKIT_ENCODE_VMLINUX === "0" || JOBS < 2 ? "BTFKIT_ENCODE_VMLINUX=0 or one thread" : false }, async () => {
    // The multi-threaded encoder pipelines dedup (src/btf/dedup/pipeline.ts); the test
    // above deduplicates the whole pre-dedup BTF at once instead. Run as the installed
    // command runs (bin/btfkit.js, its #! line's V8 flags): its workers start on the
    // CLI's bundle (src/cli/bin.ts) after `npm run build`.
    const out = join(tmpdir(), `btfkit-encode-vmlinux-${process.pid}.btf`);
    try {
      const r = await run(CLI, ["encode", VMLINUX, "-j", String(JOBS), "-o", out]);
      assert.equal(r.code, 0, `btfkit encode exited ${r.code}: ${r.stderr}`);
      assertSame(new Uint8Array(readFileSync(out)), new Uint8Array(readFileSync(baseFile)), "vmlinux, btfkit encode -j");
    } finally {
      rmSync(out, { force: true });
    }
  });

  describe("modules split on vmlinux", () => {
    const failures: string[] = [];
    let checked = 0;
    const all = existsSync(MODULES) ? modules(MODULES) : [];
    const picked = sample(all, SAMPLE);

    it(`modules (${SAMPLE === "all" ? "all" : `sample of ${picked.length}`} of ${all.length}) byte-identical to pahole --btf_base`, async () => {
      for (const m of picked) {
        const rel = relative(MODULES, m);
        const want = await paholeBtf(m, join(CACHE, "modules", rel.replace(/\.ko$/, ".btf")), { base: baseFile });
        let got: Uint8Array;
        try {
          got = writeBtf(encodeBtf(new ElfFile(new Uint8Array(readFileSync(m))), { base }));
        } catch (e) {
          failures.push(`${rel}: ${(e as Error).message}`);
          continue;
        }
        checked++;
        if (!sameBytes(got, want)) failures.push(`${rel}: ${firstDiff(got, want, "btfkit", "pahole 1.30") ?? "differs"}`);
      }
      assert.ok(picked.length > 0, "no modules found");
      assert.deepEqual(failures, [], `${failures.length} of ${picked.length} modules differ`);
    });

    after(() => {
      process.stderr.write(`encoder conformance: ${checked - failures.length}/${picked.length} modules identical to pahole 1.30\n`);
    });
  });
});
