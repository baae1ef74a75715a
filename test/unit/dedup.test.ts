/**
 * Dedup behaviour on small, hand-made inputs: the scenarios of the kernel's BPF
 * selftests (prog_tests/btf.c dedup table, prog_tests/btf_dedup_split.c), restated,
 * plus libbpf's candidate order and error cases. Expected results were checked
 * against libbpf 1.5 (`btfref dedup`) and bpftool 7.5; these tests need neither.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  addBtf, addField, addFwd, addInt, addPtr, addStr, addStruct, addTypedef, dedup, dumpRaw, INT_SIGNED, isBtfError, newBtf,
  parseBtf, stringsDeduped, writeBtf, type Btf,
} from "../../src/index.js";
import { assemble, R } from "../dedup/raw.js";
import { SELFTEST_CASES } from "../dedup/selftest-cases.js";

interface Expect {
  /** The whole string section after dedup (without its final NUL). */
  strs: string;
  /** SHA-256 of the whole serialized output, as libbpf 1.5 writes it. */
  sha256: string;
  /** `bpftool btf dump ... format raw` of the output. */
  dump: string[];
}

const parse = (bytes: Uint8Array, base?: Btf): Btf => parseBtf(bytes, { validate: false, base });
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const strSection = (btf: Btf): string => Buffer.from(btf.stringBytes()).toString("latin1");
const lines = (btf: Btf): string[] => dumpRaw(btf).trimEnd().split("\n").filter((l) => l !== "");

