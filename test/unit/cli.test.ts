/**
 * The CLI as users see it: bad input of every class gives exactly one line
 * `btfkit: FILE: message` on stderr, exit 1, nothing on stdout; usage errors exit 2;
 * `--help` works on every verb; good input prints the bpftool goldens.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliResult } from "../helpers/cli.js";
import { CLI } from "../helpers/paths.js";
import { fixturePath, readFixture } from "../helpers/fixtures.js";
import { BtfAsm, info, K } from "../helpers/btf-asm.js";
import { wrongBase } from "../helpers/handmade.js";

const TMP = mkdtempSync(join(tmpdir(), "btfkit-cli-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(TMP, name);
  writeFileSync(p, bytes);
  return p;
}

function small(): BtfAsm {
  const a = new BtfAsm();
  const int = a.int("int", 4, 1);
  a.struct("s", 8, [{ name: "a", type: int }, { name: "b", type: a.ptr(int), bitOff: 0 }]);
  return a;
}

const kinds = readFixture("c/kinds.btf");
const xz = readFixture("compressed/kinds.btf.xz");
const elfObj = readFixture("c/records.o");

/** [what, args after the verb, the file the message must name] */
function badInputs(): [string, string[], string][] {
  const cases: [string, string[], string][] = [];
  const add = (what: string, name: string, bytes: Uint8Array | string) => {
    const p = file(name, bytes);
    cases.push([what, [p], p]);
  };
  add("an empty file", "empty.btf", new Uint8Array(0));
  add("a file truncated inside the header", "trunc-hdr.btf", kinds.subarray(0, 20));
  add("a file truncated inside the types", "trunc-types.btf", kinds.subarray(0, 300));
  add("a wrong magic (text)", "text.btf", "hello, this is not BTF\n");
  add("a wrong magic (one byte off)", "magic.btf", Uint8Array.from([0x9e, ...kinds.subarray(1)]));
  add("a string section past the end", "strlen.btf", small().bytes({ hdr: { strLen: 5000 } }));
  add("a type section past the string section", "typelen.btf", small().bytes({ hdr: { typeLen: 4000 } }));
  add("hdr_len past the end", "hdrlen.btf", small().bytes({ hdr: { hdrLen: 0xffffff } }));
  add("a record past the end of the type section", "vlen.btf", small().patch(3, 1, info(K.STRUCT, 200)).bytes());
  add("an unknown kind", "kind.btf", (() => { const a = small(); a.raw(0, info(25), 0); return a.bytes(); })());
  add("a dangling type id", "dangling.btf", small().patch(3, 4, 77).bytes());
  add("a bad string offset", "stroff.btf", small().patch(1, 0, 123456).bytes());
  add("a reference cycle", "cycle.btf", (() => { const a = small(); const t = a.typedef("t", 0); a.patch(t, 2, a.const(t)); return a.bytes(); })());
  add("a PTR to a FUNC (kernel-invalid)", "ptrfunc.btf", (() => { const a = small(); a.ptr(a.func("f", a.funcProto(1))); return a.bytes(); })());
  add("an ELF without .BTF", "nobtf.o", readFixture("elf/nobtf.o"));
  add("a truncated ELF", "trunc.o", elfObj.subarray(0, 100));
  add("an ELF whose section table is cut off", "cut.o", elfObj.subarray(0, elfObj.length - 200));
  add("corrupt xz", "corrupt.btf.xz", Uint8Array.from(xz, (b, i) => (i > 40 && i % 5 === 0 ? b ^ 0xa5 : b)));
  add("truncated gzip", "trunc.btf.gz", readFixture("compressed/kinds.btf.gz").subarray(0, 200));
  add("a split module without its base", "mod.btf", readFixture("handmade/split-mod.btf"));
  const missing = join(TMP, "does-not-exist.btf");
  cases.push(["a missing file", [missing], missing]);
  const dir = join(TMP, "a-directory");
  mkdirSync(dir);
  cases.push(["a directory", [dir], dir]);
  const mod = fixturePath("real/nf_dup_netdev.btf");
  cases.push(["a module on the wrong base", [mod, "--base", fixturePath("c/kinds.btf")], mod]);
  const hmod = fixturePath("handmade/split-mod.btf");
  cases.push(["a split on a base with too few types", ["-B", fixturePath("handmade/empty.btf"), hmod], hmod]);
  const wrong = file("wrong-base.btf", wrongBase().bytes());
  cases.push(["a split on a base with the same counts but other types", ["--base", wrong, hmod], hmod]);
  const badBase = file("bad-base.btf", "garbage");
  cases.push(["a bad base file (the message names the base)", [hmod, "--base", badBase], badBase]);
  cases.push(["a missing base file", [hmod, "--base", missing], missing]);
  return cases;
}

