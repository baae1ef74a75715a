/**
 * Hand-made BTF blobs for kinds and corners pahole/gcc do not produce. Written to
 * test/fixtures/handmade/ by gen-fixtures.ts, with bpftool 7.5 goldens beside them.
 * Changing one of these means regenerating the fixtures (test/fixtures/build.sh).
 */
import { BtfAsm, type AssembleOptions } from "./btf-asm.js";

export interface Handmade {
  name: string;
  bytes: Uint8Array;
  /** Name of the base fixture (split BTF). */
  base?: string;
  /** Parse with the kernel-style checks (default true). */
  validate?: boolean;
  /** The JSON golden is valid JSON (false when names hold raw control bytes). */
  jsonParse?: boolean;
  /** Make a big-endian copy (needs hdr_len 24). */
  be?: boolean;
  note: string;
}

const SIGNED = 1, CHAR = 2, BOOL = 4;

/** A small base for the hand-made split fixtures. */
export function splitBase(): BtfAsm {
  const a = new BtfAsm();
  const int = a.int("int", 4, SIGNED); // 1
  const long = a.int("long", 8, SIGNED); // 2
  const s = a.struct("base_struct", 16, [{ name: "a", type: int }, { name: "b", type: long, bitOff: 64 }]); // 3
  a.ptr(s); // 4
  const v = a.var("base_var", int, 1); // 5
  a.datasec(".data", 4, [{ type: v, offset: 0, size: 4 }]); // 6
  a.fwd("only_declared"); // 7
  return a;
}

/**
 * A base with as many types and strings as {@link splitBase} but other kinds: type 3 is a
 * FUNC_PROTO where split-base has a struct, so split-mod "fits" by ids and offsets and
 * only the kernel-style checks notice it is the wrong base.
 */
export function wrongBase(): BtfAsm {
  const a = new BtfAsm();
  const int = a.int("int", 4, SIGNED); // 1
  a.int("long", 8, SIGNED); // 2
  const proto = a.funcProto(int); // 3
  a.func("g", proto); // 4
  a.var("base_var", int, 1); // 5
  a.datasec(".data", 4, [{ type: 5, offset: 0, size: 4 }]); // 6
  a.fwd("only_declared"); // 7
  return a;
}

