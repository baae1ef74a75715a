/** The CLI's argument parser (src/cli/args.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { opt, flag, parseArgs, UsageError } from "../../src/cli/args.js";

const specs = [
  { name: "jobs", short: ["j"], value: true },
  { name: "output", short: ["o"], value: true },
  { name: "json" },
  { name: "in-place" },
];

test("args: long, --opt=value, short with a separate value, and positionals", () => {
  const p = parseArgs(["vmlinux", "--jobs", "2", "--output=out.btf", "--in-place"], specs);
  assert.deepEqual([opt(p, "jobs"), opt(p, "output"), flag(p, "in-place"), flag(p, "json"), p.positionals], ["2", "out.btf", true, false, ["vmlinux"]]);
});

test("args: a one-letter option takes its value attached, as pahole's -j2", () => {
  const p = parseArgs(["-j2", "-oout.btf", "f"], specs);
  assert.deepEqual([opt(p, "jobs"), opt(p, "output"), p.positionals], ["2", "out.btf", ["f"]]);
});

test("args: unknown options, missing values and repeats are usage errors", () => {
  assert.throws(() => parseArgs(["-x2"], specs), UsageError);
  assert.throws(() => parseArgs(["--nope"], specs), UsageError);
  assert.throws(() => parseArgs(["-j"], specs), /needs a value/);
  assert.throws(() => parseArgs(["-j1", "-j2"], specs), /given twice/);
  assert.throws(() => parseArgs(["--json=1"], specs), /takes no value/);
});