function assertOneLineError(r: CliResult, named: string): void {
  assert.equal(r.signal, null, "not killed (no hang)");
  assert.equal(r.code, 1, `exit code 1 (stderr: ${r.stderr})`);
  assert.equal(r.stdout.length, 0, "nothing on stdout");
  assert.match(r.stderr, new RegExp(`^btfkit: ${escapeRe(named)}: .+\\n$`), "exactly one line naming the file");
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error|TypeError|RangeError/, "no stack trace or internal error");
}

describe("bad input gives one error line and exit 1", { concurrency: 4 }, () => {
  for (const [what, args, named] of badInputs()) {
    test(`btfkit dump on ${what}`, async () => assertOneLineError(await runCli(["dump", ...args]), named));
    test(`btfkit stats on ${what}`, async () => assertOneLineError(await runCli(["stats", ...args]), named));
  }
});

describe("usage errors exit 2", { concurrency: 4 }, () => {
  const k = fixturePath("c/kinds.btf");
  const usage: [string, string[]][] = [
    ["no arguments", []],
    ["an unknown command", ["frobnicate", k]],
    ["dump without a file", ["dump"]],
    ["dump with two files", ["dump", k, k]],
    ["dump with an unknown format", ["dump", "--format", "xml", k]],
    ["dump with an unknown option", ["dump", "--bogus", k]],
    ["dump with an unknown short option", ["dump", "-z", k]],
    ["dump --base without a value", ["dump", k, "--base"]],
    ["dump --json=yes (a flag with a value)", ["dump", "--json=yes", k]],
    ["dump --format given twice", ["dump", "--format", "raw", "--format", "json", k]],
    ["stats without a file", ["stats"]],
    ["stats with an unknown option", ["stats", "--bogus", k]],
  ];
  for (const [what, args] of usage) {
    test(`btfkit with ${what} exits 2 and says why`, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2, r.stderr);
      if (args.length) {
        assert.equal(r.stdout.length, 0);
        assert.match(r.stderr, /^btfkit: .+\n/);
        assert.match(r.stderr, /usage: btfkit/);
      }
    });
  }
});

