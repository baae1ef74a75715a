/**
 * Fixture generation (run by test/fixtures/build.sh after the C fixtures are built;
 * never by the test suite):
 *
 *   node dist/test/helpers/gen-fixtures.js
 *
 * - writes the hand-made blobs (handmade.ts) to test/fixtures/handmade/;
 * - makes big-endian copies with the independent swapper of btf-asm.ts;
 * - writes the goldens with bpftool 7.5 (`format raw`, and `-j`), and checks that
 *   bpftool prints the same for every variant it can read (big-endian copy, ELF .o);
 * - records sha256 digests of bpftool's dumps of the real vmlinux base (too big to commit);
 * - writes test/fixtures/manifest.json, which the golden test walks.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, KERNELS, ORACLE_BIN } from "./paths.js";
import { swapEndian } from "./btf-asm.js";
import { handmade } from "./handmade.js";
import type { Manifest, ManifestEntry, Variant } from "./fixtures.js";

const BPFTOOL = process.env.BPFTOOL ?? join(ORACLE_BIN, "bpftool");
const VMLINUX_61 = join(KERNELS, "6.1", "vmlinux.btf");

/** What bpftool reads instead of a fixture it cannot read (the xz-compressed base). */
function oraclePath(rel: string): string {
  if (rel === "real/vmlinux-6.1.btf.xz") return VMLINUX_61;
  return join(FIXTURES, rel);
}

function bpftool(file: string, base: string | undefined, json: boolean): Buffer {
  const args = [...(json ? ["-j"] : []), ...(base ? ["-B", oraclePath(base)] : []), "btf", "dump", "file", oraclePath(file), "format", "raw"];
  return execFileSync(BPFTOOL, args, { maxBuffer: 1 << 30 });
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function main(): void {
  const version = execFileSync(BPFTOOL, ["version"]).toString();
  if (!/v7\.5\./.test(version)) throw new Error(`goldens must come from bpftool 7.5, got: ${version}`);
  const entries: ManifestEntry[] = [];

  // ---- hand-made blobs ----
  for (const h of handmade()) {
    const file = `handmade/${h.name}.btf`;
    writeFileSync(join(FIXTURES, file), h.bytes);
    const variants: Variant[] = [];
    if (h.be) {
      const be = `handmade/${h.name}.be.btf`;
      writeFileSync(join(FIXTURES, be), swapEndian(h.bytes));
      variants.push({ file: be, base: h.base && `handmade/${h.base}.be.btf`, oracle: true });
      if (h.base) variants.push({ file: be, base: `handmade/${h.base}.btf`, oracle: true });
    }
    entries.push({
      name: `handmade/${h.name}`, file, golden: `handmade/${h.name}`, base: h.base && `handmade/${h.base}.btf`,
      validate: h.validate ?? true, jsonParse: h.jsonParse ?? true, note: h.note, variants,
    });
  }

  // ---- C fixtures built by build.sh: c/NAME.btf from c/NAME.o ----
  const cDir = join(FIXTURES, "c");
  for (const f of readdirSync(cDir).sort()) {
    if (!f.endsWith(".btf") || f.endsWith(".be.btf")) continue;
    const name = f.slice(0, -4);
    const be = `c/${name}.be.btf`;
    writeFileSync(join(FIXTURES, be), swapEndian(readFileSync(join(cDir, f))));
    const variants: Variant[] = [{ file: be, oracle: true }, { file: `c/${name}.o`, oracle: true }];
    for (const [dir, suffixes] of [["elf", [".zlib.o", ".zstd.o"]], ["compressed", [".btf.xz", ".btf.zst", ".btf.gz", ".o.xz", ".o.zst", ".o.gz"]]] as const) {
      for (const s of suffixes) if (existsSync(join(FIXTURES, dir, name + s))) variants.push({ file: `${dir}/${name}${s}`, oracle: false });
    }
    entries.push({ name: `c/${name}`, file: `c/${name}.btf`, golden: `c/${name}`, validate: true, jsonParse: true, note: `pahole 1.30 encoding of gcc -g output (c/${name.replace(/\.m32$/, "")}.c)`, variants });
  }

  // ---- real kernel sample: 6.1 modules on the 6.1 vmlinux ----
  const realDir = join(FIXTURES, "real");
  for (const f of readdirSync(realDir).sort()) {
    if (!f.endsWith(".btf") || f.endsWith(".be.btf")) continue;
    const name = f.slice(0, -4);
    const be = `real/${name}.be.btf`;
    writeFileSync(join(FIXTURES, be), swapEndian(readFileSync(join(realDir, f))));
    entries.push({
      name: `real/${name}`, file: `real/${name}.btf`, golden: `real/${name}`, base: "real/vmlinux-6.1.btf.xz", validate: true, jsonParse: true,
      note: `.BTF of the Debian 6.1 module ${name}.ko (split on vmlinux 6.1)`, variants: [{ file: be, base: "real/vmlinux-6.1.btf.xz", oracle: true }],
    });
  }
  entries.push({
    name: "real/vmlinux-6.1", file: "real/vmlinux-6.1.btf.xz", golden: "real/vmlinux-6.1", validate: true, jsonParse: true, digest: true,
    note: "Debian 6.1 vmlinux BTF (xz); goldens as sha256 digests of bpftool's output", variants: [],
  });

  // ---- goldens ----
  for (const e of entries) {
    const raw = bpftool(e.file, e.base, false);
    const json = bpftool(e.file, e.base, true);
    if (e.digest) {
      const d = { raw: { sha256: sha256(raw), bytes: raw.length }, json: { sha256: sha256(json), bytes: json.length }, types: raw.toString("latin1").match(/^\[/gm)?.length ?? 0 };
      writeFileSync(join(FIXTURES, e.golden + ".digest.json"), JSON.stringify(d, null, 2) + "\n");
    } else {
      writeFileSync(join(FIXTURES, e.golden + ".raw.txt"), raw);
      writeFileSync(join(FIXTURES, e.golden + ".json"), json);
    }
    for (const v of e.variants) {
      if (!v.oracle) continue;
      const r2 = bpftool(v.file, v.base ?? e.base, false);
      const j2 = bpftool(v.file, v.base ?? e.base, true);
      if (!r2.equals(raw) || !j2.equals(json)) throw new Error(`bpftool prints ${v.file} differently from ${e.file}`);
    }
    process.stdout.write(`golden ${e.golden} (${e.variants.length} variants)\n`);
  }

  const manifest: Manifest = { generatedBy: version.split("\n")[0]!, fixtures: entries };
  writeFileSync(join(FIXTURES, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
}

main();
