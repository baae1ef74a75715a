/**
 * The writer API (src/btf/builder.ts), after the kernel selftests prog_tests/btf_write.c
 * (`gen_btf`, `btf_add_btf`) and btf_split.c. Expected dumps are bpftool 7.5's text; the
 * bytes were checked against the same calls made through libbpf 1.5.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addArray, addBtf, addConst, addDatasec, addDatasecVarInfo, addDeclTag, addEnum, addEnum64, addEnum64Value, addEnumValue,
  addField, addFloat, addFunc, addFuncParam, addFuncProto, addFwd, addInt, addPtr, addRestrict, addStr, addStruct, addType,
  addTypedef, addTypeTag, addUnion, addVar, addVolatile, dumpRaw, findStr, INT_SIGNED, isBtfError, newBtf, parseBtf,
  stringsDeduped, writeBtf, type Btf,
} from "../../src/index.js";

const lines = (btf: Btf): string[] => dumpRaw(btf).trimEnd().split("\n").filter((l) => l !== "");

/** The selftest's sequence: one type of each kind, some pointing forward; returns the ids. */
function genBtf(btf: Btf): number[] {
  const ids: number[] = [];
  const add = (id: number): void => void ids.push(id);
  add(addInt(btf, "int", 4, INT_SIGNED)); //   [1]
  add(addPtr(btf, 1)); //                       [2]
  add(addConst(btf, 5)); //                     [3] points forward to [5]
  add(addVolatile(btf, 3)); //                  [4]
  add(addRestrict(btf, 4)); //                  [5]
  add(addArray(btf, 1, 2, 10)); //              [6] int *[10]
  add(addStruct(btf, "s1", 8)); //              [7]
  addField(btf, "f1", 1, 0);
  addField(btf, "f2", 1, 32, 16); //            bitfield: kflag set
  add(addUnion(btf, "u1", 8)); //               [8]
  addField(btf, "f1", 1, 0, 16);
  add(addEnum(btf, "e1", 4)); //                [9]
  addEnumValue(btf, "v1", 1);
  addEnumValue(btf, "v2", 2);
  add(addFwd(btf, "struct_fwd", "struct")); //  [10]
  add(addFwd(btf, "union_fwd", "union")); //    [11]
  add(addFwd(btf, "enum_fwd", "enum")); //      [12]
  add(addTypedef(btf, "typedef1", 1)); //       [13]
  add(addFunc(btf, "func1", 1, 15)); //         [14] proto added next
  add(addFuncProto(btf, 1)); //                 [15]
  addFuncParam(btf, "p1", 1);
  addFuncParam(btf, "p2", 2);
  add(addVar(btf, "var1", 1, 1)); //            [16]
  add(addDatasec(btf, "datasec1", 12)); //      [17]
  addDatasecVarInfo(btf, 1, 4, 8);
  add(addDeclTag(btf, "tag1", 16, -1)); //      [18]
  add(addDeclTag(btf, "tag2", 14, 1)); //       [19]
  add(addTypeTag(btf, "tag1", 1)); //           [20]
  add(addEnum64(btf, "e1", 8, true)); //        [21]
  addEnum64Value(btf, "v1", -1n);
  addEnum64Value(btf, "v2", 0x123456789n);
  add(addEnum64(btf, "e1", 8, false)); //       [22]
  addEnum64Value(btf, "v1", 0xffffffffffffffffn);
  return ids;
}

const GEN_DUMP = [
  "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
  "[2] PTR '(anon)' type_id=1",
  "[3] CONST '(anon)' type_id=5",
  "[4] VOLATILE '(anon)' type_id=3",
  "[5] RESTRICT '(anon)' type_id=4",
  "[6] ARRAY '(anon)' type_id=2 index_type_id=1 nr_elems=10",
  "[7] STRUCT 's1' size=8 vlen=2",
  "\t'f1' type_id=1 bits_offset=0",
  "\t'f2' type_id=1 bits_offset=32 bitfield_size=16",
  "[8] UNION 'u1' size=8 vlen=1",
  "\t'f1' type_id=1 bits_offset=0 bitfield_size=16",
  "[9] ENUM 'e1' encoding=UNSIGNED size=4 vlen=2",
  "\t'v1' val=1",
  "\t'v2' val=2",
  "[10] FWD 'struct_fwd' fwd_kind=struct",
  "[11] FWD 'union_fwd' fwd_kind=union",
  "[12] ENUM 'enum_fwd' encoding=UNSIGNED size=4 vlen=0",
  "[13] TYPEDEF 'typedef1' type_id=1",
  "[14] FUNC 'func1' type_id=15 linkage=global",
  "[15] FUNC_PROTO '(anon)' ret_type_id=1 vlen=2",
  "\t'p1' type_id=1",
  "\t'p2' type_id=2",
  "[16] VAR 'var1' type_id=1, linkage=global",
  "[17] DATASEC 'datasec1' size=12 vlen=1",
  "\ttype_id=1 offset=4 size=8 (INT 'int')",
  "[18] DECL_TAG 'tag1' type_id=16 component_idx=-1",
  "[19] DECL_TAG 'tag2' type_id=14 component_idx=1",
  "[20] TYPE_TAG 'tag1' type_id=1",
  "[21] ENUM64 'e1' encoding=SIGNED size=8 vlen=2",
  "\t'v1' val=-1LL",
  "\t'v2' val=4886718345LL",
  "[22] ENUM64 'e1' encoding=UNSIGNED size=8 vlen=1",
  "\t'v1' val=18446744073709551615ULL",
];