describe("--help", { concurrency: 4 }, async () => {
  const top = await runCli(["--help"]);
  const verbs = [...top.stdout.toString("utf8").matchAll(/^ {2}([a-z][a-z0-9-]*)\s/gm)].map((m) => m[1]!);
  test("btfkit --help lists the commands and exits 0", () => {
    assert.equal(top.code, 0);
    assert.match(top.stdout.toString(), /^usage: btfkit COMMAND/);
    assert.ok(verbs.includes("dump") && verbs.includes("stats"), verbs.join(","));
  });
  for (const v of verbs) {
    for (const flag of ["--help", "-h"]) {
      test(`btfkit ${v} ${flag} prints the command's usage and exits 0`, async () => {
        const r = await runCli([v, flag]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, "");
        assert.match(r.stdout.toString(), new RegExp(`^usage: btfkit ${v}\\b`));
      });
    }
  }
  test("btfkit --version prints the version", async () => {
    const r = await runCli(["--version"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout.toString(), /^btfkit \d+\.\d+\.\d+\n$/);
  });
  test("bin/btfkit.js runs as a command: its #! line starts node with the V8 flags it names", async () => {
    // The installed `btfkit` (npx, npm's bin link) runs the file itself: a flag node
    // rejects, or an `env` without -S, would break every command there and nowhere else.
    const first = readFileSync(CLI, "utf8").split("\n", 1)[0]!;
    assert.match(first, /^#!\/usr\/bin\/env -S node( --[a-z-]+=\d+)+$/);
    const r = await runCli(["--version"], { asCommand: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.toString(), /^btfkit \d+\.\d+\.\d+\n$/);
  });
});

describe("good input", { concurrency: 4 }, () => {
  const golden = (g: string) => readFileSync(fixturePath(g));
  const ok = (r: CliResult) => {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
  };
  test("btfkit dump prints bpftool's raw text byte for byte", async () => {
    const r = await runCli(["dump", fixturePath("c/kinds.btf")]);
    ok(r);
    assert.ok(r.stdout.equals(golden("c/kinds.raw.txt")));
  });
  test("btfkit dump -j / --format json prints bpftool's JSON byte for byte", async () => {
    for (const args of [["-j"], ["--format", "json"], ["--format=json"], ["-f", "json"]]) {
      const r = await runCli(["dump", ...args, fixturePath("c/records.o")]);
      ok(r);
      assert.ok(r.stdout.equals(golden("c/records.json")), args.join(" "));
    }
  });
  test("btfkit dump of a big-endian, compressed or ELF input", async () => {
    for (const f of ["c/kinds.be.btf", "compressed/kinds.btf.xz", "compressed/kinds.btf.zst", "elf/kinds.zstd.o"]) {
      const r = await runCli(["dump", fixturePath(f)]);
      ok(r);
      assert.ok(r.stdout.equals(golden("c/kinds.raw.txt")), f);
    }
  });
  test("btfkit dump --base prints a split module's own types", async () => {
    const r = await runCli(["dump", "--base", fixturePath("handmade/split-base.btf"), fixturePath("handmade/split-mod.be.btf")]);
    ok(r);
    assert.ok(r.stdout.equals(golden("handmade/split-mod.raw.txt")));
    const real = await runCli(["dump", "-j", "-B", fixturePath("real/vmlinux-6.1.btf.xz"), fixturePath("real/nf_dup_netdev.btf")]);
    ok(real);
    assert.ok(real.stdout.equals(golden("real/nf_dup_netdev.json")));
  });
  test("btfkit dump --no-validate dumps kernel-invalid BTF that plain dump refuses", async () => {
    const f = fixturePath("handmade/ints-unknown.btf");
    const r = await runCli(["dump", "--no-validate", f]);
    ok(r);
    assert.ok(r.stdout.equals(golden("handmade/ints-unknown.raw.txt")));
    assertOneLineError(await runCli(["dump", f]), f);
  });
  test("btfkit stats prints the table and --json the numbers", async () => {
    const f = fixturePath("c/linked.btf");
    const r = await runCli(["stats", f]);
    ok(r);
    assert.match(r.stdout.toString(), /^kind\s+types\s+bytes\s+share\n/);
    assert.match(r.stdout.toString(), new RegExp(`^total\\s+${readFixture("c/linked.btf").length}\\s+100\\.0%$`, "m"));
    const j = await runCli(["stats", "--json", f]);
    ok(j);
    const s = JSON.parse(j.stdout.toString());
    assert.equal(s.totalBytes, readFixture("c/linked.btf").length);
    assert.equal(s.startId, 1);
  });
  test("btfkit dump into a closed pipe ends quietly", async () => {
    const { spawn } = await import("node:child_process");
    const { CLI } = await import("../helpers/paths.js");
    const child = spawn(process.execPath, [CLI, "dump", fixturePath("c/linked.btf")], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((res) => child.on("close", (c) => res(c)));
    assert.equal(err, "");
    assert.equal(code, 0);
  });
});
