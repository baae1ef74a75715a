/**
 * The dedup scenarios of the kernel's BPF selftests (prog_tests/btf.c, `dedup_tests`),
 * restated as raw inputs for {@link assemble}. Names are string indexes (1-based) into
 * `strs`. The expected results live in test/unit/dedup.test.ts.
 */
import { INT_BOOL, INT_CHAR, INT_SIGNED } from "../../src/btf/kinds.js";
import { R, type RawType } from "./raw.js";

export interface DedupCase {
  name: string;
  input: RawType[];
  strs: string;
}

const AtoU = "\0" + "ABCDEFGHIJKLMNOPQRSTU".split("").join("\0");

export const SELFTEST_CASES: DedupCase[] = [
  {
    name: "strings no type uses are dropped",
    input: [R.int(2, 4, INT_SIGNED), R.int(5, 8, INT_SIGNED)],
    strs: "\0unused\0int\0foo\0bar\0long",
  },
  {
    name: "equal strings merge and so do the types named by them",
    input: [R.int(1, 4, INT_SIGNED), R.int(2, 8, INT_SIGNED), R.int(3, 4, INT_SIGNED), R.int(4, 8, INT_SIGNED), R.int(5, 4, INT_SIGNED)],
    strs: "\0int\0long int\0int\0long int\0int",
  },
  {
    name: "a self-referencing struct copied whole collapses to one copy",
    input: [
      R.int(1, 4, INT_SIGNED), //                      [1]
      R.array(1, 1, 16), //                            [2]
      R.struct(2, 88, [[3, 4, 0], [4, 5, 64], [5, 2, 128], [6, 1, 640], [8, 15, 672]]), // [3]
      R.ptr(3), //                                      [4]
      R.ptr(6), //                                      [5]
      R.konst(1), //                                    [6]
      R.declTag(2, 3, -1), //                           [7]
      R.declTag(2, 3, 1), //                            [8]
      R.int(1, 4, INT_SIGNED), //                       [9]
      R.array(9, 9, 16), //                             [10]
      R.struct(2, 88, [[3, 12, 0], [4, 13, 64], [5, 10, 128], [6, 9, 640], [8, 15, 672]]), // [11]
      R.ptr(11), //                                     [12]
      R.ptr(14), //                                     [13]
      R.konst(9), //                                    [14]
      R.float(7, 4), //                                 [15]
      R.declTag(2, 11, -1), //                          [16]
      R.declTag(2, 11, 1), //                           [17]
    ],
    strs: "\0int\0s\0next\0a\0b\0c\0float\0d",
  },
  {
    name: "a FWD in one unit resolves to the struct of another (not to a same-bucket FWD)",
    input: [R.fwd(1), R.ptr(1), R.struct(2, 8, [[3, 2, 0]]), R.struct(4, 0, []), R.ptr(4), R.struct(5, 8, [[6, 5, 0]])],
    strs: "\0x\0s\0x\0x\0s\0x",
  },
  {
    name: "a pointer to void is not equivalent to a pointer to an empty struct",
    input: [R.struct(0, 1, []), R.ptr(1), R.struct(1, 8, [[2, 2, 0]]), R.ptr(0), R.struct(1, 8, [[2, 4, 0]])],
    strs: "\0s\0x",
  },
  {
    name: "one type of every kind, no duplicates: unchanged",
    input: [
      R.int(1, 8, INT_SIGNED, 32),
      R.enum(2, 4, [[3, 0], [4, 1]]),
      R.fwd(5, true),
      R.array(2, 1, 7),
      R.struct(6, 4, [[7, 1, 0]]),
      R.union(8, 4, [[9, 1, 0]]),
      R.typedef(10, 1),
      R.ptr(0),
      R.konst(8),
      R.volatile(8),
      R.restrict(8),
      R.proto(1, [[11, 1], [12, 18]]),
      R.func(13, 12),
      R.float(14, 2),
      R.declTag(15, 13, -1),
      R.declTag(16, 13, 1),
      R.declTag(17, 7, -1),
      R.typeTag(18, 8),
      R.enum64(19, 8, [[20, 0, 0], [21, 1, 1]]),
    ],
    strs: AtoU,
  },
  {
    name: "INTs differing in any field and FLOATs of each size stay apart",
    input: [
      R.int(1, 8, INT_SIGNED, 32),
      R.int(2, 8, INT_SIGNED, 32),
      R.int(1, 8, INT_CHAR, 32),
      R.int(1, 8, INT_BOOL, 32),
      R.int(1, 8, INT_SIGNED, 32, 8),
      R.int(1, 8, INT_SIGNED, 27),
      R.int(1, 4, INT_SIGNED, 32),
      R.float(3, 2),
      R.float(3, 4),
      R.float(3, 8),
      R.float(3, 12),
      R.float(3, 16),
    ],
    strs: "\0int\0some other int\0float",
  },
  {
    name: "enum declarations resolve to the full enum before or after them, whatever their size",
    input: [R.enum(1, 4, []), R.enum(1, 4, [[2, 123]]), R.enum(3, 4, [[4, 456]]), R.enum(3, 4, []), R.enum(1, 1, []), R.enum(1, 4, [[2, 321]])],
    strs: "\0e1\0e1_val\0e2\0e2_val",
  },
  {
    name: "VARs and DATASECs are never merged",
    input: [
      R.int(0, 4, INT_SIGNED),
      R.variable(2, 1),
      R.datasec(1, 4, [[2, 0, 4]]),
      R.int(0, 4, INT_SIGNED),
      R.variable(2, 4),
      R.datasec(1, 4, [[5, 0, 4]]),
    ],
    strs: "\0.bss\0t",
  },
  {
    name: "equal DECL_TAGs on a var, a func and a func parameter merge",
    input: [
      R.int(0, 4, INT_SIGNED),
      R.variable(1, 1),
      R.proto(0, [[2, 1], [3, 1]]),
      R.func(4, 3),
      R.declTag(5, 2, -1),
      R.declTag(5, 2, -1),
      R.declTag(5, 4, -1),
      R.declTag(5, 4, -1),
      R.declTag(5, 4, 1),
      R.declTag(5, 4, 1),
    ],
    strs: "\0t\0a1\0a2\0f\0tag",
  },
  {
    name: "two equal funcs merge and their tags are united",
    input: [
      R.int(0, 4, INT_SIGNED),
      R.proto(0, [[1, 1], [2, 1]]),
      R.func(3, 2),
      R.proto(0, [[1, 1], [2, 1]]),
      R.func(3, 4),
      R.declTag(4, 3, -1),
      R.declTag(5, 3, -1),
      R.declTag(4, 3, 1),
      R.declTag(5, 3, 1),
      R.declTag(4, 5, -1),
      R.declTag(6, 5, -1),
      R.declTag(4, 5, 1),
      R.declTag(6, 5, 1),
    ],
    strs: "\0a1\0a2\0f\0tag1\0tag2\0tag3",
  },
  {
    name: "two equal structs merge and their tags are united",
    input: [
      R.int(0, 4, INT_SIGNED),
      R.struct(1, 8, [[2, 1, 0], [3, 1, 32]]),
      R.struct(1, 8, [[2, 1, 0], [3, 1, 32]]),
      R.declTag(4, 2, -1),
      R.declTag(5, 2, -1),
      R.declTag(4, 2, 1),
      R.declTag(5, 2, 1),
      R.declTag(4, 3, -1),
      R.declTag(6, 3, -1),
      R.declTag(4, 3, 1),
      R.declTag(6, 3, 1),
    ],
    strs: "\0t\0m1\0m2\0tag1\0tag2\0tag3",
  },
  {
    name: "two equal typedefs merge and their tags are united",
    input: [R.int(0, 4, INT_SIGNED), R.typedef(1, 1), R.typedef(1, 1), R.declTag(2, 2, -1), R.declTag(3, 2, -1), R.declTag(2, 3, -1), R.declTag(4, 3, -1)],
    strs: "\0t\0tag1\0tag2\0tag3",
  },
  {
    name: "TYPE_TAG chains merge, and a shorter chain reuses the existing tail",
    input: [R.int(0, 4, INT_SIGNED), R.typeTag(1, 1), R.typeTag(2, 2), R.ptr(3), R.typeTag(1, 1), R.typeTag(2, 5), R.ptr(6), R.typeTag(1, 1), R.ptr(8)],
    strs: "\0tag1\0tag2",
  },
  {
    name: "a TYPE_TAG on an int differs from the same tag on another tag",
    input: [R.int(0, 4, INT_SIGNED), R.typeTag(1, 1), R.typeTag(2, 2), R.ptr(3), R.typeTag(2, 1), R.ptr(5)],
    strs: "\0tag1\0tag2",
  },
  {
    name: "TYPE_TAG order matters",
    input: [R.int(0, 4, INT_SIGNED), R.typeTag(1, 1), R.typeTag(2, 2), R.ptr(3), R.typeTag(2, 1), R.typeTag(1, 5), R.ptr(6)],
    strs: "\0tag1\0tag2",
  },
  {
    name: "one TYPE_TAG on two different ints stays two tags",
    input: [R.int(0, 4, INT_SIGNED), R.typeTag(1, 1), R.ptr(2), R.int(0, 8, INT_SIGNED), R.typeTag(1, 4), R.ptr(5)],
    strs: "\0tag1",
  },
  {
    name: "a struct whose member type is a TYPE_TAG merges with its copy",
    input: [R.int(0, 4, INT_SIGNED), R.typeTag(1, 1), R.struct(2, 4, [[3, 2, 0]], true), R.typeTag(1, 1), R.struct(2, 4, [[3, 4, 0]], true)],
    strs: "\0tag1\0t\0m",
  },
  {
    name: "equal ENUM64s merge",
    input: [R.enum64(1, 8, [[2, 1, 123]]), R.enum64(1, 8, [[2, 1, 123]])],
    strs: "\0e1\0e1_val",
  },
  {
    name: "ENUM64 declarations resolve to the full ENUM64 before or after them",
    input: [R.enum64(1, 8, []), R.enum64(1, 8, [[2, 1, 123]]), R.enum64(3, 8, [[4, 0, 456]]), R.enum64(3, 8, []), R.enum64(1, 8, [[2, 0, 321]])],
    strs: "\0e1\0e1_val\0e2\0e2_val",
  },
  {
    name: "an ENUM and an ENUM64 with the same values stay apart",
    input: [R.enum(1, 4, [[2, 1]]), R.enum64(1, 4, [[2, 1, 0]])],
    strs: "\0e1\0e1_val",
  },
  {
    name: "ENUMs of different sizes stay apart",
    input: [R.enum(1, 4, [[2, 1]]), R.enum(1, 2, [[2, 1]])],
    strs: "\0e1\0e1_val",
  },
  {
    name: "an ENUM declaration resolves to a full ENUM64, and a typedef of it follows",
    input: [R.enum64(1, 8, [[2, 1, 0]]), R.enum(1, 4, []), R.typedef(3, 2)],
    strs: "\0e1\0e1_val\0td",
  },
  {
    name: "an ENUM64 declaration resolves to a full ENUM, and a typedef of it follows",
    input: [R.enum(1, 4, [[2, 1]]), R.enum64(1, 8, []), R.typedef(3, 2)],
    strs: "\0e1\0e1_val\0td",
  },
  {
    name: "a standalone struct FWD resolves to the only struct of its name",
    input: [R.struct(1, 4, [[2, 2, 0]]), R.int(0, 4, INT_SIGNED), R.fwd(1), R.ptr(3), R.typedef(3, 4)],
    strs: "\0foo\0x\0foo_ptr",
  },
  {
    name: "a standalone union FWD resolves to the only union of its name",
    input: [R.union(1, 4, [[2, 2, 0]]), R.int(0, 4, INT_SIGNED), R.fwd(1, true), R.ptr(3), R.typedef(3, 4)],
    strs: "\0foo\0x\0foo_ptr",
  },
  {
    name: "a standalone FWD of the wrong flavour stays",
    input: [R.struct(1, 4, [[2, 2, 0]]), R.int(0, 4, INT_SIGNED), R.fwd(3, true), R.ptr(3), R.typedef(3, 4)],
    strs: "\0foo\0x\0foo_ptr",
  },
  {
    name: "a standalone FWD whose name has two structs stays",
    input: [R.struct(1, 4, [[2, 2, 0]]), R.int(0, 4, INT_SIGNED), R.fwd(1), R.ptr(3), R.typedef(4, 4), R.struct(1, 8, [[2, 2, 0], [3, 2, 0]])],
    strs: "\0foo\0x\0y\0foo_ptr",
  },
];