const EXPECTED: Expect[] = [
  // strings no type uses are dropped
  {
    strs: "\0int\0long",
    sha256: "4e5fca91002c1f3c24b05a442c40ac8f0417c8508ef7c711606b97513e135db6",
    dump: [
      "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] INT 'long' size=8 bits_offset=0 nr_bits=64 encoding=SIGNED",
    ],
  },
  // equal strings merge and so do the types named by them
  {
    strs: "\0int\0long int",
    sha256: "713ef5ca58c01771466aa9e7893d8714ef3174b5127a2168ca0ca11698a12dac",
    dump: [
      "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] INT 'long int' size=8 bits_offset=0 nr_bits=64 encoding=SIGNED",
    ],
  },
  // a self-referencing struct copied whole collapses to one copy
  {
    strs: "\0int\0s\0next\0a\0b\0c\0d\0float",
    sha256: "dc0837705923590d3140c042d171e1d0ab1c4ff10e0d993baa6729c74e9cfe0a",
    dump: [
      "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] ARRAY '(anon)' type_id=1 index_type_id=1 nr_elems=16",
      "[3] STRUCT 's' size=88 vlen=5",
      "\t'next' type_id=4 bits_offset=0",
      "\t'a' type_id=5 bits_offset=64",
      "\t'b' type_id=2 bits_offset=128",
      "\t'c' type_id=1 bits_offset=640",
      "\t'd' type_id=9 bits_offset=672",
      "[4] PTR '(anon)' type_id=3",
      "[5] PTR '(anon)' type_id=6",
      "[6] CONST '(anon)' type_id=1",
      "[7] DECL_TAG 's' type_id=3 component_idx=-1",
      "[8] DECL_TAG 's' type_id=3 component_idx=1",
      "[9] FLOAT 'float' size=4",
    ],
  },
  // a FWD in one unit resolves to the struct of another (not to a same-bucket FWD)
  {
    strs: "\0x\0s",
    sha256: "8c07b2ce8759f9f3aa6c0469e0eda39539347dfc43c76f4231198771841f2e8f",
    dump: [
      "[1] PTR '(anon)' type_id=3",
      "[2] STRUCT 's' size=8 vlen=1",
      "\t'x' type_id=1 bits_offset=0",
      "[3] STRUCT 'x' size=0 vlen=0",
    ],
  },
  // a pointer to void is not equivalent to a pointer to an empty struct
  {
    strs: "\0s\0x",
    sha256: "9507f15e285ab39b1b80dbcfbfd67f46446fbfa329bcefdd2cc5a6c32bb321a6",
    dump: [
      "[1] STRUCT '(anon)' size=1 vlen=0",
      "[2] PTR '(anon)' type_id=1",
      "[3] STRUCT 's' size=8 vlen=1",
      "\t'x' type_id=2 bits_offset=0",
      "[4] PTR '(anon)' type_id=0",
      "[5] STRUCT 's' size=8 vlen=1",
      "\t'x' type_id=4 bits_offset=0",
    ],
  },
  // one type of every kind, no duplicates: unchanged
  {
    strs: "\0A\0B\0C\0D\0E\0F\0G\0H\0I\0J\0K\0L\0M\0N\0O\0P\0Q\0R\0S\0T\0U",
    sha256: "fe58fd099cca3a47c880cd352c4abc2930c0efd04253a14f011813f91e930925",
    dump: [
      "[1] INT 'A' size=8 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] ENUM 'B' encoding=UNSIGNED size=4 vlen=2",
      "\t'C' val=0",
      "\t'D' val=1",
      "[3] FWD 'E' fwd_kind=union",
      "[4] ARRAY '(anon)' type_id=2 index_type_id=1 nr_elems=7",
      "[5] STRUCT 'F' size=4 vlen=1",
      "\t'G' type_id=1 bits_offset=0",
      "[6] UNION 'H' size=4 vlen=1",
      "\t'I' type_id=1 bits_offset=0",
      "[7] TYPEDEF 'J' type_id=1",
      "[8] PTR '(anon)' type_id=0",
      "[9] CONST '(anon)' type_id=8",
      "[10] VOLATILE '(anon)' type_id=8",
      "[11] RESTRICT '(anon)' type_id=8",
      "[12] FUNC_PROTO '(anon)' ret_type_id=1 vlen=2",
      "\t'K' type_id=1",
      "\t'L' type_id=18",
      "[13] FUNC 'M' type_id=12 linkage=static",
      "[14] FLOAT 'N' size=2",
      "[15] DECL_TAG 'O' type_id=13 component_idx=-1",
      "[16] DECL_TAG 'P' type_id=13 component_idx=1",
      "[17] DECL_TAG 'Q' type_id=7 component_idx=-1",
      "[18] TYPE_TAG 'R' type_id=8",
      "[19] ENUM64 'S' encoding=UNSIGNED size=8 vlen=2",
      "\t'T' val=0ULL",
      "\t'U' val=4294967297ULL",
    ],
  },
  // INTs differing in any field and FLOATs of each size stay apart
  {
    strs: "\0int\0some other int\0float",
    sha256: "f1f3994e4d4d79443e0205aa521d5e5c50c3e4684fdf8e242362793bf7d44afe",
    dump: [
      "[1] INT 'int' size=8 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] INT 'some other int' size=8 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[3] INT 'int' size=8 bits_offset=0 nr_bits=32 encoding=CHAR",
      "[4] INT 'int' size=8 bits_offset=0 nr_bits=32 encoding=BOOL",
      "[5] INT 'int' size=8 bits_offset=8 nr_bits=32 encoding=SIGNED",
      "[6] INT 'int' size=8 bits_offset=0 nr_bits=27 encoding=SIGNED",
      "[7] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[8] FLOAT 'float' size=2",
      "[9] FLOAT 'float' size=4",
      "[10] FLOAT 'float' size=8",
      "[11] FLOAT 'float' size=12",
      "[12] FLOAT 'float' size=16",
    ],
  },
  // enum declarations resolve to the full enum before or after them, whatever their size
  {
    strs: "\0e1\0e1_val\0e2\0e2_val",
    sha256: "859c49ad92da1002e448da9c0343d4f6b9da9a08d006ba20c1909250fa56f925",
    dump: [
      "[1] ENUM 'e1' encoding=UNSIGNED size=4 vlen=1",
      "\t'e1_val' val=123",
      "[2] ENUM 'e2' encoding=UNSIGNED size=4 vlen=1",
      "\t'e2_val' val=456",
      "[3] ENUM 'e1' encoding=UNSIGNED size=4 vlen=1",
      "\t'e1_val' val=321",
    ],
  },
  // VARs and DATASECs are never merged
  {
    strs: "\0t\0.bss",
    sha256: "a1e4e3e6b96463a32055e02cd3180b93c8391db1be7920f118c118b5b5436ca1",
    dump: [
      "[1] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] VAR 't' type_id=1, linkage=static",
      "[3] DATASEC '.bss' size=4 vlen=1",
      "\ttype_id=2 offset=0 size=4 (VAR 't')",
      "[4] VAR 't' type_id=1, linkage=static",
      "[5] DATASEC '.bss' size=4 vlen=1",
      "\ttype_id=4 offset=0 size=4 (VAR 't')",
    ],
  },
  // equal DECL_TAGs on a var, a func and a func parameter merge
  {
    strs: "\0t\0a1\0a2\0f\0tag",
    sha256: "06b1d257eba0e38170e224b0159dbfbe09472bb9e5ad246b1964f65f9af73f6a",
    dump: [
      "[1] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] VAR 't' type_id=1, linkage=static",
      "[3] FUNC_PROTO '(anon)' ret_type_id=0 vlen=2",
      "\t'a1' type_id=1",
      "\t'a2' type_id=1",
      "[4] FUNC 'f' type_id=3 linkage=static",
      "[5] DECL_TAG 'tag' type_id=2 component_idx=-1",
      "[6] DECL_TAG 'tag' type_id=4 component_idx=-1",
      "[7] DECL_TAG 'tag' type_id=4 component_idx=1",
    ],
  },
  // two equal funcs merge and their tags are united
  {
    strs: "\0a1\0a2\0f\0tag1\0tag2\0tag3",
    sha256: "140285defda1bced9012a5e4e5508d5e8e5e52ca1acef99a98ed02be2a820495",
    dump: [
      "[1] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] FUNC_PROTO '(anon)' ret_type_id=0 vlen=2",
      "\t'a1' type_id=1",
      "\t'a2' type_id=1",
      "[3] FUNC 'f' type_id=2 linkage=static",
      "[4] DECL_TAG 'tag1' type_id=3 component_idx=-1",
      "[5] DECL_TAG 'tag2' type_id=3 component_idx=-1",
      "[6] DECL_TAG 'tag1' type_id=3 component_idx=1",
      "[7] DECL_TAG 'tag2' type_id=3 component_idx=1",
      "[8] DECL_TAG 'tag3' type_id=3 component_idx=-1",
      "[9] DECL_TAG 'tag3' type_id=3 component_idx=1",
    ],
  },
  // two equal structs merge and their tags are united
  {
    strs: "\0t\0m1\0m2\0tag1\0tag2\0tag3",
    sha256: "9347764473f7f6d17ad2c85c5b75dec86106cf6781081a2e699a6dfc4819f790",
    dump: [
      "[1] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] STRUCT 't' size=8 vlen=2",
      "\t'm1' type_id=1 bits_offset=0",
      "\t'm2' type_id=1 bits_offset=32",
      "[3] DECL_TAG 'tag1' type_id=2 component_idx=-1",
      "[4] DECL_TAG 'tag2' type_id=2 component_idx=-1",
      "[5] DECL_TAG 'tag1' type_id=2 component_idx=1",
      "[6] DECL_TAG 'tag2' type_id=2 component_idx=1",
      "[7] DECL_TAG 'tag3' type_id=2 component_idx=-1",
      "[8] DECL_TAG 'tag3' type_id=2 component_idx=1",
    ],
  },
  // two equal typedefs merge and their tags are united
  {
    strs: "\0t\0tag1\0tag2\0tag3",
    sha256: "ab688034e6ca99430e8798e31956e64ec0c054a2817422b9771f12032527c5bc",
    dump: [
      "[1] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] TYPEDEF 't' type_id=1",
      "[3] DECL_TAG 'tag1' type_id=2 component_idx=-1",
      "[4] DECL_TAG 'tag2' type_id=2 component_idx=-1",
      "[5] DECL_TAG 'tag3' type_id=2 component_idx=-1",
    ],
  },
  // TYPE_TAG chains merge, and a shorter chain reuses the existing tail
  {
    strs: "\0tag1\0tag2",
    sha256: "74179bbf99d6b54df9149b1f4aa9442557d33922e0953ee7cbab0e7042af7eb1",
    dump: [
      "[1] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] TYPE_TAG 'tag1' type_id=1",
      "[3] TYPE_TAG 'tag2' type_id=2",
      "[4] PTR '(anon)' type_id=3",
      "[5] PTR '(anon)' type_id=2",
    ],
  },
  // a TYPE_TAG on an int differs from the same tag on another tag
  {
    strs: "\0tag1\0tag2",
    sha256: "9c2bf488fc8aee7fa24fe9f457389b3c70fcdf8d195cfedc156a9fca52adc2e6",
    dump: [
      "[1] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] TYPE_TAG 'tag1' type_id=1",
      "[3] TYPE_TAG 'tag2' type_id=2",
      "[4] PTR '(anon)' type_id=3",
      "[5] TYPE_TAG 'tag2' type_id=1",
      "[6] PTR '(anon)' type_id=5",
    ],
  },
  // TYPE_TAG order matters
  {
    strs: "\0tag1\0tag2",
    sha256: "990ac8188ca59b96a3afb63e256c2f5f25bc8201aeb74aadbd1800d16fd9abb6",
    dump: [
      "[1] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] TYPE_TAG 'tag1' type_id=1",
      "[3] TYPE_TAG 'tag2' type_id=2",
      "[4] PTR '(anon)' type_id=3",
      "[5] TYPE_TAG 'tag2' type_id=1",
      "[6] TYPE_TAG 'tag1' type_id=5",
      "[7] PTR '(anon)' type_id=6",
    ],
  },
  // one TYPE_TAG on two different ints stays two tags
  {
    strs: "\0tag1",
    sha256: "4f2a2fbe96a030fa71e0afe88a7d39ed3a780e19d9ee18316d29368725191552",
    dump: [
      "[1] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] TYPE_TAG 'tag1' type_id=1",
      "[3] PTR '(anon)' type_id=2",
      "[4] INT '(anon)' size=8 bits_offset=0 nr_bits=64 encoding=SIGNED",
      "[5] TYPE_TAG 'tag1' type_id=4",
      "[6] PTR '(anon)' type_id=5",
    ],
  },
  // a struct whose member type is a TYPE_TAG merges with its copy
  {
    strs: "\0tag1\0t\0m",
    sha256: "7f54919c4fa2b0d846ca2e5f88dcc3bc13d949e31eee5cc2a786578d34b0d0cf",
    dump: [
      "[1] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] TYPE_TAG 'tag1' type_id=1",
      "[3] STRUCT 't' size=4 vlen=1",
      "\t'm' type_id=2 bits_offset=0",
    ],
  },
  // equal ENUM64s merge
  {
    strs: "\0e1\0e1_val",
    sha256: "91cddf24d36a5b547e1e0277daf25dca796de6f49354fc1717103f677006166b",
    dump: [
      "[1] ENUM64 'e1' encoding=UNSIGNED size=8 vlen=1",
      "\t'e1_val' val=528280977409ULL",
    ],
  },
  // ENUM64 declarations resolve to the full ENUM64 before or after them
  {
    strs: "\0e1\0e1_val\0e2\0e2_val",
    sha256: "13ec2f4f686d88632ec63993e7f42bd5cdf79061e194f37ef0662207d287f4a8",
    dump: [
      "[1] ENUM64 'e1' encoding=UNSIGNED size=8 vlen=1",
      "\t'e1_val' val=528280977409ULL",
      "[2] ENUM64 'e2' encoding=UNSIGNED size=8 vlen=1",
      "\t'e2_val' val=1958505086976ULL",
      "[3] ENUM64 'e1' encoding=UNSIGNED size=8 vlen=1",
      "\t'e1_val' val=1378684502016ULL",
    ],
  },
  // an ENUM and an ENUM64 with the same values stay apart
  {
    strs: "\0e1\0e1_val",
    sha256: "0b8ea5995305801f22760b2b8d59e7d85db2a25966dd70fda3ce22efee1bfd47",
    dump: [
      "[1] ENUM 'e1' encoding=UNSIGNED size=4 vlen=1",
      "\t'e1_val' val=1",
      "[2] ENUM64 'e1' encoding=UNSIGNED size=4 vlen=1",
      "\t'e1_val' val=1ULL",
    ],
  },
  // ENUMs of different sizes stay apart
  {
    strs: "\0e1\0e1_val",
    sha256: "70dbb902ee1cbe3f2cde2cc91d9ec97ac625684143375ef92ce4b3d9a0b948b6",
    dump: [
      "[1] ENUM 'e1' encoding=UNSIGNED size=4 vlen=1",
      "\t'e1_val' val=1",
      "[2] ENUM 'e1' encoding=UNSIGNED size=2 vlen=1",
      "\t'e1_val' val=1",
    ],
  },
  // an ENUM declaration resolves to a full ENUM64, and a typedef of it follows
  {
    strs: "\0e1\0e1_val\0td",
    sha256: "111c5ce785116176feb49c60cec9c92ef70590d1201a10dbc75e7f71104fa12c",
    dump: [
      "[1] ENUM64 'e1' encoding=UNSIGNED size=8 vlen=1",
      "\t'e1_val' val=1ULL",
      "[2] TYPEDEF 'td' type_id=1",
    ],
  },
  // an ENUM64 declaration resolves to a full ENUM, and a typedef of it follows
  {
    strs: "\0e1\0e1_val\0td",
    sha256: "2dbec5affef774f572e015507d71536b607fc224d4b0669b2b1d4d6ad9dbf78f",
    dump: [
      "[1] ENUM 'e1' encoding=UNSIGNED size=4 vlen=1",
      "\t'e1_val' val=1",
      "[2] TYPEDEF 'td' type_id=1",
    ],
  },
  // a standalone struct FWD resolves to the only struct of its name
  {
    strs: "\0foo\0x\0foo_ptr",
    sha256: "364fe6b0d7bdcc895f21a0fba83916f83639ec9eec4a83fc46ebc83f9d13ed4b",
    dump: [
      "[1] STRUCT 'foo' size=4 vlen=1",
      "\t'x' type_id=2 bits_offset=0",
      "[2] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[3] PTR '(anon)' type_id=1",
      "[4] TYPEDEF 'foo_ptr' type_id=3",
    ],
  },
  // a standalone union FWD resolves to the only union of its name
  {
    strs: "\0foo\0x\0foo_ptr",
    sha256: "6bdf15bf25327039c94a9abbd235dd7729b373998703909b1f203c046990794c",
    dump: [
      "[1] UNION 'foo' size=4 vlen=1",
      "\t'x' type_id=2 bits_offset=0",
      "[2] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[3] PTR '(anon)' type_id=1",
      "[4] TYPEDEF 'foo_ptr' type_id=3",
    ],
  },
  // a standalone FWD of the wrong flavour stays
  {
    strs: "\0foo\0x\0foo_ptr",
    sha256: "1938d4148a2ba9af76a2ae6d39dea11858bd28ea6e7b1868360aaf39d8e3eb87",
    dump: [
      "[1] STRUCT 'foo' size=4 vlen=1",
      "\t'x' type_id=2 bits_offset=0",
      "[2] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[3] FWD 'foo_ptr' fwd_kind=union",
      "[4] PTR '(anon)' type_id=3",
      "[5] TYPEDEF 'foo_ptr' type_id=4",
    ],
  },
  // a standalone FWD whose name has two structs stays
  {
    strs: "\0foo\0x\0foo_ptr\0y",
    sha256: "486afd39493dd8195a9eecf1dcbe6d05d4b98f7bf2775c20edc241f9b0caea68",
    dump: [
      "[1] STRUCT 'foo' size=4 vlen=1",
      "\t'x' type_id=2 bits_offset=0",
      "[2] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[3] FWD 'foo' fwd_kind=struct",
      "[4] PTR '(anon)' type_id=3",
      "[5] TYPEDEF 'foo_ptr' type_id=4",
      "[6] STRUCT 'foo' size=8 vlen=2",
      "\t'x' type_id=2 bits_offset=0",
      "\t'y' type_id=2 bits_offset=0",
    ],
  },
];