const GEN_STRINGS = "\0int\0s1\0f1\0f2\0u1\0e1\0v1\0v2\0struct_fwd\0union_fwd\0enum_fwd\0typedef1\0func1\0p1\0p2\0var1\0datasec1\0tag1\0tag2\0";

test("builder: strings are found only once added, and added once", () => {
  const btf = newBtf();
  assert.equal(findStr(btf, "int"), -1);
  assert.equal(addStr(btf, "int"), 1);
  assert.equal(findStr(btf, "int"), 1);
  assert.equal(addStr(btf, "int"), 1);
  assert.equal(addStr(btf, ""), 0);
  const id = addInt(btf, "int", 4, INT_SIGNED);
  assert.equal(btf.nameOff(id), 1, "the INT reuses the string added before");
});

test("builder: the selftest sequence gives 22 types, ids in order, bpftool's dump and first-use strings", () => {
  const btf = newBtf();
  const ids = genBtf(btf);
  assert.deepEqual(ids, Array.from({ length: 22 }, (_, i) => i + 1));
  assert.deepEqual(lines(btf), GEN_DUMP);
  assert.equal(Buffer.from(btf.stringBytes()).toString("latin1"), GEN_STRINGS);
  assert.equal(btf.kflag(7), 1, "a bitfield member sets the struct's kflag");
  assert.equal(btf.kflag(9), 0, "an enum without negative values is unsigned");
  const again = parseBtf(writeBtf(btf), { validate: false });
  assert.deepEqual(lines(again), GEN_DUMP, "what is written parses back the same");
});

test("builder: a negative ENUM value makes the enum signed", () => {
  const btf = newBtf();
  const id = addEnum(btf, "e", 4);
  addEnumValue(btf, "a", 1);
  assert.equal(btf.kflag(id), 0);
  addEnumValue(btf, "b", -2);
  assert.equal(btf.kflag(id), 1);
  assert.deepEqual(lines(btf), ["[1] ENUM 'e' encoding=SIGNED size=4 vlen=2", "\t'a' val=1", "\t'b' val=-2"]);
});

