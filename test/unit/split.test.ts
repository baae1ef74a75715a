/** Split BTF: ids, strings and name lookups across base and split (and split of split). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Kind, parseBtf, dumpRaw, writeBtf } from "../../src/btf/index.js";
import { BtfAsm } from "../helpers/btf-asm.js";
import { splitBase } from "../helpers/handmade.js";
import { fixturePath, loadFixture, readFixture } from "../helpers/fixtures.js";
import { throwsBtf } from "../helpers/assert-btf.js";

test("a split BTF numbers its types after the base and counts base + own", async () => {
  const base = await loadFixture("handmade/split-base.btf");
  const mod = await loadFixture("handmade/split-mod.btf", "handmade/split-base.btf");
  assert.equal(base.typeCount, 8);
  assert.equal(mod.startId, 8);
  assert.equal(mod.nrTypes, 8);
  assert.equal(mod.typeCount, 16);
  assert.equal(mod.startStrOff, base.strLen);
  assert.ok(mod.hasType(0) && mod.hasType(7) && mod.hasType(15));
  assert.ok(!mod.hasType(16) && !mod.hasType(-1));
  assert.equal(mod.owner(3), base);
  assert.equal(mod.owner(8), mod);
  assert.equal(mod.offsetOf(8), 0);
});

test("accessors on a split BTF serve base ids from the base", async () => {
  const mod = await loadFixture("handmade/split-mod.btf", "handmade/split-base.btf");
  assert.equal(mod.kind(3), Kind.STRUCT);
  assert.equal(mod.name(3), "base_struct");
  assert.equal(mod.sizeOrType(3), 16);
  assert.equal(mod.vlen(3), 2);
  assert.equal(mod.kind(7), Kind.FWD);
  assert.equal(mod.kind(8), Kind.STRUCT);
  assert.equal(mod.name(8), "split_struct");
  assert.equal(mod.kind(11), Kind.TYPEDEF);
  assert.equal(mod.name(11), "base_struct", "the split typedef reuses the base's string");
  assert.equal(mod.nameOff(11), mod.nameOff(3));
  assert.ok(mod.nameOff(11) < mod.startStrOff);
  assert.ok(mod.nameOff(8) >= mod.startStrOff);
  assert.equal(mod.word(8, 4), 1, "first member's type");
  assert.equal(mod.recordSize(8), 12 + 2 * 12);
  assert.equal(mod.recordSize(1), 16);
});

test("string offsets below the split's start resolve in the base, above it in the split", async () => {
  const base = await loadFixture("handmade/split-base.btf");
  const mod = await loadFixture("handmade/split-mod.btf", "handmade/split-base.btf");
  assert.equal(mod.str(0), "");
  assert.equal(mod.str(1), "int");
  assert.equal(mod.str(mod.startStrOff), "split_struct");
  assert.equal(mod.str(mod.startStrOff - 1), "", "the base's final NUL");
  assert.equal(mod.str(mod.startStrOff + mod.strLen), undefined);
  assert.ok(mod.strValid(mod.startStrOff + mod.strLen - 1));
  assert.ok(!mod.strValid(mod.startStrOff + mod.strLen));
  assert.equal(base.str(mod.startStrOff), undefined, "the base does not see the split's strings");
});

test("findByName() searches the base first, then the split, ascending, optionally by kind", async () => {
  const mod = await loadFixture("handmade/split-mod.btf", "handmade/split-base.btf");
  assert.deepEqual(mod.findByName("base_struct"), [3, 11]);
  assert.deepEqual(mod.findByName("base_struct", Kind.STRUCT), [3]);
  assert.deepEqual(mod.findByName("base_struct", Kind.TYPEDEF), [11]);
  assert.deepEqual(mod.findByName("split_fn"), [15]);
  assert.deepEqual(mod.findByName("int"), [1]);
  assert.deepEqual(mod.findByName("nope"), []);
  assert.deepEqual(mod.findByName(".data"), [6, 13]);
  const nostr = await loadFixture("handmade/split-nostr.btf", "handmade/split-base.btf");
  assert.deepEqual(nostr.findByName("int"), [1, 10]);
  // the result is a copy: changing it does not change the index
  mod.findByName("base_struct").push(99);
  assert.deepEqual(mod.findByName("base_struct"), [3, 11]);
});

test("findByName() on the real module finds module types and vmlinux types with the ids bpftool prints", async () => {
  const mod = await loadFixture("real/nf_dup_netdev.btf", "real/vmlinux-6.1.btf.xz");
  const golden = readFileSync(fixturePath("real/nf_dup_netdev.raw.txt"), "utf8");
  let named = 0;
  for (const m of golden.matchAll(/^\[(\d+)\] ([A-Z_0-9]+) '([^']*)'/gm)) {
    const id = Number(m[1]);
    assert.equal(Kind[mod.kind(id)], m[2]);
    if (m[3] === "(anon)") continue;
    assert.equal(mod.name(id), m[3]);
    assert.ok(mod.findByName(m[3]!).includes(id), `${m[3]} -> ${id}`);
    named++;
  }
  assert.ok(named > 10);
  const skb = mod.findByName("sk_buff", Kind.STRUCT);
  assert.equal(skb.length, 1);
  assert.ok(skb[0]! < mod.startId, "struct sk_buff is a vmlinux type");
  assert.equal(mod.type(skb[0]!), mod.base!.type(skb[0]!), "typed views of base types are the base's");
  // every base id the module refers to resolves in the base
  for (const m of golden.matchAll(/type_id=(\d+)/g)) {
    const id = Number(m[1]);
    assert.ok(mod.hasType(id));
    if (id > 0 && id < mod.startId) assert.equal(mod.owner(id), mod.base);
  }
});

test("a split of a split chains ids and strings through both bases", () => {
  const baseAsm = splitBase();
  const midAsm = new BtfAsm(baseAsm);
  const mid1 = midAsm.struct("mid_struct", 8, [{ name: "base_ptr", type: 4 }]);
  midAsm.typedef("mid_t", mid1);
  const topAsm = new BtfAsm(midAsm);
  const top1 = topAsm.ptr(mid1);
  topAsm.typedef("top_t", top1);
  topAsm.typedef("mid_t", 1);
  const base = parseBtf(baseAsm.bytes());
  const mid = parseBtf(midAsm.bytes(), { base });
  const top = parseBtf(topAsm.bytes(), { base: mid });
  assert.equal(mid.startId, 8);
  assert.equal(top.startId, 10);
  assert.equal(top.typeCount, 13);
  assert.equal(top.startStrOff, mid.startStrOff + mid.strLen);
  assert.equal(top.name(9), "mid_t");
  assert.equal(top.name(11), "top_t");
  assert.equal(top.name(3), "base_struct");
  assert.equal(top.owner(3), base);
  assert.equal(top.owner(8), mid);
  assert.deepEqual(top.findByName("mid_t"), [9, 12]);
  assert.deepEqual(top.findByName("int"), [1]);
  assert.equal(top.type(10).type, 8);
  assert.equal(dumpRaw(top), "[10] PTR '(anon)' type_id=8\n[11] TYPEDEF 'top_t' type_id=10\n[12] TYPEDEF 'mid_t' type_id=1\n");
  assert.equal(Buffer.compare(Buffer.from(writeBtf(top)), Buffer.from(topAsm.bytes())), 0);
});

test("a split BTF may be big-endian on a little-endian base, and keeps its own byte order", async () => {
  const mod = await loadFixture("handmade/split-mod.be.btf", "handmade/split-base.btf");
  assert.equal(mod.endian, "big");
  assert.equal(mod.base!.endian, "little");
  assert.equal(Buffer.compare(Buffer.from(writeBtf(mod)), Buffer.from(readFixture("handmade/split-mod.be.btf"))), 0);
});

test("a split BTF on a base that is too small fails with dangling ids", async () => {
  const small = parseBtf(new BtfAsm().bytes());
  throwsBtf(() => parseBtf(readFixture("handmade/split-mod.btf"), { base: small }), "MISMATCH", /(past the last type|invalid string offset).*split BTF does not fit this base\?/);
  const kinds = await loadFixture("c/kinds.btf");
  throwsBtf(() => parseBtf(readFixture("real/nf_dup_netdev.btf"), { base: kinds }), "MISMATCH", /(past the last type|invalid string offset).*split BTF does not fit this base\?/);
});