test("the selftest table and its expectations line up", () => {
  assert.equal(SELFTEST_CASES.length, 28);
  assert.equal(EXPECTED.length, SELFTEST_CASES.length);
});

SELFTEST_CASES.forEach((c, i) => {
  test(`dedup: ${c.name}`, () => {
    const want = EXPECTED[i]!;
    const btf = dedup(parse(assemble(c.input, c.strs)));
    assert.deepEqual(lines(btf), want.dump);
    assert.equal(strSection(btf), want.strs + "\0");
    const out = writeBtf(btf);
    assert.equal(out.length, 24 + btf.typeWords * 4 + want.strs.length + 1);
    assert.equal(sha256(out), want.sha256, "output bytes differ from libbpf's although the dump matches");
  });
});

test("dedup: of two canonical enums matching a declaration, the one added last wins (libbpf bucket order)", () => {
  const input = assemble([R.enum(1, 4, [[2, 1]]), R.enum(1, 4, [[2, 2]]), R.enum(1, 4, []), R.typedef(3, 3)], "\0e\0a\0t");
  assert.deepEqual(lines(dedup(parse(input))).slice(-1), ["[3] TYPEDEF 't' type_id=2"]);
});

test("dedup: a growth of libbpf's table reverses candidate order, and so does dedup's", () => {
  // The 4th table insertion (INT 'i2') makes libbpf's map grow, reversing the 'e' bucket.
  const input = assemble(
    [R.enum(1, 4, [[2, 1]]), R.enum(1, 4, [[2, 2]]), R.int(4, 4), R.int(5, 4), R.enum(1, 4, []), R.typedef(3, 5)],
    "\0e\0a\0t\0i1\0i2",
  );
  assert.deepEqual(lines(dedup(parse(input))).slice(-1), ["[5] TYPEDEF 't' type_id=1"]);
});