/** [what, setup (kept), the call that must fail] */
const BAD_CALLS: [string, (b: Btf) => unknown, (b: Btf) => unknown][] = [
  ["an INT of size 7", () => 0, (b) => addInt(b, "bad sz int", 7, 0)],
  ["an INT of size 32", () => 0, (b) => addInt(b, "big", 32, 0)],
  ["an INT with encoding 123", () => 0, (b) => addInt(b, "bad enc int", 4, 123)],
  ["an INT without a name", () => 0, (b) => addInt(b, "", 4, 0)],
  ["a FLOAT of size 3", () => 0, (b) => addFloat(b, "f", 3)],
  ["a TYPEDEF without a name", () => 0, (b) => addTypedef(b, "", 1)],
  ["a PTR to a negative id", () => 0, (b) => addPtr(b, -1)],
  ["a PTR to an id above 2^31 - 1", () => 0, (b) => addPtr(b, 0x80000000)],
  ["a field when the last type is not a struct", () => 0, (b) => addField(b, "f", 1, 0)],
  ["a union field at a non-zero offset", (b) => addUnion(b, "u", 8), (b) => addField(b, "f", 1, 1)],
  ["a bitfield wider than 255 bits", (b) => addStruct(b, "s", 64), (b) => addField(b, "f", 1, 0, 256)],
  ["an enum value when the last type is not an ENUM", () => 0, (b) => addEnumValue(b, "v", 1)],
  ["an ENUM value above 2^32 - 1", (b) => addEnum(b, "e", 4), (b) => addEnumValue(b, "v", 0x100000000)],
  ["an ENUM value below -2^31", (b) => addEnum(b, "e", 4), (b) => addEnumValue(b, "v", -0x80000001)],
  ["an ENUM of size 3", () => 0, (b) => addEnum(b, "e", 3)],
  ["an ENUM64 value beyond 64 bits", (b) => addEnum64(b, "e", 8), (b) => addEnum64Value(b, "v", 1n << 64n)],
  ["a FUNC with linkage 3", () => 0, (b) => addFunc(b, "f", 3, 1)],
  ["a parameter when the last type is not a FUNC_PROTO", () => 0, (b) => addFuncParam(b, "p", 1)],
  ["a VAR without a name", () => 0, (b) => addVar(b, "", 0, 1)],
  ["a DATASEC entry when the last type is not a DATASEC", () => 0, (b) => addDatasecVarInfo(b, 1, 0, 4)],
  ["a DECL_TAG with component -2", () => 0, (b) => addDeclTag(b, "t", 1, -2)],
  ["a TYPE_TAG without a value", () => 0, (b) => addTypeTag(b, "", 1)],
  ["a FWD of kind 'class'", () => 0, (b) => addFwd(b, "x", "class" as "struct")],
];

for (const [what, setup, call] of BAD_CALLS) {
  test(`builder: ${what} is an ARGUMENT error and changes nothing`, () => {
    const btf = newBtf();
    addInt(btf, "int", 4, INT_SIGNED);
    setup(btf);
    const before = writeBtf(btf);
    const count = btf.typeCount;
    assert.throws(() => call(btf), (e: unknown) => isBtfError(e) && e.code === "ARGUMENT");
    assert.equal(btf.typeCount, count);
    assert.deepEqual(writeBtf(btf), before);
  });
}

test("builder: addBtf appends a copy with ids shifted, void kept, strings shared", () => {
  const a = newBtf();
  const b = newBtf();
  genBtf(a);
  genBtf(b);
  const strsBefore = Buffer.from(a.stringBytes()).toString("latin1");
  assert.equal(addBtf(a, b), 23);
  assert.equal(a.typeCount, 45);
  assert.deepEqual(lines(a).slice(0, GEN_DUMP.length), GEN_DUMP);
  assert.deepEqual(lines(a).slice(GEN_DUMP.length), [
    "[23] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[24] PTR '(anon)' type_id=23",
    "[25] CONST '(anon)' type_id=27",
    "[26] VOLATILE '(anon)' type_id=25",
    "[27] RESTRICT '(anon)' type_id=26",
    "[28] ARRAY '(anon)' type_id=24 index_type_id=23 nr_elems=10",
    "[29] STRUCT 's1' size=8 vlen=2",
    "\t'f1' type_id=23 bits_offset=0",
    "\t'f2' type_id=23 bits_offset=32 bitfield_size=16",
    "[30] UNION 'u1' size=8 vlen=1",
    "\t'f1' type_id=23 bits_offset=0 bitfield_size=16",
    "[31] ENUM 'e1' encoding=UNSIGNED size=4 vlen=2",
    "\t'v1' val=1",
    "\t'v2' val=2",
    "[32] FWD 'struct_fwd' fwd_kind=struct",
    "[33] FWD 'union_fwd' fwd_kind=union",
    "[34] ENUM 'enum_fwd' encoding=UNSIGNED size=4 vlen=0",
    "[35] TYPEDEF 'typedef1' type_id=23",
    "[36] FUNC 'func1' type_id=37 linkage=global",
    "[37] FUNC_PROTO '(anon)' ret_type_id=23 vlen=2",
    "\t'p1' type_id=23",
    "\t'p2' type_id=24",
    "[38] VAR 'var1' type_id=23, linkage=global",
    "[39] DATASEC 'datasec1' size=12 vlen=1",
    "\ttype_id=23 offset=4 size=8 (INT 'int')",
    "[40] DECL_TAG 'tag1' type_id=38 component_idx=-1",
    "[41] DECL_TAG 'tag2' type_id=36 component_idx=1",
    "[42] TYPE_TAG 'tag1' type_id=23",
    "[43] ENUM64 'e1' encoding=SIGNED size=8 vlen=2",
    "\t'v1' val=-1LL",
    "\t'v2' val=4886718345LL",
    "[44] ENUM64 'e1' encoding=UNSIGNED size=8 vlen=1",
    "\t'v1' val=18446744073709551615ULL",
  ]);
  assert.equal(Buffer.from(a.stringBytes()).toString("latin1"), strsBefore, "every string was already there");
});