export function handmade(): Handmade[] {
  const out: Handmade[] = [];
  const add = (name: string, a: BtfAsm | Uint8Array, note: string, extra: Partial<Handmade> = {}, opts?: AssembleOptions) => {
    out.push({ name, bytes: a instanceof BtfAsm ? a.bytes(opts) : a, be: true, note, ...extra });
  };

  // ---- tags: DECL_TAG on every target, TYPE_TAG chains, kflag=1 attributes ----
  {
    const a = new BtfAsm();
    const int = a.int("int", 4, SIGNED);
    const s = a.struct("tagged", 8, [{ name: "a", type: int }, { name: "b", type: int, bitOff: 32 }]);
    a.declTag("user", s, -1);
    a.declTag("rcu", s, 1);
    const t1 = a.typeTag("percpu", int);
    const t2 = a.typeTag("user", t1);
    const p = a.ptr(t2);
    const attr = a.typeTag("address_space(1)", int, 1);
    a.ptr(attr);
    const td = a.typedef("tagged_t", s);
    a.declTag("td_tag", td, -1);
    const proto = a.funcProto(int, [{ name: "x", type: int }, { name: "y", type: p }]);
    const f = a.func("tagged_fn", proto, 1);
    a.declTag("bpf_kfunc", f, -1);
    a.declTag("param_tag", f, 1);
    a.declTag("noinline", f, -1, 1);
    const v = a.var("tagged_var", p, 1);
    a.declTag("var_tag", v, -1);
    const u = a.union("tagged_u", 4, [{ name: "i", type: int }]);
    a.declTag("u_tag", u, 0);
    a.datasec(".data", 8, [{ type: v, offset: 0, size: 8 }]);
    add("tags", a, "DECL_TAG on struct, member, typedef, func, param, var, union member; TYPE_TAG chain; kflag=1 attr tags");
  }

  // ---- forward declarations and enums ----
  {
    const a = new BtfAsm();
    a.fwd("fwd_struct", false);
    a.fwd("fwd_union", true);
    a.enum("enum_fwd", 4, []);
    a.enum("signed_enum", 4, [["S_MIN", -2147483648], ["S_NEG", -1], ["S_ZERO", 0], ["S_MAX", 2147483647]]);
    a.enum("unsigned_high", 4, [["U_LOW", 1], ["U_MID", 0x80000000], ["U_TOP", 0xffffffff]], false);
    a.enum("byte_enum", 1, [["B0", 0], ["B255", 255]]);
    a.enum("short_enum", 2, [["H", 0x7fff]]);
    a.enum("wide_enum", 8, [["W", 7]]);
    a.enum(undefined, 4, [["ANON_A", 1]]);
    const vals: [string, bigint][] = [
      ["Z", 0n], ["ONE", 1n], ["MINUS_ONE", -1n], ["SAFE", 2n ** 53n - 1n], ["P53", 2n ** 53n], ["P53_1", 2n ** 53n + 1n],
      ["HI_1FFFFF", (0x1fffffn << 32n) | 0xffffffffn], ["HI_200000", 0x200000n << 32n], ["P63", 2n ** 63n],
      ["MIN", -(2n ** 63n)], ["NEG_SAFE", -(2n ** 53n)], ["NEG_P53_1", -(2n ** 53n) - 1n], ["HI_FFE", 0xffe00000n << 32n],
      ["HI_FFDF", (0xffdfffffn << 32n) | 0xffffffffn],
    ];
    a.enum64("e64_signed", 8, vals, true);
    a.enum64("e64_unsigned", 8, vals, false);
    a.enum64("e64_empty", 8, [], false);
    a.enum64(undefined, 8, [["ANON64", 5n]], true);
    a.enum64("e64_small", 4, [["S4", 3n]], false);
    add("fwd-enum", a, "FWD struct/union, enum fwd (vlen 0), ENUM signed/unsigned incl. >= 2^31, sizes 1/2/8, ENUM64 signed/unsigned edge values");
  }

  // ---- variables, sections, linkage ----
  {
    const a = new BtfAsm();
    const int = a.int("int", 4, SIGNED);
    const ch = a.int("char", 1, SIGNED);
    const arr = a.array(ch, int, 16);
    const vs = a.var("static_var", int, 0);
    const vg = a.var("global_var", arr, 1);
    const ve = a.var("extern_var", int, 2);
    const vu = a.var("odd_linkage", int, 2);
    const proto = a.funcProto(int, [{ name: "arg", type: int }]);
    const fs = a.func("static_fn", proto, 0);
    const fg = a.func("global_fn", proto, 1);
    const fe = a.func("extern_fn", proto, 2);
    a.datasec(".data", 24, [{ type: vs, offset: 0, size: 4 }, { type: vg, offset: 4, size: 16 }, { type: vu, offset: 20, size: 4 }]);
    a.datasec(".kconfig", 0, [{ type: ve, offset: 0, size: 4 }]);
    a.datasec(".ksyms", 0, [{ type: fe, offset: 0, size: 0 }, { type: fs, offset: 0, size: 0 }, { type: fg, offset: 0, size: 0 }]);
    a.datasec(".bss", 0, []);
    add("datasec", a, "VAR static/global/extern, DATASEC with VARs and FUNCs, empty DATASEC, FUNC static/global/extern");
  }

  // ---- INT encodings and FLOAT sizes ----
  {
    const a = new BtfAsm();
    a.int("plain", 4, 0);
    a.int("signed", 4, SIGNED);
    a.int("char", 1, CHAR);
    a.int("bool", 1, BOOL);
    a.int("u8", 1, 0);
    a.int("s16", 2, SIGNED);
    a.int("u64", 8, 0);
    a.int("s128", 16, SIGNED);
    a.int("offset_bits", 4, 0, 5, 3);
    a.int("narrow", 8, SIGNED, 33);
    a.float("half", 2);
    a.float("float", 4);
    a.float("double", 8);
    a.float("x87", 12);
    a.float("quad", 16);
    add("ints", a, "INT encodings (none), SIGNED, CHAR, BOOL; sizes 1..16; bits_offset/nr_bits; FLOAT sizes 2/4/8/12/16");
  }
  {
    const a = new BtfAsm();
    a.int("signed_char", 1, SIGNED | CHAR);
    a.int("enc8", 4, 8);
    a.int("enc15", 4, 15);
    a.int("signed_bool", 1, SIGNED | BOOL);
    add("ints-unknown", a, "INT encodings bpftool prints as UNKN (kernel-invalid: parsed without validation)", { validate: false });
  }

  // ---- names bpftool escapes in JSON, UTF-8 ----
  {
    const a = new BtfAsm();
    const int = a.int('quo"te', 4, SIGNED);
    a.typedef("back\\slash", int);
    a.typedef("tab\there", int);
    a.typedef("new\nline", int);
    a.typedef("cr\rff\fbs\b", int);
    a.typedef("slash/ok", int);
    a.typedef("h\u00e9llo_\u65e5\u672c_\u{1f600}", int);
    a.struct('s"\\', 8, [{ name: "m\t1", type: int }, { name: 'm"2', type: int, bitOff: 32 }]);
    a.enum("e\n", 4, [["V\\", 1], ['W"', 2]]);
    a.funcProto(int, [{ name: "p\b", type: int }]);
    add("names", a, "names with \" \\ \\t \\n \\r \\f \\b / and UTF-8 (bpftool jsonw_puts escapes)");
  }
  {
    const a = new BtfAsm();
    const int = a.int("int", 4, SIGNED);
    a.typedef(Uint8Array.of(0x63, 0x01, 0x1f, 0x7f), int);
    a.typedef(Uint8Array.of(0x62, 0xff, 0xfe, 0x61), int);
    a.typedef(Uint8Array.of(0xc3), int);
    add("names-bytes", a, "names with raw control bytes and invalid UTF-8 (JSON compared as bytes only)", { jsonParse: false });
  }

  // ---- assorted shapes ----
  {
    const a = new BtfAsm();
    const int = a.int("int", 4, SIGNED);
    const vint = a.volatile(int);
    const cvint = a.const(vint);
    const pcv = a.ptr(cvint);
    const rp = a.restrict(pcv);
    a.const(0);
    a.volatile(0);
    a.ptr(0);
    a.typedef("void_t", 0);
    const a1 = a.array(int, int, 3);
    const a2 = a.array(a1, int, 4);
    a.array(a2, int, 0);
    a.funcProto(0, []);
    a.funcProto(int, [{ name: "fmt", type: rp }, { type: 0 }]);
    a.funcProto(rp, [{ type: int }, { type: int }]);
    a.struct("kflag_no_bitfields", 8, [{ name: "x", type: int }, { name: "y", type: int, bitOff: 32 }], true);
    a.union("bits_union", 4, [{ name: "lo", type: int, bitSize: 3 }, { name: "all", type: int }]);
    a.struct("max_bits", 16, [{ name: "f", type: int, bitOff: 0, bitSize: 1 }, { name: "g", type: int, bitOff: 100, bitSize: 28 }]);
    a.struct(undefined, 0, []);
    a.union(undefined, 0, []);
    const many = [];
    for (let i = 0; i < 300; i++) many.push({ name: `f${i}`, type: int, bitOff: i * 32 });
    a.struct("vlen300", 1200, many);
    add("shapes", a, "modifier chains, modifiers of void, nested arrays, empty/varargs protos, kflag struct without bitfields, union bitfields, vlen > 255");
  }

  // ---- header variants ----
  {
    const a = new BtfAsm();
    const int = a.int("int", 4, SIGNED);
    a.ptr(int);
    add("hdr32", a, "hdr_len 32, extra header bytes all zero (little-endian only)", { be: false }, { hdrExtra: new Uint8Array(8) });
    add("gaps", a, "type_off 8 and 12 bytes between the type and string sections", {}, { gapBeforeTypes: 8, gapBeforeStrs: 12 });
  }
  add("empty", new BtfAsm(), "no types, string section is a single NUL");

  // ---- split ----
  {
    const base = splitBase();
    add("split-base", base, "base of the hand-made split fixtures");
    const s = new BtfAsm(base);
    const int = 1, bs = 3, pbs = 4, fwd = 7;
    const own = s.struct("split_struct", 24, [{ name: "a", type: int }, { name: "inner", type: bs, bitOff: 64 }]);
    s.ptr(own);
    s.ptr(fwd);
    s.typedef("base_struct", pbs);
    const v = s.var("split_var", own, 1);
    s.datasec(".data", 24, [{ type: v, offset: 0, size: 24 }, { type: 5, offset: 0, size: 4 }]);
    const proto = s.funcProto(int, [{ name: "a", type: pbs }]);
    s.func("split_fn", proto, 1);
    add("split-mod", s, "split on split-base: own and base ids, base and own strings, DATASEC naming a base VAR", { base: "split-base" });
    const e = new BtfAsm(base);
    add("split-empty", e, "split with no types and an empty string section", { base: "split-base" });
    const n = new BtfAsm(base);
    n.ptr(bs);
    n.const(n.nextId - 1);
    n.typedef("int", 1);
    add("split-nostr", n, "split whose types use only base strings: str_len 0", { base: "split-base" });
  }
  return out;
}