test("dedup: thousands of reference types, each twice, keep their first copies (the reference pass's index grows)", () => {
  const b = newBtf();
  const int = addInt(b, "int", 4, INT_SIGNED);
  const n = 3000;
  const ptrs: number[][] = [[], []];
  for (const copy of [0, 1])
    for (let i = 0; i < n; i++) ptrs[copy]!.push(addPtr(b, addTypedef(b, `t${i}`, int)));
  // A struct whose members point at second copies: dedup must point them at the first.
  const picks = [0, 1, 1024, 1025, 2047, 2999];
  addStruct(b, "s", 8 * picks.length);
  picks.forEach((i, k) => addField(b, `m${k}`, ptrs[1]![i]!, 64 * k));
  dedup(b);
  assert.equal(b.nrTypes, 1 + 2 * n + 1);
  const out = lines(b);
  assert.equal(out[1 + 2 * 2999], `[${ptrs[0]![2999]! - 1}] TYPEDEF 't2999' type_id=1`);
  assert.equal(out[2 + 2 * 2999], `[${ptrs[0]![2999]!}] PTR '(anon)' type_id=${ptrs[0]![2999]! - 1}`);
  assert.deepEqual(
    out.slice(-picks.length),
    picks.map((i, k) => `\t'm${k}' type_id=${ptrs[0]![i]!} bits_offset=${64 * k}`),
  );
});

