/**
 * Golden tests: every committed fixture (and each of its variants: big-endian copy,
 * ELF object, compressed section, compressed file, split on a big-endian base) dumps
 * exactly as bpftool 7.5 printed it when the fixtures were generated.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dumpJsonBytes, dumpRawBytes, dumpTypeJson, dumpTypeRaw, dumpJson, dumpRaw } from "../../src/btf/index.js";
import { fixturePath, loadFixture, manifest, type ManifestEntry } from "../helpers/fixtures.js";

const M = manifest();

/** First differing line, for a readable failure. */
function firstDiff(a: Uint8Array, b: Uint8Array): string {
  const al = Buffer.from(a).toString("latin1").split("\n");
  const bl = Buffer.from(b).toString("latin1").split("\n");
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) return `line ${i + 1}:\n  got:    ${JSON.stringify(al[i])}\n  golden: ${JSON.stringify(bl[i])}`;
  }
  return "equal";
}

function assertBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  if (Buffer.compare(Buffer.from(got), Buffer.from(want)) !== 0) assert.fail(`${what} differs from the golden at ${firstDiff(got, want)}`);
}

async function checkAgainstGolden(e: ManifestEntry, file: string, base: string | undefined): Promise<void> {
  const btf = await loadFixture(file, base, e.validate);
  const raw = dumpRawBytes(btf);
  const json = dumpJsonBytes(btf);
  if (e.digest) {
    const d = JSON.parse(readFileSync(fixturePath(e.golden + ".digest.json"), "utf8"));
    assert.equal(raw.length, d.raw.bytes, "raw dump length");
    assert.equal(createHash("sha256").update(raw).digest("hex"), d.raw.sha256, "raw dump sha256");
    assert.equal(json.length, d.json.bytes, "json dump length");
    assert.equal(createHash("sha256").update(json).digest("hex"), d.json.sha256, "json dump sha256");
    assert.equal(btf.typeCount - btf.startId, d.types);
    return;
  }
  const goldenRaw = readFileSync(fixturePath(e.golden + ".raw.txt"));
  const goldenJson = readFileSync(fixturePath(e.golden + ".json"));
  assertBytes(raw, goldenRaw, `raw dump of ${file}`);
  assertBytes(json, goldenJson, `json dump of ${file}`);
  if (e.jsonParse) assert.deepEqual(JSON.parse(Buffer.from(json).toString("utf8")), JSON.parse(goldenJson.toString("utf8")));
}

for (const e of M.fixtures) {
  test(`dump of ${e.file}${e.base ? ` on ${e.base}` : ""} equals bpftool's golden (${e.note})`, async () => {
    await checkAgainstGolden(e, e.file, e.base);
  });
  for (const v of e.variants) {
    const base = v.base ?? e.base;
    test(`dump of variant ${v.file}${base ? ` on ${base}` : ""} equals the golden of ${e.file}`, async () => {
      const btf = await loadFixture(v.file, base, e.validate);
      if (v.file.endsWith(".be.btf")) assert.equal(btf.endian, "big");
      await checkAgainstGolden(e, v.file, base);
    });
  }
}

test("the manifest covers every kind, both byte orders, split BTF and ELF/compressed containers", () => {
  const files = M.fixtures.flatMap((e) => [e.file, ...e.variants.map((v) => v.file)]);
  for (const f of ["c/kinds.o", "c/kinds.be.btf", "elf/kinds.zlib.o", "elf/kinds.zstd.o", "compressed/kinds.btf.xz", "compressed/records.o.zst", "real/nf_dup_netdev.btf", "handmade/split-mod.be.btf"]) {
    assert.ok(files.includes(f), `${f} is in the manifest`);
  }
  const kinds = new Set<string>();
  for (const e of M.fixtures) {
    if (e.digest) continue;
    for (const m of readFileSync(fixturePath(e.golden + ".raw.txt"), "latin1").matchAll(/^\[\d+\] ([A-Z_0-9]+) /gm)) kinds.add(m[1]!);
  }
  assert.deepEqual([...kinds].sort(), ["ARRAY", "CONST", "DATASEC", "DECL_TAG", "ENUM", "ENUM64", "FLOAT", "FUNC", "FUNC_PROTO", "FWD", "INT", "PTR", "RESTRICT", "STRUCT", "TYPEDEF", "TYPE_TAG", "UNION", "VAR", "VOLATILE"]);
});

test("dumpRaw()/dumpJson() strings and per-type dumps agree with the byte dumps", async () => {
  const btf = await loadFixture("c/records.btf");
  const raw = readFileSync(fixturePath("c/records.raw.txt"), "utf8");
  assert.equal(dumpRaw(btf), raw);
  assert.equal(dumpJson(btf), readFileSync(fixturePath("c/records.json"), "utf8"));
  const lines: string[] = [];
  const objs: unknown[] = [];
  for (let id = 1; id < btf.typeCount; id++) {
    lines.push(dumpTypeRaw(btf, id));
    objs.push(JSON.parse(dumpTypeJson(btf, id)));
  }
  assert.equal(lines.join("\n") + "\n", raw);
  assert.deepEqual({ types: objs }, JSON.parse(readFileSync(fixturePath("c/records.json"), "utf8")));
});

test("a split BTF dump prints only the split's own types, numbered after the base", async () => {
  const mod = await loadFixture("real/nf_dup_netdev.btf", "real/vmlinux-6.1.btf.xz");
  const first = Buffer.from(dumpRawBytes(mod)).toString("utf8").split("\n")[0]!;
  assert.match(first, new RegExp(`^\\[${mod.startId}\\] `));
  assert.equal(mod.startId, mod.base!.typeCount);
});
