/**
 * Conformance of split BTF: EVERY module of both fetched kernels (6.1: plain .ko,
 * 6.12: .ko.xz), dumped on its vmlinux base, against bpftool 7.5 and bpftool 7.1.
 *
 * btfkit runs in-process (base parsed once; .ko.xz read directly by btfkit), bpftool as a
 * subprocess per module (on a copy decompressed with `xz -dc`, as it cannot read .ko.xz),
 * two modules at a time. Per module:
 *   - raw dump byte-identical to `bpftool -B vmlinux.btf btf dump file M format raw`, both
 *     versions; JSON byte-identical to `bpftool -j ...` (parsed JSON compared on mismatch);
 *   - round trip writeBtf(parseBtf(x, base)) == x;
 *   - the split written big-endian (base left native): both bpftools dump it as the original,
 *     btfkit too, and writing it back little-endian gives x;
 * and on a spread sample (every SAMPLE_SWAP-th module) a big-endian split on a big-endian
 * base in both bpftools, and (every SAMPLE_CLI-th module) the btfkit CLI itself, raw and -j,
 * on the original file (.ko / .ko.xz), its base given in turn as vmlinux.btf, the vmlinux
 * ELF and the vmlinuz bzImage.
 *
 * When the running kernel exposes module BTF under /sys/kernel/btf, each of those is also
 * dumped by btfkit (base found automatically, as bpftool does) and by both bpftools.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { dumpJsonBytes, dumpRawBytes, extractBtfBytes, parseBtf, writeBtf, type Btf } from "../../src/index.js";
import { openBtf } from "../../src/io/files.js";
import { CLI } from "../helpers/paths.js";
import {
  SKIP, ORACLES, Failures, Tally, bpftoolDump, firstDiff, jsonDiff, kernelPath, listFiles, mapPool, oracleVersion, requirePaths,
  runOk, sameBytes,
} from "./helpers.js";

/** Every n-th module also gets a swapped base + swapped split check, and a CLI run. */
const SAMPLE_SWAP = 25;
const SAMPLE_CLI = 50;
/** Modules in flight at once (each runs its bpftool calls one after another). */
const POOL = Number(process.env.BTFKIT_CONF_POOL ?? 3);

const KERNELS = [
  { version: "6.1", suffix: ".ko" },
  { version: "6.12", suffix: ".ko.xz" },
];

const [B75, B71] = ORACLES as [(typeof ORACLES)[0], (typeof ORACLES)[0]];
const tally = new Tally();
let tmpRoot = "";

const bytesOf = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