test("dedup: a cycle made of reference types only is rejected", () => {
  const input = assemble([R.int(1, 4), R.konst(3), R.volatile(2), R.ptr(2)], "\0int");
  assert.throws(() => dedup(parse(input)), (e: unknown) => isBtfError(e) && e.code === "INVALID" && /loop of reference types/.test(e.message));
});

test("dedup: a VAR inside a struct graph is rejected, as libbpf does", () => {
  const input = assemble([R.int(1, 4), R.variable(2, 1), R.struct(3, 4, [[2, 2, 0]]), R.variable(2, 1), R.struct(3, 4, [[2, 4, 0]])], "\0int\0v\0s");
  assert.throws(() => dedup(parse(input)), (e: unknown) => isBtfError(e) && e.code === "INVALID");
});

test("dedup: parsed BTF loses unused strings, BTF built with the writer API keeps them", () => {
  const parsed = parse(assemble([R.int(2, 4, INT_SIGNED)], "\0unused\0int"));
  assert.equal(stringsDeduped(parsed), false);
  assert.equal(strSection(dedup(parsed)), "\0int\0");
  const built = newBtf();
  addStr(built, "unused");
  addInt(built, "int", 4, INT_SIGNED);
  assert.equal(stringsDeduped(built), true);
  assert.equal(strSection(dedup(built)), "\0unused\0int\0");
  assert.equal(stringsDeduped(parsed), true, "a deduplicated BTF counts as string-deduplicated");
});

