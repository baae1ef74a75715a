/** The typed accessor API: Btf.type(id) views, and the raw accessors, against bpftool's JSON. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Kind, KIND_NAMES, parseBtf, type Btf, type BtfType } from "../../src/btf/index.js";
import { BtfAsm } from "../helpers/btf-asm.js";
import { throwsBtf } from "../helpers/assert-btf.js";
import { fixturePath, loadFixture, manifest } from "../helpers/fixtures.js";

const ENC: Record<string, number> = { "(none)": 0, SIGNED: 1, CHAR: 2, BOOL: 4 };
const LINK: Record<string, number> = { static: 0, global: 1, extern: 2 };
type J = Record<string, unknown> & { id: number; kind: string; name: string };
const anon = (n: string) => (n === "(anon)" ? "" : n);

/** Compare one view with bpftool's JSON object (only values JSON keeps exactly). */
function compare(t: BtfType, j: J, btf: Btf): void {
  const where = `type [${j.id}]`;
  assert.equal(t.id, j.id, where);
  assert.equal(t.kindName, j.kind, where);
  assert.equal(KIND_NAMES[t.kind], j.kind, where);
  assert.equal(t.name, anon(j.name), where);
  assert.equal(t.kind, btf.kind(t.id));
  assert.equal(t.vlen, btf.vlen(t.id));
  assert.equal(t.kflag, btf.kflag(t.id));
  switch (t.kind) {
    case Kind.INT:
      assert.deepEqual([t.size, t.bitsOffset, t.bits], [j.size, j.bits_offset, j.nr_bits], where);
      if (j.encoding !== "UNKN") assert.equal(t.encoding, ENC[j.encoding as string], where);
      break;
    case Kind.PTR: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.TYPEDEF: case Kind.TYPE_TAG:
      assert.equal(t.type, j.type_id, where);
      assert.equal(t.size, undefined);
      break;
    case Kind.ARRAY:
      assert.deepEqual([t.elemType, t.indexType, t.nelems], [j.type_id, j.index_type_id, j.nr_elems], where);
      break;
    case Kind.STRUCT: case Kind.UNION: {
      assert.equal(t.size, j.size, where);
      const ms = j.members as { name: string; type_id: number; bits_offset: number; bitfield_size?: number }[];
      assert.deepEqual(t.members.map((m) => ({ ...m })), ms.map((m) => ({ name: anon(m.name), type: m.type_id, bitOffset: m.bits_offset, bitfieldSize: m.bitfield_size ?? 0 })), where);
      break;
    }
    case Kind.ENUM: case Kind.ENUM64: {
      assert.equal(t.size, j.size, where);
      assert.equal(t.signed, j.encoding === "SIGNED", where);
      const vs = j.values as { name: string; val: number }[];
      assert.deepEqual(t.values.map((v) => v.name), vs.map((v) => anon(v.name)), where);
      t.values.forEach((v, i) => {
        if (Number.isSafeInteger(vs[i]!.val) && (t.signed || t.kind === Kind.ENUM64 || v.value < 0x80000000)) {
          assert.equal(v.value, vs[i]!.val, `${where} value #${i}`);
          assert.equal(v.value64, BigInt(vs[i]!.val), `${where} value64 #${i}`);
        }
      });
      break;
    }
    case Kind.FWD:
      assert.equal(t.kflag, j.fwd_kind === "union" ? 1 : 0, where);
      break;
    case Kind.FUNC:
      assert.equal(t.type, j.type_id, where);
      assert.equal(t.linkage, LINK[j.linkage as string], where);
      break;
    case Kind.FUNC_PROTO:
      assert.equal(t.type, j.ret_type_id, where);
      assert.deepEqual(t.params.map((p) => ({ ...p })), (j.params as { name: string; type_id: number }[]).map((p) => ({ name: anon(p.name), type: p.type_id })), where);
      break;
    case Kind.VAR:
      assert.equal(t.type, j.type_id, where);
      assert.equal(t.linkage, LINK[j.linkage as string], where);
      break;
    case Kind.DATASEC:
      assert.equal(t.size, j.size, where);
      assert.deepEqual(t.vars.map((v) => ({ ...v })), (j.vars as { type_id: number; offset: number; size: number }[]).map((v) => ({ type: v.type_id, offset: v.offset, size: v.size })), where);
      break;
    case Kind.FLOAT:
      assert.equal(t.size, j.size, where);
      break;
    case Kind.DECL_TAG:
      assert.equal(t.type, j.type_id, where);
      assert.equal(t.componentIdx, j.component_idx, where);
      break;
    default:
      assert.fail(`unexpected kind ${t.kind}`);
  }
}