describe("conformance: every kernel module (split BTF) against bpftool", { skip: SKIP }, () => {
  before(async () => {
    for (const o of ORACLES) await oracleVersion(o);
    tmpRoot = await mkdtemp(join(tmpdir(), "btfkit-conf-mod-"));
  });
  after(async () => {
    if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
    console.log(tally.lines("conformance summary (modules, split BTF):"));
  });

  for (const { version, suffix } of KERNELS) {
    describe(`${version} modules (${suffix}) on ${version}/vmlinux.btf`, () => {
      const checks = [
        "raw75", "raw71", "v71v75", "json75", "json71", "roundtrip", "swapSelf", "swap75", "swap71",
        "bothSwapped75", "bothSwapped71", "cliRaw", "cliJson", "errors",
      ] as const;
      type Check = (typeof checks)[number];
      const fails = Object.fromEntries(checks.map((c) => [c, new Failures()])) as Record<Check, Failures>;
      const done = Object.fromEntries(checks.map((c) => [c, 0])) as Record<Check, number>;
      let modules: string[] = [];
      let elapsed = 0;

      /** Record one comparison: a diff string (failure) or undefined (pass). */
      const note = (c: Check, mod: string, diff: string | undefined) => {
        done[c]++;
        if (diff !== undefined) fails[c].add(`${mod}: ${diff}`);
      };

      before(async () => {
        const t0 = performance.now();
        const dir = kernelPath(version, "modules");
        const baseFile = kernelPath(version, "vmlinux.btf");
        const baseForms = [baseFile, kernelPath(version, "vmlinux"), kernelPath(version, "vmlinuz")];
        requirePaths([dir, ...baseForms]);
        modules = listFiles(dir, suffix);
        const tmp = join(tmpRoot, version);
        await mkdir(tmp, { recursive: true });
        const baseRaw = bytesOf(await readFile(baseFile));
        const base: Btf = parseBtf(baseRaw);
        const baseBe = join(tmp, "vmlinux.be.btf");
        await writeFile(baseBe, writeBtf(base, { endian: "big" }));

        await mapPool(modules, POOL, async (path, i) => {
          const mod = path.slice(dir.length + 1);
          const tag = `${i}-${basename(path).replace(/[^A-Za-z0-9_.-]/g, "_")}`;
          try {
            // btfkit, in-process, straight from the .ko / .ko.xz.
            const raw = (await extractBtfBytes(bytesOf(await readFile(path)))).bytes;
            const btf = parseBtf(raw, { base });
            const mine = dumpRawBytes(btf);
            const mineJson = dumpJsonBytes(btf);
            const w = writeBtf(btf);
            note("roundtrip", mod, sameBytes(w, raw) ? undefined : firstDiff(w, raw, "written", "original") ?? "differs");
            const be = writeBtf(btf, { endian: "big" });
            const back = parseBtf(be, { base });
            const le = writeBtf(back, { endian: "little" });
            note(
              "swapSelf",
              mod,
              be[0] !== 0xeb
                ? "not written big-endian"
                : firstDiff(dumpRawBytes(back), mine, "btfkit(swapped)", "btfkit(original)") ??
                    (sameBytes(le, raw) ? undefined : firstDiff(le, raw, "swapped->little", "original")),
            );
            const beFile = join(tmp, `${tag}.be.btf`);
            await writeFile(beFile, be);

            // The file bpftool reads: the .ko itself, or a copy decompressed by xz.
            let oracleFile = path;
            if (suffix.endsWith(".xz")) {
              oracleFile = join(tmp, tag.replace(/\.xz$/, ""));
              await writeFile(oracleFile, await runOk("xz", ["-dc", path]));
            }

            const r75 = await bpftoolDump(B75, oracleFile, { base: baseFile });
            const r71 = await bpftoolDump(B71, oracleFile, { base: baseFile });
            note("raw75", mod, firstDiff(mine, r75, "btfkit", B75.label));
            note("raw71", mod, firstDiff(mine, r71, "btfkit", B71.label));
            note("v71v75", mod, firstDiff(r71, r75, B71.label, B75.label));
            for (const [c, o] of [["json75", B75], ["json71", B71]] as const) {
              const j = await bpftoolDump(o, oracleFile, { base: baseFile, json: true });
              const d = sameBytes(mineJson, j) ? undefined : jsonDiff(mineJson, j) ?? `parsed JSON equal, bytes differ: ${firstDiff(mineJson, j, "btfkit", o.label)}`;
              note(c, mod, d);
            }
            note("swap75", mod, firstDiff(mine, await bpftoolDump(B75, beFile, { base: baseFile }), "btfkit(original)", `${B75.label}(swapped)`));
            note("swap71", mod, firstDiff(mine, await bpftoolDump(B71, beFile, { base: baseFile }), "btfkit(original)", `${B71.label}(swapped)`));
            if (i % SAMPLE_SWAP === 0) {
              note("bothSwapped75", mod, firstDiff(mine, await bpftoolDump(B75, beFile, { base: baseBe }), "btfkit(original)", `${B75.label}(both swapped)`));
              note("bothSwapped71", mod, firstDiff(mine, await bpftoolDump(B71, beFile, { base: baseBe }), "btfkit(original)", `${B71.label}(both swapped)`));
            }
            if (i % SAMPLE_CLI === 0) {
              // The base in turn as raw BTF, the vmlinux ELF and the vmlinuz bzImage.
              const cliBase = baseForms[(i / SAMPLE_CLI) % baseForms.length]!;
              const label = `btfkit CLI --base ${basename(cliBase)}`;
              note("cliRaw", mod, firstDiff(await runOk(process.execPath, [CLI, "dump", "--base", cliBase, path]), r75, label, B75.label));
              const j75 = await bpftoolDump(B75, oracleFile, { base: baseFile, json: true });
              note("cliJson", mod, firstDiff(await runOk(process.execPath, [CLI, "dump", "-j", "--base", cliBase, path]), j75, `${label} -j`, B75.label));
            }
            await rm(beFile, { force: true });
            if (oracleFile !== path) await rm(oracleFile, { force: true });
          } catch (e) {
            // btfkit or an oracle failed on this module: the checks not yet made stay unmade
            // (so their counts come up short) and the error is reported on its own.
            note("errors", mod, `error: ${(e as Error).message}`);
          }
        });
        elapsed = (performance.now() - t0) / 1000;
        console.log(`${version}: ${modules.length} modules compared in ${elapsed.toFixed(1)} s`);
      });

      const expectAll = (c: Check, what: string, tallyAs: string, sample = 1) => {
        it(what, () => {
          const want = Math.ceil(modules.length / sample);
          assert.equal(fails[c].items.length, 0, fails[c].report(what, done[c]));
          assert.equal(done[c], want, `${done[c]} of ${want} modules were checked`);
          tally.add(`${version} ${tallyAs}`, done[c]);
        });
      };

      it(`finds the ${version} modules (at least 1000 ${suffix} files)`, () => {
        assert.ok(modules.length >= 1000, `only ${modules.length} ${suffix} files under ${kernelPath(version, "modules")}`);
      });
      it("reads every module without an error from btfkit or the oracles", () => {
        assert.equal(fails.errors.items.length, 0, fails.errors.report("modules failed", modules.length));
      });
      expectAll("raw75", `btfkit's raw dump of every module equals ${B75.label}'s byte for byte`, `raw == ${B75.label}`);
      expectAll("raw71", `btfkit's raw dump of every module equals ${B71.label}'s byte for byte`, `raw == ${B71.label}`);
      expectAll("v71v75", `${B71.label} and ${B75.label} agree on every module`, `${B71.label} == ${B75.label}`);
      expectAll("json75", `btfkit's JSON dump of every module equals ${B75.label} -j`, `JSON == ${B75.label} -j (bytes)`);
      expectAll("json71", `btfkit's JSON dump of every module equals ${B71.label} -j`, `JSON == ${B71.label} -j (bytes)`);
      expectAll("roundtrip", "writeBtf(parseBtf(x, base)) is byte-identical to every module's .BTF", "round trip == .BTF");
      expectAll("swapSelf", "every module written big-endian parses back to the same dump and converts back to its bytes", "big-endian -> same dump, -> little == .BTF");
      expectAll("swap75", `${B75.label} dumps every big-endian split (native base) as the original`, `swapped split == ${B75.label}`);
      expectAll("swap71", `${B71.label} dumps every big-endian split (native base) as the original`, `swapped split == ${B71.label}`);
      expectAll("bothSwapped75", `${B75.label} dumps a big-endian split on a big-endian base as the original (every ${SAMPLE_SWAP}th)`, `swapped split+base == ${B75.label}`, SAMPLE_SWAP);
      expectAll("bothSwapped71", `${B71.label} dumps a big-endian split on a big-endian base as the original (every ${SAMPLE_SWAP}th)`, `swapped split+base == ${B71.label}`, SAMPLE_SWAP);
      expectAll("cliRaw", `the btfkit CLI's raw dump equals ${B75.label}'s (every ${SAMPLE_CLI}th module, read as ${suffix}; base as raw BTF, ELF, bzImage in turn)`, `CLI raw == ${B75.label}`, SAMPLE_CLI);
      expectAll("cliJson", `the btfkit CLI's JSON dump equals ${B75.label} -j (every ${SAMPLE_CLI}th module, read as ${suffix}; base as raw BTF, ELF, bzImage in turn)`, `CLI -j == ${B75.label}`, SAMPLE_CLI);
    });
  }

  describe("running kernel: /sys/kernel/btf/MODULE (base found automatically)", () => {
    const dir = "/sys/kernel/btf";
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => n !== "vmlinux").sort() : [];
    const none = names.length ? false : "this machine exposes no module BTF under /sys/kernel/btf";
    it("btfkit dumps every module like bpftool 7.5 and 7.1 (library: all; CLI: every 50th)", { skip: none }, async () => {
      const base = await openBtf(join(dir, "vmlinux"));
      const fails = new Failures();
      let n = 0;
      await mapPool(names, POOL, async (name, i) => {
        const path = join(dir, name);
        try {
          const mine = dumpRawBytes(parseBtf(bytesOf(await readFile(path)), { base }));
          for (const o of ORACLES) {
            const d = firstDiff(mine, await bpftoolDump(o, path), "btfkit", o.label);
            if (d) fails.add(`${name}: ${d}`);
            n++;
          }
          if (i % SAMPLE_CLI === 0) {
            const d = firstDiff(await runOk(process.execPath, [CLI, "dump", path]), mine, "btfkit CLI", "btfkit library");
            if (d) fails.add(`${name} (CLI, no --base): ${d}`);
          }
        } catch (e) {
          fails.add(`${name}: error: ${(e as Error).message}`);
        }
      });
      assert.equal(fails.items.length, 0, fails.report("/sys/kernel/btf modules differ", names.length));
      assert.equal(n, names.length * ORACLES.length);
      tally.add("running kernel /sys/kernel/btf modules == bpftool 7.5 and 7.1", names.length);
    });
  });
});