test("dedup: the stringsDeduped option keeps a parsed string section as it is", () => {
  const parsed = parse(assemble([R.int(2, 4, INT_SIGNED), R.int(2, 4, INT_SIGNED)], "\0unused\0int"));
  const btf = dedup(parsed, { stringsDeduped: true });
  assert.equal(btf.nrTypes, 1);
  assert.equal(strSection(btf), "\0unused\0int\0");
});

test("dedup: deduplicating twice changes nothing the second time", () => {
  const c = SELFTEST_CASES[2]!;
  const once = writeBtf(dedup(parse(assemble(c.input, c.strs))));
  assert.deepEqual(writeBtf(dedup(parse(once))), once);
});

// ---------------------------------------------------------------------------------
// Split BTF (prog_tests/btf_dedup_split.c). These BTFs are built with the writer API,
// so, as in libbpf, their strings are not rebuilt.

/** base: [1] int, [2] int *, [3] struct s1 { int f1; } */
function simpleBase(): Btf {
  const b = newBtf();
  addInt(b, "int", 4, INT_SIGNED);
  addPtr(b, 1);
  addStruct(b, "s1", 4);
  addField(b, "f1", 1, 0);
  return b;
}

test("split dedup: duplicates of base types collapse onto the base", () => {
  const base = simpleBase();
  const baseBytes = writeBtf(base);
  const split = newBtf({ base });
  assert.equal(split.strLen, 0, "a new split BTF has no strings of its own");
  addStruct(split, "s2", 16); //          [4]
  addField(split, "f1", 6, 0);
  addField(split, "f2", 5, 32);
  addField(split, "f3", 2, 64);
  addInt(split, "int", 4, INT_SIGNED); // [5]
  addStruct(split, "s1", 4); //           [6]
  addField(split, "f1", 5, 0);
  dedup(split);
  assert.deepEqual(lines(split), [
    "[4] STRUCT 's2' size=16 vlen=3",
    "\t'f1' type_id=3 bits_offset=0",
    "\t'f2' type_id=1 bits_offset=32",
    "\t'f3' type_id=2 bits_offset=64",
  ]);
  assert.deepEqual(writeBtf(base), baseBytes, "the base is never modified");
});

test("split dedup: a split struct equal to a base one only through a base FWD stays split", () => {
  const base = newBtf();
  addInt(base, "int", 4, INT_SIGNED); //  [1]
  addPtr(base, 5); //                      [2]
  addFwd(base, "s2", "struct"); //         [3]
  addPtr(base, 3); //                      [4]
  addStruct(base, "s1", 16); //            [5]
  addField(base, "f1", 2, 0);
  addField(base, "f2", 4, 64);
  const split = newBtf({ base });
  addInt(split, "int", 4, INT_SIGNED); //  [6]
  addPtr(split, 10); //                    [7]
  addFwd(split, "s2", "struct"); //        [8]
  addPtr(split, 11); //                    [9]
  addStruct(split, "s1", 16); //           [10]
  addField(split, "f1", 7, 0);
  addField(split, "f2", 9, 64);
  addStruct(split, "s2", 40); //           [11]
  addField(split, "f1", 7, 0);
  addField(split, "f2", 9, 64);
  addField(split, "f3", 6, 128);
  addField(split, "f4", 10, 192);
  addPtr(split, 8); //                     [12]
  addStruct(split, "s3", 8); //            [13]
  addField(split, "f1", 12, 0);
  dedup(split);
  assert.deepEqual(lines(split), [
    "[6] PTR '(anon)' type_id=8",
    "[7] PTR '(anon)' type_id=9",
    "[8] STRUCT 's1' size=16 vlen=2",
    "\t'f1' type_id=6 bits_offset=0",
    "\t'f2' type_id=7 bits_offset=64",
    "[9] STRUCT 's2' size=40 vlen=4",
    "\t'f1' type_id=6 bits_offset=0",
    "\t'f2' type_id=7 bits_offset=64",
    "\t'f3' type_id=1 bits_offset=128",
    "\t'f4' type_id=8 bits_offset=192",
    "[10] STRUCT 's3' size=8 vlen=1",
    "\t'f1' type_id=7 bits_offset=0",
  ]);
});

