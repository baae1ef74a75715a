/** btfStats() / formatStats(): counts and bytes per kind, checked against an independent count. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { btfStats, formatStats, parseHeader, writeBtf } from "../../src/btf/index.js";
import { LAYOUT } from "../helpers/btf-asm.js";
import { fixturePath, loadFixture, manifest, readFixture } from "../helpers/fixtures.js";

const KIND_NO: Record<string, number> = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11,
  FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
};

/** Counts and record bytes per kind from bpftool's JSON golden (raw text when the JSON is not valid JSON). */
function fromGolden(golden: string, jsonParse: boolean): Map<string, { count: number; bytes: number }> {
  const types: { kind: string; vlen: number }[] = [];
  if (jsonParse) {
    for (const t of JSON.parse(golden).types as { kind: string; vlen?: number }[]) types.push({ kind: t.kind, vlen: t.kind === "FUNC" ? 0 : t.vlen ?? 0 });
  } else {
    for (const line of golden.split("\n")) {
      const h = /^\[\d+\] ([A-Z_0-9]+) /.exec(line);
      if (h) types.push({ kind: h[1]!, vlen: h[1] === "FUNC" ? 0 : Number(/ vlen=(\d+)/.exec(line)?.[1] ?? 0) });
    }
  }
  const m = new Map<string, { count: number; bytes: number }>();
  for (const { kind, vlen } of types) {
    const [fixed, per] = LAYOUT[KIND_NO[kind]!]!;
    const e = m.get(kind) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += 4 * (3 + fixed + vlen * per);
    m.set(kind, e);
  }
  return m;
}

test("btfStats() counts types and record bytes per kind as bpftool's dump implies, for every fixture", async () => {
  for (const e of manifest().fixtures) {
    if (e.digest) continue;
    const btf = await loadFixture(e.file, e.base, e.validate);
    const s = btfStats(btf);
    const want = fromGolden(readFileSync(fixturePath(e.golden + (e.jsonParse ? ".json" : ".raw.txt")), e.jsonParse ? "utf8" : "latin1"), e.jsonParse);
    assert.deepEqual(new Map(s.kinds.map((k) => [k.kind, { count: k.count, bytes: k.bytes }])), want, e.file);
    assert.equal(s.types, [...want.values()].reduce((n, k) => n + k.count, 0));
    assert.equal(s.typeBytes, [...want.values()].reduce((n, k) => n + k.bytes, 0));
    assert.equal(s.startId, btf.startId);
    assert.equal(s.stringBytes, btf.strLen);
    assert.equal(s.totalBytes, writeBtf(btf).length);
  }
});

test("btfStats() matches the header of the file it came from", () => {
  const bytes = readFixture("c/linked.btf");
  const h = parseHeader(bytes);
  return loadFixture("c/linked.btf").then((btf) => {
    const s = btfStats(btf);
    assert.equal(s.typeBytes, h.typeLen);
    assert.equal(s.stringBytes, h.strLen);
    assert.equal(s.totalBytes, bytes.length);
    assert.deepEqual(s.kinds.map((k) => k.kind), [...s.kinds].sort((a, b) => KIND_NO[a.kind]! - KIND_NO[b.kind]!).map((k) => k.kind), "kinds in kind-number order");
  });
});

test("btfStats() of the vmlinux base agrees with the digest's type count", async () => {
  const btf = await loadFixture("real/vmlinux-6.1.btf.xz");
  const d = JSON.parse(readFileSync(fixturePath("real/vmlinux-6.1.digest.json"), "utf8"));
  const s = btfStats(btf);
  assert.equal(s.types, d.types);
  assert.equal(s.kinds.reduce((n, k) => n + k.count, 0), d.types);
  assert.equal(s.totalBytes, 24 + s.typeBytes + s.stringBytes);
});

test("formatStats() prints one row per kind sorted by bytes, then types/strings/total, and the split range", async () => {
  const mod = await loadFixture("handmade/split-mod.btf", "handmade/split-base.btf");
  const s = btfStats(mod);
  const out = formatStats(s);
  const lines = out.trimEnd().split("\n");
  assert.match(lines[0]!, /^kind\s+types\s+bytes\s+share$/);
  const rows = lines.slice(1, 1 + s.kinds.length).map((l) => l.trim().split(/\s+/));
  const bytes = rows.map((r) => Number(r[2]));
  assert.deepEqual(bytes, [...bytes].sort((a, b) => b - a));
  assert.deepEqual(rows.map((r) => r[0]).sort(), s.kinds.map((k) => k.kind).sort());
  assert.match(out, new RegExp(`^types\\s+${s.types}\\s+${s.typeBytes}\\s`, "m"));
  assert.match(out, new RegExp(`^strings\\s+${s.stringBytes}\\s`, "m"));
  assert.match(out, new RegExp(`^total\\s+${s.totalBytes}\\s+100\\.0%$`, "m"));
  assert.match(out, /^split BTF: ids 8\.\.15 on a base of 7 types$/m);
  assert.doesNotMatch(formatStats(btfStats(await loadFixture("c/kinds.btf"))), /split BTF/);
});

test("formatStats() of an empty BTF has no kind rows", async () => {
  const out = formatStats(btfStats(await loadFixture("handmade/empty.btf")));
  assert.deepEqual(out.trimEnd().split("\n").map((l) => l.split(/\s+/)[0]), ["kind", "types", "strings", "total"]);
});