test("builder: addBtf of parsed BTF into new BTF copies the bytes libbpf would", () => {
  const src = newBtf();
  genBtf(src);
  const parsed = parseBtf(writeBtf(src), { validate: false });
  const dst = newBtf();
  assert.equal(addBtf(dst, parsed), 1);
  assert.deepEqual(writeBtf(dst), writeBtf(src));
});

test("builder: addBtf refuses split BTF on another base", () => {
  const base1 = newBtf();
  addInt(base1, "int", 4, INT_SIGNED);
  const base2 = newBtf();
  addInt(base2, "int", 4, INT_SIGNED);
  const split = newBtf({ base: base1 });
  addPtr(split, 1);
  assert.throws(() => addBtf(newBtf({ base: base2 }), split), (e: unknown) => isBtfError(e) && e.code === "UNSUPPORTED");
  assert.throws(() => addBtf(newBtf(), split), (e: unknown) => isBtfError(e) && e.code === "UNSUPPORTED");
});

test("builder: addType copies one record and re-adds its strings", () => {
  const src = newBtf();
  genBtf(src);
  const dst = newBtf();
  addStr(dst, "zzz");
  assert.equal(addType(dst, src, 15), 1); // FUNC_PROTO with params p1, p2: ids copied as they are
  assert.equal(addType(dst, src, 7), 2);
  assert.deepEqual(lines(dst), [
    "[1] FUNC_PROTO '(anon)' ret_type_id=1 vlen=2",
    "\t'p1' type_id=1",
    "\t'p2' type_id=2",
    "[2] STRUCT 's1' size=8 vlen=2",
    "\t'f1' type_id=1 bits_offset=0",
    "\t'f2' type_id=1 bits_offset=32 bitfield_size=16",
  ]);
  assert.equal(Buffer.from(dst.stringBytes()).toString("latin1"), "\0zzz\0p1\0p2\0s1\0f1\0f2\0");
});

test("builder: split BTF numbers after its base and takes strings from it first", () => {
  const base = newBtf();
  addInt(base, "int", 4, INT_SIGNED); // [1]
  addPtr(base, 1); //                    [2]
  addStruct(base, "s1", 4); //           [3]
  addField(base, "f1", 1, 0);
  const split = newBtf({ base });
  assert.equal(split.startId, 4);
  assert.equal(split.strLen, 0);
  assert.equal(findStr(split, "int"), 1, "base strings are visible");
  assert.equal(addStr(split, "int"), 1, "and reused, not copied");
  assert.equal(addStr(split, "s2"), base.strLen, "new strings follow the base's");
  assert.equal(addStruct(split, "s2", 16), 4);
  addField(split, "f1", 3, 0);
  addField(split, "f2", 1, 32);
  addField(split, "f3", 2, 64);
  assert.equal(split.typeCount, 5);
  assert.deepEqual(lines(split), [
    "[4] STRUCT 's2' size=16 vlen=3",
    "\t'f1' type_id=3 bits_offset=0",
    "\t'f2' type_id=1 bits_offset=32",
    "\t'f3' type_id=2 bits_offset=64",
  ]);
  assert.equal(Buffer.from(split.stringBytes()).toString("latin1"), "s2\0f2\0f3\0", "no leading NUL in a split string section");
  const reparsed = parseBtf(writeBtf(split), { base, validate: false });
  assert.deepEqual(lines(reparsed), lines(split));
});

test("builder: changing a parsed BTF copies it first and leaves the input bytes alone", () => {
  const src = newBtf();
  addInt(src, "int", 4, INT_SIGNED);
  const bytes = writeBtf(src);
  const copy = bytes.slice();
  const parsed = parseBtf(bytes, { validate: false });
  assert.equal(stringsDeduped(parsed), false);
  addPtr(parsed, 1);
  addTypedef(parsed, "myint", 1);
  assert.deepEqual(bytes, copy, "the parsed-from buffer is unchanged");
  assert.deepEqual(lines(parsed), [
    "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[2] PTR '(anon)' type_id=1",
    "[3] TYPEDEF 'myint' type_id=1",
  ]);
  assert.equal(stringsDeduped(parsed), false, "a parsed BTF with strings is not string-deduplicated");
  assert.equal(stringsDeduped(newBtf()), true, "a new BTF is");
});