test("type(id) agrees with bpftool's JSON for every type of every fixture", async () => {
  let n = 0;
  for (const e of manifest().fixtures) {
    if (e.digest || !e.jsonParse) continue;
    const btf = await loadFixture(e.file, e.base, e.validate);
    const golden = JSON.parse(readFileSync(fixturePath(e.golden + ".json"), "utf8")) as { types: J[] };
    assert.equal(golden.types.length, btf.nrTypes, e.file);
    for (const j of golden.types) {
      compare(btf.type(j.id), j, btf);
      n++;
    }
  }
  assert.ok(n > 700, `${n} types compared`);
});

test("ENUM64 values keep all 64 bits in value64, signed or not, as bpftool prints them", async () => {
  const btf = await loadFixture("handmade/fwd-enum.btf");
  const raw = readFileSync(fixturePath("handmade/fwd-enum.raw.txt"), "utf8");
  for (const name of ["e64_signed", "e64_unsigned"]) {
    const [id] = btf.findByName(name, Kind.ENUM64);
    const t = btf.type(id!);
    const block = raw.split(`ENUM64 '${name}'`)[1]!.split("\n[")[0]!;
    const want = [...block.matchAll(/'(\w+)' val=(-?\d+)U?LL/g)].map((m) => [m[1], BigInt(m[2]!)]);
    assert.equal(want.length, 14);
    assert.deepEqual(t.values.map((v) => [v.name, v.value64]), want);
    for (const v of t.values) assert.equal(v.value, Number(v.value64));
  }
});

test("ENUM values: unsigned ones are u32, signed ones s32", async () => {
  const btf = await loadFixture("handmade/fwd-enum.btf");
  const u = btf.type(btf.findByName("unsigned_high")[0]!);
  assert.deepEqual(u.values.map((v) => v.value), [1, 0x80000000, 0xffffffff]);
  assert.equal(u.signed, false);
  const s = btf.type(btf.findByName("signed_enum")[0]!);
  assert.deepEqual(s.values.map((v) => v.value), [-2147483648, -1, 0, 2147483647]);
  assert.deepEqual(s.values.map((v) => v.value64), [-2147483648n, -1n, 0n, 2147483647n]);
});

test("type(id) views are frozen, cached per id, and rebuilt after invalidate()", async () => {
  const btf = parseBtf((await import("../helpers/fixtures.js")).readFixture("c/records.btf"));
  const t = btf.type(13);
  assert.ok(Object.isFrozen(t));
  assert.equal(btf.type(13), t);
  assert.equal(t.name, "flags");
  assert.equal(t.members.length, 8);
  assert.deepEqual({ ...t.members[3]! }, { name: "wide", type: 14, bitOffset: 9, bitfieldSize: 40 });
  btf.invalidate();
  const t2 = btf.type(13);
  assert.notEqual(t2, t);
  assert.deepEqual(t2, t);
});

test("type(id) throws NOT_FOUND for ids outside the BTF, including non-integers", () => {
  const a = new BtfAsm();
  a.int("int", 4, 1);
  const btf = parseBtf(a.bytes());
  for (const id of [2, -1, 1.5, Number.NaN, Infinity, 2 ** 32]) {
    const e = throwsBtf(() => btf.type(id), "NOT_FOUND", /no type with id/);
    assert.ok(Object.is(e.typeId, id));
  }
  assert.ok(!btf.hasType(0.5));
});

test("type(0) is void: kind UNKN, no name", () => {
  const a = new BtfAsm();
  a.int("int", 4, 1);
  const btf = parseBtf(a.bytes());
  const v = btf.type(0);
  assert.equal(v.kind, Kind.UNKN);
  assert.equal(v.name, "");
  assert.equal(btf.kind(0), Kind.UNKN);
  assert.equal(btf.name(0), "");
  assert.equal(btf.info(0), 0);
  assert.equal(btf.sizeOrType(0), 0);
});

test("fields a kind does not have are undefined or empty", async () => {
  const btf = await loadFixture("c/kinds.btf");
  const int = btf.type(btf.findByName("int")[0]!);
  assert.equal(int.type, undefined);
  assert.equal(int.elemType, undefined);
  assert.equal(int.linkage, undefined);
  assert.equal(int.signed, undefined);
  assert.equal(int.componentIdx, undefined);
  assert.deepEqual([int.members, int.params, int.values, int.vars], [[], [], [], []]);
  const ptr = btf.type(7);
  assert.equal(ptr.kind, Kind.PTR);
  assert.equal(ptr.type, 0);
  assert.equal(ptr.encoding, undefined);
  assert.equal(ptr.size, undefined);
});
