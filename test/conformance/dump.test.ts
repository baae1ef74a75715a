/**
 * Conformance of whole (non-split) kernel BTF: the vmlinux BTF of both fetched kernels,
 * the running kernel's /sys/kernel/btf/vmlinux, the vmlinux ELF files and the vmlinuz
 * bzImages, against bpftool 7.5 and bpftool 7.1:
 *   - `btfkit dump` (the CLI) byte-identical to `bpftool btf dump file X format raw`;
 *   - `btfkit dump -j` equal to `bpftool -j ...` as parsed JSON, and byte-identical;
 *   - round trip: writeBtf(parseBtf(x)) == x;
 *   - big-endian copy (writeBtf endian "big"): both bpftools dump it as the original,
 *     btfkit too, and writing it back little-endian gives x;
 *   - `btfkit stats --json` kind counts equal the counts of bpftool's raw dump lines.
 *
 * bpftool cannot read a bzImage, so vmlinuz is compared with bpftool's dump of the vmlinux
 * ELF that scripts/fetch-kernels.sh unpacked from that very bzImage with the system's
 * decompressors, and its BTF bytes with vmlinux.btf (extracted there by objcopy).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractBtfBytes, parseBtf, writeBtf, dumpRawBytes, dumpJsonBytes, HOST_ENDIAN } from "../../src/index.js";
import { CLI } from "../helpers/paths.js";
import {
  SKIP, ORACLES, Tally, bpftoolDump, firstDiff, jsonDiff, kernelPath, mapPool, oracleVersion, requirePaths, run, runOk, sameBytes,
  type Oracle,
} from "./helpers.js";

interface Input {
  label: string;
  /** What btfkit reads. */
  file: string;
  /** What bpftool reads (differs only for bzImages, which bpftool cannot open). */
  oracleFile: string;
  /** A raw BTF file whose bytes the extracted BTF must equal (bzImage). */
  sameAs?: string;
  /** Check `btfkit stats` against this input. */
  stats?: boolean;
}

const SYSFS = "/sys/kernel/btf/vmlinux";
const HAVE_SYSFS = existsSync(SYSFS);

const INPUTS: Input[] = [
  { label: "6.1 vmlinux.btf", file: kernelPath("6.1", "vmlinux.btf"), oracleFile: kernelPath("6.1", "vmlinux.btf"), stats: true },
  { label: "6.12 vmlinux.btf", file: kernelPath("6.12", "vmlinux.btf"), oracleFile: kernelPath("6.12", "vmlinux.btf"), stats: true },
  { label: "6.1 vmlinux (ELF)", file: kernelPath("6.1", "vmlinux"), oracleFile: kernelPath("6.1", "vmlinux") },
  { label: "6.12 vmlinux (ELF)", file: kernelPath("6.12", "vmlinux"), oracleFile: kernelPath("6.12", "vmlinux") },
  { label: "6.1 vmlinuz (bzImage, LZ4; bpftool reads the unpacked 6.1/vmlinux)", file: kernelPath("6.1", "vmlinuz"), oracleFile: kernelPath("6.1", "vmlinux"), sameAs: kernelPath("6.1", "vmlinux.btf") },
  { label: "6.12 vmlinuz (bzImage, zstd; bpftool reads the unpacked 6.12/vmlinux)", file: kernelPath("6.12", "vmlinuz"), oracleFile: kernelPath("6.12", "vmlinux"), sameAs: kernelPath("6.12", "vmlinux.btf") },
  ...(HAVE_SYSFS ? [{ label: "running kernel /sys/kernel/btf/vmlinux", file: SYSFS, oracleFile: SYSFS, stats: true }] : []),
];

const tally = new Tally();
let tmp = "";

// Memoised outputs: each oracle and CLI run happens once however many tests look at it.
const memo = new Map<string, Promise<Buffer>>();
function once(key: string, f: () => Promise<Buffer>): Promise<Buffer> {
  let p = memo.get(key);
  if (!p) {
    p = f();
    p.catch(() => undefined); // reported by the test that awaits it
    memo.set(key, p);
  }
  return p;
}
const oracleOut = (o: Oracle, file: string, json = false) => once(`${o.path}|${file}|${json}`, () => bpftoolDump(o, file, { json }));
const cliOut = (...args: string[]) => once(`cli|${args.join("|")}`, () => runOk(process.execPath, [CLI, ...args]));

/** The raw BTF bytes btfkit extracts from an input, memoised. */
const rawMemo = new Map<string, Promise<Uint8Array>>();
function rawBtf(file: string): Promise<Uint8Array> {
  let p = rawMemo.get(file);
  if (!p) {
    p = readFile(file).then((b) => extractBtfBytes(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))).then((r) => r.bytes);
    p.catch(() => undefined);
    rawMemo.set(file, p);
  }
  return p;
}