test("split dedup: a split FWD resolves to a base struct, standalone or inside a graph", () => {
  const base = newBtf();
  addInt(base, "int", 4, INT_SIGNED); //  [1]
  addPtr(base, 4); //                      [2]
  addPtr(base, 5); //                      [3]
  addStruct(base, "s1", 16); //            [4]
  addField(base, "f1", 2, 0);
  addField(base, "f2", 3, 64);
  addStruct(base, "s2", 4); //             [5]
  addField(base, "f1", 1, 0);
  addStruct(base, "s3", 4); //             [6] referenced by nothing
  addField(base, "f1", 1, 0);
  const split = newBtf({ base });
  addInt(split, "int", 4, INT_SIGNED); //  [7]
  addPtr(split, 11); //                    [8]
  addFwd(split, "s2", "struct"); //        [9]
  addPtr(split, 9); //                     [10]
  addStruct(split, "s1", 16); //           [11]
  addField(split, "f1", 8, 0);
  addField(split, "f2", 10, 64);
  addFwd(split, "s3", "struct"); //        [12]
  addPtr(split, 12); //                    [13]
  dedup(split);
  assert.deepEqual(lines(split), ["[7] PTR '(anon)' type_id=6"]);
});

/** int, struct s { anon a; anon b; } with two identical anonymous structs (a compiler duplicate). */
function dupStructInCu(btf: Btf, start: number): void {
  addInt(btf, "int", 4, INT_SIGNED);
  addStruct(btf, "s", 8);
  addField(btf, "a", start + 3, 0);
  addField(btf, "b", start + 4, 0);
  for (let i = 0; i < 2; i++) {
    addStruct(btf, "(anon)", 8);
    addField(btf, "f1", start + 1, 0);
    addField(btf, "f2", start + 1, 32);
  }
}

test("split dedup: identical structs duplicated inside one unit collapse, in base and in split", () => {
  const base = newBtf();
  dupStructInCu(base, 0);
  dedup(base);
  const want = [
    "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[2] STRUCT 's' size=8 vlen=2",
    "\t'a' type_id=3 bits_offset=0",
    "\t'b' type_id=3 bits_offset=0",
    "[3] STRUCT '(anon)' size=8 vlen=2",
    "\t'f1' type_id=1 bits_offset=0",
    "\t'f2' type_id=1 bits_offset=32",
  ];
  assert.deepEqual(lines(base), want);
  const split = newBtf({ base });
  dupStructInCu(split, 3);
  dedup(split);
  assert.equal(split.nrTypes, 0, "everything maps onto the base");
  assert.equal(split.strLen, 0);
  assert.deepEqual(lines(base), want);
});

test("split dedup: parsed split BTF keeps only strings its base lacks, without a leading NUL", () => {
  const base = parse(assemble([R.int(1, 4, INT_SIGNED), R.struct(2, 4, [[3, 1, 0]])], "\0int\0s\0f"));
  // The split re-describes int and s1 with its own copies of the strings, plus struct s { f; g; }.
  const splitBytes = assemble([R.int(1, 4, INT_SIGNED), R.struct(2, 8, [[3, 3, 0], [4, 3, 32]])], "int\0s\0f\0g", base.strLen);
  const btf = dedup(parse(splitBytes, base));
  assert.deepEqual(lines(btf), ["[3] STRUCT 's' size=8 vlen=2", "\t'f' type_id=1 bits_offset=0", "\t'g' type_id=1 bits_offset=32"]);
  assert.equal(strSection(btf), "g\0");
  assert.equal(btf.startStrOff + btf.strs.indexOf(103), btf.base!.strLen, "'g' is the first own string");
});