describe("conformance: whole kernel BTF against bpftool", { skip: SKIP }, () => {
  before(async () => {
    requirePaths([...new Set(INPUTS.flatMap((i) => [i.file, i.oracleFile]))]);
    for (const o of ORACLES) await oracleVersion(o);
    tmp = await mkdtemp(join(tmpdir(), "btfkit-conf-"));
    // Warm the oracle and CLI outputs two at a time (2 cores).
    const jobs: (() => Promise<unknown>)[] = [];
    for (const inp of INPUTS) {
      for (const o of ORACLES) jobs.push(() => oracleOut(o, inp.oracleFile), () => oracleOut(o, inp.oracleFile, true));
      jobs.push(() => cliOut("dump", inp.file), () => cliOut("dump", "-j", inp.file));
    }
    await mapPool(jobs, 2, (j) => j().catch(() => undefined));
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
    console.log(tally.lines(`conformance summary (whole BTF; host ${HOST_ENDIAN}-endian):`));
  });

  it("uses the expected oracle versions (bpftool 7.5 / libbpf 1.5 and bpftool 7.1 / libbpf 1.1)", async () => {
    for (const o of ORACLES) assert.match(await oracleVersion(o), /^bpftool v7\.[15]\.\d+, using libbpf v1\.[15]/);
  });

  if (!HAVE_SYSFS) it("covers /sys/kernel/btf/vmlinux", { skip: "this kernel has no /sys/kernel/btf/vmlinux" }, () => {});

  for (const inp of INPUTS) {
    describe(inp.label, () => {
      for (const o of ORACLES) {
        it(`btfkit dump is byte-identical to ${o.label} 'btf dump file ... format raw'`, async () => {
          const want = await oracleOut(o, inp.oracleFile);
          const got = await cliOut("dump", inp.file);
          assert.ok(want.length > 1_000_000, `${o.label} printed only ${want.length} bytes`);
          const d = firstDiff(got, want, "btfkit", o.label);
          if (d) assert.fail(d);
          tally.add(`raw dump == ${o.label} (whole BTF)`);
        });

        it(`btfkit dump -j equals ${o.label} -j as parsed JSON, and byte for byte`, async () => {
          const want = await oracleOut(o, inp.oracleFile, true);
          const got = await cliOut("dump", "-j", inp.file);
          const d = jsonDiff(got, want);
          if (d) assert.fail(d);
          tally.add(`JSON dump == ${o.label} parsed (whole BTF)`);
          const b = firstDiff(got, want, "btfkit", o.label);
          if (b) assert.fail(`parsed JSON is equal but the bytes differ: ${b}`);
          tally.add(`JSON dump == ${o.label} bytes (whole BTF)`);
        });
      }

      if (inp.sameAs) {
        const sameAs = inp.sameAs;
        it("extracts the same BTF bytes as objcopy did from the unpacked vmlinux", async () => {
          const got = await rawBtf(inp.file);
          const want = new Uint8Array(await readFile(sameAs));
          assert.ok(sameBytes(got, want), `extracted ${got.length} bytes, vmlinux.btf has ${want.length}, and they differ`);
          tally.add("bzImage BTF == vmlinux.btf");
        });
      }

      it("writeBtf(parseBtf(x)) is byte-identical to x", async () => {
        const x = await rawBtf(inp.file);
        const y = writeBtf(parseBtf(x));
        const d = firstDiff(y, x, "written", "original");
        if (d) assert.fail(d);
        tally.add("round trip writeBtf(parseBtf(x)) == x (whole BTF)");
      });

      it("a big-endian copy dumps identically in both bpftools and btfkit, and converts back to x", async () => {
        const x = await rawBtf(inp.file);
        const btf = parseBtf(x);
        const want = dumpRawBytes(btf);
        const be = writeBtf(btf, { endian: "big" });
        assert.equal(be[0], 0xeb, "written big-endian: magic eb 9f");
        assert.ok(!sameBytes(be, x), "the swapped copy differs from the original");
        const file = join(tmp, `${inp.label.replace(/[^A-Za-z0-9.]+/g, "_")}.be.btf`);
        await writeFile(file, be);
        const back = parseBtf(be);
        assert.equal(back.endian, "big");
        const d0 = firstDiff(dumpRawBytes(back), want, "btfkit(swapped)", "btfkit(original)");
        if (d0) assert.fail(d0);
        const dj = firstDiff(dumpJsonBytes(back), dumpJsonBytes(btf), "btfkit -j (swapped)", "btfkit -j (original)");
        if (dj) assert.fail(dj);
        for (const o of ORACLES) {
          const d = firstDiff(want, await bpftoolDump(o, file), "btfkit(original)", `${o.label}(swapped)`);
          if (d) assert.fail(d);
          tally.add(`swapped raw dump == ${o.label} (whole BTF)`);
        }
        const le = writeBtf(back, { endian: "little" });
        const dl = firstDiff(le, x, "swapped->little", "original");
        if (dl) assert.fail(dl);
        tally.add("swapped -> little == original (whole BTF)");
      });

      if (inp.stats) {
        it("btfkit stats counts each kind as often as it appears in bpftool 7.5's raw dump", async () => {
          const dump = (await oracleOut(ORACLES[0]!, inp.oracleFile)).toString("latin1");
          const want = new Map<string, number>();
          let total = 0;
          for (const m of dump.matchAll(/^\[\d+\] ([A-Z_0-9]+) /gm)) {
            want.set(m[1]!, (want.get(m[1]!) ?? 0) + 1);
            total++;
          }
          const s = JSON.parse((await cliOut("stats", "--json", inp.file)).toString("utf8")) as {
            types: number;
            kinds: { kind: string; count: number }[];
          };
          assert.equal(s.types, total);
          assert.deepEqual(new Map(s.kinds.map((k) => [k.kind, k.count])), want);
          tally.add("stats kind counts == bpftool 7.5 dump");
        });
      }
    });
  }
});