test("split dedup after addBtf of two split BTFs on one base drops the duplicate typedef", () => {
  const base = newBtf();
  addInt(base, "int", 4, INT_SIGNED); // [1]
  addPtr(base, 1); //                    [2]
  const s1 = newBtf({ base });
  addStruct(s1, "s1", 8); //             [3]
  addField(s1, "x", 1, 0);
  addPtr(s1, 3); //                      [4]
  addTypedef(s1, "int_alias", 1); //     [5]
  const s2 = newBtf({ base });
  addTypedef(s2, "int_ptr", 2); //       [3]
  addStruct(s2, "s2", 8); //             [4]
  addField(s2, "p", 3, 0);
  addTypedef(s2, "int_alias", 1); //     [5]
  const all = newBtf({ base });
  assert.equal(addBtf(all, s1), 3);
  assert.equal(addBtf(all, s2), 6);
  assert.equal(all.typeCount, 9);
  dedup(all);
  assert.equal(all.typeCount, 8);
  assert.deepEqual(lines(all), [
    "[3] STRUCT 's1' size=8 vlen=1",
    "\t'x' type_id=1 bits_offset=0",
    "[4] PTR '(anon)' type_id=3",
    "[5] TYPEDEF 'int_alias' type_id=1",
    "[6] TYPEDEF 'int_ptr' type_id=2",
    "[7] STRUCT 's2' size=8 vlen=1",
    "\t'p' type_id=6 bits_offset=0",
  ]);
});

test("split dedup: runs sharing one base give what each gives on a base of its own, failures included", async () => {
  const { genCase } = await import("../dedup/gen.js");
  const c1 = genCase(5, "split-deduped");
  const shared = parse(c1.base!);
  const alone = (input: Uint8Array): Uint8Array => writeBtf(dedup(parse(input, parse(c1.base!))));
  const want = alone(c1.input);
  assert.deepEqual(writeBtf(dedup(parse(c1.input, shared))), want);
  // A run that fails half-way must leave the shared state as it found it.
  const bad = assemble([R.int(1, 4), R.konst(shared.typeCount + 2), R.volatile(shared.typeCount + 1)], "int", shared.strLen);
  assert.throws(() => dedup(parse(bad, shared)), (e: unknown) => isBtfError(e) && e.code === "INVALID");
  assert.deepEqual(writeBtf(dedup(parse(c1.input, shared))), want);
  assert.deepEqual(writeBtf(dedup(parse(c1.input, shared))), want);
});

// ---------------------------------------------------------------------------------
// The string pass on a worker thread (./parallel.ts), as the CLI runs it.

/** Parse `bytes` from a SharedArrayBuffer copy (what the worker can read). */
function parseShared(bytes: Uint8Array): Btf {
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return parse(shared);
}

test("dedup with the string pass on a worker gives the same bytes as without", async () => {
  const { genCase } = await import("../dedup/gen.js");
  const { startStringPass } = await import("../../src/btf/dedup/parallel.js");
  for (const seed of [1, 2, 3]) {
    const input = genCase(seed, "plain", 400).input;
    const btf = parseShared(input);
    const pass = startStringPass(btf, 0);
    assert.ok(pass, "a worker was started");
    const tm: Record<string, number> = {};
    const got = writeBtf(dedup(btf, { inPlace: true, stringPass: pass, timings: tm }));
    assert.ok("strings-wait" in tm && !("strings" in tm), "the worker's plan was used");
    assert.deepEqual(got, writeBtf(dedup(parse(input))));
  }
});

test("dedup with the string pass on a worker starts over when strings are duplicated", async () => {
  const { startStringPass } = await import("../../src/btf/dedup/parallel.js");
  // Equal strings at different offsets: old offsets do not compare as new ones do.
  const c = SELFTEST_CASES[1]!;
  const input = assemble(c.input, c.strs);
  const btf = parseShared(input);
  const tm: Record<string, number> = {};
  const got = writeBtf(dedup(btf, { inPlace: true, stringPass: startStringPass(btf, 0), timings: tm }));
  assert.ok("strings" in tm, "the ordinary string pass ran");
  assert.deepEqual(got, writeBtf(dedup(parse(input))));
  assert.equal(sha256(got), EXPECTED[1]!.sha256);
});

test("the string pass is not moved to a worker for split BTF or unshared bytes", async () => {
  const { startStringPass } = await import("../../src/btf/dedup/parallel.js");
  const c = SELFTEST_CASES[2]!;
  assert.equal(startStringPass(parse(assemble(c.input, c.strs)), 0), undefined);
  const base = parseShared(assemble(c.input, c.strs));
  const split = newBtf({ base });
  addInt(split, "int", 4, INT_SIGNED);
  assert.equal(startStringPass(split, 0), undefined);
});

test("dedup: a base option must be the BTF's own base", () => {
  const base = simpleBase();
  const split = newBtf({ base });
  addInt(split, "int", 4, INT_SIGNED);
  assert.throws(() => dedup(split, { base: simpleBase() }), (e: unknown) => isBtfError(e) && e.code === "ARGUMENT");
  assert.equal(dedup(split, { base }).nrTypes, 0);
});
